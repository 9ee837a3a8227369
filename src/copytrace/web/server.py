"""Running `copytrace serve`: the address is bound first, so that a busy port is one
line and opens nothing; then the store is opened, its holder noted beside it
(:mod:`copytrace.store.holder`), and uvicorn serves on the bound socket until Ctrl-C."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable
from dataclasses import replace

from copytrace.errors import InputError
from copytrace.store import holder
from copytrace.web.app import ServerSettings, create_app

# Errors of binding that the port, not the address, is the cause of.
_PORT_ERRORS = (errno.EADDRINUSE, errno.EACCES)


def serve(settings: ServerSettings, announce: Callable[[str], None]) -> None:
    """Serve ``settings.db`` until Ctrl-C; ``announce`` gets one line once the server
    listens, with its URL (the port the system chose for port 0)."""
    import uvicorn

    with listening_socket(settings.host, settings.port) as listening:
        settings = replace(settings, port=listening.getsockname()[1])
        url = server_url(settings.host, settings.port)
        application = create_app(settings)
        holder.write_note(settings.db, url)
        announce(f"serving {settings.db} at {url} (Ctrl-C stops it)")
        try:
            uvicorn.Server(uvicorn.Config(application, log_level="warning")).run(sockets=[listening])
        except KeyboardInterrupt:
            pass  # how a server is stopped, not a failure (as uvicorn.run has it)
        finally:
            holder.remove_note(settings.db)


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` (a name, an IPv4 or IPv6 address, bracketed or
    not) and listening, or one line naming the option that cannot be served."""
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        return socket.create_server(address, family=family)
    except OSError as error:
        option = "--port" if error.errno in _PORT_ERRORS else "--host"
        reason = os.strerror(error.errno) if error.errno and error.errno > 0 else error.strerror or str(error)
        raise InputError(option, f"cannot listen on {host}:{port}: {reason}") from error


def server_url(host: str, port: int) -> str:
    """The URL of a server on ``host``:``port`` (an IPv6 address in brackets)."""
    bare = host.strip("[]")
    return f"http://{f'[{bare}]' if ':' in bare else bare}:{port}"
