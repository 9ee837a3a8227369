"""All pairs of documents that share a key: the join step of LSH buckets and n-gram postings."""

from __future__ import annotations

import numba
import numpy as np


def run_bounds(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each run of equal values in ``sorted_keys``."""
    starts = run_starts(sorted_keys)
    return starts, np.diff(np.concatenate((starts, [len(sorted_keys)]))).astype(np.int64)


def run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Start index of each run of equal values in ``sorted_keys`` (none when empty)."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of a one-dimensional array, sorted (``np.unique``'s answer) by
    one sort: numpy 2's ``unique`` hashes the values first, which costs about three times
    as much on an article's few hundred fingerprints (15 against 5 µs for 250) and 20 to
    55 times as much on millions of pair keys (numpy 2.4: 222 against 8 ms for 1M uint64s,
    1,862 against 34 ms for 4M)."""
    ordered = np.sort(values)
    return ordered[run_starts(ordered)]


def union(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``np.union1d``'s answer (the distinct values of both, sorted) by :func:`distinct`:
    587 against 18 ms for two arrays of 500,000 uint64s."""
    return distinct(np.concatenate((first, second)))


@numba.njit(cache=True)
def distinct_in_rows(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`distinct` of each row of ``values`` (row ``i`` is ``values[offsets[i]:offsets[i + 1]]``),
    end to end, and the offsets of each row's start in them. Compiled: a signed batch's
    documents in one call, where :func:`distinct` row by row cost 12 µs a document."""
    found = np.empty(len(values), dtype=values.dtype)
    found_offsets = np.zeros(len(offsets), dtype=np.int64)
    written = 0
    for row in range(len(offsets) - 1):
        ordered = np.sort(values[offsets[row] : offsets[row + 1]])
        for k in range(len(ordered)):
            if k == 0 or ordered[k] != ordered[k - 1]:
                found[written] = ordered[k]
                written += 1
        found_offsets[row + 1] = written
    return found[:written], found_offsets


def pairs_sharing_keys(keys: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Pair keys of every two documents ``docs[i]`` and ``docs[j]`` whose ``keys[i]`` and
    ``keys[j]`` are equal: an LSH bucket's pairs (a pair once for each key it shares)."""
    order = np.argsort(keys, kind="stable")
    starts, lengths = run_bounds(keys[order])
    return pairs_in_runs(docs[order], starts, lengths)


def pairs_in_runs(docs: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Pair keys ``low << 32 | high`` of every two documents within each run.

    Runs of equal length are expanded together, so the work is vectorised per
    distinct run length rather than per run.
    """
    chunks = [np.zeros(0, dtype=np.uint64)]
    for length in np.unique(lengths[lengths >= 2]):
        run_starts = starts[lengths == length]
        members = docs[run_starts[:, None] + np.arange(length)]
        first, second = np.triu_indices(int(length), 1)
        a, b = members[:, first].ravel(), members[:, second].ravel()
        chunks.append(pair_keys(np.minimum(a, b), np.maximum(a, b)))
    return np.concatenate(chunks)


def pair_keys(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """One uint64 per pair of document indices (each below 2**32)."""
    return (low.astype(np.uint64) << np.uint64(32)) | high.astype(np.uint64)


def split_pair_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The document indices of pair keys made by :func:`pair_keys`."""
    return (keys >> np.uint64(32)).astype(np.int64), (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)
