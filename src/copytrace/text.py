"""Stage 2: normalise and tokenise text, keeping character offsets into the original.

Words are runs of letters, marks and digits (apostrophes inside a word kept),
found with the Unicode properties of the ``regex`` module, so any script works.
Scripts written without spaces (Han, Kana, Thai, Lao, Khmer, Myanmar) are
tokenised by character, the usual fallback for CJK text retrieval.

Every token keeps ``start``/``end`` offsets into the text it came from; every
span copytrace reports is built from these offsets, never from normalised text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import regex

_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_WORD = regex.compile(
    rf"[{_UNSPACED}]|[^\W_{_UNSPACED}]+(?:['’ʼ][^\W_{_UNSPACED}]+)*",
    regex.UNICODE,
)
# Typographic variants folded before matching: quotes, apostrophes, dashes.
_FOLD = str.maketrans(
    {
        "’": "'", "‘": "'", "ʼ": "'", "‚": "'", "′": "'",
        "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "″": '"',
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    }
)
_SENTENCE_END = regex.compile(r"[.!?…](?=[\s\"'”’»)\]])|[。！？]")
_LINE_FEED = regex.compile(r"\n")
_FULL_STOP = regex.compile(r"\.")
_PARAGRAPH_BREAK = regex.compile(r"\n[ \t\r\f\v]*\n\s*")
_LINE_BREAK = regex.compile(r"\n\s*")
STEM_LENGTH = 5


def fold(text: str) -> str:
    """Fold compatibility forms (NFKC), quote and dash variants; keep case."""
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


@lru_cache(maxsize=1 << 18)
def normalise(word: str) -> str:
    """The form used to match words: folded and case-folded."""
    return fold(word).casefold()


@lru_cache(maxsize=1 << 18)
def stem(form: str) -> str:
    """A language-independent stem: the normalised word truncated to 5 characters.

    Truncation stemming (Mayfield & McNamee, SIGIR 2003) is as good as a
    rule-based stemmer for retrieval in most European languages and needs no
    per-language rules.
    """
    return form[:STEM_LENGTH]


@dataclass(frozen=True, eq=False)
class Tokens:
    """The words of ``text[offset:offset+len(span)]``, with offsets into ``text``."""

    text: str
    starts: np.ndarray
    ends: np.ndarray
    forms: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.forms)

    def char_span(self, first: int, stop: int) -> tuple[int, int]:
        """Character span covering tokens ``first`` up to (not including) ``stop``."""
        return int(self.starts[first]), int(self.ends[stop - 1])


@lru_cache(maxsize=32)
def tokenise(text: str, start: int = 0, end: int | None = None) -> Tokens:
    """Tokenise ``text[start:end]``; offsets are into the whole ``text``.

    Cached: one comparison reads the same body from several stages (aligner,
    edit report, names, quotations, source decision). The arrays are read-only.
    """
    end = len(text) if end is None else end
    spans = np.array([match.span() for match in _WORD.finditer(text, start, end)], dtype=np.int64).reshape(-1, 2)
    spans.flags.writeable = False
    starts, ends = spans[:, 0], spans[:, 1]
    forms = tuple(map(normalise, map(text.__getitem__, map(slice, starts.tolist(), ends.tolist()))))
    return Tokens(text=text, starts=starts, ends=ends, forms=forms)


def words(text: str) -> list[str]:
    """The normalised forms of the words of a short text, without offsets."""
    return [normalise(word) for word in _WORD.findall(text)]


def sentence_bounds(tokens: Tokens) -> np.ndarray:
    """Token indices where sentences start, followed by ``len(tokens)``.

    A sentence ends where the text between two words holds a terminator
    followed by space or a closing quote, a CJK full stop, or a line break,
    or a full stop before a capitalised word.
    """
    if not len(tokens):
        return np.asarray([0], dtype=np.int64)
    text, starts = tokens.text, tokens.starts
    first, last = int(starts[0]), int(tokens.ends[-1])
    # Terminators lie between words (none is a word character), so the token
    # after each one starts a sentence.
    ends = [m.start() for m in _SENTENCE_END.finditer(text, first, last)]
    ends += [m.start() for m in _LINE_FEED.finditer(text, first, last)]
    after = np.searchsorted(starts, np.asarray(ends, dtype=np.int64), side="right")
    stops = np.asarray([m.start() for m in _FULL_STOP.finditer(text, first, last)], dtype=np.int64)
    after_stop = np.searchsorted(starts, stops, side="right")
    after_stop = after_stop[after_stop < len(tokens)]
    capitalised = [text[int(starts[i])].isupper() for i in after_stop]
    inside = np.concatenate([after, after_stop[np.asarray(capitalised, dtype=bool)]])
    inside = inside[(inside > 0) & (inside < len(tokens))]
    return np.unique(np.concatenate([[0], inside, [len(tokens)]])).astype(np.int64)


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the paragraphs of ``text[start:end]``.

    Paragraphs are separated by blank lines; a text without blank lines is
    split at line breaks. Surrounding white space is not part of a span.
    """
    end = len(text) if end is None else end
    breaker = _PARAGRAPH_BREAK if _PARAGRAPH_BREAK.search(text, start, end) else _LINE_BREAK
    spans, cursor = [], start
    for match in breaker.finditer(text, start, end):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, end))
    return [strip_span(text, a, b) for a, b in spans if text[a:b].strip()]


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` narrowed past the white space at both ends of ``text[start:end]``."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
