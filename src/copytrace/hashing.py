"""Integer hashing shared by the compiled kernels: word keys, shingles, LSH bands."""

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
