"""Edit report: what a reprint kept, changed, cut and added relative to its source.

Inside each aligned passage the two sides are compared word by word with the
Indel (insert/delete) edit script of :mod:`rapidfuzz` over the normalised word
forms; a deletion next to an insertion is one changed span (``Treaty`` →
``agreement``). Body words outside every passage are cut (source) or added
(reprint). Every span is a character span of the original text, so slicing
the text with it gives the reported text exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Indel

from copytrace.align import Passage
from copytrace.text import Tokens, paragraph_spans, tokenise


@dataclass(frozen=True)
class Span:
    """``text == document_text[start:end]``; ``whole_paragraph`` marks a cut or
    added span that is a complete paragraph."""

    start: int
    end: int
    text: str
    whole_paragraph: bool = False

    def to_json(self) -> dict:
        data = {"start": self.start, "end": self.end, "text": self.text}
        if self.whole_paragraph:
            data["whole_paragraph"] = True
        return data


@dataclass(frozen=True)
class SpanPair:
    """Words of the source and the reprint that correspond. A side is ``None``
    for a pure insertion (no source words) or deletion (no reprint words)."""

    source: Span | None
    reprint: Span | None

    def to_json(self) -> dict:
        return {
            "source": self.source.to_json() if self.source else None,
            "reprint": self.reprint.to_json() if self.reprint else None,
        }


@dataclass(frozen=True)
class WordOp:
    """One step of a word-level edit script over token index ranges."""

    tag: str  # "equal", "replace", "delete" or "insert"
    a0: int
    a1: int
    b0: int
    b1: int


@dataclass(frozen=True)
class EditReport:
    """Coverage of each text by the other (share of body words inside passages),
    and the kept, changed, cut and added spans, in text order."""

    source_coverage: float
    reprint_coverage: float
    kept: list[SpanPair]
    changed: list[SpanPair]
    cut: list[Span]
    added: list[Span]

    def to_json(self) -> dict:
        return {
            "source_coverage": round(self.source_coverage, 4),
            "reprint_coverage": round(self.reprint_coverage, 4),
            "kept": [pair.to_json() for pair in self.kept],
            "changed": [pair.to_json() for pair in self.changed],
            "cut": [span.to_json() for span in self.cut],
            "added": [span.to_json() for span in self.added],
        }


def word_ops(a_forms: Sequence[str], b_forms: Sequence[str], trim_a: bool = False) -> list[WordOp]:
    """Word-level edit script from ``a_forms`` to ``b_forms``.

    Adjacent deletions and insertions become one ``replace``. With ``trim_a``,
    leading and trailing deletions are dropped first: ``a`` was a window of
    context around the words ``b`` corresponds to.
    """
    vocabulary: dict[str, int] = {}
    a_ids = [vocabulary.setdefault(form, len(vocabulary)) for form in a_forms]
    b_ids = [vocabulary.setdefault(form, len(vocabulary)) for form in b_forms]
    raw = [WordOp(op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end) for op in Indel.opcodes(a_ids, b_ids)]
    if trim_a:
        while raw and raw[0].tag == "delete":
            raw.pop(0)
        while raw and raw[-1].tag == "delete":
            raw.pop()
    merged: list[WordOp] = []
    for op in raw:
        previous = merged[-1] if merged else None
        if previous and op.tag != "equal" and previous.tag != "equal":
            merged[-1] = WordOp("replace", previous.a0, op.a1, previous.b0, op.b1)
        else:
            merged.append(op)
    return merged


def token_span(tokens: Tokens, indices: Sequence[int]) -> Span | None:
    """The character span from the first to the last of ``indices``."""
    if not len(indices):
        return None
    start, end = int(tokens.starts[indices[0]]), int(tokens.ends[indices[-1]])
    return Span(start, end, tokens.text[start:end])


def edit_report(
    source_text: str,
    source_body: tuple[int, int],
    reprint_text: str,
    reprint_body: tuple[int, int],
    passages: Sequence[Passage],
) -> EditReport:
    """Kept, changed, cut and added spans of a reprint; passages are oriented
    ``a`` = source, ``b`` = reprint."""
    source, reprint = tokenise(source_text, *source_body), tokenise(reprint_text, *reprint_body)
    source_used, reprint_used = np.zeros(len(source), bool), np.zeros(len(reprint), bool)
    kept: list[SpanPair] = []
    changed: list[SpanPair] = []
    # Stronger passages first: where passages overlap, a word belongs to the first.
    for passage in sorted(passages, key=lambda p: (-p.similarity * (p.b_end - p.b_start), p.b_start, p.a_start)):
        source_words = _free_words(source, source_used, passage.a_start, passage.a_end)
        reprint_words = _free_words(reprint, reprint_used, passage.b_start, passage.b_end)
        source_used[source_words] = True
        reprint_used[reprint_words] = True
        for op in word_ops([source.forms[i] for i in source_words], [reprint.forms[j] for j in reprint_words]):
            a_words, b_words = source_words[op.a0 : op.a1], reprint_words[op.b0 : op.b1]
            if op.tag == "equal":
                kept.extend(_kept_runs(source, reprint, a_words, b_words))
            elif op.tag == "replace":
                changed.append(SpanPair(token_span(source, a_words), token_span(reprint, b_words)))
            else:  # a deletion is cut, an insertion added: leave the words unmatched
                source_used[a_words] = False
                reprint_used[b_words] = False
    return EditReport(
        source_coverage=_coverage(source, passages, "a"),
        reprint_coverage=_coverage(reprint, passages, "b"),
        kept=sorted(kept, key=_reprint_order),
        changed=sorted(changed, key=_reprint_order),
        cut=_unmatched_spans(source, ~source_used, source_body),
        added=_unmatched_spans(reprint, ~reprint_used, reprint_body),
    )


def _free_words(tokens: Tokens, used: np.ndarray, start: int, end: int) -> list[int]:
    inside = (tokens.starts >= start) & (tokens.ends <= end) & ~used
    return np.flatnonzero(inside).tolist()


def _kept_runs(source: Tokens, reprint: Tokens, a_words: list[int], b_words: list[int]) -> list[SpanPair]:
    """Split an equal stretch where either side skips words another passage owns."""
    runs, first = [], 0
    for k in range(1, len(a_words) + 1):
        if k == len(a_words) or a_words[k] != a_words[k - 1] + 1 or b_words[k] != b_words[k - 1] + 1:
            runs.append(SpanPair(token_span(source, a_words[first:k]), token_span(reprint, b_words[first:k])))
            first = k
    return runs


def _reprint_order(pair: SpanPair) -> tuple[int, int]:
    side = pair.reprint or pair.source
    return (side.start if side else 0), (pair.source.start if pair.source else 0)


def _coverage(tokens: Tokens, passages: Sequence[Passage], side: str) -> float:
    return tokens.share_within((p.a_start, p.a_end) if side == "a" else (p.b_start, p.b_end) for p in passages)


def _unmatched_spans(tokens: Tokens, unmatched: np.ndarray, body: tuple[int, int]) -> list[Span]:
    """Runs of unmatched words, one span per paragraph; a run that is a whole
    paragraph is reported as the paragraph (with its punctuation)."""
    paragraphs = paragraph_spans(tokens.text, *body)
    if not len(tokens) or not unmatched.any():
        return []
    starts = np.asarray([p[0] for p in paragraphs], dtype=np.int64)
    paragraph_of = np.searchsorted(starts, tokens.starts, side="right") - 1
    words_in = np.bincount(paragraph_of, minlength=len(paragraphs))
    # A run starts at an unmatched word after a matched one or a paragraph break.
    words = np.flatnonzero(unmatched)
    breaks = np.ones(len(words), dtype=bool)
    breaks[1:] = (np.diff(words) != 1) | (np.diff(paragraph_of[words]) != 0)
    firsts = np.flatnonzero(breaks)
    spans: list[Span] = []
    for run in np.split(words, firsts[1:]):
        paragraph = int(paragraph_of[run[0]])
        if len(run) == words_in[paragraph]:
            start, end = paragraphs[paragraph]
            spans.append(Span(start, end, tokens.text[start:end], whole_paragraph=True))
        else:
            spans.append(token_span(tokens, run.tolist()))
    return spans
