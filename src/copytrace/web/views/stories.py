"""The story list (``/stories``) and a story (``/stories/{id}``): its derivation tree,
timeline and outlets."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request

from copytrace.store.queries import StoryFilters, list_stories, story_view
from copytrace.web.render import respond, strip_format

router = APIRouter(tags=["stories"])


@router.get("/stories")
@router.get("/stories.json", include_in_schema=False)
def stories(
    request: Request,
    date_from: dt.date | None = Query(None, alias="from", description="Stories with an article on or after."),
    date_to: dt.date | None = Query(None, alias="to", description="Stories with an article on or before."),
    source: str | None = Query(None, description="Stories with an article from this outlet."),
    q: str | None = Query(None, description="Text in an article's title or text."),
    page: int = Query(1, ge=1),
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
        view = story_view(store, strip_format(story_id))
    return respond(request, "story.html", view)
