"""Evaluation: PAN measures, PAN harness, derivation levels."""

from __future__ import annotations

import math

import pytest

from copytrace.evaluation.measures import Annotation, covered_length, evaluate
from tests.conftest import require_data

SUSP, SRC = "suspicious-document00001.txt", "source-document00001.txt"


def case(this_offset: int, this_length: int, source_offset: int, source_length: int) -> Annotation:
    return Annotation(SUSP, this_offset, this_length, SRC, source_offset, source_length)


# --- measures -------------------------------------------------------------------------


def test_covered_length_merges_overlapping_spans() -> None:
    # [0,100) ∩ ([10,30) ∪ [20,40) ∪ [90,120)) = [10,40) ∪ [90,100) = 30 + 10
    assert covered_length(0, 100, [(20, 40), (10, 30), (90, 120)]) == 40
    assert covered_length(0, 100, [(100, 120)]) == 0


def test_perfect_detection_scores_one() -> None:
    gold = [case(0, 100, 0, 100), case(500, 50, 300, 60)]
    result = evaluate(gold, gold)
    assert (result.precision, result.recall, result.granularity, result.plagdet) == (1, 1, 1, 1)


def test_half_covered_case() -> None:
    # Case: 100 susp + 100 source chars. Detection covers susp [0,50) and source
    # [0,50): recall = (50 + 50) / 200 = 0.5; the detection lies wholly inside
    # the case: precision = 1. F1 = 2·0.5/1.5 = 2/3, granularity 1.
    result = evaluate([case(0, 100, 0, 100)], [case(0, 50, 0, 50)])
    assert result.recall == pytest.approx(0.5)
    assert result.precision == pytest.approx(1.0)
    assert result.granularity == 1
    assert result.plagdet == pytest.approx(2 / 3)


def test_two_detections_for_one_case() -> None:
    # Two halves detected separately: recall = 1, precision = 1, granularity 2,
    # plagdet = 1 / log2(3).
    gold = [case(0, 100, 0, 100)]
    result = evaluate(gold, [case(0, 50, 0, 50), case(50, 50, 50, 50)])
    assert result.recall == pytest.approx(1.0)
    assert result.precision == pytest.approx(1.0)
    assert result.granularity == 2
    assert result.plagdet == pytest.approx(1 / math.log2(3))


def test_false_positive_detection_lowers_precision() -> None:
    # One exact detection (precision 1) and one detecting nothing (precision 0):
    # macro precision = 0.5, recall = 1, F1 = 2/3.
    gold = [case(0, 100, 0, 100)]
    result = evaluate(gold, [case(0, 100, 0, 100), case(400, 80, 700, 80)])
    assert result.precision == pytest.approx(0.5)
    assert result.recall == pytest.approx(1.0)
    assert result.granularity == 1
    assert result.plagdet == pytest.approx(2 / 3)


def test_detection_overlapping_only_the_suspicious_span_detects_nothing() -> None:
    # Same suspicious span, disjoint source span: not a detection of the case.
    result = evaluate([case(0, 100, 0, 100)], [case(0, 100, 500, 100)])
    assert (result.precision, result.recall, result.plagdet) == (0, 0, 0)
    assert result.granularity == 1


def test_detection_of_another_source_document_detects_nothing() -> None:
    other = Annotation(SUSP, 0, 100, "source-document00002.txt", 0, 100)
    result = evaluate([case(0, 100, 0, 100)], [other])
    assert (result.precision, result.recall) == (0, 0)


def test_partial_overlap_in_both_documents() -> None:
    # Case susp [0,100) src [0,100); detection susp [50,150) src [50,150).
    # Overlap 50 + 50 chars: recall = 100/200 = 0.5, precision = 100/200 = 0.5.
    result = evaluate([case(0, 100, 0, 100)], [case(50, 100, 50, 100)])
    assert result.recall == pytest.approx(0.5)
    assert result.precision == pytest.approx(0.5)
    assert result.plagdet == pytest.approx(0.5)


def test_macro_average_over_cases() -> None:
    # Case 1 found exactly (recall 1), case 2 missed (recall 0): recall 0.5;
    # the one detection is exact: precision 1.
    gold = [case(0, 100, 0, 100), case(200, 100, 200, 100)]
    result = evaluate(gold, [case(0, 100, 0, 100)])
    assert result.recall == pytest.approx(0.5)
    assert result.precision == pytest.approx(1.0)


def test_duplicate_detections_count_once() -> None:
    gold = [case(0, 100, 0, 100)]
    assert evaluate(gold, [case(0, 100, 0, 100)] * 3).granularity == 1


def test_edge_conventions_of_the_official_script() -> None:
    nothing = evaluate([], [])
    assert (nothing.precision, nothing.recall, nothing.granularity, nothing.plagdet) == (1, 1, 1, 1)
    missed = evaluate([case(0, 100, 0, 100)], [])
    assert (missed.precision, missed.recall, missed.granularity, missed.plagdet) == (0, 0, 1, 0)
    false_alarm = evaluate([], [case(0, 100, 0, 100)])
    assert (false_alarm.precision, false_alarm.recall, false_alarm.plagdet) == (0, 0, 0)


def test_empty_span_is_rejected() -> None:
    with pytest.raises(ValueError):
        case(0, 0, 0, 10)


# --- PAN harness ----------------------------------------------------------------------

from difflib import SequenceMatcher  # noqa: E402
from pathlib import Path  # noqa: E402

from copytrace.align import Passage  # noqa: E402
from copytrace.errors import InputError  # noqa: E402
from copytrace.evaluation.pan import read_annotations, run_pan  # noqa: E402

COPIED = "The committee approved the budget after a long night of debate in the capital. "


def longest_common_passage(source: str, suspicious: str) -> list[Passage]:
    """A stand-in aligner: the longest common substring, if it is long enough."""
    match = SequenceMatcher(None, source, suspicious, autojunk=False).find_longest_match()
    if match.size < 40:
        return []
    a, b = match.a, match.b
    text = source[a : a + match.size]
    return [Passage(a, a + match.size, b, b + match.size, text, text, 1.0, 1.0)]


def build_pan_layout(root: Path) -> Path:
    """Two pairs: one with a verbatim case (02), one without plagiarism (01)."""
    (root / "src").mkdir(parents=True)
    (root / "susp").mkdir()
    susp1 = "Ça commence ici, avec des accents —" + COPIED + "Unrelated closing words follow."
    src1 = "A source opens with other words entirely\n" + COPIED + "And ends differently."
    (root / "susp" / "suspicious-document00001.txt").write_text(susp1, encoding="utf-8")
    (root / "src" / "source-document00001.txt").write_text(src1, encoding="utf-8")
    (root / "susp" / "suspicious-document00002.txt").write_text("Nothing shared here.", "utf-8")
    (root / "src" / "source-document00002.txt").write_text("Different words there.", "utf-8")
    pairs = {
        "02-no-obfuscation": ("suspicious-document00001.txt", "source-document00001.txt"),
        "01-no-plagiarism": ("suspicious-document00002.txt", "source-document00002.txt"),
    }
    (root / "pairs").write_text("".join(f"{s} {r}\n" for s, r in pairs.values()))
    for folder, (susp, src) in pairs.items():
        (root / folder).mkdir()
        (root / folder / "pairs").write_text(f"{susp} {src}\n")
        feature = ""
        if folder.startswith("02"):
            feature = (
                f'<feature name="plagiarism" obfuscation="none" this_offset="{susp1.index(COPIED)}" '
                f'this_length="{len(COPIED)}" source_reference="{src}" '
                f'source_offset="{src1.index(COPIED)}" source_length="{len(COPIED)}"/>'
            )
        xml = f'<document reference="{susp}">\n{feature}\n</document>\n'
        (root / folder / f"{susp[:-4]}-{src[:-4]}.xml").write_text(xml)
    return root


@pytest.mark.parametrize("workers", [1, 2])
def test_harness_scores_an_exact_aligner_perfectly(tmp_path: Path, workers: int) -> None:
    corpus = build_pan_layout(tmp_path / "corpus")
    report = run_pan(corpus, tmp_path / "out", workers=workers, aligner=longest_common_passage)
    assert [row.name for row in report.rows] == ["01-no-plagiarism", "02-no-obfuscation"]
    assert report.overall.scores.plagdet == 1.0
    assert report.rows[0].scores.detections == 0 and report.rows[0].scores.plagdet == 1.0
    assert report.rows[1].scores.cases == 1 and report.rows[1].scores.plagdet == 1.0
    written = tmp_path / "out" / "02-no-obfuscation" / "suspicious-document00001-source-document00001.xml"
    detections = read_annotations(written, "detected-plagiarism")
    assert detections == read_annotations(corpus / "02-no-obfuscation" / written.name)
    assert report.to_json()["schema"] == "copytrace.pan-report/1"


def test_harness_counts_a_false_detection(tmp_path: Path) -> None:
    corpus = build_pan_layout(tmp_path / "corpus")
    report = run_pan(corpus, tmp_path / "out", workers=1, aligner=whole_documents)
    # 01: one detection, no case → precision = recall = 0; 02: the case is
    # detected but the detection is longer than the case.
    assert report.rows[0].scores.plagdet == 0
    assert 0 < report.rows[1].scores.precision < 1 and report.rows[1].scores.recall == 1


def whole_documents(source: str, suspicious: str) -> list[Passage]:
    return [Passage(0, len(source), 0, len(suspicious), source, suspicious, 0.5, 0.0)]


def test_harness_selects_types_and_limits(tmp_path: Path) -> None:
    corpus = build_pan_layout(tmp_path / "corpus")
    report = run_pan(corpus, tmp_path / "out", types=["02"], limit=1, workers=1,
                     aligner=longest_common_passage)
    assert [row.name for row in report.rows] == ["02-no-obfuscation"]
    assert not (tmp_path / "out" / "01-no-plagiarism").exists()


def test_harness_rejects_what_is_not_a_pan_corpus(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        run_pan(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a PAN"):
        run_pan(tmp_path / "empty", tmp_path / "out")
    corpus = build_pan_layout(tmp_path / "corpus")
    with pytest.raises(InputError, match="no obfuscation type"):
        run_pan(corpus, tmp_path / "out", types=["07"], aligner=longest_common_passage)


@pytest.mark.parametrize("workers", [1, 2])
def test_harness_names_a_corpus_file_missing_or_not_utf8_a_case_past_its_document_and_no_pairs(tmp_path: Path, workers: int) -> None:
    corpus = build_pan_layout(tmp_path / "corpus")
    source = corpus / "src" / "source-document00001.txt"
    source.write_bytes(b"\xff\xfe not UTF-8")  # read in a worker process when workers > 1
    with pytest.raises(InputError) as error:
        run_pan(corpus, tmp_path / "out", types=["02"], workers=workers, aligner=longest_common_passage)
    assert (error.value.where, error.value.reason) == (str(source), "not UTF-8: invalid byte at offset 0")
    source.unlink()
    with pytest.raises(InputError, match="cannot read: No such file or directory"):
        run_pan(corpus, tmp_path / "out", types=["02"], workers=workers, aligner=longest_common_passage)
    source.write_text("A source opens with other words entirely\n" + COPIED + "And ends differently.", encoding="utf-8")
    gold = corpus / "02-no-obfuscation" / "suspicious-document00001-source-document00001.xml"
    gold.write_text(gold.read_text().replace(f'this_length="{len(COPIED)}"', 'this_length="99999999"'))
    with pytest.raises(InputError, match="a case's this_offset \\+ this_length \\(100,000,0"):
        run_pan(corpus, tmp_path / "out", types=["02"], workers=workers, aligner=longest_common_passage)
    assert not (tmp_path / "out" / "02-no-obfuscation").exists()  # refused before any detection is written
    (corpus / "01-no-plagiarism" / "pairs").write_text("")
    with pytest.raises(InputError, match="lists no pair to score"):
        run_pan(corpus, tmp_path / "out", types=["01"], workers=workers, aligner=longest_common_passage)


def test_pan_subset_writes_one_detection_file_per_gold_file(tmp_path: Path) -> None:
    corpus = require_data("pan13-text-alignment-train")
    report = run_pan(corpus, tmp_path / "det", limit=20, workers=2)
    assert [row.pairs for row in report.rows] == [20] * 5
    for row in report.rows:
        gold = sorted(p.name for p in (corpus / row.name).glob("*.xml"))[:20]
        written = sorted(p.name for p in (tmp_path / "det" / row.name).glob("*.xml"))
        assert written == gold
    verbatim = report.rows[1]
    assert verbatim.name == "02-no-obfuscation"
    # Lenient floor: verbatim copies must mostly be found by any working aligner.
    assert verbatim.scores.plagdet > 0.6


# --- derivation level -----------------------------------------------------------------

from copytrace.compare.derivation import (  # noqa: E402
    DerivationEvidence,
    DerivationLevel,
    DerivationThresholds,
    classify,
    derivation_evidence,
    meter_level,
)
from copytrace.evaluation.derivation import (  # noqa: E402
    evaluate_derivation,
    fit_thresholds,
    read_text,
    score_levels,
    stratified_folds,
)

SOURCE = "Inheritance lets a new class reuse the methods and variables of an existing class."


def passage_over(a: str, b: str) -> list[Passage]:
    return [Passage(0, len(a), 0, len(b), a, b, 1.0, 1.0)]


def test_evidence_counts_words_in_trigrams_the_source_has() -> None:
    copied = derivation_evidence(passage_over(SOURCE, SOURCE), SOURCE, SOURCE)
    assert (copied.coverage, copied.verbatim, copied.passage_verbatim) == (1.0, 1.0, 1.0)
    # The rewrite has 15 words; its trigrams found in the source: "a new class",
    # "the methods and", "of an existing", "an existing class": 3 + 3 + 4 = 10
    # words lie inside one ("Inheritance" alone does not count).
    rewritten = "Inheritance means a new class may borrow the methods and fields of an existing class."
    evidence = derivation_evidence(passage_over(SOURCE, rewritten), SOURCE, rewritten)
    assert evidence.coverage == 1.0
    assert evidence.verbatim == pytest.approx(10 / 15)
    assert evidence.passage_verbatim == pytest.approx(10 / 15)
    # Pieces cut and pasted in another order count in full.
    reordered = "the methods and variables of an existing class. Inheritance lets a new class reuse"
    assert derivation_evidence(passage_over(SOURCE, reordered), SOURCE, reordered).verbatim == 1.0
    # Without a passage, shared trigrams alone do not make a text derived.
    none = derivation_evidence([], SOURCE, rewritten)
    assert (none.coverage, none.passage_verbatim) == (0.0, 0.0)
    assert classify(none) is DerivationLevel.NOT_DERIVED


def test_passage_verbatim_counts_only_words_inside_passages() -> None:
    # The source pasted after a sentence of the writer's own: 14 of 26 words are
    # in the passage, all of them verbatim.
    own = "Our lecturer explained this idea in the second week of the course."
    pasted = f"{own} {SOURCE}"
    passage = [Passage(0, len(SOURCE), len(own) + 1, len(pasted), SOURCE, SOURCE, 1.0, 1.0)]
    evidence = derivation_evidence(passage, SOURCE, pasted)
    assert evidence.coverage == pytest.approx(14 / 26)
    assert evidence.passage_verbatim == 1.0
    assert classify(evidence) is DerivationLevel.COPIED


def test_classify_is_a_decision_list_on_the_shares() -> None:
    cuts = DerivationThresholds(derived_coverage=0.2, derived_verbatim=0.1,
                                edited_verbatim=0.5, copied_passage_verbatim=0.8)
    assert classify(DerivationEvidence(0.1, 0.9, 1.0), cuts) is DerivationLevel.NOT_DERIVED
    assert classify(DerivationEvidence(0.9, 0.05, 1.0), cuts) is DerivationLevel.NOT_DERIVED
    assert classify(DerivationEvidence(0.9, 0.3, 0.3), cuts) is DerivationLevel.REWRITTEN
    assert classify(DerivationEvidence(0.9, 0.6, 0.6), cuts) is DerivationLevel.LIGHTLY_EDITED
    assert classify(DerivationEvidence(1.0, 0.9, 0.79), cuts) is DerivationLevel.LIGHTLY_EDITED
    assert classify(DerivationEvidence(1.0, 0.9, 0.8), cuts) is DerivationLevel.COPIED
    # Passages pasted verbatim are copied however little of the text they are.
    assert classify(DerivationEvidence(0.3, 0.3, 1.0), cuts) is DerivationLevel.COPIED


def test_meter_level_is_how_much_of_the_text_is_reused() -> None:
    assert meter_level(DerivationLevel.COPIED, 1.0) == "wholly derived"
    assert meter_level(DerivationLevel.REWRITTEN, 0.8) == "wholly derived"
    assert meter_level(DerivationLevel.COPIED, 0.79) == "partially derived"
    assert meter_level(DerivationLevel.NOT_DERIVED, 1.0) == "not derived"


def test_fit_thresholds_separates_separable_levels() -> None:
    evidence = [DerivationEvidence(c, v, p) for c, v, p in
                [(0.0, 0.0, 0.0), (0.1, 0.02, 0.0), (0.9, 0.3, 0.3), (0.8, 0.35, 0.4), (1.0, 0.65, 0.65),
                 (0.9, 0.7, 0.75), (1.0, 0.95, 0.96), (0.3, 0.3, 1.0)]]
    levels = [DerivationLevel.NOT_DERIVED] * 2 + [DerivationLevel.REWRITTEN] * 2 + [
        DerivationLevel.LIGHTLY_EDITED] * 2 + [DerivationLevel.COPIED] * 2
    thresholds = fit_thresholds(evidence, levels)
    assert [classify(e, thresholds) for e in evidence] == levels


def test_score_levels_by_hand() -> None:
    C, L, R, N = (DerivationLevel.COPIED, DerivationLevel.LIGHTLY_EDITED,
                  DerivationLevel.REWRITTEN, DerivationLevel.NOT_DERIVED)
    gold = [C, C, L, R, N, N]
    predicted = [C, L, L, N, N, N]
    scores = score_levels("hand", gold, predicted)
    assert scores.accuracy == pytest.approx(4 / 6)
    # F1 per level: copied 2·1/(1+2)=2/3, light 2·1/(2+1)=2/3, rewritten 0, not 2·2/(3+2)=4/5
    assert scores.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 0 + 4 / 5) / 4)
    # derived: gold 4, predicted 3, both 3 → F1 = 6/7
    assert scores.derived_f1 == pytest.approx(6 / 7)
    assert scores.confusion[2] == (0, 0, 0, 1)


def test_stratified_folds_balance_each_level() -> None:
    levels = [DerivationLevel.COPIED] * 5 + [DerivationLevel.NOT_DERIVED] * 10
    folds = stratified_folds(levels, 5)
    assert sorted(folds[:5]) == [0, 1, 2, 3, 4]
    assert sorted(folds[5:]) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_read_text_falls_back_to_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "answer.txt"
    path.write_bytes("It’s “quoted”".encode("cp1252"))
    assert read_text(path) == "It’s “quoted”"
    path.write_bytes("\ufeffIt’s".encode("utf-8"))
    assert read_text(path) == "It’s"


def test_derivation_rejects_a_folder_without_labels(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file_information.csv"):
        evaluate_derivation(tmp_path, aligner=passage_over)


@pytest.mark.parametrize("rows, reason", [
    ("g0pA_taska.txt,a\n", "a row without its category"),
    ("", "lists no answer to score"),
    ("g0pA_taska.txt,a,cut\ng0pA_taska.txt,a,non\n", "listed twice, as ('a', 'cut') and ('a', 'non')"),
])
def test_derivation_refuses_a_short_row_and_a_corpus_without_answers(tmp_path: Path, rows: str, reason: str) -> None:
    for name in ("file_information.csv", "test_info.csv"):
        (tmp_path / name).write_text("File,Task,Category\n" + (rows if name == "file_information.csv" else ""))
    with pytest.raises(InputError) as error:
        evaluate_derivation(tmp_path, aligner=passage_over)
    assert error.value.reason == reason


def test_derivation_names_labels_not_utf8_and_an_empty_answer(tmp_path: Path) -> None:
    (tmp_path / "test_info.csv").write_text("File,Task,Category\n")
    (tmp_path / "file_information.csv").write_bytes(b"File,Task,Category\ng0pA_taska.txt,a,cut \xff\n")
    with pytest.raises(InputError, match="file_information.csv: not UTF-8: invalid byte at offset 40"):
        evaluate_derivation(tmp_path, aligner=passage_over)
    (tmp_path / "file_information.csv").write_text("File,Task,Category\ng0pA_taska.txt,a,cut\n")
    (tmp_path / "orig_taska.txt").write_text("The source text of the task.")
    (tmp_path / "g0pA_taska.txt").write_text("  \n")
    with pytest.raises(InputError, match="g0pA_taska.txt: empty: nothing to score"):
        evaluate_derivation(tmp_path, aligner=passage_over)


def test_derivation_on_the_clough_stevenson_corpus() -> None:
    corpus = require_data("clough-stevenson-short-answers")
    report = evaluate_derivation(corpus)
    cross_validated = report.evaluations[0]
    assert cross_validated.answers == 95
    assert sum(map(sum, cross_validated.confusion)) == 95
    # Floors just under the measured 0.811 and 0.973 (the targets are 0.80 and 0.95).
    assert cross_validated.accuracy >= 0.80
    assert cross_validated.derived_f1 >= 0.95
    assert report.to_json()["schema"] == "copytrace.derivation-report/1"


def test_cli_eval_pan_prints_the_report_as_json(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from copytrace.cli import app

    corpus = build_pan_layout(tmp_path / "corpus")
    result = CliRunner().invoke(
        app, ["eval", "pan", str(corpus), "--out", str(tmp_path / "det"), "--workers", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["schema"] == "copytrace.pan-report/1"
    assert [row["name"] for row in report["types"]] == ["01-no-plagiarism", "02-no-obfuscation"]
