"""Command-line front end. Each command lives in its own module of this package
and only calls library functions and prints their result objects."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from copytrace.errors import CopytraceError

app = typer.Typer(
    name="copytrace",
    help="Find reused text in news: passages, edits, altered quotations, sources, stories.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
stderr = Console(stderr=True)

# Command modules register themselves on `app` when imported.
from copytrace.cli import commands  # noqa: E402,F401


def main() -> None:
    """Console-script entry point: user mistakes become one line and exit 2."""
    try:
        app(standalone_mode=False)
    except CopytraceError as error:
        stderr.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Abort:
        stderr.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        stderr.print("interrupted")
        sys.exit(130)
    except Exception as error:  # click usage errors carry their own exit code
        exit_code = getattr(error, "exit_code", None)
        if exit_code is not None and hasattr(error, "show"):
            error.show()
            sys.exit(exit_code)
        raise
