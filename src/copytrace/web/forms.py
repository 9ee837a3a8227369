"""Browser forms on the API's POST endpoints.

A page's form posts its fields (``application/x-www-form-urlencoded``, or
``multipart/form-data`` with an uploaded file) to the same endpoint a program posts
JSON to. :class:`FormRoute` turns the fields into that JSON body before the endpoint
reads it, so each endpoint validates one body model and answers as it always does
(and as HTML, since a browser asks for HTML):

* a field named ``a.text`` is ``{"a": {"text": …}}``; empty fields are left out;
* an uploaded file ``X.file`` (or ``file``) is the text of ``X`` when its ``text``
  field is empty, and names it by its file name when no ``id`` is given; it must be
  UTF-8;
* the ``token`` field is not part of the body: :func:`form_token` gives it to
  :func:`copytrace.web.security.require_token`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import UploadFile

from copytrace.errors import InputError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
TOKEN_FIELD = "token"
_TOKEN_KEY = "copytrace.form_token"


class FormRoute(APIRoute):
    """A route whose JSON body may also come as a browser's form fields."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle_json = super().get_route_handler()

        async def handle(request: Request) -> Response:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if request.method == "POST" and content_type in FORM_TYPES:
                request = await _as_json_request(request)
            return await handle_json(request)

        return handle


def form_token(request: Request) -> str | None:
    """The ``token`` field of a posted form, if any."""
    return request.scope.get(_TOKEN_KEY)


async def _as_json_request(request: Request) -> Request:
    fields: dict[str, Any] = {}
    uploads: list[tuple[list[str], UploadFile]] = []
    token = None
    async with request.form() as form:
        for name, value in form.multi_items():
            path = name.split(".")
            if name == TOKEN_FIELD:
                token = value if isinstance(value, str) else None
            elif isinstance(value, UploadFile):
                if value.filename:
                    uploads.append((path[:-1], value))
            elif value.strip():
                _put(fields, path, value)
        for owner, upload in uploads:
            await _put_upload(fields, owner, upload)
    body = json.dumps(fields).encode()
    headers = [(key, value) for key, value in request.scope["headers"] if key not in (b"content-type", b"content-length")]
    scope = {**request.scope, _TOKEN_KEY: token,
             "headers": [*headers, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}
    converted = Request(scope, request.receive)
    converted._body = body  # the body is read already: the endpoint reads this one
    return converted


async def _put_upload(fields: dict[str, Any], owner: list[str], upload: UploadFile) -> None:
    """An uploaded file as the text of ``owner`` (unless its text field was filled)."""
    content = await upload.read()
    name = PurePath(upload.filename or "upload").name
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(name, "is not UTF-8 text") from None
    if not _get(fields, owner + ["text"]):
        _put(fields, owner + ["text"], text)
    if not _get(fields, owner + ["id"]):
        _put(fields, owner + ["id"], PurePath(name).stem or name)


def _put(fields: dict[str, Any], path: list[str], value: str) -> None:
    for key in path[:-1]:
        nested = fields.setdefault(key, {})
        if not isinstance(nested, dict):
            raise InputError(".".join(path), "names a field inside a field that has a value")
        fields = nested
    fields[path[-1]] = value


def _get(fields: dict[str, Any], path: list[str]) -> Any:
    for key in path:
        fields = fields.get(key) if isinstance(fields, dict) else None
    return fields


@dataclass(frozen=True)
class FormPage:
    """A page whose form posts to the API: its JSON twin says what it posts where."""

    page: str
    posts: list[tuple[str, str, str]]  # path, body, schema of the answer

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.form/1``."""
        return {"schema": "copytrace.form/1", "page": self.page,
                "posts": [{"method": "POST", "path": path, "body": body, "answer": answer}
                          for path, body, answer in self.posts]}
