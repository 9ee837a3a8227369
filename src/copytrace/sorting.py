"""Small sorts: in place for the compiled kernels, and the distinct values of a short array."""

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


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of a one-dimensional array, sorted (``np.unique``'s answer) by
    one sort: numpy 2's ``unique`` hashes the values first, which costs about three times
    as much on an article's few hundred fingerprints (15 against 5 µs for 250)."""
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered
