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

from dataclasses import dataclass

import regex

from copytrace.stopwords import STOPWORDS
from copytrace.text import fold, normalise, tokenise

_MONTH = (
    r"(?:(?:January|February|March|April|May|June|July|August|September|October|November|December)\b"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?)"
)
_NUMBER = r"\d+(?:[.,]\d+)*"
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
    ("percentage", regex.compile(rf"{_NUMBER}\s?(?:%|percent\b|per\s+cent\b)", regex.IGNORECASE)),
    ("number", regex.compile(rf"(?<![\p{{L}}\p{{N}}]){_NUMBER}(?:st|nd|rd|th)?{_SCALE}(?![\p{{L}}\p{{N}}])")),
)
_NAME_WORD = r"\p{Lu}[\p{L}\p{M}\p{N}]*(?:[-'’][\p{L}\p{M}\p{N}]+)*"
_NAME_RUN = regex.compile(rf"(?<![\p{{L}}\p{{M}}\p{{N}}]){_NAME_WORD}(?:[ \t]+{_NAME_WORD})*")
_WORD = regex.compile(_NAME_WORD)
_POSSESSIVE = regex.compile(r"['’]s$")
# What may stand between a sentence end (or the body start) and its first word.
_OPENERS = r"[\s\"'“”«»„‘’()\[\]–—-]*"
_AFTER_SENTENCE_END = regex.compile(rf"(?:[.!?…:;]|\n){_OPENERS}\Z")
_ONLY_OPENERS = regex.compile(_OPENERS)
_LOOK_BACK = 40


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
    taken: list[tuple[int, int]] = []
    for kind, pattern in _FIGURES:
        for match in pattern.finditer(text, start, end):
            if not any(match.start() < b and a < match.end() for a, b in taken):
                taken.append(match.span())
                mentions.append(Mention(kind, match.start(), match.end(), match.group(), _figure_key(match.group())))
    capitalised_inside = _capitalised_mid_sentence(text, start, end)
    for match in _NAME_RUN.finditer(text, start, end):
        mention = _name(text, match, start, capitalised_inside)
        if mention and not any(mention.start < b and a < mention.end for a, b in taken):
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


def _name_key(forms: tuple[str, ...]) -> str:
    """Words joined by spaces, without possessive 's (``Turkmenistan’s`` is ``Turkmenistan``)."""
    return " ".join(form.removesuffix("'s") for form in forms)


def _figure_key(figure: str) -> str:
    """``$10 billion`` → ``$10billion``; ``80 per cent`` → ``80%``."""
    return regex.sub(r"\s+", "", fold(figure).casefold()).replace("percent", "%")


def _opens_sentence(text: str, floor: int, position: int) -> bool:
    """Whether the word at ``position`` is the first of a sentence (or of the text from ``floor``)."""
    window_start = max(floor, position - _LOOK_BACK)
    prefix = text[window_start:position]
    if _AFTER_SENTENCE_END.search(prefix):
        return True
    return window_start == floor and _ONLY_OPENERS.fullmatch(prefix) is not None


def _name(text: str, match: regex.Match, body_start: int, capitalised_inside: set[str]) -> Mention | None:
    """The proper name in a run of capitalised words, or ``None``."""
    words = list(_WORD.finditer(match.group()))
    at_sentence_start = _opens_sentence(text, body_start, match.start())
    while words and normalise(words[0].group()) in STOPWORDS:
        words.pop(0)
        at_sentence_start = False
    while words and normalise(words[-1].group()) in STOPWORDS:
        words.pop()
    if not words:
        return None
    if at_sentence_start and len(words) == 1 and normalise(words[0].group()) not in capitalised_inside:
        return None
    start = match.start() + words[0].start()
    end = match.start() + words[-1].end()
    possessive = _POSSESSIVE.search(text, start, end)
    end = possessive.start() if possessive else end
    name = text[start:end]
    return Mention("name", start, end, name, _name_key(tokenise(name).forms))


def _capitalised_mid_sentence(text: str, start: int, end: int) -> set[str]:
    """Normalised words that appear capitalised somewhere other than a sentence start."""
    found = set()
    for match in _WORD.finditer(text, start, end):
        if not _opens_sentence(text, start, match.start()):
            found.add(normalise(match.group()))
    return found
