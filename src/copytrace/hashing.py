"""Integer hashing shared by the compiled kernels: word keys, shingles, LSH bands, and
the open-addressing tables of the aligner's kernels."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def mix64(values):
    """The SplitMix64 finaliser (Steele et al., OOPSLA 2014): a fixed bijection on
    uint64, for a scalar or an array (arithmetic wraps modulo 2**64)."""
    z = values ^ (values >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


EMPTY = -1  # a free slot of a table of :func:`table_slot`


@numba.njit(cache=True)
def new_table(entries: int) -> np.ndarray:
    """Slots for a table of up to ``entries`` int64 keys, at most half full."""
    size = 1
    while size < 2 * entries:
        size <<= 1
    return np.full(size, EMPTY, dtype=np.int64)


@numba.njit(cache=True)
def table_slot(keys: np.ndarray, key: int) -> int:
    """The slot of ``key`` (not :data:`EMPTY`) in the open-addressing table ``keys``
    (linear probing), or the free slot where it goes (the caller stores it there)."""
    mask = len(keys) - 1
    slot = ((key * 0x5851F42D4C957F2D) >> 20) & mask  # multiplicative hash; int64 wraps
    while keys[slot] != key and keys[slot] != EMPTY:
        slot = (slot + 1) & mask
    return slot
