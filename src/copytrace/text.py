"""Stage 2: normalise and tokenise text, keeping character offsets into the original.

Words are runs of letters, marks and digits (apostrophes inside a word kept),
defined by the Unicode properties of the ``regex`` module (:data:`_WORD`), so
any script works. Scripts written without spaces (Han, Kana, Lao, Khmer,
Myanmar) are tokenised by character, the usual fallback for CJK text retrieval;
Thai, whose code points are letters, is then cut into words by dictionary
(:mod:`copytrace.segmentation`).
:func:`tokenise` finds them with a compiled scan (numba) over the code points,
looking each up in a table of every code point's class built from the same
``regex`` classes (:func:`character_classes`). It matches the regular expression
exactly, but for Thai, whose runs it then cuts by dictionary (a hypothesis test checks
both), and tokenises a 900-word article in 0.24 ms instead of 0.86 ms, most of it now
making the word forms.

Every token keeps ``start``/``end`` offsets into the text it came from; every
span copytrace reports is built from these offsets, never from normalised text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np
import regex

from copytrace.hashing import mix64
from copytrace.segmentation import THAI_BLOCK, thai_word_lengths

_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_WORD_CHARACTER = rf"[^\W_{_UNSPACED}]"
_APOSTROPHES = "'’ʼ"
_WORD = regex.compile(
    rf"[{_UNSPACED}]|{_WORD_CHARACTER}+(?:[{_APOSTROPHES}]{_WORD_CHARACTER}+)*",
    regex.UNICODE,
)
# Classes of code points in the table of character_classes(). A SEGMENTED code point
# (Thai) is a word of its own to _WORD and the compiled scans; tokenise then joins
# each run of them into the words of a dictionary.
BLANK, WORD_CHARACTER, OWN_WORD, APOSTROPHE, SEGMENTED = 0, 1, 2, 3, 4
CODE_POINTS = 0x110000
# Typographic variants folded before matching: quotes, apostrophes, dashes.
_FOLD = str.maketrans(
    {
        "’": "'", "‘": "'", "ʼ": "'", "‚": "'", "′": "'",
        "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "″": '"',
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    }
)
# Sentence ends (sentence_bounds): a terminator before a character of _AFTER_TERMINATOR,
# a CJK stop, a line feed, or a full stop before a capital.
_TERMINATORS = (ord("."), ord("!"), ord("?"), ord("…"))
_AFTER_TERMINATOR = r"[\s\"'”’»)\]]"
_CJK_STOPS = (ord("。"), ord("！"), ord("？"))
_LINE_FEED, _FULL_STOP = ord("\n"), ord(".")
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


def stem(form: str) -> str:
    """A language-independent stem: the normalised word truncated to 5 characters.

    Truncation stemming (Mayfield & McNamee, SIGIR 2003) is as good as a
    rule-based stemmer for retrieval in most European languages and needs no
    per-language rules. A Thai word, which does not inflect, is its own stem (cut to
    5 code points, 42% of the words of its dictionary would share a stem with another).
    """
    return form if has_segmented_script(form[:1]) else form[:STEM_LENGTH]


@dataclass(frozen=True, eq=False)
class WordSpans:
    """The words of a part of ``text``, as character offsets into ``text``."""

    text: str
    starts: np.ndarray
    ends: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    def within(self, spans: Iterable[tuple[int, int]]) -> np.ndarray:
        """For each word: does it lie wholly inside one of the character ``spans``?"""
        inside = np.zeros(len(self), dtype=bool)
        for lo, hi in self._ranges_within(spans):  # spans are few: passages, quotations
            inside[lo:hi] = True
        return inside

    def share_within(self, spans: Iterable[tuple[int, int]]) -> float:
        """The share of the words that :meth:`within` finds inside ``spans`` (0 for no
        words), from the union of their word ranges: no mask over the whole text, which
        cost most of the time of deciding a scan pair's source."""
        if not len(self):
            return 0.0
        return _words_inside(self.starts, self.ends, np.asarray(list(spans), dtype=np.int64).reshape(-1, 2)) / len(self)

    def _ranges_within(self, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        """For each character span, the range of the words wholly inside it."""
        bounds = np.asarray(list(spans), dtype=np.int64).reshape(-1, 2)
        # Starts and ends both increase, so the words inside a span are a range.
        first = np.searchsorted(self.starts, bounds[:, 0], side="left")
        stop = np.searchsorted(self.ends, bounds[:, 1], side="right")
        return list(zip(first.tolist(), stop.tolist()))

    def char_spans(self, firsts: np.ndarray, stops: np.ndarray) -> list[tuple[int, int]]:
        """The character span of each range of words ``firsts[k]`` up to (not
        including) ``stops[k]``."""
        return list(zip(self.starts[firsts].tolist(), self.ends[stops - 1].tolist()))


@numba.njit(cache=True)
def _words_inside(starts: np.ndarray, ends: np.ndarray, spans: np.ndarray) -> int:
    """How many words (``starts``, ``ends``: both increasing) lie wholly inside one of
    the character ``spans`` (rows start, end): the union of each span's word range, each
    word counted once. One compiled call: deciding a scan pair's source asks
    this of both articles (about 10 -> 5 µs a call, against a search per span in numpy)."""
    firsts = np.searchsorted(starts, spans[:, 0])
    stops = np.searchsorted(ends, spans[:, 1], side="right")
    covered = reach = 0
    for k in np.argsort(firsts):
        first = max(firsts[k], reach)
        if stops[k] > first:
            covered, reach = covered + stops[k] - first, stops[k]
    return covered


@dataclass(frozen=True, eq=False)
class Tokens(WordSpans):
    """The words of a part of ``text`` with their normalised forms (:func:`normalise`)."""

    forms: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class WordKeys(WordSpans):
    """The words of a part of ``text`` with a 64-bit key of each normalised form and
    of its stem (:func:`stem`): equal keys for equal strings, and different keys for
    different ones but with odds of 2**-64 a pair. For matching words without
    making a Python string per word; see :func:`word_keys`."""

    form_keys: np.ndarray
    stem_keys: np.ndarray


@lru_cache(maxsize=32)
def tokenise(text: str, start: int = 0, end: int | None = None) -> Tokens:
    """Tokenise ``text[start:end]``; offsets are into the whole ``text``.

    Cached: one comparison reads the same body from several stages (aligner,
    edit report, names, quotations, source decision). The arrays are read-only.
    """
    end = len(text) if end is None else end
    segment = text[start:end]
    codes, relative = _code_points_and_words(segment)
    pieces = map(slice, relative[:, 0].tolist(), relative[:, 1].tolist())
    # ASCII words normalise to their lower case: slice one lowered copy.
    if segment.isascii():
        forms = tuple(map(segment.lower().__getitem__, pieces))
    else:
        forms = tuple(map(normalise, map(segment.__getitem__, pieces)))
    absolute = relative + start
    absolute.flags.writeable = False
    return Tokens(text=text, starts=absolute[:, 0], ends=absolute[:, 1], forms=forms)


@lru_cache(maxsize=64)
def word_keys(text: str, start: int = 0, end: int | None = None) -> WordKeys:
    """The words of ``text[start:end]`` as :func:`tokenise` finds them, with keys of
    their normalised forms and stems instead of the strings.

    The keys of an ASCII word (most words, also in texts with curly quotes or an
    accented name) are hashed from its code points lowered on the fly, in one
    compiled pass; only the other words are normalised as strings (NFKC can make
    them ASCII, so both paths hash the normalised code points alike). Cached,
    like :func:`tokenise`; the arrays are read-only.
    """
    end = len(text) if end is None else end
    segment = text[start:end]
    codes, relative = _code_points_and_words(segment)
    form_keys, stem_keys, non_ascii = _ascii_word_keys(codes, relative, STEM_LENGTH)
    for word in np.flatnonzero(non_ascii).tolist():
        form_keys[word], stem_keys[word] = form_and_stem_key(normalise(segment[relative[word, 0] : relative[word, 1]]))
    absolute = relative + start
    for array in (absolute, form_keys, stem_keys):
        array.flags.writeable = False
    return WordKeys(text, absolute[:, 0], absolute[:, 1], form_keys, stem_keys)


def form_and_stem_key(form: str) -> tuple[int, int]:
    """The keys of :class:`WordKeys` of a normalised form and of its stem."""
    codes = _code_points(form)
    stem_length = len(codes) if _has_segmented(codes[:1]) else min(len(codes), STEM_LENGTH)  # as stem() cuts
    return _key(codes, 0, len(codes), False), _key(codes, 0, stem_length, False)


def _code_points_and_words(segment: str) -> tuple[np.ndarray, np.ndarray]:
    """The code points of ``segment`` and the start and end of each word in them."""
    codes = _code_points(segment)
    bounds = np.empty(2 * len(codes), dtype=np.int64)  # unspaced scripts: a word per character
    count = _word_bounds(codes, character_classes(), bounds)
    words = bounds[: 2 * count].reshape(-1, 2)
    if segment.isascii() or not _has_segmented(codes):
        return codes, words
    return codes, _dictionary_words(segment, codes, words)


def has_segmented_script(text: str) -> bool:
    """Whether ``text`` holds any Thai, whose words a dictionary finds."""
    return not text.isascii() and _has_segmented(_code_points(text))


def _has_segmented(codes: np.ndarray) -> bool:
    in_block = codes[(codes >= THAI_BLOCK.start) & (codes < THAI_BLOCK.stop)]
    return bool(len(in_block)) and bool((character_classes()[in_block] == SEGMENTED).any())


def _dictionary_words(segment: str, codes: np.ndarray, words: np.ndarray) -> np.ndarray:
    """``words`` with each run of adjacent SEGMENTED code points (a word each) replaced by
    the dictionary's words of that run (:func:`copytrace.segmentation.thai_word_lengths`)."""
    segmented = (character_classes()[codes[words[:, 0]]] == SEGMENTED).tolist()
    starts, ends = words[:, 0].tolist(), words[:, 1].tolist()
    found, k = [], 0
    while k < len(starts):
        if not segmented[k]:
            found.append((starts[k], ends[k]))
            k += 1
            continue
        last = k
        while last + 1 < len(starts) and segmented[last + 1] and starts[last + 1] == ends[last]:
            last += 1
        position = starts[k]
        for length in thai_word_lengths(segment[starts[k] : ends[last]]):
            found.append((position, position + length))
            position += length
        k = last + 1
    return np.array(found, dtype=np.int64).reshape(-1, 2)


@numba.njit(cache=True)
def _ascii_word_keys(codes, words, stem_length):
    """Keys of each ASCII word's lower case and of its first ``stem_length`` letters;
    a word with a non-ASCII character is flagged, its keys left for the caller."""
    form_keys = np.empty(len(words), dtype=np.int64)
    stem_keys = np.empty(len(words), dtype=np.int64)
    non_ascii = np.zeros(len(words), dtype=np.bool_)
    for word in range(len(words)):
        start, end = words[word, 0], words[word, 1]
        for k in range(start, end):
            if codes[k] >= 0x80:
                non_ascii[word] = True
                break
        if not non_ascii[word]:
            form_keys[word] = _key(codes, start, end, True)
            stem_keys[word] = _key(codes, start, min(end, start + stem_length), True)
    return form_keys, stem_keys, non_ascii


@numba.njit(cache=True)
def _key(codes, start, end, lower_ascii):
    """FNV-1a over the code points ``codes[start:end]`` (ASCII capitals lowered if
    ``lower_ascii``), finished with :func:`copytrace.hashing.mix64`; never -1 (which
    marks "no key")."""
    h = np.uint64(0xCBF29CE484222325)
    for k in range(start, end):
        code = codes[k]
        if lower_ascii and 0x41 <= code <= 0x5A:
            code += 0x20
        h = (h ^ np.uint64(code)) * np.uint64(0x100000001B3)
    key = np.int64(mix64(h))
    return np.int64(-2) if key == -1 else key


def _code_points(text: str) -> np.ndarray:
    """The code points of ``text`` (lone surrogates included), as a uint32 view."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def every_code_point() -> str:
    """A string of every code point, U+0000 to U+10FFFF, surrogates included."""
    return np.arange(CODE_POINTS, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


@lru_cache(maxsize=1)
def character_classes() -> np.ndarray:
    """The class of every code point for :data:`_WORD`: blank, word character, a
    word of its own (unspaced scripts; SEGMENTED for Thai, whose words a dictionary
    then finds), or an apostrophe (joins two word parts)."""
    every = every_code_point()
    classes = np.full(CODE_POINTS, BLANK, dtype=np.uint8)
    for pattern, value in ((_WORD_CHARACTER, WORD_CHARACTER), (rf"[{_UNSPACED}]", OWN_WORD), (r"\p{Thai}", SEGMENTED)):
        classes[code_points_matching(pattern, every)] = value
    for apostrophe in _APOSTROPHES:
        if classes[ord(apostrophe)] == BLANK:
            classes[ord(apostrophe)] = APOSTROPHE
    return classes


@numba.njit(cache=True)
def _word_bounds(codes, classes, bounds):
    """Write the start and end of each word of the code points ``codes`` into
    ``bounds`` (start, end, start, end, ...); return the number of words. A word
    is a character of an unspaced script, or a run of word characters in which an
    apostrophe between two of them joins the parts (the greedy match of ``_WORD``)."""
    count, position, length = 0, 0, len(codes)
    while position < length:
        kind = classes[codes[position]]
        if kind == OWN_WORD or kind == SEGMENTED:
            bounds[2 * count], bounds[2 * count + 1] = position, position + 1
            count += 1
            position += 1
        elif kind == WORD_CHARACTER:
            start = position
            position += 1
            while position < length:
                kind = classes[codes[position]]
                if kind == WORD_CHARACTER:
                    position += 1
                elif kind == APOSTROPHE and position + 1 < length and classes[codes[position + 1]] == WORD_CHARACTER:
                    position += 2
                else:
                    break
            bounds[2 * count], bounds[2 * count + 1] = start, position
            count += 1
        else:
            position += 1
    return count


def words(text: str) -> list[str]:
    """The normalised forms of the words of a short text, without offsets: :func:`tokenise`'s,
    uncached (a quotation or a name must not push an article's words out of its cache)."""
    return [normalise(text[start:end]) for start, end in _code_points_and_words(text)[1].tolist()]


def sentence_bounds(tokens: WordSpans) -> np.ndarray:
    """Token indices where sentences start, followed by ``len(tokens)``.

    A sentence ends where the text between two words holds a terminator
    (``.!?…``) followed by space or a closing quote or bracket, a CJK full stop,
    or a line break, or a full stop before a capitalised word. Found by one
    compiled pass over the code points between the words.
    """
    if not len(tokens):
        return np.asarray([0], dtype=np.int64)
    first, last = int(tokens.starts[0]), int(tokens.ends[-1])
    codes = _code_points(tokens.text[first:last])
    after_terminator, capital = _sentence_tables()
    return _sentence_starts(codes, tokens.starts - first, tokens.ends - first, after_terminator, capital)


@lru_cache(maxsize=1)
def _sentence_tables() -> tuple[np.ndarray, np.ndarray]:
    """For every code point: may it follow a terminator that ends a sentence (white
    space, a closing quote or bracket)? Is it a capital (``str.isupper``)?"""
    every = every_code_point()
    capital = np.fromiter(map(str.isupper, every), dtype=bool, count=CODE_POINTS)
    return code_points_matching(_AFTER_TERMINATOR, every), capital


def code_points_matching(pattern: str, every: str) -> np.ndarray:
    """For every code point (``every``: :func:`every_code_point`), does it match the
    one-character ``pattern``? Found as runs of matches (a string's index is its code
    point here), far fewer than the matches themselves."""
    matched = np.zeros(len(every), dtype=bool)
    for run in regex.finditer(f"(?:{pattern})+", every):
        matched[run.start() : run.end()] = True
    return matched


@numba.njit(cache=True)
def _sentence_starts(codes, starts, ends, after_terminator, capital):
    bounds = [0]
    for word in range(1, len(starts)):
        for position in range(ends[word - 1], starts[word]):
            code = codes[position]
            if (
                code == _LINE_FEED
                or code in _CJK_STOPS
                or (code in _TERMINATORS and after_terminator[codes[position + 1]])
                or (code == _FULL_STOP and capital[codes[starts[word]]])
            ):
                bounds.append(word)
                break
    bounds.append(len(starts))
    return np.array(bounds, dtype=np.int64)


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
