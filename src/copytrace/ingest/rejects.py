"""The JSONL file of a run's rejected records, written so that no file is lost.

Its place is checked before the run starts (a missing folder, a folder given as the
file, a folder that cannot be written are one-line errors, not a traceback after the
work). The file itself is opened on the first rejection, as a hidden temporary file
beside it, and renamed over it when the records are all read: a run that rejects
nothing leaves an existing file as it was, a run that rejects something replaces it
whole, and a run that fails part way leaves it as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

from copytrace.errors import InputError
from copytrace.ingest.readers import Rejection


class RejectsFile:
    """A run's rejects file at ``path``: :meth:`write` rejections inside ``with``; they
    replace the file when the block ends without an error. ``written`` counts them."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.written = 0
        self._temporary: IO[str] | None = None
        _check_place(self.path)

    def write(self, rejection: Rejection) -> None:
        if self._temporary is None:
            self._temporary = self._open_temporary()
        try:
            self._temporary.write(json.dumps(rejection.to_json(), ensure_ascii=False) + "\n")
        except OSError as error:
            raise InputError(str(self.path), f"cannot write the rejects file: {error.strerror or error}") from error
        self.written += 1

    def __enter__(self) -> RejectsFile:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._temporary is None:
            return
        temporary, self._temporary = self._temporary, None
        try:
            if kind is None:
                temporary.flush()
                os.fsync(temporary.fileno())
        finally:
            temporary.close()
            if kind is None:
                os.replace(temporary.name, self.path)
            else:
                os.unlink(temporary.name)

    def _open_temporary(self) -> IO[str]:
        try:
            return tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp", delete=False
            )
        except OSError as error:
            raise InputError(str(self.path), f"cannot write the rejects file: {error.strerror or error}") from error


def _check_place(path: Path) -> None:
    """Refuse a rejects path that cannot be written, before any work is done."""
    folder = path.parent
    if path.is_dir():
        raise InputError(str(path), "is a folder; give a file for the rejected records")
    if not folder.exists():
        raise InputError(str(path), f"folder {folder} does not exist")
    if not folder.is_dir():
        raise InputError(str(path), f"{folder} is not a folder")
    try:  # the one test that holds for every reason (permissions, read-only disks, /proc)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise InputError(str(path), f"cannot write in {folder}: {error.strerror or error}") from error
