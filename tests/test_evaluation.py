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
