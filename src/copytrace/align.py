"""Stage 4: find every reused passage between two texts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Passage:
    """A passage of ``a`` reused in ``b`` (or the other way round).

    Offsets are character offsets into the original texts: ``a[a_start:a_end]``
    is ``a_text``. ``similarity`` is in [0, 1]; ``verbatim_share`` is the share
    of the passage's words kept word for word.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_text: str
    b_text: str
    similarity: float
    verbatim_share: float
