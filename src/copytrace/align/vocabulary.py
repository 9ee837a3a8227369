"""Dense ids for the words of a pair of texts, from their 64-bit keys.

The aligner works on small integer ids (n-gram codes, bags of stems), numbered
in order of first use so that results do not depend on hash values. Each text
is numbered once (:func:`first_use_ids`; a scan pairs an article with several
others) and a pair is numbered from the two (:func:`joint_ids`): both with an
open-addressing table, in one compiled pass each, instead of sorting keys.
"""

from __future__ import annotations

import numba
import numpy as np

from copytrace.hashing import EMPTY, new_table, table_slot


@numba.njit(cache=True)
def first_use_ids(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each key's id, 0, 1, … in order of first use (a key of -1, "no key", gets -1),
    and the distinct keys by id."""
    table = new_table(len(keys))
    slot_ids = np.empty(len(table), dtype=np.int64)  # the id of the key in each slot
    ids = np.full(len(keys), -1, dtype=np.int64)
    distinct = np.empty(len(keys), dtype=np.int64)
    count = 0
    for word in range(len(keys)):
        if keys[word] == EMPTY:
            continue
        slot = table_slot(table, keys[word])
        if table[slot] == EMPTY:
            table[slot], slot_ids[slot], distinct[count] = keys[word], count, keys[word]
            count += 1
        ids[word] = slot_ids[slot]
    return ids, distinct[:count]


@numba.njit(cache=True)
def joint_ids(a_keys: np.ndarray, b_ids: np.ndarray, b_keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Ids of b's words numbered over the pair, and how many ids the pair uses: a key
    that a also uses takes a's id (a's distinct keys ``a_keys`` are by id), any other the
    next id after a's in b's order of first use. ``b_ids``/``b_keys``: b's own numbering
    (:func:`first_use_ids`)."""
    table = new_table(len(a_keys))
    a_id_of = np.empty(len(table), dtype=np.int64)
    for a_id in range(len(a_keys)):
        slot = table_slot(table, a_keys[a_id])
        table[slot], a_id_of[slot] = a_keys[a_id], a_id
    mapping = np.empty(len(b_keys), dtype=np.int64)
    next_id = len(a_keys)
    for b_id in range(len(b_keys)):
        slot = table_slot(table, b_keys[b_id])
        if table[slot] == b_keys[b_id]:
            mapping[b_id] = a_id_of[slot]
        else:
            mapping[b_id], next_id = next_id, next_id + 1
    joint = np.full(len(b_ids), -1, dtype=np.int64)
    for word in range(len(b_ids)):
        if b_ids[word] >= 0:
            joint[word] = mapping[b_ids[word]]
    return joint, next_id
