"""Derivation level: how much of a text is reused from a source, and how.

The levels follow the Corpus of Plagiarised Short Answers (Clough & Stevenson,
"Developing a corpus of plagiarised short answers", Language Resources and
Evaluation 45(1), 2011), whose four levels refine the three of the METER
corpus of journalistic reuse (Gaizauskas et al., "The METER corpus", 2001):

=================  =============  ====================================
level              Clough-Stev.   METER
=================  =============  ====================================
copied             cut            wholly derived: near-verbatim copy
lightly edited     light          partially derived: copy, light edits
rewritten          heavy          partially derived: paraphrased
not derived        non            not derived
=================  =============  ====================================

The level is read from two measurements of the derived text ``b`` against its
source ``a``, both shares of ``b``'s words:

* ``coverage``: words inside an aligned passage;
* ``verbatim``: words inside a word :data:`VERBATIM_RUN`-gram that the source
  also has, anywhere: the trigram containment that Clough & Stevenson found
  the best single measure of the level (runs, not single shared words, so that
  the function words of a paraphrase do not count as copying; anywhere in the
  source, so that a cut-and-paste answer that reorders its pieces counts in full).

A text is derived only if the aligner found at least one passage.

Thresholds on them were fitted on the Clough-Stevenson corpus; see
``copytrace.evaluation.derivation`` for the cross-validated accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from copytrace.align import Passage
from copytrace.text import Tokens, tokenise

VERBATIM_RUN = 3


class DerivationLevel(Enum):
    """How a text derives from a source, from most to least reuse."""

    COPIED = "copied"
    LIGHTLY_EDITED = "lightly edited"
    REWRITTEN = "rewritten"
    NOT_DERIVED = "not derived"

    @property
    def derived(self) -> bool:
        return self is not DerivationLevel.NOT_DERIVED

    @property
    def meter(self) -> str:
        """The METER level: wholly, partially or not derived."""
        return {
            DerivationLevel.COPIED: "wholly derived",
            DerivationLevel.LIGHTLY_EDITED: "partially derived",
            DerivationLevel.REWRITTEN: "partially derived",
            DerivationLevel.NOT_DERIVED: "not derived",
        }[self]


@dataclass(frozen=True)
class DerivationEvidence:
    """Shares of the derived text's words: in aligned passages, and kept verbatim."""

    coverage: float
    verbatim: float

    def to_json(self) -> dict:
        return {"coverage": self.coverage, "verbatim": self.verbatim}


@dataclass(frozen=True)
class DerivationThresholds:
    """Cut points of the decision list in :func:`classify`."""

    derived_coverage: float
    derived_verbatim: float
    edited_verbatim: float
    copied_verbatim: float


# Fitted on all 95 Clough-Stevenson answers by
# copytrace.evaluation.derivation.fit_thresholds (accuracy-maximising grid search).
DEFAULT_THRESHOLDS = DerivationThresholds(
    derived_coverage=0.0,
    derived_verbatim=0.18,
    edited_verbatim=0.66,
    copied_verbatim=0.92,
)


def derivation_evidence(
    passages: Sequence[Passage],
    a_text: str,
    b_text: str,
    a_span: tuple[int, int] | None = None,
    b_span: tuple[int, int] | None = None,
) -> DerivationEvidence:
    """Coverage and verbatim share of ``b_text`` (its ``b_span``, by default all
    of it) from passages of ``align(a_text, b_text)``."""
    words = tokenise(b_text, *(b_span or (0, len(b_text))))
    source_words = tokenise(a_text, *(a_span or (0, len(a_text))))
    if not len(words):
        return DerivationEvidence(0.0, 0.0)
    inside = np.zeros(len(words), dtype=bool)
    for passage in passages:
        inside |= (words.starts >= passage.b_start) & (words.ends <= passage.b_end)
    return DerivationEvidence(coverage=float(inside.mean()), verbatim=_shared_ngram_share(source_words, words))


def _shared_ngram_share(source: Tokens, derived: Tokens, n: int = VERBATIM_RUN) -> float:
    """Share of ``derived``'s words inside a word n-gram that ``source`` also has."""
    source_grams = set(zip(*(source.forms[k:] for k in range(n))))
    in_shared = np.zeros(len(derived) + 1, dtype=np.int64)
    for start, gram in enumerate(zip(*(derived.forms[k:] for k in range(n)))):
        if gram in source_grams:
            in_shared[start] += 1
            in_shared[start + n] -= 1
    return float((np.cumsum(in_shared)[:-1] > 0).mean())


def classify(
    evidence: DerivationEvidence, thresholds: DerivationThresholds = DEFAULT_THRESHOLDS
) -> DerivationLevel:
    """The level of a text with this evidence: a decision list on the two shares."""
    if (
        evidence.coverage == 0
        or evidence.coverage < thresholds.derived_coverage
        or evidence.verbatim < thresholds.derived_verbatim
    ):
        return DerivationLevel.NOT_DERIVED
    if evidence.verbatim >= thresholds.copied_verbatim:
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
