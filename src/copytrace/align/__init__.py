"""Stage 4: find every reused passage between two texts.

The method follows the seed–extend–filter scheme of the best PAN text
alignment systems (Sanchez-Perez, Sidorov & Gelbukh, "A Winning Approach to
Text Alignment for Text Reuse Detection at PAN 2014", CLEF 2014):

1. **Seeds.** Two kinds, so that verbatim copies, edited copies and
   paraphrases are all found:
   * runs of shared word n-grams (exact reuse, located to the word);
   * pairs of similar sentences: cosine of tf-isf vectors of word stems and
     Dice coefficient of their stem sets both above a threshold (paraphrase,
     translation, reordering inside a sentence).
2. **Extension.** Seeds are clustered into passages by alternately splitting
   them along each text wherever two neighbours are further apart than a gap,
   until no split remains. A passage whose two sides are not similar enough
   is clustered again with a smaller gap.
3. **Filtering.** Overlapping passages are merged when they overlap on both
   sides and otherwise the weaker one is cut back; passages shorter than a
   minimum are dropped.
4. **Summary mode.** When a text is a summary of the other, one side of the
   reuse is much denser than the other; the pair is then clustered again with a
   larger gap on the long side, as in Sanchez-Perez et al.'s adaptive setting.
   Each text is tested as the summary; a summary found is kept only if its
   seeds cover most of its short side and some of its long side.
5. **Symmetry.** ``align(b, a)`` is exactly ``align(a, b)`` with every passage
   mirrored (a and b sides swapped), in the same order. Steps 1-4 are not
   symmetric in themselves (clusters are split along a first, overlaps resolved
   in b first, a sentence of b picks its best match in a), so the pair is
   always aligned in one canonical orientation and the result mirrored back
   when the caller's order is the other: the text with the shorter span is a
   (ties: the shorter whole text, then the text itself, then the span's
   start; only one text with one span ties, and aligned with itself it keeps
   only the seeds that pair each word with itself, so the result is its own
   mirror). The shorter text as a is also the orientation in which the
   remaining asymmetries cost least on PAN (a PAN source is usually shorter
   than its suspicious document).

Offsets are character offsets into the original texts, taken from the word
offsets of :mod:`copytrace.text`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from copytrace.align import clusters, lcs, overlaps, scores, seeds, sentences, vocabulary
from copytrace.stopwords import STOPWORDS
from copytrace.text import WordKeys, form_and_stem_key, paragraph_spans, sentence_bounds, word_keys


@dataclass(frozen=True)
class AlignConfig:
    """Parameters of :func:`align`, with their defaults.

    ``ngram``: words in an exact seed. ``max_ngram_repeats``: n-grams more
    frequent than this in one text are boilerplate, not evidence.
    ``sentence_cosine``/``sentence_dice``: thresholds for a sentence-pair seed
    (Sanchez-Perez et al. use 0.33 for both). ``gap``: words allowed between
    two seeds of one passage. ``min_similarity``: cosine of the two sides of a
    passage below which it is clustered again with a smaller gap.
    ``min_words``: shortest reuse region reported, in words on the shorter
    side. ``short_words``/``short_min_verbatim``: a region shorter than
    ``short_words`` must keep at least this share of its words word for word;
    over a few sentences, a paraphrase cannot be told from two texts on one
    topic. ``copy_share``: a region with at least this share of its words
    kept word for word is trimmed to its exact matches of at least
    ``min_piece_words`` words. ``min_piece_words``: shortest passage into which a region is split
    where the texts change order.
    ``summary_ratio``: a passage whose long side is this many times longer
    than its short side signals a summary. ``summary_gap``: the gap then used.
    ``summary_restated``: the least share of a summary's long side that its
    seeds must cover (fewer are stray similarities of a short text with a long one).
    """

    ngram: int = 3
    max_ngram_repeats: int = 4
    sentence_cosine: float = 0.33
    sentence_dice: float = 0.33
    min_sentence_words: int = 4
    gap: int = 24
    min_similarity: float = 0.34
    min_words: int = 25
    short_words: int = 35
    short_min_verbatim: float = 0.3
    copy_share: float = 0.8
    min_piece_words: int = 8
    summary_ratio: float = 3.0
    summary_gap: int = 3000
    summary_restated: float = 0.05


DEFAULT_CONFIG = AlignConfig()


@dataclass(frozen=True)
class Passage:
    """A passage of ``a`` reused in ``b`` (or the other way round).

    Offsets are character offsets into the original texts: ``a[a_start:a_end]``
    is ``a_text``. ``similarity`` is the cosine similarity of the word stems of
    the two sides, in [0, 1]; ``verbatim_share`` is the share of the passage's
    words that are kept word for word (matched by a word-level alignment).
    ``region`` numbers the reuse region the passage belongs to: a region is one
    block of reuse in both texts (one PAN "case"); inside it, each change of
    order between the texts starts a new passage.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_text: str
    b_text: str
    similarity: float
    verbatim_share: float
    region: int = 0

    def to_json(self, a_name: str = "a", b_name: str = "b") -> dict:
        """JSON form; ``a_name``/``b_name`` name the two sides (``source``/``reprint``
        once the source is decided)."""
        return {
            a_name: {"start": self.a_start, "end": self.a_end, "text": self.a_text},
            b_name: {"start": self.b_start, "end": self.b_end, "text": self.b_text},
            "similarity": round(self.similarity, 4),
            "verbatim_share": round(self.verbatim_share, 4),
            "region": self.region,
        }

    def mirrored(self) -> Passage:
        """The same passage seen from the other text: the a and b sides swapped."""
        return dataclasses.replace(
            self, a_start=self.b_start, a_end=self.b_end, b_start=self.a_start, b_end=self.a_end,
            a_text=self.b_text, b_text=self.a_text,
        )


@dataclass
class _Box:
    """A seed or a passage as half-open word ranges in both texts."""

    a0: int
    a1: int
    b0: int
    b1: int
    score: float = 1.0  # cosine of a sentence-pair seed; 1 for exact matches


@dataclass(frozen=True)
class _Vocabulary:
    """The keys of one text's words as dense ids in order of first use (keys of -1,
    function words' stems, stay -1): ``ids`` per word, and the distinct ``keys`` by id,
    so that :func:`_joint_ids` numbers a pair from the two texts' numberings."""

    ids: np.ndarray
    keys: np.ndarray


def _vocabulary(keys: np.ndarray) -> _Vocabulary:
    return _Vocabulary(*vocabulary.first_use_ids(keys))


def _joint_ids(a: _Vocabulary, b: _Vocabulary) -> tuple[np.ndarray, np.ndarray, int]:
    """Dense ids of the keys of two texts, numbered in order of first use over a then b:
    a keeps its own ids; a key of b not in a gets the next id in b's order of first use.
    Also how many ids the pair uses."""
    return a.ids, *vocabulary.joint_ids(a.keys, b.ids, b.keys)


@dataclass(frozen=True)
class _Text:
    """What alignment needs of one text, whatever it is paired with: its words, the
    vocabularies of its word forms and stems (keys from :func:`copytrace.text.word_keys`;
    -1 for a function word, left out of every bag of stems), sentence bounds and
    paragraph starts (as word indices)."""

    words: WordKeys
    forms: _Vocabulary
    stems: _Vocabulary
    sentences: np.ndarray
    paragraphs: np.ndarray


@lru_cache(maxsize=64)
def _prepare(text: str, start: int, end: int, min_sentence_words: int) -> _Text:
    """A text prepared for alignment; cached, because a scan pairs one article with several."""
    words = word_keys(text, start, end)
    function_words = _function_word_keys()
    at = np.minimum(np.searchsorted(function_words, words.form_keys), len(function_words) - 1)
    stems = np.where(function_words[at] == words.form_keys, -1, words.stem_keys)
    first, last = (int(words.starts[0]), int(words.ends[-1])) if len(words) else (0, 0)
    paragraph_starts = [paragraph_start for paragraph_start, _ in paragraph_spans(text, first, last)]
    return _Text(
        words=words,
        forms=_vocabulary(words.form_keys),
        stems=_vocabulary(stems),
        sentences=sentences.merge_short(sentence_bounds(words).astype(np.int64), min_sentence_words),
        paragraphs=np.searchsorted(words.starts, paragraph_starts),
    )


@lru_cache(maxsize=1)
def _function_word_keys() -> np.ndarray:
    """The form keys of the function words, sorted."""
    return np.sort(np.array([form_and_stem_key(word)[0] for word in STOPWORDS], dtype=np.int64))


class _Side:
    """One text of a pair, prepared for alignment: words, sentences, paragraphs, and
    ids of word forms (``ids``) and stems (``stems``, -1 for function words) that are
    dense over the pair."""

    def __init__(self, text: _Text, ids: np.ndarray, stems: np.ndarray, stem_counts: np.ndarray) -> None:
        self.words = text.words
        self.ids, self.stems = ids, stems
        # Scratch for the similarity kernels, one per pair: (2, distinct stems of the pair).
        self.stem_counts = stem_counts
        self.stem_count = stem_counts.shape[1]
        self.sentences = text.sentences
        self.paragraphs = text.paragraphs

    def __len__(self) -> int:
        return len(self.words)


def _sides(a: _Text, b: _Text) -> tuple[_Side, _Side]:
    a_ids, b_ids, _ = _joint_ids(a.forms, b.forms)
    a_stems, b_stems, stem_count = _joint_ids(a.stems, b.stems)
    stem_counts = np.zeros((2, stem_count), dtype=np.int64)
    return _Side(a, a_ids, a_stems, stem_counts), _Side(b, b_ids, b_stems, stem_counts)


def align(
    a: str,
    b: str,
    config: AlignConfig = DEFAULT_CONFIG,
    a_span: tuple[int, int] | None = None,
    b_span: tuple[int, int] | None = None,
) -> list[Passage]:
    """Every passage of ``a`` reused in ``b``, region by region in order of position in
    the longer text (the pair's canonical b, see :func:`_aligned`).

    ``a_span``/``b_span`` restrict the search to part of each text (the body
    of a document); offsets stay offsets into the whole texts. The result is
    symmetric: ``align(b, a)`` is this list with every passage mirrored
    (:meth:`Passage.mirrored`), in the same order (see :func:`_aligned`).
    """
    found = _aligned(a, b, config, a_span, b_span)
    return found.passages([
        (number, piece)
        for number, region in enumerate(found.regions)
        for piece in _ordered_pieces(region, found.seeds, found.a, found.b, config)
    ])


def align_regions(
    a: str,
    b: str,
    config: AlignConfig = DEFAULT_CONFIG,
    a_span: tuple[int, int] | None = None,
    b_span: tuple[int, int] | None = None,
) -> list[Passage]:
    """The reuse regions of :func:`align`, one :class:`Passage` each.

    A region is a whole block of reuse, moved paragraphs and all: the unit of
    the PAN text-alignment task, where one plagiarism case is one detection.
    Symmetric as :func:`align` is.
    """
    found = _aligned(a, b, config, a_span, b_span)
    return found.passages(list(enumerate(found.regions)))


@dataclass(frozen=True)
class _Alignment:
    """The pair as it was aligned (sides ``a`` and ``b``, their seeds and reuse regions,
    in b order), and whether that is the caller's order of the texts (``swapped``: not)."""

    a: _Side
    b: _Side
    seeds: _SeedArray
    regions: list[_Box]
    swapped: bool

    def passages(self, boxes: list[tuple[int, _Box]]) -> list[Passage]:
        """The passages of ``(region, box)`` rows found on this alignment's sides, in the
        caller's order of the texts (the sides swapped back when ``swapped``)."""
        if not boxes:
            return []
        corners = np.array([(box.a0, box.a1, box.b0, box.b1) for _, box in boxes], dtype=np.int64)
        similarity, verbatim = scores.box_scores(
            corners, self.a.stems, self.b.stems, self.a.ids, self.b.ids, self.a.stem_counts
        )
        a_spans = self.a.words.char_spans(corners[:, 0], corners[:, 1])
        b_spans = self.b.words.char_spans(corners[:, 2], corners[:, 3])
        a_text, b_text = self.a.words.text, self.b.words.text
        if self.swapped:
            a_spans, b_spans, a_text, b_text = b_spans, a_spans, b_text, a_text
        return [
            Passage(a_start, a_end, b_start, b_end, a_text[a_start:a_end], b_text[b_start:b_end], *measures, region)
            for (a_start, a_end), (b_start, b_end), measures, (region, _) in zip(
                a_spans, b_spans, zip(similarity.tolist(), verbatim.tolist()), boxes
            )
        ]


def _aligned(
    a: str, b: str, config: AlignConfig, a_span: tuple[int, int] | None, b_span: tuple[int, int] | None
) -> _Alignment:
    """Align the pair in its canonical orientation, the shorter text first (by
    :func:`_orientation_key`), so that the result depends on the two texts and not
    on their order. A text aligned with itself (same text, same span) has no
    order to choose: it keeps only the seeds that pair each word with itself."""
    first, second = (a, a_span or (0, len(a))), (b, b_span or (0, len(b)))
    swapped = _orientation_key(*second) < _orientation_key(*first)
    if swapped:
        first, second = second, first
    a_side, b_side = _sides(
        _prepare(first[0], *first[1], config.min_sentence_words),
        _prepare(second[0], *second[1], config.min_sentence_words),
    )
    if not len(a_side) or not len(b_side):
        return _Alignment(a_side, b_side, _SeedArray.empty(), [], swapped)
    seed_array = _seeds(a_side, b_side, config)
    if first == second:
        seed_array = seed_array.in_place()
    return _Alignment(a_side, b_side, seed_array, _regions(seed_array, a_side, b_side, config), swapped)


def _orientation_key(text: str, span: tuple[int, int]) -> tuple:
    """Orders the two texts of a pair; equal only for one text with one span."""
    return span[1] - span[0], len(text), text, span[0]


def _regions(seeds: _SeedArray, a: _Side, b: _Side, config: AlignConfig) -> list[_Box]:
    """The reuse regions of the seeds, ordered by position in b. For each text whose
    seeds suggest it summarises the other (b first), the seeds are clustered again
    with ``summary_gap`` on the other text, and the summaries found are preferred
    where they fit (:func:`_prefer_summaries`)."""
    if not len(seeds.boxes):
        return []
    regions = _filter(_extend(seeds, a, b, config.gap, config.gap, config), a, b, config)
    summary_modes = ((clusters.B0, (config.summary_gap, config.gap)), (clusters.A0, (config.gap, config.summary_gap)))
    for summary, gaps in summary_modes:
        if clusters.summarises(seeds.boxes, summary, config.gap, config.min_words, config.summary_ratio):
            summaries = _filter(_extend(seeds, a, b, *gaps, config), a, b, config)
            regions = _prefer_summaries(regions, summaries, seeds.as_boxes(), config)
    regions = [_trimmed_to_copy(region, seeds, a, b, config) for region in regions]
    regions.sort(key=lambda box: box.b0)
    return regions


@dataclass(frozen=True)
class _SeedArray:
    """Seeds as rows ``(a0, a1, b0, b1)`` and their scores, for :mod:`copytrace.align.clusters`."""

    boxes: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls) -> _SeedArray:
        return cls(np.empty((0, 4), dtype=np.int64), np.empty(0))

    def in_place(self) -> _SeedArray:
        """The seeds that pair each word of a text aligned with itself with itself: the
        text is reused where it stands, and only so is the result its own mirror."""
        diagonal = (self.boxes[:, 0] == self.boxes[:, 2]) & (self.boxes[:, 1] == self.boxes[:, 3])
        return _SeedArray(self.boxes[diagonal], self.scores[diagonal])

    def as_boxes(self) -> list[_Box]:
        return [_Box(*box, score) for box, score in zip(self.boxes.tolist(), self.scores.tolist())]


def _corners(box: _Box) -> np.ndarray:
    return np.array([box.a0, box.a1, box.b0, box.b1], dtype=np.int64)


def _trimmed_to_copy(region: _Box, seeds: _SeedArray, a: _Side, b: _Side, config: AlignConfig) -> _Box:
    """A region copied mostly word for word ends where its exact matches end
    (runs long enough not to be common phrases): a similar-sentence seed at
    its edge only adds the part of a sentence that was not copied."""
    if _verbatim_share(region, a, b) < config.copy_share:
        return region
    copied = clusters.copied_extent(seeds.boxes, seeds.scores, _corners(region), config.min_piece_words)
    return _Box(*copied.tolist()) if len(copied) else region


def _ordered_pieces(region: _Box, seeds: _SeedArray, a: _Side, b: _Side, config: AlignConfig) -> list[_Box]:
    """Split a region where the two texts change order (a moved paragraph), or where
    a sentence is left out on either side, and at the paragraph breaks of each text,
    so that each passage reads in the same order in both texts (steps in
    :func:`copytrace.align.clusters.piece_boxes`). Pieces that overlap are then merged
    or cut back; a region with no piece long enough stays whole."""
    if _is_summary_shaped(region, config):
        return [region]
    boxes = clusters.piece_boxes(
        seeds.boxes, seeds.scores, _corners(region), config.min_piece_words, a.paragraphs, b.paragraphs
    )
    return _untangled(boxes if len(boxes) else _corners(region).reshape(1, 4), a, b)


def _intersects(box: _Box, other: _Box) -> bool:
    """Do two boxes overlap in both texts?"""
    return box.a0 < other.a1 and other.a0 < box.a1 and box.b0 < other.b1 and other.b0 < box.b1


# --- seeds -------------------------------------------------------------------


def _seeds(a: _Side, b: _Side, config: AlignConfig) -> _SeedArray:
    """Both kinds of seeds of the pair (:func:`copytrace.align.seeds.pair_seeds`)."""
    return _SeedArray(*seeds.pair_seeds(
        a.ids, b.ids, a.stems, b.stems, a.sentences, b.sentences, a.stem_count,
        config.ngram, config.max_ngram_repeats, config.sentence_cosine, config.sentence_dice,
    ))


# --- extension ---------------------------------------------------------------


def _extend(seeds: _SeedArray, a: _Side, b: _Side, a_gap: int, b_gap: int, config: AlignConfig) -> np.ndarray:
    """Cluster seeds into passages; re-cluster dissimilar ones with smaller gaps
    (:func:`copytrace.align.clusters.extend`). Rows ``(a0, a1, b0, b1)``."""
    return clusters.extend(seeds.boxes, a.stems, b.stems, a.stem_counts, a_gap, b_gap, config.min_similarity)


# --- summary mode ------------------------------------------------------------


def _prefer_summaries(regions: list[_Box], summaries: list[_Box], seeds: list[_Box], config: AlignConfig) -> list[_Box]:
    """Keep a summary-shaped region found with the wide gap when seeds cover
    most of its short side (every part of a summary restates something) and at
    least ``summary_restated`` of its long side (else they are stray similarities
    of a short text spread over a long one), and either ordinary regions do not
    already explain it (else the wide gap only joined an ordinary passage with
    stray seeds) or it holds several whole ordinary regions that follow each
    other closely on the short side, in the same order on both sides (the
    sentences of one summary, each restating a later part of the source)."""
    for summary in summaries:
        if not _is_summary_shaped(summary, config):
            continue
        axis, long_axis = ("b", "a") if summary.a1 - summary.a0 > summary.b1 - summary.b0 else ("a", "b")
        lo, hi = _extent(summary, axis)
        long_lo, long_hi = _extent(summary, long_axis)
        inside = [s for s in seeds if _intersects(s, summary)]
        seeded = _covered_words(inside, lo, hi, axis)
        restated = _covered_words(inside, long_lo, long_hi, long_axis)
        covered = [r for r in regions if _overlap(r, lo, hi, axis) > 0]
        explained = _covered_words(covered, lo, hi, axis)
        fragments = (
            len(covered) >= 2
            and all(_contains(summary, r) for r in covered)
            and clusters.one_group_in_order(
                np.array([_corners(r) for r in covered]), clusters.B0 if axis == "b" else clusters.A0, config.gap
            )
        )
        if (
            2 * seeded >= hi - lo
            and restated >= config.summary_restated * (long_hi - long_lo)
            and (fragments or 2 * explained < hi - lo)
        ):
            regions = [r for r in regions if r not in covered] + [summary]
    return regions


def _extent(box: _Box, axis: str) -> tuple[int, int]:
    """The box's word range in one text (``axis``: "a" or "b")."""
    return (box.b0, box.b1) if axis == "b" else (box.a0, box.a1)


def _contains(outer: _Box, inner: _Box) -> bool:
    return outer.a0 <= inner.a0 and inner.a1 <= outer.a1 and outer.b0 <= inner.b0 and inner.b1 <= outer.b1


def _is_summary_shaped(box: _Box, config: AlignConfig) -> bool:
    a_words, b_words = box.a1 - box.a0, box.b1 - box.b0
    return max(a_words, b_words) >= config.summary_ratio * min(a_words, b_words)


def _covered_words(boxes: list[_Box], lo: int, hi: int, axis: str) -> int:
    """Words of [lo, hi) on one axis covered by at least one box."""
    covered = np.zeros(hi - lo, dtype=bool)
    for box in boxes:
        start, end = _extent(box, axis)
        covered[max(start, lo) - lo : max(min(end, hi) - lo, 0)] = True
    return int(covered.sum())


def _overlap(box: _Box, lo: int, hi: int, axis: str) -> int:
    start, end = _extent(box, axis)
    return max(0, min(end, hi) - max(start, lo))


# --- filtering ---------------------------------------------------------------


def _filter(boxes: np.ndarray, a: _Side, b: _Side, config: AlignConfig) -> list[_Box]:
    """Overlaps merged or cut back; passages too short, or short and not copied
    closely enough, dropped."""
    return [box for box in _untangled(boxes, a, b) if _long_enough(box, a, b, config)]


def _untangled(boxes: np.ndarray, a: _Side, b: _Side) -> list[_Box]:
    """:func:`copytrace.align.overlaps.untangled` of rows ``(a0, a1, b0, b1)``."""
    return [_Box(*row) for row in overlaps.untangled(boxes, a.stems, b.stems, a.stem_counts).tolist()]


def _long_enough(box: _Box, a: _Side, b: _Side, config: AlignConfig) -> bool:
    words = min(box.a1 - box.a0, box.b1 - box.b0)
    if words < config.min_words:
        return False
    return words >= config.short_words or _verbatim_share(box, a, b) >= config.short_min_verbatim


def _verbatim_share(box: _Box, a: _Side, b: _Side) -> float:
    """Share of the box's words matched by the longest common subsequence of its two sides."""
    return lcs.indel_similarity(a.ids, box.a0, box.a1, b.ids, box.b0, box.b1)
