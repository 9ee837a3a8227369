"""Articles: one stored article with its sources and reprints, adding articles, and
querying the archive for an article it does not hold; the add/query page (``/add``),
whose form posts to ``/articles`` or ``/query``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Discriminator, Field, Tag

from copytrace.engine.archive import ArchiveMatch, ArticleReport, batch_report_json
from copytrace.ingest import Document, document_from_record
from copytrace.web.forms import FormPage, FormRoute, form_token
from copytrace.web.paths import path_id, segment_id
from copytrace.web.render import MAX_PAGE, respond, wants_json
from copytrace.web.report import Mark, Segment, segment_text
from copytrace.web.security import require_token

router = APIRouter(tags=["archive"], route_class=FormRoute)
MAX_ARTICLES_PER_REQUEST = 1000


class ArticleIn(BaseModel):
    """An article as posted: only ``text`` is required (without ``id``, the article is
    named by a digest of its text)."""

    text: str
    id: str | int | None = None
    date: str | None = Field(None, description="YYYY-MM-DD")
    source: str | None = Field(None, description="The outlet.")
    title: str | None = None
    url: str | None = None
    language: str | None = None

    def document(self, where: str) -> Document:
        return document_from_record(self.model_dump(exclude_none=True), where)


class ArticlesIn(BaseModel):
    articles: list[ArticleIn] = Field(..., max_length=MAX_ARTICLES_PER_REQUEST)


def _form_of(body: object) -> str:
    """Which form a posted body takes: a batch has ``articles``; anything else is one
    article (so its problems are reported against that form only, not both)."""
    return "batch" if isinstance(body, dict) and "articles" in body else "article"


OneOrMany = Annotated[Annotated[ArticleIn, Tag("article")] | Annotated[ArticlesIn, Tag("batch")],
                      Discriminator(_form_of)]


@dataclass(frozen=True)
class AddedArticles:
    reports: list[ArticleReport]

    def to_json(self) -> dict:
        return batch_report_json(self.reports, [])


@dataclass(frozen=True)
class Matches:
    """One page of an article's sources or reprints."""

    document_id: str
    role: str
    page: int
    per_page: int
    total: int
    matches: list[ArchiveMatch]

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.matches/1``."""
        return {"schema": "copytrace.matches/1", "document_id": self.document_id, "role": self.role,
                "page": self.page, "per_page": self.per_page, "total": self.total,
                "matches": [match.to_json() for match in self.matches]}


@router.post("/articles")
def add_articles(request: Request, body: OneOrMany):
    """Add one article, or ``{"articles": [...]}``: each is matched against the archive
    and stored with its pairs and story (``copytrace.articles/1``). Needs the token
    when the server has one."""
    require_token(request, form_token(request))
    posted = body.articles if isinstance(body, ArticlesIn) else [body]
    documents = [article.document(f"article {n + 1}") for n, article in enumerate(posted)]
    reports = request.app.state.service.add(documents)
    return respond(request, "added.html", AddedArticles(reports))


@router.post("/query")
def query(request: Request, body: ArticleIn):
    """The sources and reprints the archive holds for an article, which is not stored
    (``copytrace.article/1``)."""
    report = request.app.state.service.query(body.document("article"))
    return _article_page(request, report)


@router.get("/add", include_in_schema=False)
@router.get("/add.json", include_in_schema=False)
def add_page(request: Request):
    """The add/query page: paste an article, see what the archive holds for it, add it."""
    page = FormPage("add", [("/query", "article", "copytrace.article/1"),
                            ("/articles", "article or {articles: [...]}", "copytrace.articles/1")])
    return respond(request, "add.html", page)


@router.get("/articles/{document_id}")
def article(request: Request, document_id: str):
    """A stored article, its story, sources and reprints (``copytrace.article/1``)."""
    report = request.app.state.service.report(path_id(document_id))
    return _article_page(request, report)


def _article_page(request: Request, report: ArticleReport):
    if wants_json(request):
        return respond(request, "article.html", report)
    with request.app.state.service.reader() as store:
        boilerplate = store.boilerplate().spans(report.document)
    return respond(request, "article.html", report, segments=article_segments(report, boilerplate))


def article_segments(report: ArticleReport, boilerplate: Sequence[tuple[int, int]] = ()) -> list[Segment]:
    """The article's text cut into segments: the passages it shares with its sources
    and reprints marked ``reused``, and its ``boilerplate`` spans (where the boilerplate
    a scan learnt occurs in it: docs/boilerplate.md) marked ``boilerplate``."""
    document = report.document
    marks = [Mark(start, end, "reused", f"shared with {match.document.id}")
             for match in [*report.sources, *report.reprints] for start, end in _spans_in(match, document.id)]
    marks += [Mark(start, end, "boilerplate", "boilerplate: text this outlet repeats") for start, end in boilerplate]
    return segment_text(document.text, marks)


def _spans_in(match: ArchiveMatch, document_id: str) -> list[tuple[int, int]]:
    """The pair's passages on the side of ``document_id``."""
    here_is_a = match.pair.a == document_id
    return [(p.a_start, p.a_end) if here_is_a else (p.b_start, p.b_end) for p in match.pair.passages]


@router.get("/articles/{document_id}/sources")
@router.get("/articles/{document_id}/sources.json", include_in_schema=False)
def sources(request: Request, document_id: str, page: int = Query(1, ge=1, le=MAX_PAGE), per_page: int = Query(50, ge=1, le=500)):
    """The stored articles this one was taken from, paged (``copytrace.matches/1``)."""
    return _matches(request, document_id, "source", page, per_page)


@router.get("/articles/{document_id}/reprints")
@router.get("/articles/{document_id}/reprints.json", include_in_schema=False)
def reprints(request: Request, document_id: str, page: int = Query(1, ge=1, le=MAX_PAGE), per_page: int = Query(50, ge=1, le=500)):
    """The stored articles that reprint this one, paged (``copytrace.matches/1``)."""
    return _matches(request, document_id, "reprint", page, per_page)


def _matches(request: Request, routed_id: str, role: str, page: int, per_page: int):
    document_id = segment_id(routed_id)
    report = request.app.state.service.report(document_id)
    found = report.sources if role == "source" else report.reprints
    shown = found[(page - 1) * per_page : page * per_page]
    return respond(request, "matches.html", Matches(document_id, role, page, per_page, len(found), shown))
