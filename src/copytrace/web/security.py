"""What `copytrace serve` enforces on every request, whatever the view:

* **writes need the token** when one is set (``--token`` or ``COPYTRACE_TOKEN``); a
  server bound to an address other than loopback refuses to start without one. The
  token comes as ``Authorization: Bearer …``, ``X-Copytrace-Token`` or, from a page's
  form, a ``token`` field. Compared in constant time;
* **bodies over the limit** (``--max-body``, 5 MB by default) get 413, counted as
  they arrive, so a body without a Content-Length cannot get past the limit;
* **headers**: a Content-Security-Policy that allows only the package's own scripts
  and styles (no inline script, so text from data can never run), no framing, no
  MIME sniffing.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY = 5 * 1024 * 1024
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_token(request: Request, form_token: str | None = None) -> None:
    """Refuse a write (401) when the server has a token and the request does not carry it."""
    expected = request.app.state.settings.token
    if not expected:
        return
    given = request.headers.get("x-copytrace-token") or form_token or ""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, "this server needs its token to write: send Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})


class BodyLimitAndHeaders:
    """ASGI middleware: 413 for a body over ``max_body`` bytes, security headers on every
    response."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await self._too_large(send)
            return
        received = 0
        answered = False  # the response has started: the app's or our 413

        async def counted_receive() -> Message:
            # Past the limit, answer 413 at once and tell the app the client is gone.
            nonlocal received, answered
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                if not answered:
                    answered = True
                    await self._too_large(send)
                return {"type": "http.disconnect"}
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                if answered:
                    return
                answered = True
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            elif received > self.max_body:
                return  # the rest of a response to a body that was refused
            await send(message)

        await self.app(scope, counted_receive, send_with_headers)

    async def _too_large(self, send: Send) -> None:
        body = b'{"error": "request body over the server\'s limit (--max-body)"}'
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), *SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": body})
