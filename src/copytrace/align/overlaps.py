"""Passages that overlap: merged when they overlap in both texts, cut back when
they overlap in one (Sanchez-Perez, Sidorov & Gelbukh's filtering step). Compiled
with numba over rows ``(a0, a1, b0, b1)``, as the aligner runs it on every
region of every pair of a scan.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from copytrace.align.sentences import stem_cosine

A0, B0 = 0, 2


@numba.njit(cache=True)
def untangled(boxes: np.ndarray, a_stems, b_stems, counts) -> np.ndarray:
    """The boxes with those that overlap in both texts merged, then overlaps left in
    b, then in a, resolved (:func:`_resolved`)."""
    return _resolved(_resolved(_merged(boxes), B0, a_stems, b_stems, counts), A0, a_stems, b_stems, counts)


@numba.njit(cache=True)
def _merged(boxes: np.ndarray) -> np.ndarray:
    """Merge boxes that overlap in both texts: they are one passage. In order of b,
    then a, each box joins the first merged box it overlaps; repeated until no box
    joins another."""
    while True:
        order = np.argsort(boxes[:, 0], kind="mergesort")
        order = order[np.argsort(boxes[order, 2], kind="mergesort")]
        merged = np.empty_like(boxes)
        count = 0
        for k in order:
            joined = False
            for m in range(count):
                if _intersect(boxes[k], merged[m]):
                    merged[m, 0], merged[m, 1] = min(merged[m, 0], boxes[k, 0]), max(merged[m, 1], boxes[k, 1])
                    merged[m, 2], merged[m, 3] = min(merged[m, 2], boxes[k, 2]), max(merged[m, 3], boxes[k, 3])
                    joined = True
                    break
            if not joined:
                merged[count] = boxes[k]
                count += 1
        if count == len(boxes):
            return merged[:count]
        boxes = merged[:count]


@numba.njit(cache=True)
def _intersect(box: np.ndarray, other: np.ndarray) -> bool:
    return box[0] < other[1] and other[0] < box[1] and box[2] < other[3] and other[2] < box[3]


@numba.njit(cache=True)
def _resolved(boxes: np.ndarray, start: int, a_stems, b_stems, counts) -> np.ndarray:
    """Where passages overlap in one text (``start``: the column of their starts in
    it), the weaker yields the shared words, cut back or dropped if nothing remains.
    Strength: cosine of stem counts times the log of the b side's length, ties in
    the given order."""
    if len(boxes) < 2:
        return boxes.copy()
    strength = np.empty(len(boxes))
    for k in range(len(boxes)):
        cosine = stem_cosine(a_stems, boxes[k, 0], boxes[k, 1], b_stems, boxes[k, 2], boxes[k, 3], counts)
        strength[k] = -cosine * math.log1p(boxes[k, 3] - boxes[k, 2])
    kept = np.empty_like(boxes)
    count = 0
    for k in np.argsort(strength, kind="mergesort"):
        lo, hi = boxes[k, start], boxes[k, start + 1]
        for m in range(count):
            if lo < kept[m, start + 1] and kept[m, start] < hi:
                lo, hi = (kept[m, start + 1], hi) if kept[m, start] <= lo else (lo, min(hi, kept[m, start]))
        if hi <= lo:
            continue
        kept[count] = boxes[k]
        kept[count, start], kept[count, start + 1] = lo, hi
        count += 1
    return kept[:count]
