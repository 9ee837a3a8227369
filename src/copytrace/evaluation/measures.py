"""PAN plagiarism-detection measures: precision, recall, granularity, plagdet.

Definitions from Potthast, Stein, Barrón-Cedeño and Rosso, "An Evaluation
Framework for Plagiarism Detection", COLING 2010, computed the way the official
PAN evaluation script does (webis ``perfmeasures``, used unchanged for the PAN
2013 text-alignment task):

* A case ``s`` and a detection ``r`` each cover a span of the suspicious
  document and a span of the source document; ``r`` *detects* ``s`` when they
  name the same two documents and both their suspicious spans and their source
  spans overlap.
* Per-case recall is ``|⋃(s ⊓ r)| / |s|`` over the detections ``r`` that detect
  ``s``, where a case's characters are its suspicious characters plus its
  source characters. Macro recall is the mean over all cases (an undetected
  case counts 0); macro precision is the same with cases and detections swapped.
* Granularity is the mean number of detections per detected case.
* ``plagdet = F1 / log2(1 + granularity)``.

Edge cases follow the official script: with neither cases nor detections,
recall and precision are 1; with only one of the two, both are 0. Granularity is
1 when there are no detections or no detected case. plagdet is 0 when recall and
precision are both 0. Duplicate annotations count once (the script keeps sets).

Spans are intervals, so character counts come from interval arithmetic, not
from sets of characters. Scores are built from additive :class:`Tally` sums, so
per-type tallies add up to the corpus-wide tally exactly as if all cases and
detections were evaluated together.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Annotation:
    """A plagiarism case or a detection, in the terms of the PAN XML format.

    ``this_*`` is the span in the suspicious document, ``source_*`` the span in
    the source document; offsets and lengths count characters.
    """

    this_reference: str
    this_offset: int
    this_length: int
    source_reference: str
    source_offset: int
    source_length: int

    def __post_init__(self) -> None:
        if min(self.this_offset, self.source_offset) < 0:
            raise ValueError(f"negative offset in {self}")
        if min(self.this_length, self.source_length) <= 0:
            raise ValueError(f"empty span in {self}")

    @property
    def this_end(self) -> int:
        return self.this_offset + self.this_length

    @property
    def source_end(self) -> int:
        return self.source_offset + self.source_length

    @property
    def size(self) -> int:
        """Number of characters: suspicious plus source."""
        return self.this_length + self.source_length


def detects(detection: Annotation, case: Annotation) -> bool:
    """Whether the two annotations overlap in both documents (symmetric)."""
    return (
        detection.this_reference == case.this_reference
        and detection.source_reference == case.source_reference
        and detection.this_offset < case.this_end
        and case.this_offset < detection.this_end
        and detection.source_offset < case.source_end
        and case.source_offset < detection.source_end
    )


def covered_length(start: int, end: int, spans: Iterable[tuple[int, int]]) -> int:
    """Number of characters of ``[start, end)`` inside the union of ``spans``."""
    clipped = sorted((max(s, start), min(e, end)) for s, e in spans if s < end and e > start)
    total, reach = 0, start
    for s, e in clipped:
        if e > reach:
            total += e - max(s, reach)
            reach = e
    return total


def annotation_recall(annotation: Annotation, others: Sequence[Annotation]) -> float:
    """Share of ``annotation``'s characters covered by the ``others`` that overlap it.

    ``others`` must already be the annotations that detect ``annotation``.
    """
    this = covered_length(
        annotation.this_offset, annotation.this_end, ((o.this_offset, o.this_end) for o in others)
    )
    source = covered_length(
        annotation.source_offset,
        annotation.source_end,
        ((o.source_offset, o.source_end) for o in others),
    )
    return (this + source) / annotation.size


@dataclass(frozen=True, slots=True)
class Tally:
    """Additive sums from which the macro-averaged measures are computed."""

    cases: int = 0
    detections: int = 0
    case_recall_sum: float = 0.0
    detection_precision_sum: float = 0.0
    detected_cases: int = 0
    detections_of_detected_cases: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.cases + other.cases,
            self.detections + other.detections,
            self.case_recall_sum + other.case_recall_sum,
            self.detection_precision_sum + other.detection_precision_sum,
            self.detected_cases + other.detected_cases,
            self.detections_of_detected_cases + other.detections_of_detected_cases,
        )


@dataclass(frozen=True, slots=True)
class Scores:
    """The PAN measures of one set of cases and detections."""

    cases: int
    detections: int
    precision: float
    recall: float
    granularity: float
    plagdet: float

    def to_json(self) -> dict:
        return {
            "cases": self.cases,
            "detections": self.detections,
            "precision": self.precision,
            "recall": self.recall,
            "granularity": self.granularity,
            "plagdet": self.plagdet,
        }


def tally(cases: Iterable[Annotation], detections: Iterable[Annotation]) -> Tally:
    """The sums of the measures for ``cases`` and ``detections`` of any pairs of documents."""
    by_pair: dict[tuple[str, str], tuple[set[Annotation], set[Annotation]]] = defaultdict(
        lambda: (set(), set())
    )
    for case in cases:
        by_pair[case.this_reference, case.source_reference][0].add(case)
    for detection in detections:
        by_pair[detection.this_reference, detection.source_reference][1].add(detection)
    total = Tally()
    for pair_cases, pair_detections in by_pair.values():
        total += _pair_tally(list(pair_cases), list(pair_detections))
    return total


def _pair_tally(cases: list[Annotation], detections: list[Annotation]) -> Tally:
    recall_sum, detected, detections_of_detected = 0.0, 0, 0
    for case in cases:
        detecting = [d for d in detections if detects(d, case)]
        if detecting:
            recall_sum += annotation_recall(case, detecting)
            detected += 1
            detections_of_detected += len(detecting)
    precision_sum = 0.0
    for detection in detections:
        detected_cases = [c for c in cases if detects(detection, c)]
        if detected_cases:
            precision_sum += annotation_recall(detection, detected_cases)
    return Tally(
        cases=len(cases),
        detections=len(detections),
        case_recall_sum=recall_sum,
        detection_precision_sum=precision_sum,
        detected_cases=detected,
        detections_of_detected_cases=detections_of_detected,
    )


def scores(sums: Tally) -> Scores:
    """Precision, recall, granularity and plagdet from a :class:`Tally`."""
    if sums.cases == 0 and sums.detections == 0:
        recall = precision = 1.0
    elif sums.cases == 0 or sums.detections == 0:
        recall = precision = 0.0
    else:
        recall = sums.case_recall_sum / sums.cases
        precision = sums.detection_precision_sum / sums.detections
    granularity = (
        sums.detections_of_detected_cases / sums.detected_cases if sums.detected_cases else 1.0
    )
    return Scores(
        cases=sums.cases,
        detections=sums.detections,
        precision=precision,
        recall=recall,
        granularity=granularity,
        plagdet=plagdet(precision, recall, granularity),
    )


def plagdet(precision: float, recall: float, granularity: float) -> float:
    """``F1 / log2(1 + granularity)``; 0 when precision and recall are both 0."""
    if precision + recall == 0:
        return 0.0
    f1 = 2 * precision * recall / (precision + recall)
    return f1 / math.log2(1 + granularity)


def evaluate(cases: Iterable[Annotation], detections: Iterable[Annotation]) -> Scores:
    """The PAN measures of ``detections`` against the gold ``cases``."""
    return scores(tally(cases, detections))
