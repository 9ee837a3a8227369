"""`copytrace serve`: the live archive's HTTP API and the web viewer, over one store."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Optional

import typer

from copytrace.cli import app
from copytrace.engine import DEFAULT_DB
from copytrace.errors import InputError
from copytrace.store import holder
from copytrace.web.app import ServerSettings, create_app
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
    import uvicorn

    token = token or os.environ.get(TOKEN_VARIABLE) or None
    if not is_loopback(host) and not token:
        raise InputError("--host", f"{host} is not a loopback address: set --token or ${TOKEN_VARIABLE} so that "
                                   "only holders of the token can write")
    listening = _listening_socket(host, port)  # before the store is opened: a busy port changes nothing
    port = listening.getsockname()[1]  # the one the system chose for --port 0
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    settings = ServerSettings(db=db, host=host, port=port, token=token, max_body=max_body, workers=workers)
    application = create_app(settings)
    holder.write_note(db, url)
    typer.echo(f"serving {db} at {url} (Ctrl-C stops it)", err=True)
    try:
        uvicorn.Server(uvicorn.Config(application, log_level="warning")).run(sockets=[listening])
    finally:
        holder.remove_note(db)


def _listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` and listening, or one line naming the option
    that cannot be served (a port in use, an address this machine does not have)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as error:
        option = "--port" if error.errno == errno.EADDRINUSE else "--host"
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise InputError(option, f"cannot listen on {host}:{port}: {reason}") from error
