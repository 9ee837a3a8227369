"""Where a command may write: never over one of its inputs. A path is compared after
its links are followed, and an output inside an input folder counts as the input."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from copytrace.errors import InputError


def refuse_inputs(output: Path, inputs: Mapping[str | Path, str]) -> None:
    """Refuse ``output`` where writing it would replace an input: one of ``inputs``
    (each path with what it is, as "the store"), or a file inside an input folder."""
    real = Path(os.path.realpath(output))
    for path, what in inputs.items():
        taken = Path(os.path.realpath(path))
        if real == taken:
            raise InputError(str(output), f"is {what}; write the output elsewhere")
        if taken.is_dir() and real.is_relative_to(taken):
            raise InputError(str(output), f"is inside {what} ({path}); write the output elsewhere")


def write_text_replacing(path: Path, text: str) -> None:
    """Write ``text`` to a new file that then takes the name ``path``: a link there is
    replaced, never written through, and no half-written file is left under the name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                     delete=False) as file:
        file.write(text)
    try:
        os.replace(file.name, path)
    except OSError:
        os.unlink(file.name)
        raise
