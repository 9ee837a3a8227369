"""The story list (``/stories``) and a story (``/stories/{id}``): its derivation tree,
timeline and outlets, and on its page which reprints altered quotations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BeforeValidator

from copytrace.compare.quotes import QuotationMatch, quotation_report
from copytrace.store import DuckDBStore
from copytrace.store.queries import StoryArticle, StoryFilters, StoryView, list_stories, story_view
from copytrace.web.paths import path_id
from copytrace.web.render import MAX_PAGE, respond, wants_json

router = APIRouter(tags=["stories"])
# Edges whose quotations a story page checks: each check reads both texts and matches
# their quotations (a few milliseconds for a press release), so a page stays quick.
QUOTATION_CHECK_EDGES = 50


def _blank_is_none(value: object) -> object:
    """A form's empty field (``from=``) is no filter."""
    return None if value == "" else value


OptionalDate = Annotated[dt.date | None, BeforeValidator(_blank_is_none)]


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/stories")


@router.get("/stories")
@router.get("/stories.json", include_in_schema=False)
def stories(
    request: Request,
    date_from: Annotated[OptionalDate, Query(alias="from", description="Stories with an article on or after.")] = None,
    date_to: Annotated[OptionalDate, Query(alias="to", description="Stories with an article on or before.")] = None,
    source: str | None = Query(None, description="Stories with an article from this outlet."),
    q: str | None = Query(None, description="Text in an article's title or text."),
    page: int = Query(1, ge=1, le=MAX_PAGE),
    per_page: int = Query(50, ge=1, le=500),
):
    """Stories, largest first, paged (schema ``copytrace.story_list/1``)."""
    filters = StoryFilters(date_from, date_to, source or None, q or None)
    with request.app.state.service.reader() as store:
        listing = list_stories(store, filters, page, per_page)
    return respond(request, "stories.html", listing)


@router.get("/stories/{story_id}")
def story(request: Request, story_id: str):
    """A story's articles in tree order, its timeline and outlets (``copytrace.story/1``)."""
    with request.app.state.service.reader() as store:
        view = story_view(store, path_id(story_id))
        if wants_json(request):
            return respond(request, "story.html", view)
        checks = quotation_checks(store, view, QUOTATION_CHECK_EDGES)
    return respond(request, "story.html", view, children=_children(view.articles), quotation_checks=checks,
                   edges=sum(article.parent_id is not None for article in view.articles))


@dataclass(frozen=True)
class EdgeQuotations:
    """The quotations a reprint altered from its parent in the derivation tree."""

    parent_id: str
    child_id: str
    altered: list[QuotationMatch]


def quotation_checks(store: DuckDBStore, view: StoryView, limit: int = QUOTATION_CHECK_EDGES) -> list[EdgeQuotations]:
    """The altered quotations of the first ``limit`` tree edges (in tree order), each
    matched as :func:`copytrace.compare` matches them (parent as the source)."""
    edges = [(a.parent_id, a.document_id) for a in view.articles if a.parent_id is not None][:limit]
    documents = store.documents_by_id(sorted({id_ for edge in edges for id_ in edge}))
    checks = []
    for parent_id, child_id in edges:
        parent, child = documents[parent_id], documents[child_id]
        report = quotation_report(parent.text, parent.body_span, child.text, child.body_span)
        checks.append(EdgeQuotations(parent_id, child_id, report.altered))
    return checks


def _children(articles: list[StoryArticle]) -> dict[str | None, list[StoryArticle]]:
    """Each article's children in the tree (the root under ``None``), in tree order."""
    children: dict[str | None, list[StoryArticle]] = {}
    for article in articles:
        children.setdefault(article.parent_id, []).append(article)
    return children
