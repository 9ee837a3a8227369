"""Passage alignment: seeds, extension, filtering, offsets in both texts."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from copytrace.align import align, align_regions
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
