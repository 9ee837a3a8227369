"""The pair source decision: each clue, their combination, symmetry under swapping."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from copytrace.align import align
from copytrace.ingest import document_from_text, read_document
from copytrace.provenance import decide_source, source

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "press-release"


def decide(a, b):
    return decide_source(a, b, align(a.text, b.text, a_span=a.body_span, b_span=b.body_span))


def mirrored(passage):
    return dataclasses.replace(
        passage, a_start=passage.b_start, a_end=passage.b_end, b_start=passage.a_start, b_end=passage.a_end,
        a_text=passage.b_text, b_text=passage.a_text,
    )


def test_press_release_is_the_source_either_way() -> None:
    release = read_document(EXAMPLES / "akorda-press-release.txt")
    reprint = read_document(EXAMPLES / "reprint.txt")
    passages = align(release.text, reprint.text, a_span=release.body_span, b_span=reprint.body_span)
    forward = decide_source(release, reprint, passages)
    backward = decide_source(reprint, release, [mirrored(p) for p in passages])
    assert forward.source_id == backward.source_id == "akorda-press-release"
    assert forward.confidence == backward.confidence > 0.9
    assert {e.kind for e in forward.evidence} == {"date", "containment", "credit", "attribution"}


def test_decided_without_dates_or_credits() -> None:
    release = read_document(EXAMPLES / "akorda-press-release.txt")
    reprint = read_document(EXAMPLES / "reprint.txt")
    bare_release = document_from_text(release.body, id="release")
    bare_reprint = document_from_text(reprint.body, id="reprint")
    assert bare_release.date is None and bare_reprint.date is None
    decision = decide(bare_reprint, bare_release)
    assert decision.source_id == "release"
    assert "date" not in {e.kind for e in decision.evidence}


def test_earlier_date_decides_between_equal_texts() -> None:
    text = "Officials announced a new programme of road repairs across the northern provinces this week. " * 3
    early = document_from_text(text, id="x", date=dt.date(2024, 1, 1))
    late = document_from_text(text, id="y", date=dt.date(2024, 1, 2))
    assert decide(late, early).source_id == "x"
    assert decide(early, late).source_id == "x"


def test_attribution_phrase_points_to_the_other_text() -> None:
    statement = document_from_text("The ministry will open four hospitals in the capital next year.", id="s")
    report = document_from_text(
        "The ministry will open four hospitals in the capital next year, according to a statement.", id="r"
    )
    decision = decide(report, statement)
    assert decision.source_id == "s"
    assert any(e.kind == "attribution" and e.favours == "s" for e in decision.evidence)


def test_no_evidence_is_a_symmetric_coin_toss() -> None:
    one = document_from_text("Completely separate first story about farming.", id="one")
    two = document_from_text("Another unrelated report on football results.", id="two")
    forward, backward = decide(one, two), decide(two, one)
    assert forward.evidence == [] and forward.confidence == 0.5
    assert forward.source_id == backward.source_id


def test_log_odds_is_the_signed_sum_of_weights() -> None:
    release = read_document(EXAMPLES / "akorda-press-release.txt")
    reprint = read_document(EXAMPLES / "reprint.txt")
    decision = decide(release, reprint)
    assert decision.log_odds == sum(e.weight for e in decision.evidence if e.favours == decision.source_id) - sum(
        e.weight for e in decision.evidence if e.favours != decision.source_id
    )
    assert decision.to_json()["evidence"][0]["weight"] == max(round(e.weight, 4) for e in decision.evidence)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "ACCORDING TO", "according to him", "the Press Office", "preſs service", " reported ", "said", " in a ",
    "STATEMENT", "the statement says", "press release", "Communiqué", "communiqué noted", " the report reads",
    "noted in its", ". ", "\n", "x",
]), max_size=12))
def test_attribution_phrases_skip_only_bodies_that_cannot_match(pieces):
    """The word check before each pattern never hides a phrase the pattern finds."""
    body = " ".join(pieces)
    expected = tuple((name, m.group()) for name, p in source._ATTRIBUTIONS.items() if (m := p.search(body)))
    assert source._attributions.__wrapped__(body) == expected
