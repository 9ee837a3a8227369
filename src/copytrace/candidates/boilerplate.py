"""Where a document holds boilerplate: the spans its own boilerplate fingerprints cover.

The scan learns boilerplate from its collection (:func:`copytrace.candidates.containment.shared_ngram_pairs`:
winnowed n-grams found in ``boilerplate_documents`` documents of one source) and
stores their hashes (the ``boilerplate`` table). A document's boilerplate is where its
own fingerprints (the winnowed n-grams of its body that candidate generation keeps,
Schleimer et al. 2003) are boilerplate. Winnowing keeps about one n-gram in
``(window + 1) / 2`` and one in every ``window`` consecutive n-grams of a repeated
passage, so marked n-grams at most ``window`` apart are one stretch of boilerplate, and
the words between them are marked too. Using the document's own fingerprints, not every
n-gram of its text, makes its spans change only when one of its fingerprints becomes
boilerplate, which the live archive can follow (:mod:`copytrace.engine.archive`).

A passage is boilerplate when at least :data:`BOILERPLATE_SHARE` of each of its two
sides lies in boilerplate both articles carry: the spans of the boilerplate fingerprints
that both hold (a footer both carry). Asking for shared fingerprints lets the live archive
find, from the n-grams of the article it adds, every pair whose answer may change. A reprint that copies its
source's body with the footer has one passage mostly of body, so it is not. Two
articles whose every passage is boilerplate are not a reuse pair
(:meth:`Boilerplate.only_boilerplate`, applied by verification).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from copytrace.candidates import CandidateConfig
from copytrace.candidates.containment import winnow
from copytrace.candidates.groups import distinct, run_bounds
from copytrace.candidates.shingles import TokenHashes, ngram_hashes, token_hashes
from copytrace.ingest.document import Document
from copytrace.text import word_keys

BOILERPLATE_SHARE = 0.5
# A passage is boilerplate only where its fingerprints recur in this many articles of one
# source. The candidate rule stops a fingerprint from pairing at 3 (``boilerplate_documents``),
# which an outlet that runs one story three times (an update, a follow-up) also reaches;
# two of those articles share reuse, not a footer. Footers recur far more often: in the
# English benchmark, boilerplate fingerprints of one outlet are held by 10-30 of its
# articles at 10k and 200-290 at 100k, story text run again by one outlet by 3-9.
PASSAGE_DOCUMENTS = 10

Span = tuple[int, int]


@dataclass(frozen=True)
class Boilerplate:
    """What a collection taught about boilerplate: the hashes of the n-grams that mark
    passages (sorted; those of a store's ``boilerplate`` table held by
    :func:`passage_documents` articles of one source, or any sorted set holding those of
    the documents at hand) and the candidate settings that made them. Without a collection
    it is empty: two texts alone cannot tell an outlet's footer from a quotation, so
    nothing is marked beyond the header and credit lines that :mod:`copytrace.ingest`
    keeps out of a document's body.

    ``held``, when known, gives each document's fingerprints among ``ngrams`` (sorted)
    by id, as its stored signature has them (:func:`held_by_document`), for every
    document checked: one missing holds none. The boilerplate both articles of a pair
    carry is then found without hashing either, and their bodies are hashed only when
    there is some (for its place in the text): a sixth of the pairs verified at 100k.
    Without it each body is hashed, as a text outside a store must be."""

    ngrams: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    config: CandidateConfig = CandidateConfig()
    held: Mapping[str, np.ndarray] | None = field(default=None, compare=False)

    def knowing(self, held: Mapping[str, np.ndarray]) -> Boilerplate:
        """This boilerplate with the documents' fingerprints among it known (``held``)."""
        return replace(self, held=held)

    def spans(self, document: Document) -> list[Span]:
        """:func:`boilerplate_spans` of ``document``."""
        return boilerplate_spans(document, self.ngrams, self.config)

    def passages(self, passages: Sequence, a: Document, b: Document) -> tuple[bool, ...]:
        """:func:`boilerplate_passages` of passages between documents ``a`` and ``b``, with
        the boilerplate both carry: the spans of the boilerplate fingerprints both hold."""
        body_a, body_b, marks = self._shared_marks(a, b)
        if not len(marks):
            return (False,) * len(passages)
        return boilerplate_passages(passages, _marked_spans(a, body_a, marks, self.config),
                                    _marked_spans(b, body_b, marks, self.config))

    def only_boilerplate(self, passages: Sequence, a: Document, b: Document) -> bool:
        """Whether ``a`` and ``b`` share passages and every one of them is boilerplate
        (:meth:`passages`): they then share nothing but an outlet's or a wire's standard
        text. ``b``'s spans are only found when every passage is boilerplate in ``a``
        (verification asks this of every pair it keeps)."""
        body_a, body_b, marks = self._shared_marks(a, b) if passages else (None, None, self.ngrams[:0])
        if not len(marks):
            return False
        a_spans = _marked_spans(a, body_a, marks, self.config)
        if not all(covered_share(p.a_start, p.a_end, a_spans) >= BOILERPLATE_SHARE for p in passages):
            return False
        b_spans = _marked_spans(b, body_b, marks, self.config)
        return all(covered_share(p.b_start, p.b_end, b_spans) >= BOILERPLATE_SHARE for p in passages)

    def _shared_marks(self, a: Document, b: Document) -> tuple[_Body | None, _Body | None, np.ndarray]:
        """The n-grams of both bodies and the boilerplate fingerprints both hold (``b``'s
        n-grams only read when ``a`` holds some; neither when ``held`` says they share none)."""
        if not len(self.ngrams) or not a.body or not b.body:
            return None, None, self.ngrams[:0]
        if self.held is not None:
            none = self.ngrams[:0]
            marks = _held(self.held.get(a.id, none), self.held.get(b.id, none))
            if not len(marks):
                return None, None, marks
            return _body_ngrams(a, self.config), _body_ngrams(b, self.config), marks
        body_a = _body_ngrams(a, self.config)
        marks = _held(body_a.fingerprints, self.ngrams)
        if not len(marks):
            return body_a, None, marks
        body_b = _body_ngrams(b, self.config)
        return body_a, body_b, _held(marks, body_b.fingerprints)


class _Body(NamedTuple):
    """A document body's n-gram hashes, in text order, and its fingerprints (distinct, sorted)."""

    ngrams: np.ndarray
    fingerprints: np.ndarray


def held_by_document(
    fingerprints: Iterable[tuple[Sequence[str], TokenHashes]], ngrams: np.ndarray, wanted: Container[str]
) -> dict[str, np.ndarray]:
    """For each document among ``wanted`` whose fingerprints hold some of ``ngrams``
    (sorted, distinct), those n-grams, sorted and distinct: :attr:`Boilerplate.held`
    from batches of ids and fingerprints (:meth:`copytrace.store.base.Store.fingerprints`)."""
    held: dict[str, np.ndarray] = {}
    for ids, batch in fingerprints:
        positions = np.flatnonzero(_among_many(batch.hashes, ngrams))
        rows = np.searchsorted(batch.offsets, positions, side="right") - 1
        values = batch.hashes[positions]
        order = np.lexsort((values, rows))
        rows, values = rows[order], values[order]
        first_of_value = np.ones(len(rows), dtype=bool)
        first_of_value[1:] = (rows[1:] != rows[:-1]) | (values[1:] != values[:-1])
        rows, values = rows[first_of_value], values[first_of_value]
        starts, lengths = run_bounds(rows)
        for row, start, length in zip(rows[starts].tolist(), starts.tolist(), lengths.tolist()):
            if ids[row] in wanted:
                held[ids[row]] = values[start : start + length]
    return held


def passage_documents(config: CandidateConfig) -> int:
    """How many articles of one source must hold a fingerprint for it to mark a passage
    as boilerplate (:data:`PASSAGE_DOCUMENTS`, or the candidate rule's own bar if higher);
    0 when ``config`` turns boilerplate off."""
    return max(PASSAGE_DOCUMENTS, config.boilerplate_documents) if config.boilerplate_documents >= 2 else 0


def boilerplate_spans(document: Document, boilerplate: np.ndarray, config: CandidateConfig = CandidateConfig()
                      ) -> list[Span]:
    """Character spans of ``document.text`` covered by the n-grams of its body that are
    among its own fingerprints and in ``boilerplate`` (sorted, distinct), stretches of
    them at most ``config.window`` n-grams apart joined."""
    if not len(boilerplate) or not document.body:
        return []
    body = _body_ngrams(document, config)
    return _marked_spans(document, body, _held(body.fingerprints, boilerplate), config)


def _held(hashes: np.ndarray, among: np.ndarray) -> np.ndarray:
    """The ``hashes`` that are also in ``among`` (both sorted and distinct), as
    ``np.intersect1d`` gives them, by a binary search of each in ``among``: without
    sorting the collection's boilerplate again for every article checked."""
    return hashes[_among(hashes, among)]


def _among(hashes: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Which of ``hashes`` are in ``among`` (sorted), by a binary search of each."""
    if not len(among):
        return np.zeros(len(hashes), dtype=bool)
    at = np.minimum(np.searchsorted(among, hashes), len(among) - 1)
    return among[at] == hashes


MANY_BITS = 20  # the bitmap of _among_many: 2**20 bits, a megabyte that stays in cache


def _among_many(hashes: np.ndarray, among: np.ndarray) -> np.ndarray:
    """:func:`_among` for many ``hashes`` at once: a bitmap of the top
    :data:`MANY_BITS` bits of ``among`` (a few thousand hashes) rules out nearly all of
    them first, and only the rest are searched (20M hashes against 3,000: 1.21 -> 0.11 s)."""
    shift = np.uint64(64 - MANY_BITS)
    bitmap = np.zeros(1 << MANY_BITS, dtype=bool)
    bitmap[among >> shift] = True
    maybe = np.flatnonzero(bitmap[hashes >> shift])
    found = np.zeros(len(hashes), dtype=bool)
    found[maybe[_among(hashes[maybe], among)]] = True
    return found


def _body_ngrams(document: Document, config: CandidateConfig) -> _Body:
    return _ngrams_of_body(document.body, config.ngram, config.window)


@lru_cache(maxsize=64)
def _ngrams_of_body(body: str, ngram: int, window: int) -> _Body:
    """Cached, as the aligner's prepared texts are: verification checks an article with
    each of its candidates in turn (hashing it for every pair took a quarter of a scan's
    verification at 100k articles)."""
    shingles = ngram_hashes(token_hashes([body]), ngram)
    return _Body(shingles.hashes, distinct(winnow(shingles, window).hashes))


def _marked_spans(document: Document, body: _Body, marks: np.ndarray, config: CandidateConfig) -> list[Span]:
    """The stretches of ``document``'s body whose n-grams are in ``marks``, at most
    ``config.window`` n-grams apart, as character spans."""
    if not len(marks):
        return []
    words = word_keys(document.text, *document.body_span)  # cached: the aligner's words
    if len(body.ngrams) != max(len(words) - config.ngram + 1, 1) or len(words) < config.ngram:
        return []  # a text whose folded words are not its words (rare: see docs/candidates.md)
    marked = np.flatnonzero(np.isin(body.ngrams, marks))
    return [(int(words.starts[first]), int(words.ends[last + config.ngram - 1]))
            for first, last in _stretches(marked, config.window)]


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
