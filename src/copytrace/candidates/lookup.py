"""Candidates of one document against an indexed archive: the scan's rule, applied
to a single document.

A scan joins the signatures of a whole collection at once
(:func:`copytrace.candidates.pairs_from_signatures`). A live archive instead looks
a new document's keys up in an index of every stored document
(:class:`copytrace.store.archive_index.ArchiveIndex`, an inverted index as in
passim) and applies the same rule to what comes back, so that adding documents
one by one finds the same candidates as one scan of all of them:

* near-duplicates: the two documents share a whole LSH band
  (:func:`copytrace.candidates.lsh.band_keys`);
* shared passages: they share at least ``min_shared`` winnowed fingerprints found
  in 2 to ``max_df`` documents of the archive (the new document counted) and in
  fewer than ``boilerplate_documents`` documents of any one source
  (:func:`boilerplate_ngrams`), which are at least ``min_containment`` of the
  smaller document's distinct fingerprints.

The document frequencies are the archive's, so an n-gram that a new document makes
common (``max_df + 1`` documents) or boilerplate (the n-th document of one source)
stops counting for every pair that shared it: :func:`shared_rare` recounts such
pairs.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from copytrace.candidates import (
    METHODS, CandidateConfig, Signatures, allowed_pairs, containment_from_jaccard, day_numbers, source_codes,
)
from copytrace.candidates.groups import distinct_in_rows
from copytrace.candidates.lsh import band_keys, signed_rows

if TYPE_CHECKING:
    from pyspark.sql import Column


@dataclass(frozen=True)
class IndexKeys:
    """What the archive index holds of one document: its distinct sampled n-grams
    (sorted) and one key per LSH band (none for a text without shingles)."""

    ngrams: np.ndarray
    bands: np.ndarray


@dataclass(frozen=True)
class Profile:
    """What the rule needs to know of an indexed document besides its keys."""

    id: str
    minhash: np.ndarray
    shingle_count: int
    distinct_ngrams: int
    date: dt.date | None = None
    source: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A candidate pair ``(a, b)``, ``a < b``, with the scan's estimates and method."""

    a: str
    b: str
    jaccard_estimate: float
    containment_estimate: float
    method: str


@dataclass(frozen=True)
class BatchKeys:
    """The index keys of each document of a signed batch, end to end: the distinct sampled
    n-grams of document ``i`` (sorted) are ``ngrams[ngram_offsets[i]:ngram_offsets[i + 1]]``;
    its band keys are row ``i`` of ``bands`` where ``has_bands[i]`` (a text without
    shingles has none)."""

    ngrams: np.ndarray
    ngram_offsets: np.ndarray
    bands: np.ndarray
    has_bands: np.ndarray

    def per_document(self) -> list[IndexKeys]:
        """One :class:`IndexKeys` per document, in order."""
        keys = []
        offsets = self.ngram_offsets.tolist()
        for row in range(len(self.has_bands)):
            bands = self.bands[row] if self.has_bands[row] else self.bands[row, :0]
            keys.append(IndexKeys(self.ngrams[offsets[row] : offsets[row + 1]], bands))
        return keys


def batch_keys(signatures: Signatures, config: CandidateConfig) -> BatchKeys:
    """The index keys of every document of a signed batch at once (:class:`BatchKeys`)."""
    rows = config.num_perm // config.bands
    present = signed_rows(signatures.minhash)
    bands = np.zeros((len(signatures), config.bands), dtype=np.uint64)
    for band in range(config.bands):
        bands[present, band] = band_keys(signatures.minhash, present, band, rows)
    has_bands = np.zeros(len(signatures), dtype=bool)
    has_bands[present] = True
    return BatchKeys(*distinct_in_rows(signatures.sampled.hashes, signatures.sampled.offsets), bands, has_bands)


def index_keys(signatures: Signatures, config: CandidateConfig) -> list[IndexKeys]:
    """The index keys of each document of a signed batch, in order."""
    return batch_keys(signatures, config).per_document()


def distinct_ngram_counts(signatures: Signatures) -> list[int]:
    """How many distinct sampled n-grams each document of a signed batch holds (the
    length of its :attr:`IndexKeys.ngrams`, without its band keys)."""
    return np.diff(distinct_in_rows(signatures.sampled.hashes, signatures.sampled.offsets)[1]).tolist()


def shared_rare(
    ngrams: np.ndarray,
    holders: Mapping[int, Sequence[str]],
    frequency: Mapping[int, int],
    max_df: int,
    boilerplate: Set[int] = frozenset(),
) -> dict[str, int]:
    """For each other document, how many of ``ngrams`` it shares that are rare: found
    in 2 to ``max_df`` documents (``frequency``, the document counted) and not
    ``boilerplate``. ``holders`` lists the other documents of each n-gram (only rare
    ones need to be listed)."""
    shared: dict[str, int] = {}
    for ngram in ngrams.tolist():
        if 2 <= frequency.get(ngram, 1) <= max_df and ngram not in boilerplate:
            for other in holders.get(ngram, ()):
                shared[other] = shared.get(other, 0) + 1
    return shared


def boilerplate_ngrams(
    holders: Mapping[int, Sequence[str]], source_of: Mapping[str, str | None], min_documents: int
) -> set[int]:
    """The n-grams among ``holders`` (each with all its documents) held by at least
    ``min_documents`` documents of one source: the scan's rule
    (:func:`copytrace.candidates.containment.shared_ngram_pairs`); none when it is 0."""
    if min_documents < 2:
        return set()
    found = set()
    for ngram, documents in holders.items():
        if len(documents) >= min_documents:
            per_source = Counter(source for id_ in documents if (source := source_of.get(id_)))
            if per_source and max(per_source.values()) >= min_documents:
                found.add(ngram)
    return found


@dataclass(frozen=True)
class Profiles:
    """:class:`Profile` s as columns, one row per document: one side of the pairs that
    :func:`candidates` judges. ``days``: a date as a day number (any epoch), where
    ``dated``."""

    ids: np.ndarray
    minhash: np.ndarray
    shingle_count: np.ndarray
    distinct_ngrams: np.ndarray
    days: np.ndarray
    dated: np.ndarray
    sources: np.ndarray

    @staticmethod
    def of(profiles: Sequence[Profile]) -> Profiles:
        """The columns of ``profiles``, in order."""
        days, dated = day_numbers([p.date for p in profiles])
        return Profiles(
            ids=np.array([p.id for p in profiles], dtype=object),
            minhash=np.stack([p.minhash for p in profiles]) if profiles else np.zeros((0, 0), dtype=np.uint32),
            shingle_count=np.array([p.shingle_count for p in profiles], dtype=np.int64),
            distinct_ngrams=np.array([p.distinct_ngrams for p in profiles], dtype=np.int64),
            days=days, dated=dated, sources=np.array([p.source for p in profiles], dtype=object),
        )


@dataclass(frozen=True)
class KeptPairs:
    """The pairs :func:`candidates` keeps: ``rows`` (their places among the pairs it was
    given), each as its :class:`Candidate`'s columns."""

    rows: np.ndarray
    a: list[str]
    b: list[str]
    jaccard: np.ndarray
    containment: np.ndarray
    method: list[str]

    def candidates(self) -> list[Candidate]:
        """Each pair kept as a :class:`Candidate`, in order."""
        return list(map(Candidate, self.a, self.b, self.jaccard.tolist(), self.containment.tolist(), self.method))


def candidates(first: Profiles, second: Profiles, shared: Sequence[int] | np.ndarray,
               near: Sequence[bool] | np.ndarray, config: CandidateConfig) -> KeptPairs:
    """The scan's rule over pairs of documents (row ``i`` of ``first`` with row ``i`` of
    ``second``) that share ``shared[i]`` rare n-grams and a band where ``near[i]``: the
    pairs kept, with their estimates. Vectorised: Spark judges a batch of pairs at a
    time, the live archive a new document against all it shares keys with."""
    shared, near = np.asarray(shared, dtype=np.int64), np.asarray(near, dtype=bool)
    containment_shared = shared / np.maximum(np.minimum(first.distinct_ngrams, second.distinct_ngrams), 1)
    by_ngrams = (shared >= config.min_shared) & (containment_shared >= config.min_containment)
    rows = np.flatnonzero((near | by_ngrams) & _allowed(first, second, config))
    agree = first.minhash[rows] == second.minhash[rows]
    jaccard = (agree.sum(axis=1) / max(agree.shape[1], 1)).astype(np.float32)  # the share of equal minima
    containment = np.where(by_ngrams[rows], containment_shared[rows], containment_from_jaccard(
        jaccard.astype(np.float64), first.shingle_count[rows], second.shingle_count[rows]))
    methods = np.where(near[rows] & by_ngrams[rows], 2, np.where(by_ngrams[rows], 1, 0)).tolist()
    a, b = first.ids[rows].tolist(), second.ids[rows].tolist()
    ordered = [(x, y) if x < y else (y, x) for x, y in zip(a, b)]
    return KeptPairs(rows, [x for x, _ in ordered], [y for _, y in ordered], jaccard, containment.astype(np.float32),
                     [METHODS[m] for m in methods])


def worth_profiles(shared: int | Column, near: bool | Column, config: CandidateConfig) -> bool | Column:
    """Whether :func:`candidates` may pair two documents that share ``shared`` rare n-grams
    (``near``: a band), before their profiles are read: only a pair near or sharing
    ``min_shared``. Written with ``|`` and ``>=`` so that it takes Spark columns too (the
    Spark engine filters pairs with it before joining their profiles; the live archive
    reads only the profiles of the documents it passes)."""
    return near | (shared >= config.min_shared)


def _allowed(first: Profiles, second: Profiles, config: CandidateConfig) -> np.ndarray:
    """The time window and the same-source rule (:func:`copytrace.candidates.allowed_pairs`)
    for each pair: the two sides as documents ``i`` and ``count + i``."""
    count = len(first.ids)
    codes = source_codes(np.concatenate((first.sources, second.sources)).tolist(), 2 * count) \
        if config.skip_same_source else None
    return allowed_pairs(np.arange(count), np.arange(count, 2 * count), config, np.concatenate((first.days, second.days)),
                         np.concatenate((first.dated, second.dated)), codes)
