"""Which of two related articles is the source and which the reprint.

Each clue is a vote with a weight in log-odds (natural log of how much more
likely the clue is if its document is the source than if it is the reprint);
the votes add up, as in naive-Bayes evidence combination, and the confidence
is the logistic of the total. Weights are set by hand from how news copy is
made; they are documented in docs/compare.md.

==============  ==========================================================  ========
clue            favours                                                     weight
==============  ==========================================================  ========
date            the earlier document                                        2.0
containment     the document less covered by the other (a reprint is        6 × gap
                mostly made of its source; the source has more besides)     in shares
credit          a document whose credit line or dateline names its origin   1.0
                (1.5 when the credit names an official source)
attribution     the *other* document, for each kind of phrase attributing   0.75 each,
                the text to a statement (``according to``, ``the press      at most 2.0
                service … reported``, ``said in a statement``)
==============  ==========================================================  ========

Every clue is computed the same way for both documents and votes for one of
them, so swapping the arguments swaps the votes and the decision stays the
same. A tie (no clue, or clues that cancel) goes to the document whose
(text, id) sorts first, with confidence 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

from copytrace.align import Passage
from copytrace.ingest import Document
from copytrace.text import word_keys

DATE_WEIGHT = 2.0
CONTAINMENT_WEIGHT = 6.0
CREDIT_WEIGHT = 1.0
OFFICIAL_CREDIT_WEIGHT = 1.5
ATTRIBUTION_WEIGHT = 0.75
MAX_ATTRIBUTION_WEIGHT = 2.0

_OFFICIAL = regex.compile(
    r"\b(?:official|press service|press office|ministry|government|president|presidential|"
    r"embassy|agency|department|office of|website)\b",
    regex.IGNORECASE,
)
_ATTRIBUTIONS = {
    "press service reported": regex.compile(
        r"\bpress (?:service|office)\b[^.!?\n]{0,120}?\b(?:reported|said|says|announced|stated)\b", regex.I
    ),
    "according to": regex.compile(r"\baccording to (?!him\b|her\b|them\b)", regex.I),
    "said in a statement": regex.compile(
        r"\b(?:said|says|stated|announced|noted) in (?:a|the|its) (?:statement|press release|communiqué)\b", regex.I
    ),
    "the statement says": regex.compile(
        r"\bthe (?:statement|press release|report|communiqué) (?:says|said|reads|notes|noted|stated)\b", regex.I
    ),
}


# Words each attribution pattern needs (case-folded): a body without any of them is not
# searched with the pattern (``regex`` ignores case by simple folding, which casefold covers).
_ATTRIBUTION_WORDS = {
    "press service reported": ("press service", "press office"),
    "according to": ("according to",),
    "said in a statement": ("statement", "press release", "communiqué"),
    "the statement says": ("statement", "press release", "report", "communiqué"),
}


@dataclass(frozen=True)
class Evidence:
    """One clue: ``weight`` (log-odds, > 0) in favour of ``favours`` being the source."""

    kind: str
    detail: str
    weight: float
    favours: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "detail": self.detail, "weight": round(self.weight, 4), "favours": self.favours}


@dataclass(frozen=True)
class SourceDecision:
    """The source and the reprint of a pair, the confidence (0.5–1) and the clues."""

    source_id: str
    reprint_id: str
    confidence: float
    evidence: list[Evidence]

    def to_json(self) -> dict:
        return {
            "source": self.source_id,
            "reprint": self.reprint_id,
            "confidence": round(self.confidence, 4),
            "log_odds": round(self.log_odds, 4),
            "evidence": [clue.to_json() for clue in self.evidence],
        }

    @property
    def log_odds(self) -> float:
        """Sum of the weights for the source minus those against it."""
        return sum(e.weight if e.favours == self.source_id else -e.weight for e in self.evidence)


def decide_source(a: Document, b: Document, passages: Sequence[Passage],
                  coverage: tuple[float, float] | None = None) -> SourceDecision:
    """Decide which of ``a`` and ``b`` is the source; ``passages`` are ``align(a, b)``'s
    (``a_*`` offsets into ``a``); ``coverage``: their :func:`pair_coverage`, where the
    caller has it already. Works without dates, credits or attributions."""
    if a.id == b.id:
        a_key, b_key = f"{a.id} (first)", f"{b.id} (second)"  # ids must tell them apart
    else:
        a_key, b_key = a.id, b.id
    evidence = [
        *_date_evidence(a, b, a_key, b_key),
        *_containment_evidence(*(coverage or pair_coverage(a, b, passages)), a_key, b_key),
        *_credit_evidence(a, a_key),
        *_credit_evidence(b, b_key),
        *_attribution_evidence(b, b_key, a_key),
        *_attribution_evidence(a, a_key, b_key),
    ]
    score = sum(e.weight if e.favours == a_key else -e.weight for e in evidence)
    a_is_source = score > 0 or (score == 0 and (a.text, a.id) <= (b.text, b.id))
    source, reprint = (a_key, b_key) if a_is_source else (b_key, a_key)
    confidence = 1.0 / (1.0 + math.exp(-abs(score)))
    ordered = sorted(evidence, key=lambda e: -e.weight)
    return SourceDecision(source, reprint, confidence, ordered)


def _date_evidence(a: Document, b: Document, a_key: str, b_key: str) -> list[Evidence]:
    if a.date is None or b.date is None or a.date == b.date:
        return []
    earlier, later = (a, b) if a.date < b.date else (b, a)
    favours = a_key if earlier is a else b_key
    detail = f"dated {earlier.date.isoformat()}, the other {later.date.isoformat()}"
    return [Evidence("date", detail, DATE_WEIGHT, favours)]


def _containment_evidence(a_share: float, b_share: float, a_key: str, b_key: str) -> list[Evidence]:
    """A reprint is mostly covered by its source; the source has more besides."""
    if a_share == b_share:
        return []
    gap = abs(a_share - b_share)
    favours = a_key if a_share < b_share else b_key
    detail = f"{a_key} is {a_share:.0%} covered by the other, {b_key} {b_share:.0%}"
    return [Evidence("containment", detail, CONTAINMENT_WEIGHT * gap, favours)]


def pair_coverage(a: Document, b: Document, passages: Sequence[Passage]) -> tuple[float, float]:
    """The :func:`body_coverage` of ``a`` and of ``b`` by the passages ``align(a, b)`` found."""
    return (body_coverage(a, [(p.a_start, p.a_end) for p in passages]),
            body_coverage(b, [(p.b_start, p.b_end) for p in passages]))


def body_coverage(document: Document, spans: list[tuple[int, int]]) -> float:
    """Share of the words of ``document``'s body inside the character ``spans``: a pair's
    coverage, as ``compare`` counts it too (the breaks and punctuation between passages
    are no words, so a body shared whole is covered 1.0)."""
    return word_keys(document.text, *document.body_span).share_within(spans)  # cached: the aligner's words


def _credit_evidence(document: Document, key: str) -> list[Evidence]:
    credit = document.credit or document.source
    if not credit:
        return []
    official = _OFFICIAL.search(credit) is not None
    weight = OFFICIAL_CREDIT_WEIGHT if official else CREDIT_WEIGHT
    kind = "an official credit line" if official else "a credit line"
    return [Evidence("credit", f"{key} carries {kind}: {credit}", weight, key)]


@lru_cache(maxsize=64)
def _attributions(body: str) -> tuple[tuple[str, str], ...]:
    """(name, phrase) of each kind of attribution phrase found in ``body``; cached,
    because a scan decides the source of one article against several others."""
    folded = body.casefold()
    return tuple(
        (name, match.group())
        for name, pattern in _ATTRIBUTIONS.items()
        if any(word in folded for word in _ATTRIBUTION_WORDS[name]) and (match := pattern.search(body))
    )


def _attribution_evidence(document: Document, key: str, other_key: str) -> list[Evidence]:
    """Phrases in ``document`` that attribute its text to a statement favour the other."""
    found = _attributions(document.body)
    if not found:
        return []
    weight = min(MAX_ATTRIBUTION_WEIGHT, ATTRIBUTION_WEIGHT * len(found))
    phrases = "; ".join(f"“{phrase}”" for _, phrase in found)
    return [Evidence("attribution", f"{key} attributes its text to a statement: {phrases}", weight, other_key)]
