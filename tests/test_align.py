"""Passage alignment: seeds, extension, filtering, offsets in both texts."""

import dataclasses
from pathlib import Path

import numpy as np

from hypothesis import given, settings
from hypothesis import strategies as st

from copytrace.align import DEFAULT_CONFIG, align, align_regions
from tests.conftest import require_data

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
    forward = {(p.a_start, p.a_end, p.b_start, p.b_end) for p in align_regions(RELEASE, REPRINT)}
    backward = {(p.b_start, p.b_end, p.a_start, p.a_end) for p in align_regions(REPRINT, RELEASE)}
    assert forward == backward


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
    """Codes are dense and equal exactly for equal word 3-grams, also when the packed
    keys would overflow 64 bits (word ids scaled up) and are renumbered on the way."""
    from copytrace.align import _ngram_codes

    ids = np.array(a_words + b_words, dtype=np.int64) * scale
    codes = _ngram_codes(ids, 3, len(a_words))
    grams = [tuple(a_words[i : i + 3]) for i in range(len(a_words) - 2)]
    grams += [tuple(b_words[i : i + 3]) for i in range(len(b_words) - 2)]
    assert len(codes) == len(grams)
    assert sorted(set(codes.tolist())) == list(range(len(set(grams))))
    assert all((codes[i] == codes[j]) == (grams[i] == grams[j]) for i in range(len(grams)) for j in range(len(grams)))
