"""Derivation level on the Corpus of Plagiarised Short Answers (Clough & Stevenson 2011).

Each of the 95 answers is aligned with the Wikipedia text of its task
(``align(source, answer)``) and its level predicted by
:func:`copytrace.compare.derivation.classify`. The thresholds are fitted by an
accuracy-maximising grid search, so the figures reported are out of sample:
stratified 5-fold cross-validation, and the corpus's published train/test split
(``test_info.csv`` lists the test answers; the others train). The figures of the
shipped :data:`~copytrace.compare.derivation.DEFAULT_THRESHOLDS` on the whole
corpus (fitted on it, so optimistic) are reported too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from copytrace.align import Passage
from copytrace.compare.derivation import (
    DEFAULT_THRESHOLDS,
    DerivationEvidence,
    DerivationLevel,
    DerivationThresholds,
    classify,
    derivation_evidence,
)
from copytrace.errors import InputError
from copytrace.evaluation import corpus_bytes, corpus_text

SCHEMA = "copytrace.derivation-report/1"
LEVEL_OF_CATEGORY = {
    "cut": DerivationLevel.COPIED,
    "light": DerivationLevel.LIGHTLY_EDITED,
    "heavy": DerivationLevel.REWRITTEN,
    "non": DerivationLevel.NOT_DERIVED,
}
LEVELS = tuple(DerivationLevel)
FOLDS = 5
GRID = np.round(np.arange(0.0, 1.0001, 0.02), 2)


@dataclass(frozen=True)
class Answer:
    """One answer of the corpus, its task's source text and its gold level."""

    name: str
    text: str
    source: str
    level: DerivationLevel
    in_test_split: bool


@dataclass(frozen=True)
class LevelScores:
    """Four-level and derived-vs-not scores of predictions for some answers."""

    name: str
    answers: int
    accuracy: float
    macro_f1: float
    derived_f1: float
    confusion: tuple[tuple[int, ...], ...]  # rows: gold level, columns: predicted, order LEVELS

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "answers": self.answers,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "derived_f1": self.derived_f1,
            "levels": [level.value for level in LEVELS],
            "confusion": [list(row) for row in self.confusion],
        }


@dataclass(frozen=True)
class DerivationReport:
    """Cross-validated, published-split and shipped-threshold scores, and the evidence."""

    corpus: str
    evaluations: tuple[LevelScores, ...]
    thresholds: DerivationThresholds
    evidence: tuple[tuple[str, str, DerivationEvidence], ...]  # (answer, gold level, evidence)

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "corpus": self.corpus,
            "evaluations": [scores.to_json() for scores in self.evaluations],
            "thresholds": vars(self.thresholds),
            "answers": [
                {"name": name, "gold": gold, **evidence.to_json()}
                for name, gold, evidence in self.evidence
            ],
        }


def read_text(path: Path) -> str:
    """Text of a corpus file: UTF-8 (a BOM dropped), else Windows-1252, as some answers are."""
    data = corpus_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if not text.strip():
        raise InputError(str(path), "empty: nothing to score")
    return text


def read_corpus(corpus: Path) -> list[Answer]:
    """The answers of the Clough-Stevenson corpus at ``corpus``, sorted by file name."""
    corpus = Path(corpus)
    labels = _read_labels(corpus / "file_information.csv")
    test = set(_read_labels(corpus / "test_info.csv"))
    answers = []
    for name, (task, category) in sorted(labels.items()):
        if category == "orig":
            continue
        lacking = [field for field, value in (("file", name), ("task", task), ("category", category)) if not value]
        if lacking or category not in LEVEL_OF_CATEGORY:
            raise InputError(f"{corpus / 'file_information.csv'}: {name}",
                             f"a row without its {' and '.join(lacking)}" if lacking else f"unknown category {category!r}")
        answers.append(
            Answer(
                name=name,
                text=read_text(corpus / name),
                source=read_text(corpus / f"orig_task{task}.txt"),
                level=LEVEL_OF_CATEGORY[category],
                in_test_split=name in test,
            )
        )
    if not answers:
        raise InputError(str(corpus / "file_information.csv"), "lists no answer to score")
    return answers


def _read_labels(path: Path) -> dict[str, tuple[str, str]]:
    if not path.is_file():
        raise InputError(str(path), "missing: not a Clough-Stevenson corpus folder")
    reader = csv.DictReader(io.StringIO(corpus_text(path, "utf-8-sig"), newline=""))
    missing = {"File", "Task", "Category"} - set(reader.fieldnames or ())
    if missing:
        raise InputError(str(path), f"missing columns {sorted(missing)}")
    labels: dict[str, tuple[str, str]] = {}
    for row in reader:  # a short row gives None for the fields it lacks; they are refused by name above
        name, label = row["File"] or "", (row["Task"] or "", (row["Category"] or "").strip())
        if labels.setdefault(name, label) != label:
            raise InputError(f"{path}: {name}", f"listed twice, as {labels[name]} and {label}")
    return labels


def fit_thresholds(
    evidence: Sequence[DerivationEvidence], levels: Sequence[DerivationLevel]
) -> DerivationThresholds:
    """Thresholds maximising accuracy on the given answers (grid search, step 0.02).

    First the two "derived" cut points, for derived-vs-not accuracy; then the
    verbatim cut point between rewritten and lightly edited, for four-level
    accuracy. The copied cut is a definition, not fitted
    (:data:`~copytrace.compare.derivation.COPIED_PASSAGE_VERBATIM`). Ties go to
    the lowest cut points.
    """
    coverage = np.array([e.coverage for e in evidence])
    verbatim = np.array([e.verbatim for e in evidence])
    gold = np.array([LEVELS.index(level) for level in levels])
    not_derived = LEVELS.index(DerivationLevel.NOT_DERIVED)

    by_coverage = coverage[None, :] >= GRID[:, None]
    by_verbatim = verbatim[None, :] >= GRID[:, None]
    # predicted[i, j, k]: answer k is derived with coverage cut GRID[i], verbatim cut GRID[j]
    predicted = by_coverage[:, None, :] & by_verbatim[None, :, :]
    accuracy = (predicted == (gold != not_derived)[None, None, :]).mean(axis=2)
    i, j = np.unravel_index(np.argmax(accuracy), accuracy.shape)
    derived = DerivationThresholds(float(GRID[i]), float(GRID[j]), edited_verbatim=0.0)

    def four_level_accuracy(edited: float) -> float:
        cuts = replace(derived, edited_verbatim=edited)
        return float(np.mean([classify(e, cuts) is level for e, level in zip(evidence, levels)]))

    scores = [four_level_accuracy(float(edited)) for edited in GRID]
    return replace(derived, edited_verbatim=float(GRID[int(np.argmax(scores))]))


def score_levels(
    name: str, gold: Sequence[DerivationLevel], predicted: Sequence[DerivationLevel]
) -> LevelScores:
    """Accuracy, macro-F1 over the four levels, derived-vs-not F1, confusion matrix."""
    confusion = np.zeros((len(LEVELS), len(LEVELS)), dtype=int)
    for g, p in zip(gold, predicted):
        confusion[LEVELS.index(g), LEVELS.index(p)] += 1
    f1s = [
        _f1(confusion[k, k], confusion[:, k].sum(), confusion[k, :].sum())
        for k in range(len(LEVELS))
    ]
    true_derived = sum(g.derived and p.derived for g, p in zip(gold, predicted))
    return LevelScores(
        name=name,
        answers=len(gold),
        accuracy=float(np.trace(confusion) / max(1, len(gold))),
        macro_f1=float(np.mean(f1s)),
        derived_f1=_f1(
            true_derived, sum(p.derived for p in predicted), sum(g.derived for g in gold)
        ),
        confusion=tuple(tuple(int(x) for x in row) for row in confusion),
    )


def _f1(true_positives: int, predicted: int, actual: int) -> float:
    if predicted + actual == 0:
        return 1.0
    return float(2 * true_positives / (predicted + actual))


def stratified_folds(levels: Sequence[DerivationLevel], folds: int = FOLDS) -> list[int]:
    """Fold number of each item: round-robin within each level, so folds are balanced."""
    seen: dict[DerivationLevel, int] = {}
    assignment = []
    for level in levels:
        assignment.append(seen.get(level, 0) % folds)
        seen[level] = seen.get(level, 0) + 1
    return assignment


def evaluate_derivation(
    corpus: Path, aligner: Callable[[str, str], Sequence[Passage]] | None = None
) -> DerivationReport:
    """Score derivation levels on the Clough-Stevenson corpus at ``corpus``."""
    if aligner is None:
        from copytrace.align import align as aligner
    answers = read_corpus(corpus)
    evidence = [
        derivation_evidence(aligner(a.source, a.text), a.source, a.text) for a in answers
    ]
    gold = [a.level for a in answers]

    folds = stratified_folds(gold)
    cross_validated: list[DerivationLevel] = [DerivationLevel.NOT_DERIVED] * len(answers)
    for fold in range(FOLDS):
        train = [k for k, f in enumerate(folds) if f != fold]
        thresholds = fit_thresholds([evidence[k] for k in train], [gold[k] for k in train])
        for k, f in enumerate(folds):
            if f == fold:
                cross_validated[k] = classify(evidence[k], thresholds)

    train = [k for k, a in enumerate(answers) if not a.in_test_split]
    test = [k for k, a in enumerate(answers) if a.in_test_split]
    split_thresholds = fit_thresholds([evidence[k] for k in train], [gold[k] for k in train])

    return DerivationReport(
        corpus=str(corpus),
        evaluations=(
            score_levels(f"{FOLDS}-fold cross-validation", gold, cross_validated),
            score_levels(
                "published split (test answers)",
                [gold[k] for k in test],
                [classify(evidence[k], split_thresholds) for k in test],
            ),
            score_levels(
                "shipped thresholds, all answers (fitted on them)",
                gold,
                [classify(e, DEFAULT_THRESHOLDS) for e in evidence],
            ),
        ),
        thresholds=DEFAULT_THRESHOLDS,
        evidence=tuple((a.name, a.level.value, e) for a, e in zip(answers, evidence)),
    )
