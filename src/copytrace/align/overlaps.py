"""Passages that overlap: merged when they overlap in both texts, cut back when
they overlap in one (Sanchez-Perez, Sidorov & Gelbukh's filtering step). Compiled
with numba over rows ``(a0, a1, b0, b1)``, as the aligner runs it on every
region of every pair of a scan.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from copytrace.align.clusters import A0, A1, B0, B1, stable_order
from copytrace.align.sentences import stem_cosine


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
        merged = np.empty_like(boxes)
        count = 0
        for k in stable_order(boxes[:, B0], boxes[:, A0]):
            joined = False
            for m in range(count):
                if _intersect(boxes[k], merged[m]):
                    merged[m, A0], merged[m, A1] = min(merged[m, A0], boxes[k, A0]), max(merged[m, A1], boxes[k, A1])
                    merged[m, B0], merged[m, B1] = min(merged[m, B0], boxes[k, B0]), max(merged[m, B1], boxes[k, B1])
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
    return box[A0] < other[A1] and other[A0] < box[A1] and box[B0] < other[B1] and other[B0] < box[B1]


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
        cosine = stem_cosine(a_stems, boxes[k, A0], boxes[k, A1], b_stems, boxes[k, B0], boxes[k, B1], counts)
        strength[k] = -cosine * math.log1p(boxes[k, B1] - boxes[k, B0])
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
