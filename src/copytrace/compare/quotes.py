"""Quotations: did the reprint quote the source faithfully?

Quotations are found by their marks: ``«…»``, ``“…”``, ``"…"``, ``„…“`` and
``‘…’`` inside one paragraph, and direct speech that opens a paragraph with a
dash (``– We have developed…``) and runs to the first unmatched closing ``”``
(possibly paragraphs later), as press releases write it. Quotations shorter
than :data:`MIN_QUOTE_WORDS` words are titles or terms (``“Central Asia
Plus”``), not speech, and are left out; so are quotations inside another.

Each reprint quotation is matched to its best counterpart in the source body
with rapidfuzz's ``partial_ratio_alignment`` over word ids (the best-matching
window of source words, each word one symbol), then compared word by word
(:func:`copytrace.compare.edits.word_ops`). Statuses of reprint quotations:

* ``verbatim``: the words of a source quotation, unchanged;
* ``altered``: a source quotation with words changed, added or removed;
* ``paraphrased``: the words are in the source, but outside quotation marks —
  narrative turned into a quotation;
* ``not_found``: nothing in the source matches.

Source quotations that no reprint quotation uses are ``unquoted`` when their
words appear in the reprint outside quotation marks, else ``dropped``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import regex
from rapidfuzz import fuzz

from copytrace.compare.edits import Span, SpanPair, token_span, word_ops
from copytrace.text import Tokens, tokenise, words

MIN_QUOTE_WORDS = 4
# Lowest partial-ratio score (0–100, over words) of a quotation and its counterpart.
MIN_MATCH_SCORE = 60.0

_PAIRED = regex.compile(
    r"«(?P<q>[^«»\n]+)»"
    r"|“(?P<q>[^“”\n]+)”"
    r"|„(?P<q>[^„“”\n]+)[“”]"
    r'|"(?P<q>[^"\n]+)"'
    r"|‘(?P<q>(?:[^‘’\n]|’(?=\p{L}))+)’(?!\p{L})"
)
_DASH_OPENING = regex.compile(r"(?:\A|\n)[ \t]*[–—][ \t]+")


@dataclass(frozen=True)
class Quotation:
    """The words between the marks: ``text == document_text[start:end]``."""

    start: int
    end: int
    text: str

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class QuotationMatch:
    """A reprint quotation and what it corresponds to in the source.

    ``source`` is the span of source words it matches (``None`` if not found),
    ``source_quotation`` the source quotation holding them (``None`` unless
    verbatim or altered), ``changes`` the word changes from source to reprint,
    ``score`` the partial-ratio score of the match (0–100).
    """

    quotation: Quotation
    status: str
    score: float
    source: Span | None = None
    source_quotation: Quotation | None = None
    changes: list[SpanPair] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "quotation": self.quotation.to_json(),
            "status": self.status,
            "score": round(self.score, 2),
            "source": self.source.to_json() if self.source else None,
            "source_quotation": self.source_quotation.to_json() if self.source_quotation else None,
            "changes": [change.to_json() for change in self.changes],
        }


@dataclass(frozen=True)
class SourceQuotation:
    """A source quotation the reprint does not quote: ``dropped`` or ``unquoted``
    (then ``reprint`` is where its words stand in the reprint)."""

    quotation: Quotation
    status: str
    reprint: Span | None = None

    def to_json(self) -> dict:
        return {
            "quotation": self.quotation.to_json(),
            "status": self.status,
            "reprint": self.reprint.to_json() if self.reprint else None,
        }


@dataclass(frozen=True)
class QuotationReport:
    """Every reprint quotation with its status, and the source quotations it leaves out."""

    reprint: list[QuotationMatch]
    source: list[SourceQuotation]

    @property
    def altered(self) -> list[QuotationMatch]:
        return [match for match in self.reprint if match.status == "altered"]

    def to_json(self) -> dict:
        return {
            "reprint": [match.to_json() for match in self.reprint],
            "source_not_quoted": [quotation.to_json() for quotation in self.source],
        }


def find_quotations(text: str, start: int = 0, end: int | None = None) -> list[Quotation]:
    """Quotations of ``text[start:end]`` (at least :data:`MIN_QUOTE_WORDS` words), in text order."""
    end = len(text) if end is None else end
    spans = [match.span("q") for match in _PAIRED.finditer(text, start, end)]
    spans += _dash_quotations(text, start, end)
    spans = [(a, b) for a, b in _trimmed(text, spans) if len(words(text[a:b])) >= MIN_QUOTE_WORDS]
    outermost = [
        (a, b) for a, b in spans if not any(c <= a and b <= d and (c, d) != (a, b) for c, d in spans)
    ]
    return [Quotation(a, b, text[a:b]) for a, b in sorted(set(outermost))]


def quotation_report(
    source_text: str, source_body: tuple[int, int], reprint_text: str, reprint_body: tuple[int, int]
) -> QuotationReport:
    """Match every reprint quotation to the source; list the source quotations left out."""
    source_words, reprint_words = tokenise(source_text, *source_body), tokenise(reprint_text, *reprint_body)
    source_quotes = find_quotations(source_text, *source_body)
    reprint_quotes = find_quotations(reprint_text, *reprint_body)
    symbols = _Symbols()
    source_string, reprint_string = symbols.encode(source_words.forms), symbols.encode(reprint_words.forms)
    matches = [_match(quote, source_words, source_string, source_quotes, symbols) for quote in reprint_quotes]
    left_out = [
        _left_out(quote, reprint_words, reprint_string, reprint_quotes, symbols)
        for quote in source_quotes
        if not _used_by(quote, matches)
    ]
    return QuotationReport(reprint=matches, source=left_out)


def _dash_quotations(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Direct speech opening a paragraph with a dash; it ends at the first ``”``
    that closes no ``“`` of its own, before the next dash paragraph, or else at
    the end of the paragraph."""
    openings = [m.end() for m in _DASH_OPENING.finditer(text, start, end) if m.end() < end]
    spans = []
    for k, opening in enumerate(openings):
        limit = openings[k + 1] if k + 1 < len(openings) else end
        depth, close = 0, None
        for position in range(opening, limit):
            char = text[position]
            if char == "“":
                depth += 1
            elif char == "”":
                if depth == 0:
                    close = position
                    break
                depth -= 1
        if close is None:
            paragraph_end = text.find("\n", opening, limit)
            close = limit if paragraph_end < 0 else paragraph_end
        spans.append((opening, close))
    return spans


def _trimmed(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Without surrounding space and the comma before a closing mark (``relevant,”``)."""
    trimmed = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and (text[b - 1].isspace() or text[b - 1] == ","):
            b -= 1
        if a < b:
            trimmed.append((a, b))
    return trimmed


class _Symbols:
    """One character per distinct word, so rapidfuzz string scorers work on words."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def encode(self, forms: Sequence[str]) -> str:
        # Supplementary planes: plenty of code points, none of them combining.
        for form in dict.fromkeys(forms):
            if form not in self.codes:
                self.codes[form] = chr(0x10000 + len(self.codes))
        return "".join(map(self.codes.__getitem__, forms))


def _best_window(needle: str, haystack: str) -> tuple[float, int, int]:
    """Score and word range of the best match of ``needle`` inside ``haystack``."""
    if not needle or not haystack:
        return 0.0, 0, 0
    if len(needle) > len(haystack):
        return 0.0, 0, 0
    alignment = fuzz.partial_ratio_alignment(needle, haystack)
    return alignment.score, alignment.dest_start, alignment.dest_end


def _match(
    quote: Quotation, source: Tokens, source_string: str, source_quotes: list[Quotation], symbols: _Symbols
) -> QuotationMatch:
    quote_tokens = tokenise(quote.text)
    score, first, stop = _best_window(symbols.encode(quote_tokens.forms), source_string)
    if score < MIN_MATCH_SCORE:
        return QuotationMatch(quote, "not_found", score)
    # Widen the window with context: the edit script then finds the true ends.
    pad = max(3, len(quote_tokens) // 4)
    window = list(range(max(0, first - pad), min(len(source), stop + pad)))
    ops = word_ops([source.forms[i] for i in window], quote_tokens.forms, trim_a=True)
    matched = window[ops[0].a0 : ops[-1].a1] if ops else []
    source_span = token_span(source, matched)
    holder = _holding_quotation(source_span, source_quotes)
    changes = [
        SpanPair(token_span(source, window[op.a0 : op.a1]), _shifted(token_span(quote_tokens, range(op.b0, op.b1)), quote))
        for op in ops
        if op.tag != "equal"
    ]
    if holder is None:
        status = "paraphrased"
    else:
        status = "altered" if changes else "verbatim"
    return QuotationMatch(quote, status, score, source_span, holder, changes)


def _shifted(span: Span | None, quote: Quotation) -> Span | None:
    """A span of the quotation's own text as a span of the reprint."""
    if span is None:
        return None
    return Span(span.start + quote.start, span.end + quote.start, span.text)


def _holding_quotation(span: Span | None, quotes: list[Quotation]) -> Quotation | None:
    """The quotation holding most of ``span``, if it holds at least half of it."""
    if span is None:
        return None
    best, best_overlap = None, 0
    for quote in quotes:
        overlap = min(span.end, quote.end) - max(span.start, quote.start)
        if overlap > best_overlap:
            best, best_overlap = quote, overlap
    return best if 2 * best_overlap >= span.end - span.start else None


def _used_by(quote: Quotation, matches: list[QuotationMatch]) -> bool:
    return any(m.source and m.source.start < quote.end and quote.start < m.source.end for m in matches)


def _left_out(
    quote: Quotation, reprint: Tokens, reprint_string: str, reprint_quotes: list[Quotation], symbols: _Symbols
) -> SourceQuotation:
    score, first, stop = _best_window(symbols.encode(words(quote.text)), reprint_string)
    if score < MIN_MATCH_SCORE or stop <= first:
        return SourceQuotation(quote, "dropped")
    span = token_span(reprint, range(first, stop))
    if _holding_quotation(span, reprint_quotes) is not None:
        return SourceQuotation(quote, "dropped")  # only matches words the reprint quotes elsewhere
    return SourceQuotation(quote, "unquoted", span)
