"""Where a command may write: never over one of its inputs. A path is compared after
its links are followed, and an output inside an input folder counts as the input."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from copytrace.errors import InputError

_UMASK = os.umask(0o022)  # the process's file mode mask: read by setting one, then put back
os.umask(_UMASK)


def refuse_inputs(output: Path, inputs: Mapping[str | Path, str], folders_read: Mapping[str, float] | None = None
                  ) -> None:
    """Refuse ``output`` where writing it would replace an input: one of ``inputs``
    (each path with what it is, as "the store"), a file inside an input folder, or a file
    inside one of ``folders_read`` (the folders a store was scanned from, each with when
    its last scan started: a POSIX time) that was last written before that scan, so that
    it may have read it. New files may be written there: a folder such as ``.`` would
    otherwise refuse every output, and the second run of one export would be refused."""
    real = Path(os.path.realpath(output))
    for path, what in inputs.items():
        taken = Path(os.path.realpath(path))
        if real == taken:
            raise InputError(str(output), f"is {what}; write the output elsewhere")
        if taken.is_dir() and real.is_relative_to(taken):
            raise InputError(str(output), f"is inside {what} ({path}); write the output elsewhere")
    if real.is_file():
        written = real.stat().st_mtime
        for folder, scanned in (folders_read or {}).items():
            if written < scanned and real.is_relative_to(os.path.realpath(folder)):
                raise InputError(str(output), f"is a file inside {folder}, which the store was scanned from; "
                                              "write the output elsewhere")


@contextmanager
def replaced_when_done(path: Path) -> Iterator[Path]:
    """A hidden temporary file beside ``path``, renamed over it when the block succeeds
    and removed otherwise: a failed or interrupted run leaves ``path`` as it was, and a
    link at ``path`` is replaced, never written through."""
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise InputError(str(path), f"cannot write here: {error.strerror or error}") from error
    os.close(handle)
    os.chmod(name, 0o666 & ~_UMASK)  # as open() would create it, not mkstemp's owner-only mode
    try:
        yield Path(name)
    except BaseException:
        os.unlink(name)
        raise
    os.replace(name, path)


def write_text_replacing(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` by :func:`replaced_when_done`, its folder made if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_when_done(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
