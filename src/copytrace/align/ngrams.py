"""Exact seeds of the aligner: maximal diagonal runs of word n-grams two texts share.

An n-gram found more than ``max_repeats`` times in either text is boilerplate,
not evidence, and seeds nothing. Compiled with numba: the aligner looks for
runs in every candidate pair of a scan, and the same steps as numpy calls
(unique codes, counts, sorts of matches and runs) cost more in calls than in work.
"""

from __future__ import annotations

import numba
import numpy as np

from copytrace.hashing import new_table, table_slot

_CODE_LIMIT = 1 << 62


@numba.njit(cache=True)
def ngram_runs(a_ids: np.ndarray, b_ids: np.ndarray, n: int, max_repeats: int) -> np.ndarray:
    """Runs ``(a0, a1, b0, b1)`` (word ranges) along which the n-grams of ``a_ids``
    and ``b_ids`` (ids of word forms, equal for equal words) are shared, ordered by
    b0 then a0; a run is a chain of shared n-grams at (i, j), (i+1, j+1), …

    Linear time: the n-grams go into a hash table (open addressing) with their
    counts in each text and the list of their positions in a; the matches are then
    read in order of b and each one extends the run of the match before it on its
    diagonal, so no step sorts.
    """
    if len(a_ids) < n or len(b_ids) < n:
        return np.empty((0, 4), dtype=np.int64)
    a_codes, b_codes = _ngram_codes(a_ids, b_ids, n)
    keys = new_table(len(a_codes) + len(b_codes))
    size = len(keys)
    a_count, b_count = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
    a_first = np.full(size, -1, dtype=np.int64)  # each n-gram's first position in a
    a_next = np.full(len(a_codes), -1, dtype=np.int64)  # the next position of the same n-gram
    for i in range(len(a_codes) - 1, -1, -1):  # backwards, so each list runs forwards
        slot = table_slot(keys, a_codes[i])
        keys[slot] = a_codes[i]
        a_count[slot] += 1
        a_next[i], a_first[slot] = a_first[slot], i
    b_slots = np.empty(len(b_codes), dtype=np.int64)
    for j in range(len(b_codes)):
        b_slots[j] = table_slot(keys, b_codes[j])
        keys[b_slots[j]] = b_codes[j]
        b_count[b_slots[j]] += 1
    runs = np.empty((min(len(a_codes), len(b_codes)) * max_repeats, 4), dtype=np.int64)
    count = 0
    last_j = np.full(len(a_codes), -2, dtype=np.int64)  # b position of the match at a position i
    last_run = np.empty(len(a_codes), dtype=np.int64)  # and the run it belongs to
    at_i, in_run = np.empty(max_repeats, dtype=np.int64), np.empty(max_repeats, dtype=np.int64)
    for j in range(len(b_codes)):
        slot = b_slots[j]
        if a_count[slot] == 0 or a_count[slot] > max_repeats or b_count[slot] > max_repeats:
            continue
        i, matched = a_first[slot], 0
        while i >= 0:
            if i > 0 and last_j[i - 1] == j - 1:
                run = last_run[i - 1]
                runs[run, 1] += 1
                runs[run, 3] += 1
            else:
                run = count
                runs[run, 0], runs[run, 1], runs[run, 2], runs[run, 3] = i, i + n, j, j + n
                count += 1
            at_i[matched], in_run[matched], matched = i, run, matched + 1
            i = a_next[i]
        # Recorded once the row is read: (i, j) must not hide (i, j - 1) from (i + 1, j).
        for k in range(matched):
            last_j[at_i[k]], last_run[at_i[k]] = j, in_run[k]
    return runs[:count]


@numba.njit(cache=True)
def _ngram_codes(a_ids: np.ndarray, b_ids: np.ndarray, n: int):
    """One integer per n-gram of each text, equal for equal n-grams: the ids of its
    words in base ``id_count``, renumbered densely (keeping order) before a code
    would pass 2**62."""
    ids = np.concatenate((a_ids, b_ids))
    starts = np.concatenate((np.arange(len(a_ids) - n + 1), np.arange(len(a_ids), len(ids) - n + 1)))
    id_count = ids.max() + 1
    codes, bound = ids[starts].copy(), id_count
    for k in range(1, n):
        if bound >= _CODE_LIMIT // id_count:
            codes, bound = _dense_ranks(codes), len(starts)
        codes, bound = codes * id_count + ids[starts + k], bound * id_count
    return codes[: len(a_ids) - n + 1], codes[len(a_ids) - n + 1 :]


@numba.njit(cache=True)
def _dense_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values)
    ranks = np.empty(len(values), dtype=np.int64)
    rank = -1
    for k in range(len(order)):
        if k == 0 or values[order[k]] != values[order[k - 1]]:
            rank += 1
        ranks[order[k]] = rank
    return ranks
