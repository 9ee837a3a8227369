"""Names and figures a reprint cut or added.

A reprint that drops a country, an organisation or a figure changes what the
story says even when every sentence it keeps is verbatim, so these are listed
apart from the word-level edits. Mentions are found with Unicode-aware
patterns: dates, money, percentages, other numbers, and proper names —
maximal runs of capitalised words, without the function words that open
sentences (``The``, ``In``) and without single capitalised words at the start
of a sentence unless the same word is capitalised elsewhere mid-sentence.
A mention is cut when the reprint has no mention with the same key (names:
the same words, case-insensitive; figures: the same normalised figure).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from copytrace.stopwords import STOPWORDS
from copytrace.text import fold, normalise, tokenise, words

_MONTH = (
    r"(?:(?:January|February|March|April|May|June|July|August|September|October|November|December)\b"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?)"
)
_NUMBER = r"\d+(?:[.,٫٬]\d+)*"  # ٫ ٬: the Arabic decimal and thousands separators
_SCALE = r"(?:\s?(?:thousand|million|billion|trillion|bn|mln|mn)\b)?"
_CURRENCY_WORD = r"(?:dollars?|euros?|pounds?|tenge|roubles?|rubles?|yuan|USD|EUR|GBP)\b"
_FIGURES = (
    ("date", regex.compile(
        rf"\b(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\s+{_MONTH}(?:,?\s+\d{{4}})?"
        rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?)",
        regex.IGNORECASE,
    )),
    ("money", regex.compile(
        rf"[$€£¥₸₽]\s?{_NUMBER}{_SCALE}|{_NUMBER}{_SCALE}\s?(?:[$€£¥₸₽]|{_CURRENCY_WORD})", regex.IGNORECASE
    )),
    ("percentage", regex.compile(rf"{_NUMBER}\s?(?:[%٪％﹪]|percent\b|per\s+cent\b)", regex.IGNORECASE)),
    ("number", regex.compile(rf"(?<![\p{{L}}\p{{N}}]){_NUMBER}(?:st|nd|rd|th)?{_SCALE}(?![\p{{L}}\p{{N}}])")),
)
_DIGIT = regex.compile(r"(?![0-9])\d")  # a decimal digit of another script
_ARABIC_SIGNS = str.maketrans("٫٬٪", ".,%")  # NFKC leaves them; it folds ％ and ﹪ to %
_NAME_WORD = r"\p{Lu}[\p{L}\p{M}\p{N}]*(?:[-'’][\p{L}\p{M}\p{N}]+)*"
_NAME_RUN = regex.compile(rf"(?<![\p{{L}}\p{{M}}\p{{N}}]){_NAME_WORD}(?:[ \t]+{_NAME_WORD})*")
_WORD = regex.compile(_NAME_WORD)
_POSSESSIVE = regex.compile(r"['’]s$")
# What may stand between a sentence end (or the body start) and its first word.
_OPENERS = r"[\s\"'“”«»„‘’()\[\]–—-]*"
_SENTENCE_END = regex.compile(rf"(?:[.!?…:;]|\n){_OPENERS}")
_ONLY_OPENERS = regex.compile(_OPENERS)


@dataclass(frozen=True)
class Mention:
    """A name or figure: ``text == document_text[start:end]``; ``key`` is what is compared."""

    kind: str  # "name", "date", "money", "percentage" or "number"
    start: int
    end: int
    text: str
    key: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "start": self.start, "end": self.end, "text": self.text, "key": self.key}


@dataclass(frozen=True)
class NamesReport:
    """Names and figures of the source missing from the reprint (cut) and the other way round (added)."""

    cut: list[Mention]
    added: list[Mention]

    def to_json(self) -> dict:
        return {"cut": [m.to_json() for m in self.cut], "added": [m.to_json() for m in self.added]}


def find_mentions(text: str, start: int = 0, end: int | None = None) -> list[Mention]:
    """Names and figures of ``text[start:end]``, in text order, offsets into ``text``."""
    end = len(text) if end is None else end
    mentions: list[Mention] = []
    taken = bytearray(end - start)  # characters already inside a figure

    def free(first: int, stop: int) -> bool:
        return taken.find(1, first - start, stop - start) < 0

    for kind, pattern in _FIGURES:
        for match in pattern.finditer(text, start, end):
            if free(*match.span()):
                taken[match.start() - start : match.end() - start] = b"\x01" * (match.end() - match.start())
                mentions.append(Mention(kind, match.start(), match.end(), match.group(), _figure_key(match.group())))
    openings = _sentence_openings(text, start, end)
    capitalised_inside = _capitalised_mid_sentence(text, start, end, openings)
    for match in _NAME_RUN.finditer(text, start, end):
        mention = _name(text, match, openings, capitalised_inside)
        if mention and free(mention.start, mention.end):
            mentions.append(mention)
    return sorted(mentions, key=lambda m: m.start)


def names_report(
    source_text: str, source_body: tuple[int, int], reprint_text: str, reprint_body: tuple[int, int]
) -> NamesReport:
    """Names and figures cut from the source and added by the reprint (first mention of each)."""
    source = find_mentions(source_text, *source_body)
    reprint = find_mentions(reprint_text, *reprint_body)
    return NamesReport(
        cut=_missing(source, reprint, _joined_forms(reprint_text, reprint_body)),
        added=_missing(reprint, source, _joined_forms(source_text, source_body)),
    )


def _missing(mentions: list[Mention], other: list[Mention], other_forms: str) -> list[Mention]:
    """First mention of each key that ``other`` lacks; a name counts as present
    when its words occur in the other text, capitalised or not."""
    other_keys = {m.key for m in other}
    seen: set[str] = set()
    missing = []
    for mention in mentions:
        if mention.key in seen:
            continue
        seen.add(mention.key)
        present = (f" {mention.key} " in other_forms) if mention.kind == "name" else mention.key in other_keys
        if not present:
            missing.append(mention)
    return missing


def _joined_forms(text: str, body: tuple[int, int]) -> str:
    return " " + _name_key(tokenise(text, *body).forms) + " "


def _name_key(forms: Sequence[str]) -> str:
    """Words joined by spaces, without possessive 's (``Turkmenistan’s`` is ``Turkmenistan``)."""
    return " ".join(form.removesuffix("'s") for form in forms)


def _figure_key(figure: str) -> str:
    """``$10 billion`` → ``$10billion``; ``80 per cent`` → ``80%``; digits of every script
    as ASCII digits (``٣٥`` and ``３５`` are ``35``), so a reprint that writes a figure in
    other digits keeps it."""
    key = regex.sub(r"\s+", "", fold(figure).casefold()).replace("percent", "%")
    return _DIGIT.sub(_ascii_digit, key).translate(_ARABIC_SIGNS)


def _ascii_digit(digit: regex.Match) -> str:
    """A digit as ASCII; kept as it is where Python's Unicode tables predate its script's
    (``regex`` knows more digits than :mod:`unicodedata`)."""
    value = unicodedata.decimal(digit.group(), None)
    return digit.group() if value is None else str(value)


def _sentence_openings(text: str, start: int, end: int) -> set[int]:
    """Positions in ``text[start:end]`` where a word would open a sentence:
    after a sentence end (or the body start) and any quotes, brackets or dashes."""
    openings = {match.end() for match in _SENTENCE_END.finditer(text, start, end)}
    openings.add(_ONLY_OPENERS.match(text, start, end).end())
    return openings


def _name(text: str, match: regex.Match, openings: set[int], capitalised_inside: set[str]) -> Mention | None:
    """The proper name in a run of capitalised parts, or ``None``."""
    parts = list(_WORD.finditer(match.group()))
    at_sentence_start = match.start() in openings
    while parts and normalise(parts[0].group()) in STOPWORDS:
        parts.pop(0)
        at_sentence_start = False
    while parts and normalise(parts[-1].group()) in STOPWORDS:
        parts.pop()
    if not parts:
        return None
    if at_sentence_start and len(parts) == 1 and normalise(parts[0].group()) not in capitalised_inside:
        return None
    start = match.start() + parts[0].start()
    end = match.start() + parts[-1].end()
    possessive = _POSSESSIVE.search(text, start, end)
    end = possessive.start() if possessive else end
    name = text[start:end]
    return Mention("name", start, end, name, _name_key(words(name)))


def _capitalised_mid_sentence(text: str, start: int, end: int, openings: set[int]) -> set[str]:
    """Normalised words that appear capitalised somewhere other than a sentence start."""
    found = set()
    for match in _WORD.finditer(text, start, end):
        if match.start() not in openings:
            found.add(normalise(match.group()))
    return found
