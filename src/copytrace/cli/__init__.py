"""Command-line front end. Each command lives in its own module of this package
and only calls library functions and prints their result objects.

Exit status: 0 done, 2 a user's mistake (one line on stderr), 130 interrupted (one line
saying what was kept), 1 a failure: of the system (a full disk: one line) or of copytrace
itself (a traceback). Text from data
(ids, titles, file names) reaches the terminal through :func:`shown`, never as markup.
"""

from __future__ import annotations

import os
import sys

import duckdb
import typer
from rich.console import Console
from rich.text import Text

import copytrace
from copytrace.errors import CopytraceError

app = typer.Typer(
    name="copytrace",
    help="Find reused text in news: passages, edits, altered quotations, sources, stories.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help, as click writes it: typer's rich help gives every flag a "<bool>" value.
    rich_markup_mode=None,
)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)
# Results. Piped, tables and trees get $COLUMNS, else 120 columns (rich's 80 fold ids and
# titles); lines go through say().
stdout = Console() if sys.stdout.isatty() else Console(width=None if "COLUMNS" in os.environ else 120)
INTERRUPTED = 130
# DuckDB's errors for what the machine refused (disk, memory), not for a mistake in copytrace.
_SYSTEM_FAILURES = (duckdb.IOException, duckdb.FatalException, duckdb.OutOfMemoryException)
# A commit the machine refused: DuckDB could not create or write the store's log (a
# folder that cannot be written: "Cannot open file ...wal: Permission denied").
_FAILED_COMMIT = "Failed to commit"

# Each control character (C0, DEL, C1: ESC starts every ANSI sequence) is shown as one
# visible character, so styles placed by offset still fit: C0 and DEL as their Control
# Pictures (U+2400 block); C1, Unicode line separators and the bidirectional controls
# (which reorder how a line reads: "Trojan Source") as U+FFFD.
_BIDI_CONTROLS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_VISIBLE_CONTROLS = {
    **{code: 0x2400 + code for code in range(0x20)}, 0x7F: 0x2421,
    **{code: 0xFFFD for code in (*range(0x80, 0xA0), 0x2028, 0x2029, *_BIDI_CONTROLS)},
}
_VISIBLE_CONTROLS_MULTILINE = {code: shown for code, shown in _VISIBLE_CONTROLS.items() if code not in (0x09, 0x0A)}


def say(line: Text | str) -> None:
    """Print one line of results, never wrapped by rich: a script reading a pipe gets it
    whole (a terminal wraps it itself)."""
    stdout.print(line, soft_wrap=True)


class Interrupted(Exception):
    """Ctrl-C, with one line that says what was kept: printed as it is, exit status 130."""


def shown(value: object, style: str = "", one_line: bool = True) -> Text:
    """``value`` as terminal text: never read as markup, and each control character shown
    as a visible one (ESC as ␛), so data cannot restyle, move or clear the terminal.
    ``one_line=False`` keeps tabs and line breaks."""
    table = _VISIBLE_CONTROLS if one_line else _VISIBLE_CONTROLS_MULTILINE
    return Text(str(value).translate(table), style=style)


def _version(value: bool) -> None:
    if value:
        print(f"copytrace {copytrace.__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Find reused text in news: passages, edits, altered quotations, sources, stories."""


# Command modules register themselves on `app` when imported.
from copytrace.cli import commands  # noqa: E402,F401


def main() -> None:
    """Console-script entry point: the exit status above, never a traceback for a user's
    mistake or for Ctrl-C."""
    try:
        status = app(standalone_mode=False)
    except CopytraceError as error:
        stderr.print(Text.assemble(("error:", "bold red"), " ", shown(error)))
        sys.exit(2)
    except Interrupted as interrupted:
        stderr.print(shown(interrupted))
        sys.exit(INTERRUPTED)
    except (OSError, *_SYSTEM_FAILURES, duckdb.TransactionException) as error:
        if isinstance(error, duckdb.TransactionException) and _FAILED_COMMIT not in str(error):
            raise  # a conflict between transactions is a failure of copytrace, not the machine's
        stderr.print(Text.assemble(("error:", "bold red"), " ", shown(_system_failure(error))))
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        status = INTERRUPTED
    except Exception as error:  # click's usage errors carry their exit status
        status = _usage_error(error)
    if status == INTERRUPTED:  # typer turns Ctrl-C into this status, silently
        stderr.print("interrupted")
    sys.exit(status if isinstance(status, int) else 0)


def _system_failure(error: Exception) -> str:
    """What the system refused (a full disk, a folder not writable), in one line: DuckDB
    wraps the first error in a "database invalidated" one."""
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror}"
    message = str(error)
    _, original, cause = message.partition("Original error:")
    return " ".join((cause if original else message).split()).strip('"')


def _usage_error(error: Exception) -> int:
    """Print a click usage error as one line (help itself when no arguments were given);
    its exit status. Anything else is a failure of copytrace: raised again."""
    exit_code = getattr(error, "exit_code", None)
    if exit_code is None or not hasattr(error, "format_message"):
        raise error
    if type(error).__name__ == "NoArgsIsHelpError":
        error.show()
        return exit_code
    context = getattr(error, "ctx", None)
    hint = f" (see {context.command_path} --help)" if context is not None else ""
    stderr.print(Text.assemble(("error:", "bold red"), " ", shown(error.format_message().rstrip(".")), hint))
    return exit_code
