"""Banded locality-sensitive hashing over MinHash signatures: near-duplicate pairs.

The signature is cut into ``bands`` bands of ``rows`` values; two documents
are candidates when all values of at least one band agree, which happens with
probability ``1 - (1 - J**rows)**bands`` for Jaccard similarity J (Leskovec,
Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3.4). The buckets are
found by sorting band keys over the whole collection, so the result does not
depend on how documents were batched.
"""

from __future__ import annotations

import numpy as np

from copytrace.candidates.groups import distinct, pairs_sharing_keys
from copytrace.hashing import mix64
from copytrace.parallel import thread_starmap

_EMPTY_ROW = np.iinfo(np.uint32).max


def lsh_threshold(bands: int, rows: int) -> float:
    """The Jaccard similarity at which a pair becomes a candidate with probability about 1/2."""
    return (1.0 / bands) ** (1.0 / rows)


def lsh_pairs(matrix: np.ndarray, bands: int) -> np.ndarray:
    """Unique pair keys (see :func:`copytrace.candidates.groups.pair_keys`) of the
    documents that share at least one band."""
    docs_count, num_perm = matrix.shape
    if num_perm % bands:
        raise ValueError(f"{num_perm} permutations cannot be cut into {bands} equal bands")
    rows = num_perm // bands
    present = signed_rows(matrix)
    chunks = thread_starmap(_band_pairs, [(matrix, present, band, rows) for band in range(bands)])
    return distinct(np.concatenate(chunks)) if chunks else np.zeros(0, dtype=np.uint64)


def band_keys(matrix: np.ndarray, present: np.ndarray, band: int, rows: int) -> np.ndarray:
    """One uint64 per document of ``present``: the hash of its values in ``band``
    (seeded by the band's number, so two bands never share a key)."""
    key = np.full(len(present), band, dtype=np.uint64)
    for column in range(band * rows, (band + 1) * rows):
        # Column by column: a uint64 copy of the whole matrix would be the largest array here.
        key = mix64(key ^ matrix[present, column].astype(np.uint64))
    return key


def signed_rows(matrix: np.ndarray) -> np.ndarray:
    """The rows of documents that have shingles (a text without any has an empty row)."""
    return np.flatnonzero(~(matrix == _EMPTY_ROW).all(axis=1))


def _band_pairs(matrix: np.ndarray, present: np.ndarray, band: int, rows: int) -> np.ndarray:
    """Pair keys of the documents whose values agree on all ``rows`` of one band."""
    return pairs_sharing_keys(band_keys(matrix, present, band, rows), present)
