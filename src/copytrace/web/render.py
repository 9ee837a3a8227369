"""One context, two renderings: every page is HTML for a browser and JSON for a
program, as in datasette. A view builds one result object (a dataclass with a
versioned ``to_json()``) and :func:`respond` renders it as the request asks:

* JSON when the path ends in ``.json``, or the query has ``format=json``, or the
  client does not ask for HTML (an API client's ``Accept: */*`` or
  ``application/json``);
* HTML otherwise, from the page's Jinja2 template with autoescaping on, so text
  from articles is always data, never markup.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from copytrace.web.paths import requested_path
from copytrace.web.templates_env import ENVIRONMENT


# The last page a list may be asked for: beyond it an offset would overflow the store's
# 64-bit LIMIT/OFFSET (a 500 error); a page past the end of a list is empty.
MAX_PAGE = 1_000_000


# A response's form depends on the Accept header: caches must keep one of each.
NEGOTIATED = {"vary": "Accept"}


class Context(Protocol):
    def to_json(self) -> dict: ...


def wants_json(request: Request) -> bool:
    """Whether to answer with JSON (see the module's docstring)."""
    if request.url.path.endswith(".json") or request.query_params.get("format") == "json":
        return True
    return "text/html" not in request.headers.get("accept", "")


def respond(request: Request, template: str, context: Context, status_code: int = 200, **extra: Any) -> Response:
    """``context`` as JSON, or as the HTML page ``template`` (given ``context`` as ``c``,
    the JSON form as ``data``, and ``extra``)."""
    if wants_json(request):
        return JSONResponse(context.to_json(), status_code=status_code, headers=NEGOTIATED)
    page = ENVIRONMENT.get_template(template).render(
        c=context, data=context.to_json(), request=request, settings=request.app.state.settings,
        requested_path=requested_path(request), **extra
    )
    return HTMLResponse(page, status_code=status_code, headers=NEGOTIATED)
