"""Acceptance tests of `copytrace.compare` on the bundled press-release pair, and unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import copytrace
from copytrace.compare.edits import edit_report, word_ops
from copytrace.compare.names import find_mentions, names_report
from copytrace.compare.quotes import find_quotations, quotation_report
from copytrace.ingest import document_from_text

from .conftest import require_data

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "press-release"
PRESS_RELEASE = EXAMPLES / "akorda-press-release.txt"
REPRINT = EXAMPLES / "reprint.txt"


@pytest.fixture(scope="module")
def comparison() -> copytrace.Comparison:
    return copytrace.compare(PRESS_RELEASE, REPRINT)


@pytest.fixture(scope="module")
def swapped() -> copytrace.Comparison:
    return copytrace.compare(REPRINT, PRESS_RELEASE)


def test_press_release_is_the_source(comparison, swapped) -> None:
    assert comparison.source.id == "akorda-press-release"
    assert comparison.reprint.id == "reprint"
    assert comparison.source_argument == 1
    assert swapped.source.id == "akorda-press-release"
    assert swapped.source_argument == 2
    assert comparison.decision.confidence > 0.9


def test_swapping_arguments_gives_the_same_result(comparison, swapped) -> None:
    first, second = comparison.to_json(), swapped.to_json()
    assert first.pop("source_argument") == 1 and second.pop("source_argument") == 2
    assert first == second


def test_aligned_passages(comparison) -> None:
    passages = comparison.passages
    assert len(passages) >= 5
    assert any("We have developed a Strategy" in p.a_text for p in passages)
    assert any("was attended by" in p.a_text and "was attended by" in p.b_text for p in passages)


def test_cut_paragraphs(comparison) -> None:
    cut_paragraphs = [span.text for span in comparison.edits.cut if span.whole_paragraph]
    assert any(text.startswith("Trade and economic interaction") for text in cut_paragraphs)
    assert any("Afghanistan must be the focus" in text for text in cut_paragraphs)


def test_altered_quotations_report_their_word_changes(comparison) -> None:
    altered = {
        (change.source.text, change.reprint.text)
        for match in comparison.quotations.altered
        for change in match.changes
        if change.source and change.reprint
    }
    assert ("Treaty", "agreement") in altered
    assert ("appreciate", "value") in altered
    texts = [m.quotation.text for m in comparison.quotations.altered]
    assert any("historic agreement" in text for text in texts)
    assert any(text.startswith("We highly value this support") for text in texts)


def test_cut_names_and_figures(comparison) -> None:
    cut = {mention.text for mention in comparison.names.cut}
    assert {"Afghanistan", "$10 billion", "80%", "Moscow"} <= cut
    assert any("UN Regional Center" in text for text in cut)
    assert "Central Asia" not in cut


def test_coverage_is_asymmetric(comparison) -> None:
    assert comparison.edits.reprint_coverage > 0.8
    assert comparison.edits.source_coverage < 0.6


def test_json_is_versioned(comparison) -> None:
    data = comparison.to_json()
    assert data["schema"] == "copytrace.comparison/2"
    assert data["decision"]["source"] == "akorda-press-release"
    assert data["derivation"]["level"] in {"copied", "lightly edited", "rewritten", "not derived"}


def test_unrelated_texts_give_no_passage() -> None:
    folder = require_data("pan13-text-alignment-train/src")
    first, second = sorted(folder.glob("*.txt"))[:2]
    result = copytrace.compare(first, second)
    assert result.passages == []
    assert result.edits.kept == [] and result.edits.changed == []


def test_compare_accepts_strings() -> None:
    text = PRESS_RELEASE.read_text(encoding="utf-8")
    result = copytrace.compare(text[:3000], text)
    assert result.source.text == text
    assert result.passages


def test_word_ops_merge_deletion_and_insertion_into_a_change() -> None:
    ops = word_ops("this historic treaty for all".split(), "this historic agreement for all".split())
    assert [(op.tag, op.a0, op.a1, op.b0, op.b1) for op in ops if op.tag != "equal"] == [("replace", 2, 3, 2, 3)]


def test_word_ops_trim_context_of_the_first_side() -> None:
    ops = word_ops("x y a b c z".split(), "a b c".split(), trim_a=True)
    assert [(op.tag, op.a0, op.a1) for op in ops] == [("equal", 2, 5)]


def test_edit_report_without_passages_cuts_everything() -> None:
    source, reprint = "First paragraph here.\n\nSecond one.", "Unrelated words."
    report = edit_report(source, (0, len(source)), reprint, (0, len(reprint)), [])
    assert [span.text for span in report.cut] == ["First paragraph here.", "Second one."]
    assert all(span.whole_paragraph for span in report.cut)
    assert [span.text for span in report.added] == ["Unrelated words."]
    assert report.source_coverage == 0.0


def test_find_mentions_kinds() -> None:
    text = "In 2023 the Bank of Japan lent $5 million, 12% more, on 3 March. The talks went well."
    found = {(m.kind, m.text) for m in find_mentions(text)}
    assert ("money", "$5 million") in found
    assert ("percentage", "12%") in found
    assert ("date", "3 March") in found
    assert ("number", "2023") in found
    assert ("name", "Bank") in found and ("name", "Japan") in found
    assert not any(m.text in {"In", "The"} for m in find_mentions(text))


def test_a_figure_in_other_digits_is_the_same_figure() -> None:
    source = "Prices rose 35% to 12.5 million in 2024, and 1,200 tenge were paid."
    reprint = "Prices rose ٣٥% to ١٢٫٥ million in ٢٠٢٤, and １,２００ tenge were paid."
    report = names_report(source, (0, len(source)), reprint, (0, len(reprint)))
    assert report.cut == [] and report.added == []
    for percent in ("٣٥٪", "３５％", "35﹪"):  # the Arabic, full-width and small percent signs
        other = source.replace("35%", percent)
        assert names_report(source, (0, len(source)), other, (0, len(other))).cut == []
    newer = "Kawi digits 𑽓𑽕 stay as they are where the tables of unicodedata predate them."
    assert [m.key for m in find_mentions(newer) if m.kind == "number"] == ["𑽓𑽕"]
    changed = "Prices rose ٣٦% to 12.5 million in 2024, and 1,200 tenge were paid."
    report = names_report(source, (0, len(source)), changed, (0, len(changed)))
    assert [m.text for m in report.cut] == ["35%"] and [m.text for m in report.added] == ["٣٦%"]


def test_dash_quotation_runs_to_the_closing_mark() -> None:
    text = "Intro.\n\n– We did it. It was “hard” work.\n\nAnd more work,” he said.\n\n– Second quote here without close"
    quotes = [q.text for q in find_quotations(text)]
    assert quotes[0] == "We did it. It was “hard” work.\n\nAnd more work"
    assert quotes[1] == "Second quote here without close"


def test_quotation_statuses() -> None:
    source = document_from_text(
        "The minister spoke at length today. “We will build ten new schools this year,” she said. "
        "Officials also noted that roads will be repaired across the whole region soon."
    )
    reprint = document_from_text(
        "«We will build twelve new schools this year,» she said. «Roads will be repaired across the whole "
        "region soon,» officials said. «Completely different words are quoted here now.»"
    )
    report = quotation_report(source.text, source.body_span, reprint.text, reprint.body_span)
    statuses = [m.status for m in report.reprint]
    assert statuses == ["altered", "paraphrased", "not_found"]
    change = report.reprint[0].changes[0]
    assert (change.source.text, change.reprint.text) == ("ten", "twelve")
    assert reprint.text[change.reprint.start : change.reprint.end] == "twelve"


def test_a_thai_quotation_reprinted_without_its_marks_is_unquoted_not_dropped():
    """Quotations are matched by words, and Thai words come from the dictionary on both
    sides (the quote's words were a code point each, the reprint's dictionary words)."""
    from copytrace.compare.quotes import quotation_report

    quote = "นายกรัฐมนตรีกล่าวว่ารัฐบาลจะเพิ่มงบประมาณการศึกษาในปีหน้า"
    source, reprint = f'ข่าว "{quote}" จบ', f"ข่าว {quote} จบ"
    (found,) = quotation_report(source, (0, len(source)), reprint, (0, len(reprint))).source
    assert found.status == "unquoted"
