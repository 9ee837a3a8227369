"""Where a text holds boilerplate: the spans its collection's boilerplate n-grams cover.

The scan learns boilerplate from its collection (:func:`copytrace.candidates.containment.shared_ngram_pairs`:
winnowed n-grams found in ``boilerplate_documents`` documents of one source) and
stores their hashes (the ``boilerplate`` table). A text's boilerplate is then where
those n-grams occur in it. Only fingerprints are known, about one n-gram in
``(window + 1) / 2``; winnowing puts one in every ``window`` consecutive n-grams of a
repeated passage, so marked n-grams at most ``window`` apart are one stretch of
boilerplate, and the words between them are marked too.

A passage is boilerplate when at least :data:`BOILERPLATE_SHARE` of each of its two
sides lies in boilerplate: a footer both articles carry. A reprint that copies its
source's body with the footer has one passage mostly of body, so it is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from copytrace.candidates import CandidateConfig
from copytrace.candidates.shingles import ngram_hashes, token_hashes
from copytrace.text import tokenise

BOILERPLATE_SHARE = 0.5

Span = tuple[int, int]


@dataclass(frozen=True)
class Boilerplate:
    """What a collection taught about boilerplate: the hashes of its boilerplate n-grams
    (sorted; a store's ``boilerplate`` table) and the candidate settings that made them.
    Without a collection it is empty: two texts alone cannot tell an outlet's footer
    from a quotation, so nothing is marked beyond the header and credit lines that
    :mod:`copytrace.ingest` keeps out of a document's body."""

    ngrams: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    config: CandidateConfig = CandidateConfig()

    def spans(self, text: str) -> list[Span]:
        """:func:`boilerplate_spans` of ``text``."""
        return boilerplate_spans(text, self.ngrams, self.config)

    def passages(self, passages: Sequence, a_text: str, b_text: str) -> tuple[bool, ...]:
        """:func:`boilerplate_passages` of passages between ``a_text`` and ``b_text``."""
        if not len(self.ngrams):
            return (False,) * len(passages)
        return boilerplate_passages(passages, self.spans(a_text), self.spans(b_text))


def boilerplate_spans(text: str, boilerplate: np.ndarray, config: CandidateConfig = CandidateConfig()) -> list[Span]:
    """Character spans of ``text`` covered by the n-grams whose hashes are in
    ``boilerplate`` (sorted), stretches of them at most ``config.window`` n-grams apart
    joined."""
    if not len(boilerplate) or not text:
        return []
    words = tokenise(text)
    ngrams = ngram_hashes(token_hashes([text]), config.ngram).hashes
    if len(ngrams) != max(len(words) - config.ngram + 1, 1) or len(words) < config.ngram:
        return []  # a text whose folded words are not its words (rare: see docs/candidates.md)
    at = np.searchsorted(boilerplate, ngrams)
    marked = np.flatnonzero((at < len(boilerplate)) & (boilerplate[np.minimum(at, len(boilerplate) - 1)] == ngrams))
    spans: list[Span] = []
    for first, last in _stretches(marked, config.window):
        spans.append((int(words.starts[first]), int(words.ends[last + config.ngram - 1])))
    return spans


def _stretches(positions: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """First and last of each run of ``positions`` (sorted) whose neighbours are at most ``gap`` apart."""
    runs: list[tuple[int, int]] = []
    for position in positions.tolist():
        if runs and position - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], position)
        else:
            runs.append((position, position))
    return runs


def covered_share(start: int, end: int, spans: Sequence[Span]) -> float:
    """The share of ``[start, end)`` inside ``spans`` (disjoint, sorted)."""
    covered = sum(max(0, min(end, s_end) - max(start, s_start)) for s_start, s_end in spans)
    return covered / max(end - start, 1)


def boilerplate_passages(
    passages: Sequence, a_spans: Sequence[Span], b_spans: Sequence[Span]
) -> tuple[bool, ...]:
    """For each passage (``a_start``, ``a_end``, ``b_start``, ``b_end``), whether both its
    sides are at least :data:`BOILERPLATE_SHARE` boilerplate."""
    return tuple(
        covered_share(p.a_start, p.a_end, a_spans) >= BOILERPLATE_SHARE
        and covered_share(p.b_start, p.b_end, b_spans) >= BOILERPLATE_SHARE
        for p in passages
    )
