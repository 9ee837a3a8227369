"""Stage 3: candidate pairs of documents that may share text.

Two methods, one pass over the texts:

* near-duplicates: MinHash signatures of word n-grams (:mod:`.minhash`, signed
  by rensa) and banded LSH over them (:mod:`.lsh`);
* partial reuse: an index of rare sampled n-grams shared by two documents
  (:mod:`.containment`), which finds a short text quoted inside a long one.

:func:`signatures_for_batch` is a pure function of a batch of texts, so an
engine can map it over partitions in any grouping; :func:`pairs_from_signatures`
joins all signatures at once. The pairs found do not depend on the batch size
or the number of workers. Candidates are verified later by the aligner.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import islice
from multiprocessing import get_context

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from copytrace.candidates.containment import BoilerplateNgrams, shared_ngram_pairs, winnow
from copytrace.candidates.groups import pair_keys, split_pair_keys, union
from copytrace.candidates.lsh import lsh_pairs, lsh_threshold
from copytrace.candidates.minhash import jaccard_estimates, signature_matrix
from copytrace.candidates.shingles import TokenHashes, ngram_hashes, token_hashes
from copytrace.errors import InputError
from copytrace.parallel import kernel_threads, start_worker, thread_map_in_order
from copytrace.ingest import Document

SCHEMA = "copytrace.candidates/1"
METHODS = ("minhash", "containment", "both")


@dataclass(frozen=True)
class CandidateConfig:
    """Settings of candidate generation, with defaults measured on the synthetic
    benchmark (docs/candidates.md).

    ngram: words per shingle. 5 keeps stock phrases of 2-3 words from pairing texts.
    num_perm, bands: MinHash size and LSH bands; 64 values in 16 bands of 4 rows
        pair texts from Jaccard about 0.5 on (:func:`lsh_threshold`).
    seed: MinHash seed (any fixed value; results depend on it only through estimates).
    window: the passage index keeps the least n-gram of every ``window`` consecutive
        ones (winnowing): a shared run of ``2 * window + ngram - 1`` words (25 words
        at 10 and 5) always shares two fingerprints.
    max_df: an n-gram in more documents than this is a stock phrase, not evidence.
    min_shared: rare fingerprints two documents must share to be a candidate.
    min_containment: and the share of the smaller document's fingerprints they are
        (0: a shared passage is enough, whatever the lengths of the two texts).
    boilerplate_documents: a fingerprint found in this many documents of one source
        is boilerplate (a footer, a rights line) and pairs no documents (0: off).
    max_days: drop pairs dated more than this many days apart (None: no limit;
        a document without a date is kept).
    skip_same_source: drop pairs from the same source (documents without one are kept).
    """

    ngram: int = 5
    num_perm: int = 64
    bands: int = 16
    seed: int = 1
    window: int = 10
    max_df: int = 50
    min_shared: int = 2
    min_containment: float = 0.0
    boilerplate_documents: int = 3
    max_days: int | None = None
    skip_same_source: bool = False

    def __post_init__(self) -> None:
        checks = {
            "ngram": 1 <= self.ngram <= 8,
            "num_perm": self.num_perm >= 1,
            "bands": 1 <= self.bands <= self.num_perm and self.num_perm % self.bands == 0,
            "window": 1 <= self.window <= 1000,
            "max_df": self.max_df >= 2,
            "min_shared": self.min_shared >= 1,
            "min_containment": 0.0 <= self.min_containment <= 1.0,
            "boilerplate_documents": self.boilerplate_documents == 0 or self.boilerplate_documents >= 2,
            "max_days": self.max_days is None or self.max_days >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise InputError(f"candidates.{name}", f"invalid value {getattr(self, name)!r}")

    @staticmethod
    def stored(settings: str, where: str) -> CandidateConfig:
        """The settings a store recorded (JSON); an :class:`InputError` naming ``where``
        when an older copytrace recorded settings this one does not have."""
        try:
            return CandidateConfig(**json.loads(settings))
        except TypeError:
            raise InputError(where, f"store was built by another version of copytrace (candidates = {settings}); "
                                    "scan into a new --db") from None

    @property
    def lsh_threshold(self) -> float:
        return lsh_threshold(self.bands, self.num_perm // self.bands)


@dataclass(frozen=True)
class Signatures:
    """What candidate generation keeps of a batch of texts.

    ``minhash``: one signature row per text; ``shingle_counts``: n-grams per text;
    ``sampled``: the n-grams kept for the containment index.
    """

    minhash: np.ndarray
    shingle_counts: np.ndarray
    sampled: TokenHashes

    def __len__(self) -> int:
        return len(self.shingle_counts)

    def take(self, rows: Sequence[int]) -> Signatures:
        """The signatures of texts ``rows``, in that order."""
        rows = list(rows)
        hashes, offsets = self.sampled.hashes, self.sampled.offsets
        kept = [hashes[offsets[row] : offsets[row + 1]] for row in rows]
        return Signatures(
            minhash=self.minhash[rows],
            shingle_counts=self.shingle_counts[rows],
            sampled=TokenHashes(
                hashes=np.concatenate(kept) if kept else hashes[:0],
                offsets=np.concatenate([[0], np.cumsum([len(part) for part in kept], dtype=np.int64)]),
            ),
        )

    @staticmethod
    def concatenate(parts: list[Signatures]) -> Signatures:
        """The signatures of all parts, in order, as one. Empties ``parts``: each part is
        released once copied, so memory holds the signatures about once, not twice."""
        counts = np.concatenate([p.shingle_counts for p in parts])
        minhash = np.concatenate([p.minhash for p in parts])
        sizes = np.array([len(p.sampled.hashes) for p in parts], dtype=np.int64)
        ends = np.cumsum(sizes)
        hashes = np.empty(int(ends[-1]) if len(ends) else 0, dtype=np.uint64)
        offsets = [np.zeros(1, dtype=np.int64)] * (len(parts) + 1)
        while parts:  # last part first, so that pop() releases each part as soon as it is copied
            number = len(parts) - 1
            part = parts.pop()
            base = ends[number] - sizes[number]
            hashes[base : ends[number]] = part.sampled.hashes
            offsets[number + 1] = part.sampled.offsets[1:] + base
        return Signatures(
            minhash=minhash,
            shingle_counts=counts,
            sampled=TokenHashes(hashes=hashes, offsets=np.concatenate(offsets)),
        )


def signatures_for_batch(
    texts: Sequence[str] | pa.Array | pa.ChunkedArray, config: CandidateConfig = CandidateConfig()
) -> Signatures:
    """Shingle, sign and sample a batch of texts (Python strings, or an Arrow string
    array read in place); each text's result depends on it alone."""
    if not isinstance(texts, (pa.Array, pa.ChunkedArray)):
        texts = list(texts)
    shingles = ngram_hashes(token_hashes(texts), config.ngram)
    return Signatures(
        minhash=signature_matrix(shingles, config.num_perm, config.seed),
        shingle_counts=shingles.counts,
        sampled=winnow(shingles, config.window),
    )


@dataclass(frozen=True)
class CandidatePairs:
    """Candidate pairs ``(a[i], b[i])`` of document indices, ``a[i] < b[i]``.

    ``jaccard`` is the MinHash estimate of shingle Jaccard similarity;
    ``containment`` estimates the share of the smaller document's shingles found
    in the other; ``method`` indexes :data:`METHODS` (which method found the pair).
    ``ids`` names the documents when known. ``boilerplate``: the fingerprints that
    recur within one source, which paired no documents.
    """

    a: np.ndarray
    b: np.ndarray
    jaccard: np.ndarray
    containment: np.ndarray
    method: np.ndarray
    ids: tuple[str, ...] | None = None
    boilerplate: BoilerplateNgrams = field(default_factory=BoilerplateNgrams.empty)

    def __len__(self) -> int:
        return len(self.a)

    def to_arrow(self) -> pa.Table:
        """Columns a, b (ids, or indices without ids), jaccard_estimate,
        containment_estimate, method."""
        names = np.asarray(self.ids, dtype=object) if self.ids is not None else None
        a = pa.array(names[self.a]) if names is not None else pa.array(self.a)
        b = pa.array(names[self.b]) if names is not None else pa.array(self.b)
        return pa.table(
            {
                "a": a,
                "b": b,
                "jaccard_estimate": pa.array(self.jaccard, pa.float32()),
                "containment_estimate": pa.array(self.containment, pa.float32()),
                "method": pa.DictionaryArray.from_arrays(
                    pa.array(self.method, pa.int8()), pa.array(METHODS)
                ),
            }
        )

    def to_json(self) -> dict:
        """``{"schema": "copytrace.candidates/1", "pairs": [{a, b, jaccard_estimate,
        containment_estimate, method}, ...]}``."""
        return {"schema": SCHEMA, "pairs": self.to_arrow().to_pylist()}


def pairs_from_signatures(
    signatures: Signatures,
    config: CandidateConfig = CandidateConfig(),
    dates: Sequence[dt.date | None] | None = None,
    sources: Sequence[str | None] | None = None,
) -> CandidatePairs:
    """Join the signatures of a whole collection into candidate pairs."""
    near = lsh_pairs(signatures.minhash, config.bands)
    codes = source_codes(sources, len(signatures))
    shared = shared_ngram_pairs(
        signatures.sampled, config.max_df, config.min_shared, config.min_containment,
        codes, config.boilerplate_documents,
    )
    shared_keys = pair_keys(shared.a, shared.b)
    keys = union(near, shared_keys)
    keys = keys[_allowed(keys, config, dates, codes)]
    a, b = split_pair_keys(keys)
    jaccard = jaccard_estimates(signatures.minhash, a, b)
    containment = containment_from_jaccard(jaccard, signatures.shingle_counts[a], signatures.shingle_counts[b])
    is_shared = np.isin(keys, shared_keys, assume_unique=True)
    containment[is_shared] = shared.containment[np.searchsorted(shared_keys, keys[is_shared])]
    is_near = np.isin(keys, near, assume_unique=True)
    method = np.where(is_near & is_shared, 2, np.where(is_shared, 1, 0)).astype(np.int8)
    return CandidatePairs(a=a, b=b, jaccard=jaccard, containment=containment.astype(np.float32), method=method,
                          boilerplate=shared.boilerplate)


def boilerplate_table(boilerplate: BoilerplateNgrams, sources: Sequence[str | None]) -> pa.Table:
    """The store's rows of boilerplate n-grams: ngram (hash), documents, source (the name
    of the source holding it most), source_documents; ``sources`` are the collection's,
    whose sorted names the source numbers index."""
    names = np.asarray(source_names(sources).to_pylist() or [""], dtype=object)
    return pa.table({
        "ngram": pa.array(boilerplate.ngrams, pa.uint64()),
        "documents": pa.array(boilerplate.documents, pa.int32()),
        "source": pa.array(names[boilerplate.source], pa.string()),
        "source_documents": pa.array(boilerplate.source_documents, pa.int32()),
    })


def source_names(sources: Iterable[str | None]) -> pa.Array:
    """The distinct sources named among ``sources``, sorted: what a source's number
    indexes, in candidate keys and in boilerplate rows, on both engines."""
    return pa.array(sorted({s for s in sources if s}), pa.string())


def source_numbers(sources: pa.Array | pa.ChunkedArray, names: pa.Array) -> np.ndarray:
    """Each document's source as its place among ``names`` (:func:`source_names`), -1
    for none."""
    return pc.fill_null(pc.index_in(sources, value_set=names), -1).to_numpy().astype(np.int64)


def source_codes(sources: Sequence[str | None] | None, documents: int) -> np.ndarray:
    """Each document's source as a number (:func:`source_numbers`), -1 for none."""
    if sources is None:
        return np.full(documents, -1, dtype=np.int64)
    return source_numbers(pa.array(sources, pa.string()), source_names(sources))


def containment_from_jaccard(jaccard: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """|A∩B| / min(|A|, |B|) from J = |A∩B| / |A∪B|: |A∩B| = J (|A| + |B|) / (1 + J)."""
    intersection = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return np.minimum(intersection / np.maximum(np.minimum(size_a, size_b), 1), 1.0)


def _allowed(
    keys: np.ndarray,
    config: CandidateConfig,
    dates: Sequence[dt.date | None] | None,
    codes: np.ndarray,
) -> np.ndarray:
    """Pairs (pair keys) that pass the time window and the same-source rule (``codes``:
    :func:`source_codes`)."""
    a, b = split_pair_keys(keys)
    days, dated = day_numbers(dates) if dates is not None else (None, None)
    return allowed_pairs(a, b, config, days, dated, codes)


def day_numbers(dates: Sequence[dt.date | None]) -> tuple[np.ndarray, np.ndarray]:
    """Each date as a day number (0 for none), and which are dated: what
    :func:`allowed_pairs` takes."""
    days = np.array([d.toordinal() if d else 0 for d in dates], dtype=np.int64)
    return days, np.array([d is not None for d in dates], dtype=bool)


def allowed_pairs(a: np.ndarray, b: np.ndarray, config: CandidateConfig, days: np.ndarray | None = None,
                  dated: np.ndarray | None = None, source_codes: np.ndarray | None = None) -> np.ndarray:
    """Which pairs of documents (``a[i]``, ``b[i]``: indices) pass the time window (``days``:
    each document's date as a day number, where ``dated``) and the same-source rule
    (``source_codes``: each document's source as a number, -1 for none); a document
    without a date, or a source, passes; None: nothing to check."""
    allowed = np.ones(len(a), dtype=bool)
    if config.max_days is not None and days is not None:
        known = dated[a] & dated[b]
        allowed &= ~known | (np.abs(days[a] - days[b]) <= config.max_days)
    if config.skip_same_source and source_codes is not None:
        allowed &= (source_codes[a] < 0) | (source_codes[a] != source_codes[b])
    return allowed


def find_candidates(
    documents: Iterable[Document],
    config: CandidateConfig = CandidateConfig(),
    batch_size: int = 1000,
    workers: int = 1,
) -> CandidatePairs:
    """Candidate pairs among ``documents`` (compared on their bodies).

    Batches of ``batch_size`` texts are signed by ``workers`` processes; the
    pairs are the same for any batch size and worker count.
    """
    if batch_size < 1:
        raise InputError("candidates.batch_size", f"must be at least 1, not {batch_size}")
    ids: list[str] = []
    dates: list[dt.date | None] = []
    sources: list[str | None] = []

    def texts() -> Iterator[list[str]]:
        it = iter(documents)
        while batch := list(islice(it, batch_size)):
            for document in batch:
                ids.append(document.id)
                dates.append(document.date)
                sources.append(document.source)
            yield [document.body for document in batch]

    return _collection_pairs(list(map_batches(texts(), config, workers)), ids, dates, sources, config)


def find_candidates_in_arrow(
    batches: Iterable[pa.RecordBatch | pa.Table], config: CandidateConfig = CandidateConfig()
) -> CandidatePairs:
    """Candidate pairs among the rows of Arrow record batches (or tables), with the
    same pairs as :func:`find_candidates` over the same documents: a JSONL, Parquet or
    CSV file read by pyarrow goes to the candidate kernels without a Python object per
    text (each batch's text column is read in place).

    Columns: ``id`` and ``text`` (strings), optional ``date`` (a date, a timestamp or
    an ISO date string) and ``source``. Texts are compared whole: header and credit
    lines are only told apart by :func:`copytrace.ingest.read_documents`.
    """
    ids: list[str] = []
    dates: list[dt.date | None] = []
    sources: list[str | None] = []

    def text_columns() -> Iterator[pa.Array | pa.ChunkedArray]:
        for batch in batches:
            first_row = len(ids)
            ids.extend(_present(batch, "id", first_row).cast(pa.string()).to_pylist())
            texts = _present(batch, "text", first_row)
            dates.extend(_optional_column(batch, "date", pa.date32()))
            sources.extend(_optional_column(batch, "source", pa.string()))
            yield texts

    token_hashes([])  # loads numba's threading layer, which kernel_threads() asks about
    sign = partial(signatures_for_batch, config=config)
    parts = list(thread_map_in_order(sign, text_columns(), kernel_threads()))
    return _collection_pairs(parts, ids, dates, sources, config)


def _present(batch: pa.RecordBatch | pa.Table, name: str, first_row: int) -> pa.Array | pa.ChunkedArray:
    """A column every row must have a value in; an :class:`InputError` names the column,
    or the first row without a value (counted from 1 over all batches)."""
    if name not in batch.column_names:
        raise InputError(f"column {name!r}", f"missing (columns: {', '.join(batch.column_names)})")
    column = batch.column(name)
    if column.null_count:
        row = first_row + int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0]) + 1
        raise InputError(f"row {row}, column {name!r}", "no value")
    return column


def _optional_column(batch: pa.RecordBatch | pa.Table, name: str, type_: pa.DataType) -> list:
    """A column's values cast to ``type_``, or ``None`` for every row without the column."""
    if name not in batch.column_names:
        return [None] * batch.num_rows
    try:
        return batch.column(name).cast(type_).to_pylist()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise InputError(f"column {name!r}", f"not a {type_}: {error}") from None


def _collection_pairs(
    parts: list[Signatures],
    ids: list[str],
    dates: list[dt.date | None],
    sources: list[str | None],
    config: CandidateConfig,
) -> CandidatePairs:
    """The candidate pairs of a collection from the signatures of its batches, in order."""
    signatures = Signatures.concatenate(parts) if parts else signatures_for_batch([], config)
    return replace(pairs_from_signatures(signatures, config, dates, sources), ids=tuple(ids))


def map_batches(batches: Iterable[Sequence[str]], config: CandidateConfig, workers: int) -> Iterator[Signatures]:
    """:func:`signatures_for_batch` over batches, in order, in ``workers`` processes."""
    if workers <= 1:
        for batch in batches:
            yield signatures_for_batch(batch, config)
        return
    # spawn, not fork: rensa may already run threads in this process. Workers die with it.
    with get_context("spawn").Pool(workers, initializer=start_worker, initargs=(os.getpid(),)) as pool:
        yield from pool.imap(_sign, ((batch, config) for batch in batches))


def _sign(job: tuple[Sequence[str], CandidateConfig]) -> Signatures:
    return signatures_for_batch(*job)


__all__ = [
    "BoilerplateNgrams",
    "CandidateConfig",
    "CandidatePairs",
    "Signatures",
    "boilerplate_table",
    "find_candidates",
    "find_candidates_in_arrow",
    "map_batches",
    "pairs_from_signatures",
    "signatures_for_batch",
]
