"""Derivation level: how much of a text is reused from a source, and how.

Two scales, one for *how* a text reuses its source and one for *how much*.
How: the four levels of the Corpus of Plagiarised Short Answers (Clough &
Stevenson, "Developing a corpus of plagiarised short answers", Language
Resources and Evaluation 45(1), 2011). How much: the three levels of the METER
corpus of journalistic reuse (Gaizauskas et al., "The METER corpus", 2001).

=================  =============  ==========================================
level              Clough-Stev.   meaning
=================  =============  ==========================================
copied             cut            reused passages pasted, near verbatim
lightly edited     light          copied, then words or grammar changed
rewritten          heavy          paraphrased, restructured
not derived        non            written independently
=================  =============  ==========================================

METER: wholly derived (the source is all, or nearly all, of the text), partially
derived (the source is one of its materials), not derived.

The level is read from three shares of the derived text ``b``'s words,
measured against its source ``a``:

* ``coverage``: words inside an aligned passage;
* ``verbatim``: words inside a word :data:`VERBATIM_RUN`-gram that the source
  also has, anywhere: the trigram containment that Clough & Stevenson found
  the best single measure of the level (runs, not single shared words, so that
  the function words of a paraphrase do not count as copying; anywhere in the
  source, so that a cut-and-paste answer that reorders its pieces counts in full);
* ``passage_verbatim``: of the words inside aligned passages, the share that is
  verbatim in that sense. It says *how* the reused text was reused, whatever
  its amount: a pasted passage keeps (almost) every word, an edited one does not.

A decision list (:func:`classify`): not derived without a passage or with too
little verbatim text; copied when the passages are verbatim
(``passage_verbatim`` at least :data:`COPIED_PASSAGE_VERBATIM`); lightly edited
when much of the text is verbatim; else rewritten. How much of ``b`` is reused
is the METER level (:func:`meter_level`), read from ``coverage``: a text that
pastes one paragraph of its source into its own writing is copied, but only
partially derived.

The copied cut is a definition (verbatim but for one word in twenty: typos and
tokenising differences), not fitted; the other cuts were fitted on the
Clough-Stevenson corpus; see ``copytrace.evaluation.derivation`` for the
cross-validated accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from copytrace.align import Passage
from copytrace.text import Tokens, tokenise

VERBATIM_RUN = 3
COPIED_PASSAGE_VERBATIM = 0.95
WHOLLY_DERIVED_COVERAGE = 0.8


class DerivationLevel(Enum):
    """How a text derives from a source, from most to least reuse."""

    COPIED = "copied"
    LIGHTLY_EDITED = "lightly edited"
    REWRITTEN = "rewritten"
    NOT_DERIVED = "not derived"

    @property
    def derived(self) -> bool:
        return self is not DerivationLevel.NOT_DERIVED


def meter_level(level: DerivationLevel, coverage: float) -> str:
    """The METER level (Gaizauskas et al. 2001): how much of the text is reused.

    Wholly derived when at least :data:`WHOLLY_DERIVED_COVERAGE` of its words lie
    in passages aligned with the source (a trimmed or reworded reprint, allowing
    a fifth for the reprint's own headline, linking words and unaligned
    paraphrase), partially derived when less (the source is one of its materials).
    """
    if not level.derived:
        return "not derived"
    return "wholly derived" if coverage >= WHOLLY_DERIVED_COVERAGE else "partially derived"


@dataclass(frozen=True)
class DerivationEvidence:
    """Shares of the derived text's words: in aligned passages, kept verbatim,
    and kept verbatim among those in aligned passages."""

    coverage: float
    verbatim: float
    passage_verbatim: float

    def to_json(self) -> dict:
        return {"coverage": self.coverage, "verbatim": self.verbatim, "passage_verbatim": self.passage_verbatim}


@dataclass(frozen=True)
class DerivationThresholds:
    """Cut points of the decision list in :func:`classify`."""

    derived_coverage: float
    derived_verbatim: float
    edited_verbatim: float
    copied_passage_verbatim: float = COPIED_PASSAGE_VERBATIM


# Fitted on all 95 Clough-Stevenson answers by
# copytrace.evaluation.derivation.fit_thresholds (accuracy-maximising grid search).
DEFAULT_THRESHOLDS = DerivationThresholds(
    derived_coverage=0.0,
    derived_verbatim=0.18,
    edited_verbatim=0.62,
)


def derivation_evidence(
    passages: Sequence[Passage],
    a_text: str,
    b_text: str,
    a_span: tuple[int, int] | None = None,
    b_span: tuple[int, int] | None = None,
) -> DerivationEvidence:
    """Coverage and verbatim shares of ``b_text`` (its ``b_span``, by default all
    of it) from passages of ``align(a_text, b_text)``."""
    words = tokenise(b_text, *(b_span or (0, len(b_text))))
    source_words = tokenise(a_text, *(a_span or (0, len(a_text))))
    if not len(words):
        return DerivationEvidence(0.0, 0.0, 0.0)
    inside = words.within((passage.b_start, passage.b_end) for passage in passages)
    verbatim = _in_shared_ngrams(source_words, words)
    return DerivationEvidence(
        coverage=float(inside.mean()),
        verbatim=float(verbatim.mean()),
        passage_verbatim=float(verbatim[inside].mean()) if inside.any() else 0.0,
    )


def _in_shared_ngrams(source: Tokens, derived: Tokens, n: int = VERBATIM_RUN) -> np.ndarray:
    """For each of ``derived``'s words: is it inside a word n-gram that ``source`` also has?"""
    source_grams = set(zip(*(source.forms[k:] for k in range(n))))
    in_shared = np.zeros(len(derived) + 1, dtype=np.int64)
    for start, gram in enumerate(zip(*(derived.forms[k:] for k in range(n)))):
        if gram in source_grams:
            in_shared[start] += 1
            in_shared[start + n] -= 1
    return np.cumsum(in_shared)[:-1] > 0


def classify(
    evidence: DerivationEvidence, thresholds: DerivationThresholds = DEFAULT_THRESHOLDS
) -> DerivationLevel:
    """The level of a text with this evidence: a decision list on the three shares."""
    if (
        evidence.coverage == 0
        or evidence.coverage < thresholds.derived_coverage
        or evidence.verbatim < thresholds.derived_verbatim
    ):
        return DerivationLevel.NOT_DERIVED
    if evidence.passage_verbatim >= thresholds.copied_passage_verbatim:
        return DerivationLevel.COPIED
    if evidence.verbatim >= thresholds.edited_verbatim:
        return DerivationLevel.LIGHTLY_EDITED
    return DerivationLevel.REWRITTEN


def derivation_level(
    passages: Sequence[Passage],
    a_text: str,
    b_text: str,
    thresholds: DerivationThresholds = DEFAULT_THRESHOLDS,
) -> DerivationLevel:
    """How ``b_text`` derives from ``a_text``, given the passages of ``align(a_text, b_text)``."""
    return classify(derivation_evidence(passages, a_text, b_text), thresholds)
