"""Two articles side by side: a stored pair (``/pairs/{a}/{b}``) or two posted texts
(``POST /compare``), as the full comparison of :func:`copytrace.compare`; and the
compare page (``GET /compare``), whose form posts two pasted or uploaded texts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from copytrace.compare import compare
from copytrace.errors import InputError, NotFound
from copytrace.web.forms import FormPage, FormRoute
from copytrace.web.paths import path_id, segment_id
from copytrace.web.render import respond
from copytrace.web.report import pair_context
from copytrace.web.views.articles import ArticleIn

router = APIRouter(tags=["compare"], route_class=FormRoute)


class CompareIn(BaseModel):
    a: ArticleIn
    b: ArticleIn


@router.get("/pairs/{a}/{b}")
def pair(request: Request, a: str, b: str):
    """Two stored articles compared (``copytrace.comparison/2``)."""
    ids = [segment_id(a), path_id(b)]
    if ids[0] == ids[1]:
        raise InputError(f"/pairs/{a}/{b}", "an article is compared with another, not with itself")
    with request.app.state.service.reader() as store:
        found = store.documents_by_id(ids)
    for id_ in ids:
        if id_ not in found:
            raise NotFound(id_, "no such document in the store")
    comparison = compare(found[ids[0]], found[ids[1]])
    return respond(request, "pair.html", comparison, stored=True, **pair_context(comparison))


@router.get("/compare", include_in_schema=False)
@router.get("/compare.json", include_in_schema=False)
def compare_page(request: Request):
    """The compare page: paste or upload two texts."""
    return respond(request, "compare.html", FormPage("compare", [("/compare", "{a: article, b: article}",
                                                                 "copytrace.comparison/2")]))


@router.post("/compare")
def compare_texts(request: Request, body: CompareIn):
    """Two posted articles compared (``copytrace.comparison/2``); nothing is stored."""
    first, second = body.a.model_copy(update={"id": body.a.id or "a"}), body.b.model_copy(update={"id": body.b.id or "b"})
    comparison = compare(first.document("a"), second.document("b"))
    return respond(request, "pair.html", comparison, stored=False, **pair_context(comparison))
