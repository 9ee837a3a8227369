"""Evaluation: PAN text-alignment measures and harness, derivation levels on the
Clough-Stevenson short-answer corpus."""

from __future__ import annotations

from pathlib import Path

from copytrace.errors import InputError


def corpus_bytes(path: Path) -> bytes:
    """A corpus file's bytes; a file that cannot be read is the corpus's mistake, named."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(str(path), f"cannot read: {error.strerror}") from None


def corpus_text(path: Path, encoding: str = "utf-8") -> str:
    """A corpus file's text (line endings kept); a file that is missing or not UTF-8 is
    the corpus's mistake, named."""
    data = corpus_bytes(path)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise InputError(str(path), f"not UTF-8: invalid byte at offset {error.start}") from None
