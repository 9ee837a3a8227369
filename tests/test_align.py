"""Passage alignment: seeds, extension, filtering, offsets in both texts."""

import dataclasses
import random
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Indel

from hypothesis import example, given, settings
from hypothesis import strategies as st

import copytrace
from copytrace.align import (
    DEFAULT_CONFIG, align, align_regions, clusters, lcs, ngrams, overlaps, scores, sentences, vocabulary,
)
from copytrace.engine import ScanConfig
from copytrace.ingest import read_documents
from tests.conftest import require_data
from tests.test_scan import collection, write_jsonl

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "press-release"
RELEASE = (EXAMPLES / "akorda-press-release.txt").read_text(encoding="utf-8")
REPRINT = (EXAMPLES / "reprint.txt").read_text(encoding="utf-8")


def test_seed_pair_has_the_reused_paragraphs():
    passages = align(RELEASE, REPRINT)
    assert len(passages) >= 5
    reprint_texts = [p.b_text for p in passages]
    assert any("We have developed a strategy" in t for t in reprint_texts)
    assert any("was attended by Secretary of the Security Council" in t for t in reprint_texts)
    for passage in passages:
        assert RELEASE[passage.a_start : passage.a_end] == passage.a_text
        assert REPRINT[passage.b_start : passage.b_end] == passage.b_text


def test_cut_paragraphs_are_in_no_passage():
    afghanistan = RELEASE.index("Complex multidirectional processes")
    trade = RELEASE.index("Trade and economic interaction")
    for passage in align(RELEASE, REPRINT):
        assert not passage.a_start <= afghanistan < passage.a_end
        assert not passage.a_start <= trade < passage.a_end


def test_alignment_is_symmetric():
    for aligner in (align, align_regions):
        assert aligner(REPRINT, RELEASE) == [p.mirrored() for p in aligner(RELEASE, REPRINT)]


def test_pan_alignments_are_mirrored():
    """``align(b, a)`` is ``align(a, b)`` mirrored, passage for passage, on the first
    300 PAN training pairs (81 were not before the aligner took a canonical orientation)."""
    corpus = require_data("pan13-text-alignment-train")
    pairs = [line.split() for line in (corpus / "pairs").read_text(encoding="utf-8").splitlines()[:300]]
    asymmetric = []
    for suspicious, source in pairs:
        a = (corpus / "src" / source).read_text(encoding="utf-8")
        b = (corpus / "susp" / suspicious).read_text(encoding="utf-8")
        for aligner in (align, align_regions):
            if aligner(b, a) != [p.mirrored() for p in aligner(a, b)]:
                asymmetric.append((suspicious, source, aligner.__name__))
    assert asymmetric == []


def test_a_text_aligned_with_itself_is_its_own_mirror():
    """Identical texts have no canonical order; each word is paired with itself."""
    corpus = require_data("pan13-text-alignment-train")
    text = (corpus / "susp" / "suspicious-document00104.txt").read_text(encoding="utf-8")
    passages = align(text, text)
    assert passages and all(p == p.mirrored() for p in passages)


def test_compare_reports_the_passages_the_scan_stores(tmp_path):
    """The scan aligns a pair in the order of its ids, compare in its own order, and
    orients the passages from source to reprint: the same passages either way."""
    records = write_jsonl(tmp_path / "docs.jsonl", collection())
    copytrace.scan([records], tmp_path / "s.duckdb", config=ScanConfig(workers=1))
    documents = {d.id: d for d in read_documents([records])}
    with copytrace.open_store(tmp_path / "s.duckdb") as store:
        stored = store.passages().to_pylist()
    pairs = sorted({(row["a"], row["b"]) for row in stored})
    assert len(pairs) >= 5
    for a, b in pairs:
        comparison = copytrace.compare(documents[a], documents[b])
        rows = [row for row in stored if (row["a"], row["b"]) == (a, b)]
        scanned = [_oriented(row, flip=comparison.source.id == b) for row in rows]
        reported = [
            (p.a_start, p.a_end, p.b_start, p.b_end, p.region, p.similarity, p.verbatim_share)
            for p in comparison.passages
        ]
        assert sorted(reported) == sorted(scanned), (a, b)


def _oriented(row: dict, flip: bool) -> tuple:
    """A stored passage as (source span, reprint span, region, scores); ``flip`` when
    the pair's b is the source."""
    a_span, b_span = (row["a_start"], row["a_end"]), (row["b_start"], row["b_end"])
    source, reprint = (b_span, a_span) if flip else (a_span, b_span)
    return (*source, *reprint, row["region"], row["similarity"], row["verbatim_share"])


def test_moved_paragraph_is_found_in_any_order():
    paragraphs = [p for p in RELEASE.split("\n\n") if len(p.split()) > 40][:4]
    reordered = "\n\n".join(reversed(paragraphs))
    passages = align("\n\n".join(paragraphs), reordered)
    covered = sum(p.b_end - p.b_start for p in passages)
    assert covered > 0.9 * len(reordered) - 10
    assert len({p.a_start for p in passages}) >= len(paragraphs)


def test_edited_copy_keeps_offsets_and_scores():
    edited = REPRINT.replace("Central Asia", "the region").replace("Tokayev", "the president")
    passages = align(REPRINT, edited)
    assert passages
    for passage in passages:
        assert 0 < passage.similarity <= 1 and 0 < passage.verbatim_share <= 1
    assert sum(p.b_end - p.b_start for p in passages) > 0.8 * len(edited)


def test_unrelated_documents_give_no_passage():
    src = require_data("pan13-text-alignment-train/src")
    first = (src / "source-document00001.txt").read_text(encoding="utf-8")
    second = (src / "source-document00002.txt").read_text(encoding="utf-8")
    assert align(first, second) == []


def test_empty_texts():
    assert align("", REPRINT) == [] and align(REPRINT, "   ") == []


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=400), st.integers(min_value=0, max_value=2000))
def test_spans_slice_the_originals(noise, cut):
    """Arbitrary Unicode spliced into a real text: every span stays true."""
    b = REPRINT[:cut] + noise + REPRINT[cut:]
    for passage in align(REPRINT, b):
        assert 0 <= passage.a_start < passage.a_end <= len(REPRINT)
        assert 0 <= passage.b_start < passage.b_end <= len(b)
        assert REPRINT[passage.a_start : passage.a_end] == passage.a_text
        assert b[passage.b_start : passage.b_end] == passage.b_text


COAST = "Fishermen along the coast reported good catches. " * 3
BRIDGE = "A new bridge opened to traffic in the capital. " * 3
BUDGET = (
    "The committee approved the annual budget for regional hospitals after a long debate about rising "
    "costs of medicine and staff shortages in rural clinics across the northern provinces this winter, "
    "officials said on Monday."
)


def test_short_paraphrase_needs_word_for_word_evidence():
    """One reworded sentence of 33 words shares the topic, not enough copied words to be reuse."""
    reworded = (
        "Officials on Monday said rural clinics in northern provinces face staff shortages while medicine "
        "costs keep rising; regional hospitals now have their annual budget, approved this winter by the "
        "committee following long debate."
    )
    a, b = COAST + BUDGET + " " + COAST, BRIDGE + reworded + " " + BRIDGE
    assert align(a, b) == []
    without_rule = align(a, b, dataclasses.replace(DEFAULT_CONFIG, short_words=0))
    assert len(without_rule) == 1 and without_rule[0].verbatim_share < DEFAULT_CONFIG.short_min_verbatim
    # The same sentence copied word for word is reported.
    copied = align(a, BRIDGE + BUDGET + " " + BRIDGE)
    assert [p.b_text for p in copied] == [BUDGET.rstrip(".")]


def _regions(pair: str, config=DEFAULT_CONFIG) -> set[tuple[int, int, int, int]]:
    corpus = require_data("pan13-text-alignment-train")
    suspicious, source = pair.split("-source-")
    a = (corpus / "src" / f"source-{source}.txt").read_text(encoding="utf-8")
    b = (corpus / "susp" / f"{suspicious}.txt").read_text(encoding="utf-8")
    return {(p.a_start, p.a_end, p.b_start, p.b_end) for p in align_regions(a, b, config)}


def test_verbatim_region_ends_where_the_copy_ends():
    """PAN gold: 659 characters copied unchanged; a similar sentence after the copy
    stretched the region past it until regions end at their exact matches."""
    gold = {(0, 659, 2412, 3071)}
    assert _regions("suspicious-document00048-source-document02918") == gold
    untrimmed_config = dataclasses.replace(DEFAULT_CONFIG, copy_share=1.01)
    assert _regions("suspicious-document00048-source-document02918", untrimmed_config) != gold


def test_summary_sentences_form_one_region():
    """PAN summary case: a 603-character summary (suspicious 2026-2629) of the whole
    source; its sentences restate parts of the source thousands of characters apart."""
    regions = _regions("suspicious-document00023-source-document02641")
    overlapping = [r for r in regions if r[2] < 2629 and 2026 < r[3]]
    assert len(overlapping) == 1
    a_start, a_end, b_start, b_end = overlapping[0]
    assert a_end - a_start > 3 * (b_end - b_start)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 5), min_size=3, max_size=30),
    st.lists(st.integers(0, 5), min_size=3, max_size=30),
    st.sampled_from([1, 1 << 30]),
)
def test_ngram_codes_number_equal_ngrams_equally(a_words, b_words, scale):
    """Codes are equal exactly for equal word 3-grams, also when the packed keys would
    overflow 64 bits (word ids scaled up) and are renumbered on the way."""
    a_ids, b_ids = np.array(a_words, dtype=np.int64) * scale, np.array(b_words, dtype=np.int64) * scale
    codes = np.concatenate(ngrams._ngram_codes(a_ids, b_ids, 3))
    grams = [tuple(a_words[i : i + 3]) for i in range(len(a_words) - 2)]
    grams += [tuple(b_words[i : i + 3]) for i in range(len(b_words) - 2)]
    assert len(codes) == len(grams)
    assert all((codes[i] == codes[j]) == (grams[i] == grams[j]) for i in range(len(grams)) for j in range(len(grams)))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 4), max_size=40),
    st.lists(st.integers(0, 4), max_size=40),
    st.integers(1, 3),
)
@example(a_words=[0, 0, 0, 0, 0], b_words=[0, 0, 0, 0, 0], max_repeats=3)  # overlapping repeats
def test_ngram_runs_chain_every_usable_shared_ngram(a_words, b_words, max_repeats):
    """Against a plain reading of the definition: shared n-grams seen at most
    ``max_repeats`` times in each text, chained along diagonals into maximal runs."""
    n = 3
    a_grams = [tuple(a_words[i : i + n]) for i in range(len(a_words) - n + 1)]
    b_grams = [tuple(b_words[j : j + n]) for j in range(len(b_words) - n + 1)]
    usable = lambda gram: 0 < a_grams.count(gram) <= max_repeats and b_grams.count(gram) <= max_repeats  # noqa: E731
    matches = {
        (i, j) for j, gram in enumerate(b_grams) if usable(gram) for i, other in enumerate(a_grams) if other == gram
    }
    expected = []
    for i, j in matches:
        if (i - 1, j - 1) not in matches:
            length = next(k for k in range(1, len(a_grams) + 2) if (i + k, j + k) not in matches)
            expected.append((i, i + length - 1 + n, j, j + length - 1 + n))
    runs = ngrams.ngram_runs(np.array(a_words, dtype=np.int64), np.array(b_words, dtype=np.int64), n, max_repeats)
    assert runs.tolist() == [list(run) for run in sorted(expected, key=lambda run: (run[2], run[0]))]


def _dense_sentence_similarities(a_stems, a_bounds, b_stems, b_bounds, stem_count):
    """Cosine and Dice of every sentence pair as dense matrices (the textbook form)."""

    def bags(stems, bounds):
        counts = np.zeros((len(bounds) - 1, stem_count))
        for s in range(len(bounds) - 1):
            for stem in stems[bounds[s] : bounds[s + 1]]:
                if stem >= 0:
                    counts[s, stem] += 1
        return counts

    a_counts, b_counts = bags(a_stems, a_bounds), bags(b_stems, b_bounds)
    holding = (a_counts > 0).sum(axis=0) + (b_counts > 0).sum(axis=0)
    idf = np.log((len(a_counts) + len(b_counts)) / np.maximum(holding, 1))
    a_weights, b_weights = a_counts * idf, b_counts * idf
    norms = np.outer(np.linalg.norm(a_weights, axis=1), np.linalg.norm(b_weights, axis=1))
    cosine = (a_weights @ b_weights.T) / np.maximum(norms, 1e-12)
    sizes = np.add.outer((a_counts > 0).sum(axis=1), (b_counts > 0).sum(axis=1))
    dice = 2 * ((a_weights > 0) * 1.0 @ (b_weights > 0).T) / np.maximum(sizes, 1)
    return cosine, dice


@settings(deadline=None)  # the first call compiles the kernel
@given(st.lists(st.integers(1, 9), max_size=30), st.integers(0, 5), st.integers(1, 8))
def test_short_sentences_join_the_next_and_a_short_last_one_the_one_before(lengths, first, min_words):
    bounds = np.cumsum([first, *lengths])
    merged = sentences.merge_short(bounds, min_words).tolist()
    assert merged[0] == bounds[0] and merged[-1] == bounds[-1] and set(merged) <= set(bounds.tolist())
    assert merged == sorted(set(merged))
    sizes = np.diff(merged)
    assert len(sizes) <= 1 or (sizes >= min_words).all()  # only a text of one sentence keeps a short one
    kept_before_last = [int(bound) for bound in bounds[:-1] if bound in merged]
    for bound in bounds[1:-1].tolist():  # a bound is dropped only where its sentence would be short
        if bound not in merged:
            previous = max(kept for kept in kept_before_last if kept < bound)
            assert bound - previous < min_words or bounds[-1] - bound < min_words


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-1, 12), min_size=1, max_size=60),
    st.lists(st.integers(-1, 12), min_size=1, max_size=60),
    st.integers(1, 9),
)
def test_sparse_sentence_similarities_match_the_dense_formula(a_stems, b_stems, sentence_length):
    a_stems, b_stems = np.array(a_stems), np.array(b_stems)
    a_bounds = np.unique(np.r_[np.arange(0, len(a_stems), sentence_length), len(a_stems)])
    b_bounds = np.unique(np.r_[np.arange(0, len(b_stems), sentence_length + 1), len(b_stems)])
    threshold = 0.2
    i, j, cosines = sentences.similar_sentences(a_stems, a_bounds, b_stems, b_bounds, 13, threshold, threshold)
    cosine, dice = _dense_sentence_similarities(a_stems, a_bounds, b_stems, b_bounds, 13)
    # Away from the thresholds, the same pairs pass (summation order differs).
    clear = (np.abs(cosine - threshold) > 1e-9) & (np.abs(dice - threshold) > 1e-9)
    expected = {(x, y) for x, y in zip(*np.nonzero((cosine > threshold) & (dice > threshold) & clear))}
    assert expected <= set(zip(i.tolist(), j.tolist()))
    assert all((x, y) in expected or not clear[x, y] for x, y in zip(i.tolist(), j.tolist()))
    np.testing.assert_allclose(cosines, cosine[i, j], atol=1e-9)
    assert list(zip(i.tolist(), j.tolist())) == sorted(zip(i.tolist(), j.tolist()))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 150), st.integers(0, 150), st.integers(1, 30)), min_size=1, max_size=25),
    st.lists(st.integers(1, 180), max_size=6),
    st.lists(st.integers(1, 180), max_size=6),
)
def test_pieces_keep_inside_region_and_paragraphs(runs, a_breaks, b_breaks):
    """Every piece lies in the region, in one paragraph of each text, and is long enough."""
    boxes = np.array([(a, a + n, b, b + n) for a, b, n in runs], dtype=np.int64)
    scores = np.ones(len(boxes))
    region = np.array([10, 170, 5, 160], dtype=np.int64)
    a_paragraphs, b_paragraphs = np.unique(a_breaks).astype(np.int64), np.unique(b_breaks).astype(np.int64)
    found = clusters.piece_boxes(boxes, scores, region, 8, a_paragraphs, b_paragraphs)
    for a0, a1, b0, b1 in found.tolist():
        assert region[0] <= a0 < a1 <= region[1] and region[2] <= b0 < b1 <= region[3]
        assert min(a1 - a0, b1 - b0) >= 8
        assert not any(a0 < start < a1 for start in a_paragraphs)
        assert not any(b0 < start < b1 for start in b_paragraphs)


def test_pieces_of_a_moved_paragraph():
    """Two runs in opposite order in the two texts are two pieces, not one box over both."""
    boxes = np.array([(0, 40, 60, 100), (60, 100, 0, 40)], dtype=np.int64)
    no_breaks = np.zeros(0, dtype=np.int64)
    found = clusters.piece_boxes(boxes, np.ones(2), np.array([0, 100, 0, 100]), 8, no_breaks, no_breaks)
    assert sorted(found.tolist()) == sorted(boxes.tolist())


def test_paragraph_cuts_skip_inverted_seeds():
    """A seed cut along its diagonal at one text's breaks can come out inverted on the
    other side (its sides were clipped to the region apart); at the other text's breaks
    it spans no paragraph and gives no cut, also where paragraph starts fall inside it
    (counting its paragraphs as last - first + 1 went negative: arrays too small)."""
    paragraph_starts = np.array([2, 3], dtype=np.int64)
    inverted, ordinary = [5, 1, 0, 4], [0, 1, 4, 5]
    boxes, scores, bounds = clusters._cut_at_paragraphs(
        np.array([inverted, ordinary], dtype=np.int64), np.ones(2), np.array([0, 2]), paragraph_starts, clusters.A0)
    assert boxes.tolist() == [ordinary] and scores.tolist() == [1.0] and bounds.tolist() == [0, 1]
    boxes, scores, bounds = clusters._cut_at_paragraphs(
        np.array([inverted], dtype=np.int64), np.ones(1), np.array([0, 1]), paragraph_starts, clusters.A0)
    assert boxes.shape == (0, 4) and bounds.tolist() == [0]


def _numbered_by_first_use(keys):
    numbers: dict[int, int] = {}
    return [-1 if key == -1 else numbers.setdefault(key, len(numbers)) for key in keys]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([-1, 0, 7, -5, 1 << 62, -(1 << 62), 12345]), max_size=30),
    st.lists(st.sampled_from([-1, 0, 7, 8, -5, 1 << 62, 99]), max_size=30),
)
def test_pair_ids_number_keys_by_first_use_over_a_then_b(a_keys, b_keys):
    a_ids, a_distinct = vocabulary.first_use_ids(np.array(a_keys, dtype=np.int64))
    b_ids, b_distinct = vocabulary.first_use_ids(np.array(b_keys, dtype=np.int64))
    assert a_ids.tolist() == _numbered_by_first_use(a_keys)
    assert a_distinct.tolist() == list(dict.fromkeys(k for k in a_keys if k != -1))
    joint, count = vocabulary.joint_ids(a_distinct, b_ids, b_distinct)
    assert a_ids.tolist() + joint.tolist() == _numbered_by_first_use(a_keys + b_keys)
    assert count == len({key for key in a_keys + b_keys if key != -1})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=150), st.lists(st.integers(0, 6), max_size=150), st.integers(0, 5))
def test_bit_parallel_indel_similarity_equals_rapidfuzz(a_ids, b_ids, skip):
    """Over several 64-word blocks too, and on part of each sequence."""
    a, b = np.array(a_ids, dtype=np.int64), np.array(b_ids, dtype=np.int64)
    a0, b0 = min(skip, len(a)), min(skip, len(b))
    expected = Indel.normalized_similarity(a_ids[a0:], b_ids[b0:])
    assert lcs.indel_similarity(a, a0, len(a), b, b0, len(b)) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-1, 9), min_size=1, max_size=90), st.lists(st.integers(-1, 9), min_size=1, max_size=90),
       st.lists(st.tuples(st.integers(0, 89), st.integers(0, 89), st.integers(0, 89), st.integers(0, 89)), max_size=6))
def test_box_scores_are_the_cosine_and_verbatim_share_of_each_box(a_keys, b_keys, corners):
    """One call for all of a pair's passages gives what one call per passage gave."""
    a, b = np.array(a_keys, dtype=np.int64), np.array(b_keys, dtype=np.int64)
    boxes = np.array([(min(a0, a1, len(a)), min(max(a0, a1), len(a)), min(b0, b1, len(b)), min(max(b0, b1), len(b)))
                      for a0, a1, b0, b1 in corners], dtype=np.int64).reshape(-1, 4)
    counts = np.zeros((2, 10), dtype=np.int64)
    similarity, verbatim = scores.box_scores(boxes, a, b, np.abs(a), np.abs(b), counts)
    for (a0, a1, b0, b1), cosine, share in zip(boxes.tolist(), similarity.tolist(), verbatim.tolist()):
        assert cosine == sentences.stem_cosine(a, a0, a1, b, b0, b1, counts)
        assert share == lcs.indel_similarity(np.abs(a), a0, a1, np.abs(b), b0, b1)
    assert not counts.any()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 30), st.integers(0, 60), st.integers(1, 30)), max_size=8))
def test_untangled_passages_overlap_in_neither_text(spans):
    """Merged where they overlap in both texts, cut back where in one: the passages
    left share no word of either text, and cover only words the input covered."""
    boxes = np.array([(a, a + m, b, b + n) for a, m, b, n in spans], dtype=np.int64).reshape(-1, 4)
    stems = np.arange(100, dtype=np.int64) % 7
    result = overlaps.untangled(boxes, stems, stems, np.zeros((2, 7), dtype=np.int64)).tolist()
    for side in (0, 2):
        covered = np.zeros(100, dtype=int)
        for box in result:
            assert box[side] < box[side + 1]
            covered[box[side] : box[side + 1]] += 1
        assert covered.max(initial=0) <= 1
        input_covered = np.zeros(100, dtype=bool)
        for box in boxes.tolist():
            input_covered[box[side] : box[side + 1]] = True
        assert input_covered[covered > 0].all()


def test_a_thai_quote_is_one_passage_and_a_stock_phrase_none():
    """Thai words come from a dictionary: the passage two Thai articles share is the quote
    to the character; an 8-word stock phrase (59 code points) is no passage."""
    from tests.test_candidates import THAI_STOCK_PHRASE, _thai_words

    rng = random.Random(7)
    quote = _thai_words(rng, 40)
    a = _thai_words(rng, 300) + " " + THAI_STOCK_PHRASE + " " + quote + " " + _thai_words(rng, 100)
    b = _thai_words(rng, 150) + " " + quote + " " + _thai_words(rng, 300)
    c = THAI_STOCK_PHRASE + " " + _thai_words(rng, 400)
    (passage,) = align(a, b)
    assert (a[passage.a_start : passage.a_end], b[passage.b_start : passage.b_end]) == (quote, quote)
    assert align(a, c) == []
