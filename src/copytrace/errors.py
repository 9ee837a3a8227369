"""Errors that reach users as one line, never as a traceback.

Every mistake a user can make (a missing file, a bad record, an unknown format)
raises :class:`InputError` with a message that names the input and, where there
is one, the line or field. Front ends print ``error: <message>`` and exit 2.
"""

from __future__ import annotations


class CopytraceError(Exception):
    """Base class of the errors copytrace reports to users."""


class InputError(CopytraceError):
    """Bad input: the message names the file and the line or field."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple:
        # Raised in a worker process, it comes back whole (pickling keeps only args).
        return type(self), (self.where, self.reason)


class NotFound(InputError):
    """An id that names nothing in the store (an API answers 404)."""
