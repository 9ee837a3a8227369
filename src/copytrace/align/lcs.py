"""Length of the longest common subsequence of two word sequences, bit-parallel.

The share of a passage kept word for word is its Indel similarity, computed from
the LCS of the two sides' word ids. Bit-parallel LCS (Allison & Dix, "A
bit-string longest-common-subsequence algorithm", IPL 1986; Hyyrö, "Bit-parallel
LCS-length computation revisited", AWOCA 2004) reads the second sequence once,
updating a bit vector over the first with an addition per 64 words, so a
300-word passage takes about a microsecond, with no list of ids made per call.
"""

from __future__ import annotations

import numba
import numpy as np

from copytrace.hashing import EMPTY, new_table, table_slot


@numba.njit(cache=True)
def indel_similarity(a_ids: np.ndarray, a0: int, a1: int, b_ids: np.ndarray, b0: int, b1: int) -> float:
    """``1 - (m + n - 2·LCS) / (m + n)`` for ``a_ids[a0:a1]`` (m words) and
    ``b_ids[b0:b1]`` (n words), 1 when both are empty: what
    ``rapidfuzz.distance.Indel.normalized_similarity`` gives for the two lists."""
    total = (a1 - a0) + (b1 - b0)
    if total == 0:
        return 1.0
    common = _lcs_length(a_ids, a0, a1, b_ids, b0, b1)
    return 1.0 - (total - 2 * common) / total


@numba.njit(cache=True)
def _lcs_length(a_ids, a0, a1, b_ids, b0, b1) -> int:
    length = a1 - a0
    if length == 0 or b1 == b0:
        return 0
    words = (length + 63) // 64
    # Each distinct id of a gets a row of match bits: bit k set where a[a0 + k] is that id.
    table = new_table(length)
    row_of = np.empty(len(table), dtype=np.int64)
    row_of_word = np.empty(length, dtype=np.int64)
    rows = 0
    for k in range(length):
        slot = table_slot(table, a_ids[a0 + k])
        if table[slot] == EMPTY:
            table[slot], row_of[slot] = a_ids[a0 + k], rows
            rows += 1
        row_of_word[k] = row_of[slot]
    matches = np.zeros((rows, words), dtype=np.uint64)
    for k in range(length):
        matches[row_of_word[k], k // 64] |= np.uint64(1) << np.uint64(k % 64)
    vector = np.full(words, np.uint64(0xFFFFFFFFFFFFFFFF))
    for position in range(b0, b1):
        slot = table_slot(table, b_ids[position])
        if table[slot] == EMPTY:
            continue  # an id not in a matches nothing: V stays as it is
        match = matches[row_of[slot]]
        carry = np.uint64(0)
        for word in range(words):  # V = (V + (V & M)) | (V & ~M), with the carry across words
            v, u = vector[word], vector[word] & match[word]
            total = v + u
            next_carry = np.uint64(1) if total < v else np.uint64(0)
            total_with_carry = total + carry
            if total_with_carry < total:
                next_carry = np.uint64(1)
            vector[word] = total_with_carry | (v & ~match[word])
            carry = next_carry
    zeros = 0
    for k in range(length):
        if not (vector[k // 64] >> np.uint64(k % 64)) & np.uint64(1):
            zeros += 1
    return zeros
