"""`copytrace serve`: the live archive's HTTP API and the web viewer, over one store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from copytrace.cli import app
from copytrace.engine import DEFAULT_DB
from copytrace.errors import InputError
from copytrace.web import server as web_server
from copytrace.web.app import ServerSettings
from copytrace.web.security import DEFAULT_MAX_BODY, is_loopback

TOKEN_VARIABLE = "COPYTRACE_TOKEN"


@app.command("serve")
def serve(
    db: Path = typer.Option(Path(DEFAULT_DB), "--db", help="DuckDB store file (created if missing)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; other than loopback needs a token."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to bind."),
    token: Optional[str] = typer.Option(
        None, "--token", help=f"Token that writes need (default: ${TOKEN_VARIABLE}).", show_default=False
    ),
    max_body: int = typer.Option(DEFAULT_MAX_BODY, "--max-body", min=1, help="Largest request body, in bytes."),
    workers: Optional[int] = typer.Option(
        None, "--workers", help="Processes that adds run on (default: one per core; the others verify candidates)."),
) -> None:
    """Serve a store: add and query articles over HTTP, and browse its stories."""
    token = token or os.environ.get(TOKEN_VARIABLE) or None
    if not is_loopback(host) and not token:
        raise InputError("--host", f"{host} is not a loopback address: set --token or ${TOKEN_VARIABLE} so that "
                                   "only holders of the token can write")
    settings = ServerSettings(db=db, host=host, port=port, token=token, max_body=max_body, workers=workers)
    web_server.serve(settings, announce=lambda line: typer.echo(line, err=True))
