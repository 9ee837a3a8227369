"""Evaluation: PAN measures, PAN harness, derivation levels."""

from __future__ import annotations

import math

import pytest

from copytrace.evaluation.measures import Annotation, covered_length, evaluate

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
from copytrace.evaluation.measures import Annotation as Ann  # noqa: E402
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
