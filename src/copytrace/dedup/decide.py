"""Which articles are near-duplicates of a kept article: pure functions over scored pairs.

A pair's **score** says how much of one article is the other's text, word for word.
``jaccard`` (symmetric) is the share of the two bodies' union that lies in the shared
passages, times the share of those passages kept word for word:
``v × ca·cb / (ca + cb − ca·cb)``, where ``ca`` and ``cb`` are the coverages of the two
bodies and ``v`` the pair's verbatim share. For a block shared word for word it is the
Jaccard similarity of the two texts' words (a body of ``n`` words sharing ``s`` with one
of ``m``: ``s / (n + m − s)``), the number MinHash estimates; a changed word costs one
word here, not the ``k`` shingles it breaks there. ``containment`` (asymmetric) is the
share of the duplicate's own body inside the shared passages, times ``v``: a trimmed
reprint is a near-duplicate of the article it was cut from, not the other way round.

Documents are decided one by one in **priority order** (the story's original first: depth
in the derivation tree, then date, undated last, then id): an article is dropped when a
document already kept scores at or above the threshold as its original, and is listed
with the kept one it duplicates best (highest score, then priority). So every dropped
article is a verified near-duplicate of a kept one, no two kept articles are
near-duplicates of each other, and an article that only resembles a dropped one is kept
(a chain A ~ B ~ C with A and C apart keeps A and C).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

MEASURES = ("jaccard", "containment")


@dataclass(frozen=True)
class ScoredPair:
    """A verified pair with ``a_score``: how far ``a`` duplicates ``b``, and ``b_score``."""

    a: str
    b: str
    a_score: float
    b_score: float


@dataclass(frozen=True)
class Duplicate:
    """``id`` was dropped as a near-duplicate of the kept ``duplicate_of``, with ``score``."""

    id: str
    duplicate_of: str
    score: float


def pair_scores(
    measure: str, coverage_a: np.ndarray, coverage_b: np.ndarray, verbatim_share: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's score of ``a`` as a duplicate of ``b``, and of ``b`` as one of ``a``."""
    if measure == "jaccard":
        union = coverage_a + coverage_b - coverage_a * coverage_b
        score = verbatim_share * np.divide(coverage_a * coverage_b, union, out=np.zeros_like(union), where=union > 0)
        return score, score
    if measure == "containment":
        return verbatim_share * coverage_a, verbatim_share * coverage_b
    raise ValueError(f"unknown measure {measure!r}")


def priority(depth: int | None, date: dt.date | None, id_: str) -> tuple:
    """The sort key that puts the document to keep first: its story's original (depth 0)
    before its copies, then the earliest date (undated last), then the id."""
    return (depth is None, depth or 0, date is None, date or dt.date.min, id_)


def near_duplicates(pairs: Iterable[ScoredPair], order: Mapping[str, int], threshold: float) -> list[Duplicate]:
    """The documents to drop, by id: each a near-duplicate (score ≥ ``threshold``) of a
    kept document that comes before it in ``order`` (each document of a qualifying pair
    and its place in priority order)."""
    originals: dict[str, list[tuple[str, float]]] = defaultdict(list)  # a document: its possible originals
    for pair in pairs:
        for copy, original, score in ((pair.a, pair.b, pair.a_score), (pair.b, pair.a, pair.b_score)):
            if score >= threshold and order[original] < order[copy]:
                originals[copy].append((original, score))
    dropped: dict[str, Duplicate] = {}
    for copy in sorted(originals, key=order.__getitem__):  # each original is decided before its copies
        kept = [(score, -order[original], original) for original, score in originals[copy] if original not in dropped]
        if kept:
            score, _, original = max(kept)
            dropped[copy] = Duplicate(copy, original, score)
    return sorted(dropped.values(), key=lambda duplicate: duplicate.id)
