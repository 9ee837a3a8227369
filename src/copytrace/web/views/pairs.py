"""Two articles side by side: a stored pair (``/pairs/{a}/{b}``) or two posted texts
(``POST /compare``), as the full comparison of :func:`copytrace.compare`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from copytrace.compare import compare
from copytrace.errors import NotFound
from copytrace.web.render import respond, strip_format
from copytrace.web.views.articles import ArticleIn

router = APIRouter(tags=["compare"])


class CompareIn(BaseModel):
    a: ArticleIn
    b: ArticleIn


@router.get("/pairs/{a}/{b}")
def pair(request: Request, a: str, b: str):
    """Two stored articles compared (``copytrace.comparison/2``)."""
    ids = [a, strip_format(b)]
    with request.app.state.service.reader() as store:
        found = store.documents_by_id(ids)
    for id_ in ids:
        if id_ not in found:
            raise NotFound(id_, "no such document in the store")
    return respond(request, "pair.html", compare(found[ids[0]], found[ids[1]]))


@router.post("/compare")
def compare_texts(request: Request, body: CompareIn):
    """Two posted articles compared (``copytrace.comparison/2``); nothing is stored."""
    first, second = body.a.model_copy(update={"id": body.a.id or "a"}), body.b.model_copy(update={"id": body.b.id or "b"})
    return respond(request, "pair.html", compare(first.document("a"), second.document("b")))
