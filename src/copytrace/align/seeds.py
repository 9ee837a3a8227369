"""The seeds of a pair of texts, both kinds in one compiled call: exact runs of
shared n-grams (:mod:`copytrace.align.ngrams`) and similar-sentence pairs
(:mod:`copytrace.align.sentences`), less the sentence pairs that exact matches
contradict.
"""

from __future__ import annotations

import numba
import numpy as np

from copytrace.align.ngrams import ngram_runs
from copytrace.align.sentences import similar_sentences


@numba.njit(cache=True)
def pair_seeds(
    a_ids, b_ids, a_stems, b_stems, a_sentences, b_sentences, stem_count: int,
    ngram: int, max_repeats: int, min_cosine: float, min_dice: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Seeds as rows ``(a0, a1, b0, b1)`` of word ranges and their scores: the exact
    runs first (in b order, score 1), then the similar-sentence pairs that exact
    matches do not contradict (by sentence of a, then of b; score: their cosine)."""
    exact = ngram_runs(a_ids, b_ids, ngram, max_repeats)
    i, j, cosines = similar_sentences(a_stems, a_sentences, b_stems, b_sentences, stem_count, min_cosine, min_dice)
    similar = np.empty((len(i), 4), dtype=np.int64)
    for k in range(len(i)):
        similar[k, 0], similar[k, 1] = a_sentences[i[k]], a_sentences[i[k] + 1]
        similar[k, 2], similar[k, 3] = b_sentences[j[k]], b_sentences[j[k] + 1]
    kept = ~_contradicted(exact, similar, len(a_ids), len(b_ids))
    boxes = np.concatenate((exact, similar[kept]))
    scores = np.concatenate((np.ones(len(exact)), cosines[kept]))
    return boxes, scores


@numba.njit(cache=True)
def _contradicted(exact: np.ndarray, similar: np.ndarray, a_length: int, b_length: int) -> np.ndarray:
    """For each similar-sentence seed: are most words of either side copied word for
    word *elsewhere* in the other text (by the exact runs)? Such a sentence is no
    paraphrase of the one it was paired with, and the seed would only stretch a
    passage past its true end."""
    a_to_b = np.full(a_length, -1, dtype=np.int64)
    b_to_a = np.full(b_length, -1, dtype=np.int64)
    for run in exact:
        for k in range(run[1] - run[0]):
            a_to_b[run[0] + k], b_to_a[run[2] + k] = run[2] + k, run[0] + k
    contradicted = np.zeros(len(similar), dtype=np.bool_)
    for k in range(len(similar)):
        a0, a1, b0, b1 = similar[k, 0], similar[k, 1], similar[k, 2], similar[k, 3]
        contradicted[k] = _mostly_elsewhere(a_to_b, a0, a1, b0, b1) or _mostly_elsewhere(b_to_a, b0, b1, a0, a1)
    return contradicted


@numba.njit(cache=True)
def _mostly_elsewhere(mapped, lo, hi, other_lo, other_hi):
    elsewhere = 0
    for k in range(lo, hi):
        if mapped[k] >= 0 and (mapped[k] < other_lo or mapped[k] >= other_hi):
            elsewhere += 1
    return 2 * elsewhere > hi - lo
