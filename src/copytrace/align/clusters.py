"""Clusters of seeds, compiled with numba over arrays of seeds: the aligner's
summary detection, and the split of a reuse region into passages that read in
the same order in both texts. A region of a long article holds hundreds of
seeds and a scan splits a million regions: the same steps on lists of boxes
took a third of the aligner's time.

A seed is a row ``(a0, a1, b0, b1)`` of half-open word ranges in the two texts
with a score (1 for an exact run of shared n-grams, the cosine of a
similar-sentence pair otherwise). Groups of seeds are kept as a permutation of
rows (``rows``) cut into consecutive slices (``bounds``); each step refines the
slices, keeping the order of groups and of seeds inside them that the
step-by-step description in :mod:`copytrace.align` gives (stable sorts
throughout), so that ties come out the same.
"""

from __future__ import annotations

import numba
import numpy as np

from copytrace.align.sentences import stem_cosine

A0, A1, B0, B1 = 0, 1, 2, 3


@numba.njit(cache=True)
def clipped(boxes: np.ndarray, scores: np.ndarray, region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The seeds that overlap ``region`` in both texts, cut to it, in their order."""
    overlaps = (
        (boxes[:, A0] < region[A1]) & (region[A0] < boxes[:, A1])
        & (boxes[:, B0] < region[B1]) & (region[B0] < boxes[:, B1])
    )
    inside = boxes[overlaps]
    inside[:, A0] = np.maximum(inside[:, A0], region[A0])
    inside[:, A1] = np.minimum(inside[:, A1], region[A1])
    inside[:, B0] = np.maximum(inside[:, B0], region[B0])
    inside[:, B1] = np.minimum(inside[:, B1], region[B1])
    return inside, scores[overlaps]


@numba.njit(cache=True)
def extend(boxes, a_stems, b_stems, counts, a_gap: int, b_gap: int, min_similarity: float) -> np.ndarray:
    """Cluster seeds into passages (bounding boxes): clusters whose two sides are
    less similar than ``min_similarity`` (cosine of stem counts, :func:`stem_cosine`
    with its scratch ``counts``) are clustered again with half the gaps, until the
    gaps reach zero (the cluster is then dropped); a single seed is a passage."""
    rows, bounds = _clusters(boxes, *_one_group(len(boxes)), a_gap, b_gap)
    pending = [(rows[bounds[g] : bounds[g + 1]], a_gap, b_gap) for g in range(len(bounds) - 1)]
    passages = np.empty((len(boxes), 4), dtype=np.int64)
    found = 0
    while pending:
        members, cluster_a_gap, cluster_b_gap = pending.pop()
        box = bounding_box(boxes[members])
        if len(members) == 1 or (
            stem_cosine(a_stems, box[A0], box[A1], b_stems, box[B0], box[B1], counts) >= min_similarity
        ):
            passages[found] = box
            found += 1
            continue
        smaller_a, smaller_b = cluster_a_gap // 2, cluster_b_gap // 2
        if smaller_a < 1 or smaller_b < 1:
            continue
        parts, part_bounds = _clusters(boxes, members, np.array([0, len(members)]), smaller_a, smaller_b)
        for g in range(len(part_bounds) - 1):
            pending.append((parts[part_bounds[g] : part_bounds[g + 1]], smaller_a, smaller_b))
    return passages[:found]


@numba.njit(cache=True)
def copied_extent(boxes: np.ndarray, scores: np.ndarray, region: np.ndarray, min_run: int) -> np.ndarray:
    """The smallest box holding the exact runs of at least ``min_run`` words among the
    seeds cut to ``region`` (:func:`clipped`); empty when there is none."""
    inside, inside_scores = clipped(boxes, scores, region)
    exact = inside[(inside_scores >= 1.0) & (inside[:, A1] - inside[:, A0] >= min_run)]
    return bounding_box(exact) if len(exact) else np.empty(0, dtype=np.int64)


@numba.njit(cache=True)
def _one_group(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows 0 … count - 1 as a single group (``rows``, ``bounds``)."""
    return np.arange(count), np.array([0, count])


@numba.njit(cache=True)
def bounding_box(members: np.ndarray) -> np.ndarray:
    """The smallest box ``(a0, a1, b0, b1)`` holding every row of ``members`` (not empty)."""
    return np.array([members[:, A0].min(), members[:, A1].max(), members[:, B0].min(), members[:, B1].max()])


@numba.njit(cache=True)
def one_group_in_order(boxes: np.ndarray, start: int, gap: int) -> bool:
    """Do the boxes follow each other along one text (``start``: the column of their
    starts in it) with no gap over ``gap`` words, in the same order in the other text?"""
    rows, bounds = _one_group(len(boxes))
    other = A0 if start == B0 else B0
    return (
        len(_split_along(boxes, rows, bounds, start, gap)[1]) == 2
        and len(_split_order(boxes, rows, bounds, 0, start, other)[1]) == 2
    )


@numba.njit(cache=True)
def summarises(boxes: np.ndarray, start: int, gap: int, min_words: int, ratio: float) -> bool:
    """Do the seeds suggest that one text (``start``: the column of their starts in
    it, A0 or B0) summarises the other?

    Seeds that lie close together in a summary are spread over a much longer
    stretch of the summarised text: seeds are grouped along the text with the
    normal ``gap``; a group of two or more that spans at least ``min_words`` on it
    and ``ratio`` times as many on the other text marks it.
    """
    other = A0 if start == B0 else B0
    rows, bounds = _split_along(boxes, *_one_group(len(boxes)), start, gap)
    for group in range(len(bounds) - 1):
        if bounds[group + 1] - bounds[group] < 2:
            continue
        box = bounding_box(boxes[rows[bounds[group] : bounds[group + 1]]])
        near, far = box[start + 1] - box[start], box[other + 1] - box[other]
        if near >= min_words and far >= ratio * near:
            return True
    return False


@numba.njit(cache=True)
def piece_boxes(
    boxes: np.ndarray,
    scores: np.ndarray,
    region: np.ndarray,
    min_piece: int,
    a_paragraphs: np.ndarray,
    b_paragraphs: np.ndarray,
) -> np.ndarray:
    """The bounding boxes of the region's pieces of at least ``min_piece`` words on
    each side, in order (empty when the region has no such piece).

    Steps: the seeds inside the region, reduced to the best matches; clustered
    with a gap of ``min_piece`` words along a, then b, … until stable; split where
    the order of one text jumps back in the other; split at the paragraph breaks
    of b, then of a.
    """
    boxes, scores = clipped(boxes, scores, region)
    keep = _best_matches(boxes, scores, min_piece, region[A1], region[B1])
    if not len(keep):
        return np.empty((0, 4), dtype=np.int64)
    boxes, scores = boxes[keep], scores[keep]
    rows, bounds = _one_group(len(boxes))
    rows, bounds = _clusters(boxes, rows, bounds, min_piece, min_piece)
    rows, bounds = _split_order(boxes, rows, bounds, min_piece, B0, A0)
    rows, bounds = _split_order(boxes, rows, bounds, min_piece, A0, B0)
    boxes, scores, bounds = _cut_at_paragraphs(boxes[rows], scores[rows], bounds, b_paragraphs, B0)
    boxes, scores, bounds = _cut_at_paragraphs(boxes, scores, bounds, a_paragraphs, A0)
    pieces = np.empty((len(bounds) - 1, 4), dtype=np.int64)
    kept = 0
    for group in range(len(bounds) - 1):
        box = bounding_box(boxes[bounds[group] : bounds[group + 1]])
        if min(box[A1] - box[A0], box[B1] - box[B0]) >= min_piece:
            pieces[kept] = box
            kept += 1
    return pieces[:kept]


@numba.njit(cache=True)
def _best_matches(boxes: np.ndarray, scores: np.ndarray, min_run: int, a_end: int, b_end: int) -> np.ndarray:
    """Rows of the exact matches of at least ``min_run`` words (shorter ones are
    common phrases found all over a text), then, in order, the similar-sentence
    pairs in which a sentence of either text meets its single most similar sentence
    of the other (the first of equals), both sentences not copied word for word
    (by those exact matches) for the most part: a sentence similar to several others
    would otherwise stretch a passage over all of them. ``a_end``/``b_end``: the
    region's ends, past every seed."""
    a_copied, b_copied = np.zeros(a_end, dtype=np.bool_), np.zeros(b_end, dtype=np.bool_)
    exact = []
    for row in range(len(boxes)):
        if scores[row] >= 1.0 and boxes[row, A1] - boxes[row, A0] >= min_run:
            exact.append(row)
            a_copied[boxes[row, A0] : boxes[row, A1]] = True
            b_copied[boxes[row, B0] : boxes[row, B1]] = True
    chosen = np.zeros(len(boxes), dtype=np.bool_)
    for start in (B0, A0):
        best = []
        for row in range(len(boxes)):
            if scores[row] >= 1.0 or _mostly_copied(boxes[row], a_copied, b_copied):
                continue
            lo, hi = boxes[row, start], boxes[row, start + 1]
            for k in range(len(best)):  # the sentences of this text seen so far: a few dozen
                if boxes[best[k], start] == lo and boxes[best[k], start + 1] == hi:
                    if scores[row] > scores[best[k]]:
                        best[k] = row
                    break
            else:
                best.append(row)
        for row in best:
            chosen[row] = True
    return np.array(exact + [row for row in range(len(boxes)) if chosen[row]], dtype=np.int64)


@numba.njit(cache=True)
def _mostly_copied(box: np.ndarray, a_copied: np.ndarray, b_copied: np.ndarray) -> bool:
    """Is either side of the box copied word for word for the most part?"""
    return (
        2 * np.count_nonzero(a_copied[box[A0] : box[A1]]) > box[A1] - box[A0]
        or 2 * np.count_nonzero(b_copied[box[B0] : box[B1]]) > box[B1] - box[B0]
    )


@numba.njit(cache=True)
def stable_order(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Positions that sort by ``first`` then ``second``, equal pairs kept in order."""
    order = np.argsort(second, kind="mergesort")
    return order[np.argsort(first[order], kind="mergesort")]


@numba.njit(cache=True)
def _clusters(boxes: np.ndarray, rows: np.ndarray, bounds: np.ndarray, a_gap: int, b_gap: int):
    """Split groups along a, then b, then a …, until a split (after the first two)
    changes nothing: where, in order of start, a seed starts more than the gap
    (``a_gap`` along a, ``b_gap`` along b) after every earlier one ends."""
    stable, turn = 0, 0
    while stable < 2:
        start, gap = (A0, a_gap) if turn % 2 == 0 else (B0, b_gap)
        split_rows, split_bounds = _split_along(boxes, rows, bounds, start, gap)
        stable = stable + 1 if len(split_bounds) == len(bounds) else 1
        rows, bounds, turn = split_rows, split_bounds, turn + 1
    return rows, bounds


@numba.njit(cache=True)
def _split_along(boxes, rows, bounds, start: int, gap: int):
    end = start + 1
    ordered, new_bounds = rows.copy(), [0]
    for group in range(len(bounds) - 1):
        lo, hi = bounds[group], bounds[group + 1]
        if hi - lo == 1:  # nothing to order or split, nor to allocate for
            new_bounds.append(hi)
            continue
        members = rows[lo:hi]
        members = members[np.argsort(boxes[members, start], kind="mergesort")]
        ordered[lo:hi] = members
        reach = boxes[members[0], end]
        for k in range(1, hi - lo):
            if boxes[members[k], start] - reach > gap:
                new_bounds.append(lo + k)
            reach = max(reach, boxes[members[k], end])
        new_bounds.append(hi)
    return ordered, np.array(new_bounds)


@numba.njit(cache=True)
def _split_order(boxes, rows, bounds, gap: int, along: int, other: int):
    """Split where, read in the order of one text (starts in column ``along``), the
    seeds jump back in the other text by more than ``gap``: a moved paragraph."""
    ordered, new_bounds = rows.copy(), [0]
    for group in range(len(bounds) - 1):
        lo, hi = bounds[group], bounds[group + 1]
        if hi - lo == 1:
            new_bounds.append(hi)
            continue
        members = rows[lo:hi]
        members = members[stable_order(boxes[members, along], boxes[members, other])]
        ordered[lo:hi] = members
        for k in range(1, hi - lo):
            if boxes[members[k], other] < boxes[members[k - 1], other] - gap:
                new_bounds.append(lo + k)
        new_bounds.append(hi)
    return ordered, np.array(new_bounds)


@numba.njit(cache=True)
def _cut_at_paragraphs(boxes, scores, bounds, paragraph_starts: np.ndarray, start: int):
    """Cut each group's seeds at the paragraph breaks of one text (``start``: the
    column of their start in it) and split the group by paragraph; an exact run across
    a break is cut along its diagonal, a sentence pair keeps its span in the other
    text. Returns the cut seeds, grouped, with their scores and group bounds. The cuts
    are written into arrays sized for the most there can be (each seed in every
    paragraph it spans), not into a new array for each cut seed. A seed cut along its
    diagonal at the other text's breaks may be empty on this side, or inverted (its
    sides were clipped to the region apart): it spans no paragraph and gives no cut."""
    end, other = start + 1, (A0 if start == B0 else B0)
    firsts = np.searchsorted(paragraph_starts, boxes[:, start], side="right")
    lasts = np.searchsorted(paragraph_starts, boxes[:, end] - 1, side="right")
    most = int(np.sum(np.maximum(lasts - firsts + 1, 0)))
    cut, cut_scores, numbers = np.empty((most, 4), dtype=np.int64), np.empty(most), np.empty(most, dtype=np.int64)
    result, result_scores = np.empty((most, 4), dtype=np.int64), np.empty(most)
    new_bounds = np.empty(most + 1, dtype=np.int64)
    new_bounds[0], bound_count, count, written = 0, 1, 0, 0
    for group in range(len(bounds) - 1):
        group_start = count
        for row in range(bounds[group], bounds[group + 1]):
            lo, hi = boxes[row, start], boxes[row, end]
            for number in range(firsts[row], lasts[row] + 1):
                cut_lo = max(lo, paragraph_starts[number - 1]) if number > 0 else lo
                cut_hi = min(hi, paragraph_starts[number]) if number < len(paragraph_starts) else hi
                if cut_hi <= cut_lo:
                    continue
                cut[count] = boxes[row]
                cut[count, start], cut[count, end] = cut_lo, cut_hi
                if scores[row] >= 1.0:  # the diagonal: the other side moves with this one
                    cut[count, other] += cut_lo - lo
                    cut[count, other + 1] += cut_hi - hi
                cut_scores[count], numbers[count] = scores[row], number
                count += 1
        order = group_start + np.argsort(numbers[group_start:count], kind="mergesort")
        for position in range(len(order)):
            k = order[position]
            if position > 0 and numbers[k] != numbers[order[position - 1]]:
                new_bounds[bound_count], bound_count = written, bound_count + 1
            result[written], result_scores[written] = cut[k], cut_scores[k]
            written += 1
        if len(order):
            new_bounds[bound_count], bound_count = written, bound_count + 1
    return result[:written], result_scores[:written], new_bounds[:bound_count]
