"""The `copytrace serve` application: the live archive's JSON API and the viewer's
pages, which are the same URLs (:mod:`copytrace.web.render`). Views live one module per
page kind in :mod:`copytrace.web.views`; the OpenAPI schema is at ``/openapi.json``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import copytrace
from copytrace.errors import InputError, NotFound
from copytrace.web import views
from copytrace.web.paths import KeepEncodedSeparators, requested_path
from copytrace.web.render import NEGOTIATED, wants_json
from copytrace.web.security import DEFAULT_MAX_BODY, BodyLimitAndHeaders
from copytrace.web.service import ArchiveService
from copytrace.web.templates_env import ENVIRONMENT

log = logging.getLogger("copytrace.serve")
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class ServerSettings:
    """How a server runs: its store, address, write token, body limit and the processes
    its adds run on (None: one per core)."""

    db: Path
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    workers: int | None = None


def create_app(settings: ServerSettings) -> FastAPI:
    """The application over ``settings.db``, opened now (so a server is ready when it
    starts listening) and closed when the application shuts down."""
    service = ArchiveService(settings.db, settings.workers)
    app = FastAPI(
        title="copytrace", version=copytrace.__version__,
        description="Find reused text in news: sources, reprints, stories and what changed.",
        on_shutdown=[service.close],
        # FastAPI's /docs and /redoc pages load their scripts from CDNs, which the pages'
        # Content-Security-Policy (and an offline machine) refuse: the schema is served.
        docs_url=None, redoc_url=None,
    )
    app.state.settings = settings
    app.state.service = service
    app.add_middleware(BodyLimitAndHeaders, max_body=settings.max_body)
    app.add_middleware(KeepEncodedSeparators)
    app.add_middleware(HeadAsGet)
    for module in views.MODULES:
        app.include_router(module.router)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_error_handlers(app)
    return app


class HeadAsGet:
    """ASGI middleware: a HEAD request is answered as its GET, without the body (FastAPI's
    routes answer HEAD with 405, and uptime checks send it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _add_error_handlers(app: FastAPI) -> None:
    """Errors as ``{"error": one line}`` with the right status, or as an HTML page for a
    browser; never a stack trace."""

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return _error(request, 404, str(error))

    @app.exception_handler(InputError)
    async def bad_input(request: Request, error: InputError) -> Response:
        return _error(request, 422, str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = [_problem(detail) for detail in error.errors()]
        return _error(request, 422, "; ".join(problems) or "invalid request", problems=problems)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        return _error(request, error.status_code, str(error.detail), headers=error.headers)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> Response:
        log.exception("error serving %s %s", request.method, request.url.path)
        return _error(request, 500, "internal error (the server's log has the details)")


def _problem(detail: dict) -> str:
    """A validation problem in words: where (the field, without the names of the body's
    alternative forms), then what."""
    if detail.get("type") == "json_invalid":  # its location is a character of the body
        at = detail.get("loc", ("body", "?"))[-1]
        return f"body: malformed JSON at character {at} ({detail.get('ctx', {}).get('error', 'invalid')})"
    parts = [str(part) for part in detail.get("loc", ()) if part != "body" and not _is_form_name(part)]
    return f"{'.'.join(parts) or 'body'}: {detail.get('msg', 'invalid')}"


def _is_form_name(part: object) -> bool:
    """A model's name or a form's tag in an error's location (``ArticleIn``, ``article``
    of a body that may be one article or a batch), not a field's."""
    return str(part)[:1].isupper() or part in ("article", "batch")


def _error(request: Request, status: int, message: str, headers: dict | None = None, **extra: object) -> Response:
    headers = {**(headers or {}), **NEGOTIATED}
    if wants_json(request):
        return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)
    page = ENVIRONMENT.get_template("error.html").render(
        request=request, settings=request.app.state.settings, status=status, message=message,
        reason=HTTPStatus(status).phrase, requested_path=requested_path(request),
    )
    return HTMLResponse(page, status_code=status, headers=headers)
