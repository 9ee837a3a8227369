"""Small in-place sorts shared by the compiled kernels."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def insertion_sort(values: np.ndarray, start: int, end: int) -> None:
    """Sort ``values[start:end]`` in place; for short runs (a sentence's stems, the
    documents of one index key), faster than allocating a sort."""
    for k in range(start + 1, end):
        value, position = values[k], k
        while position > start and values[position - 1] > value:
            values[position] = values[position - 1]
            position -= 1
        values[position] = value
