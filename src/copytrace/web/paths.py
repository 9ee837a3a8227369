"""Ids in URL paths. An article's or a story's id may hold any character: a URL with
``/``, ``?``, ``#`` or ``%``, or a final ``.json``, which would read as the JSON twin.

* A link quotes an id as one path segment (:func:`path_segment`), and its dots too
  where they would read as a format (``x.json``). (Ids of only dots, which a browser
  reads as a relative path however they are quoted, are refused when read.)
* The server routes on the path with ``%2F``, ``%25`` and ``%2E`` left encoded
  (:class:`KeepEncodedSeparators`), so a slash inside an id does not split its
  segment; a view decodes its parameter with :func:`path_id`.
* A page links its JSON twin and its other pages from the path as it was requested
  (:func:`requested_path`), never from the decoded one.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

FORMAT_SUFFIX = ".json"
_KEPT = re.compile(r"(%2[fFeE5])")  # "/", "." and "%" themselves stay encoded for routing


def path_segment(value: object) -> str:
    """``value`` quoted as one URL path segment (``/``, ``?``, ``#`` and ``%`` included;
    dots too where the segment ends in ``.json``)."""
    segment = quote(str(value), safe="")
    if segment.endswith(FORMAT_SUFFIX):
        segment = segment.replace(".", "%2E")
    return segment


def segment_id(value: str) -> str:
    """The id a routed path parameter names (``a%2Fb`` is id a/b)."""
    return unquote(value)


def path_id(value: str) -> str:
    """The id the routed last segment of a path names: without a ``.json`` suffix written
    as such (``/stories/x.json`` is story x as JSON), then decoded (``x%2Ejson`` is id
    x.json)."""
    return segment_id(value[: -len(FORMAT_SUFFIX)] if value.endswith(FORMAT_SUFFIX) else value)


def routed_path(raw_path: str) -> str:
    """The path to route on: ``raw_path`` decoded except for ``%2F``, ``%2E`` and ``%25``
    (a multi-byte character never holds those bytes, so no character is cut)."""
    pieces = _KEPT.split(raw_path)
    return "".join(piece.upper() if kept else unquote(piece) for piece, kept in
                   zip(pieces, [False, True] * len(pieces)))


def requested_path(request: Request) -> str:
    """The request's path exactly as the client quoted it."""
    raw = request.scope.get("raw_path")
    return raw.decode("ascii", "replace") if raw else quote(request.url.path)


class KeepEncodedSeparators:
    """ASGI middleware: routes a request whose path holds an encoded ``/``, ``.`` or
    ``%`` on :func:`routed_path` (others, the most, as the server decoded them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # raw_path is optional in ASGI: without it, the decoded path quoted again (a
            # "%" in it becomes "%25", so no view decodes it twice).
            raw = (scope.get("raw_path") or quote(scope["path"], safe="/").encode()).decode("ascii", "replace")
            scope = {**scope, "raw_path": raw.encode("ascii", "replace")}
            if _KEPT.search(raw):
                scope["path"] = routed_path(raw)
        await self.app(scope, receive, send)
