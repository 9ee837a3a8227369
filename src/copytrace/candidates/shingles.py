"""Word n-gram shingles of a batch of texts, hashed to stable 64-bit integers.

Tokens are the words of :func:`copytrace.text.tokenise` in their normalised
form (:func:`copytrace.text.normalise`), found here without one Python object
per word: each text is folded and case-folded as a whole, and the word
boundaries and hashes of the whole batch are computed over its UTF-8 bytes by
one compiled kernel (numba), texts in parallel threads. The kernel decodes
UTF-8 and looks each character up in a table of every code point's class
(blank, word, or a word of its own for unspaced scripts), built once per
process from the same ``regex`` classes as :mod:`copytrace.text`. A word hash depends only on the bytes of its form (its length, its
first and its last eight bytes), so it is the same in every process, run and
batch, unlike Python's salted ``hash()``.

Scripts written without spaces are tokenised by character, as in
``copytrace.text``. Whole-text folding differs from per-word folding only for
compatibility characters that change class under NFKC (``m²`` gives ``m2``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np
import regex

from copytrace.text import _UNSPACED, _WORD

# Non-ASCII characters that are not part of a word; unspaced-script characters.
_NON_WORD = regex.compile(r"[^\x00-\x7f\w']|_")
_UNSPACED_CHAR = regex.compile(rf"[{_UNSPACED}]")
_BLANK, _WORD_CHAR, _OWN_WORD = 0, 1, 2
# Common non-ASCII characters of news text, replaced with str.replace (fast) so that
# most texts become ASCII; only characters that cannot be part of a word are blanked.
_APOSTROPHES = ("’", "ʼ")
_COMMON_NON_WORD = tuple(
    ch for ch in "\xa0‘“”„«»—–‑‒―−•·…©®™°′″\u2009\u200a\u200b\u202f\u2022"
    if not _WORD.fullmatch(ch)
)

# ASCII bytes that are part of a word: letters and digits.
_WORD_BYTE = np.zeros(128, dtype=bool)
for _range in (b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"0123456789"):
    _WORD_BYTE[np.frombuffer(_range, dtype=np.uint8)] = True
_APOSTROPHE_BYTE = ord("'")
# Odd plus even: their sum is odd, so a word of eight bytes or fewer (head == tail)
# still maps one-to-one to head * (sum).
_HEAD_MULTIPLIER = 0x9E3779B97F4A7C15
_TAIL_MULTIPLIER = 0x6A09E667F3BCC908
_NGRAM_MULTIPLIERS = (
    0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
    0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9,
)
MAX_NGRAM = len(_NGRAM_MULTIPLIERS)


@numba.njit(cache=True)
def mix64(values):
    """The SplitMix64 finaliser (Steele et al., OOPSLA 2014): a fixed bijection on
    uint64, for a scalar or an array (arithmetic wraps modulo 2**64)."""
    z = values ^ (values >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def prepare(text: str) -> bytes:
    """UTF-8 of ``text`` folded and case-folded, typographic apostrophes made
    ASCII and common punctuation blanked."""
    if not text.isascii():
        for apostrophe in _APOSTROPHES:
            text = text.replace(apostrophe, "'")
        for character in _COMMON_NON_WORD:
            if character in text:
                text = text.replace(character, " ")
    if text.isascii():
        return text.lower().encode("ascii")
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.casefold().encode("utf-8")


@lru_cache(maxsize=1)
def character_classes() -> np.ndarray:
    """The class of every code point: blank, word character, or a word of its own."""
    every = np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    classes = np.full(len(every), _WORD_CHAR, dtype=np.uint8)
    # Each matched character becomes NUL, which the UTF-32 view then finds.
    for pattern, value in ((_NON_WORD, _BLANK), (_UNSPACED_CHAR, _OWN_WORD)):
        replaced = pattern.sub("\x00", every).encode("utf-32-le", "surrogatepass")
        classes[np.frombuffer(replaced, dtype=np.uint32) == 0] = value
    return classes


@dataclass(frozen=True)
class TokenHashes:
    """Word hashes of a batch: those of text ``i`` are ``hashes[offsets[i]:offsets[i+1]]``."""

    hashes: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)


def token_hashes(texts: list[str]) -> TokenHashes:
    """Hash every word of every text; one compiled pass over the whole batch."""
    encoded = [prepare(text) for text in texts]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    # Text i is buffer[starts[i]:ends[i]]; the kernel never reads past a text's end.
    buffer = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    hashes, offsets = _word_hashes(buffer, starts, ends, character_classes())
    return TokenHashes(hashes=hashes, offsets=offsets)


@numba.njit(cache=True, parallel=True)
def _word_hashes(buffer, starts, ends, classes):
    """Hashes of the words of each text ``buffer[starts[i]:ends[i]]``, and the
    offsets of each text's hashes; texts are scanned in parallel threads."""
    # A text of b bytes has at most (b + 1) // 2 words: scratch room for each.
    room = np.zeros(len(starts) + 1, dtype=np.int64)
    room[1:] = np.cumsum((ends - starts + 1) // 2)
    scratch = np.empty(room[-1], dtype=np.uint64)
    counts = np.zeros(len(starts), dtype=np.int64)
    for text in numba.prange(len(starts)):
        counts[text] = _scan_words(buffer, starts[text], ends[text], classes, scratch, room[text])
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    hashes = np.empty(offsets[-1], dtype=np.uint64)
    for text in numba.prange(len(starts)):
        hashes[offsets[text] : offsets[text + 1]] = scratch[room[text] : room[text] + counts[text]]
    return hashes, offsets


@numba.njit(cache=True)
def _scan_words(buffer, start, end, classes, out, first):
    """Hash the words of the UTF-8 text ``buffer[start:end]`` into ``out[first:]``;
    return their count. A word is a run of word
    characters (an apostrophe between two of them joins the parts); a character
    of an unspaced script is a word of its own."""
    count = 0
    word_start = -1
    previous_is_word = False
    position = start
    while position < end:
        kind, size = _character(buffer, position, classes)
        joins = (
            kind == _BLANK
            and buffer[position] == _APOSTROPHE_BYTE
            and previous_is_word
            and position + 1 < end
            and _character(buffer, position + 1, classes)[0] == _WORD_CHAR
        )
        if kind == _WORD_CHAR or joins:
            if word_start < 0:
                word_start = position
        else:
            if word_start >= 0:
                count = _emit(buffer, word_start, position, out, first, count)
                word_start = -1
            if kind == _OWN_WORD:
                count = _emit(buffer, position, position + size, out, first, count)
        previous_is_word = kind == _WORD_CHAR
        position += size
    if word_start >= 0:
        count = _emit(buffer, word_start, end, out, first, count)
    return count


@numba.njit(cache=True)
def _emit(buffer, start, end, out, first, count):
    """Record the word ``buffer[start:end]`` as word number ``count``; the new count."""
    out[first + count] = _hash_word(buffer, start, end)
    return count + 1


@numba.njit(cache=True)
def _character(buffer, position, classes):
    """Class and UTF-8 length of the character at ``position``."""
    byte = buffer[position]
    if byte < 0x80:
        return (_WORD_CHAR if _WORD_BYTE[byte] else _BLANK), 1
    if byte < 0xE0:
        size, code = 2, byte & 0x1F
    elif byte < 0xF0:
        size, code = 3, byte & 0x0F
    else:
        size, code = 4, byte & 0x07
    for k in range(1, size):
        code = (code << 6) | (buffer[position + k] & 0x3F)
    return classes[code], size


@numba.njit(cache=True)
def _hash_word(buffer, start, end):
    """Hash a word from its length and its first and last eight bytes (read
    little-endian; a word of eight bytes or fewer is both)."""
    length = end - start
    if length >= 8:
        head, tail = _load(buffer, start, 8), _load(buffer, end - 8, 8)
    else:
        head = tail = _load(buffer, start, length)
    return mix64(head * np.uint64(_HEAD_MULTIPLIER) + tail * np.uint64(_TAIL_MULTIPLIER) + np.uint64(length))


@numba.njit(cache=True)
def _load(buffer, start, size):
    value = np.uint64(0)
    for k in range(size):
        value |= np.uint64(buffer[start + k]) << np.uint64(8 * k)
    return value


def ngram_hashes(tokens: TokenHashes, n: int) -> TokenHashes:
    """Hashes of the word n-grams of each text (a text shorter than ``n`` words gives one
    n-gram of all its words, so that short texts still have shingles)."""
    if not 1 <= n <= MAX_NGRAM:
        raise ValueError(f"n-gram size must be between 1 and {MAX_NGRAM}, not {n}")
    counts = tokens.counts
    gram_counts = np.where(counts >= n, counts - n + 1, np.minimum(counts, 1))
    offsets = np.concatenate(([0], np.cumsum(gram_counts))).astype(np.int64)
    multipliers = np.array(_NGRAM_MULTIPLIERS[:n], dtype=np.uint64)
    return TokenHashes(hashes=_ngram_kernel(tokens.hashes, tokens.offsets, offsets, multipliers), offsets=offsets)


@numba.njit(cache=True, parallel=True)
def _ngram_kernel(hashes, word_offsets, gram_offsets, multipliers):
    """Each n-gram's hash: the mixed sum of its word hashes times a multiplier per position."""
    grams = np.empty(gram_offsets[-1], dtype=np.uint64)
    for text in numba.prange(len(word_offsets) - 1):
        first, words = word_offsets[text], word_offsets[text + 1] - word_offsets[text]
        size = min(len(multipliers), words)
        for gram in range(gram_offsets[text + 1] - gram_offsets[text]):
            combined = np.uint64(0)
            for k in range(size):
                combined += hashes[first + gram + k] * multipliers[k]
            grams[gram_offsets[text] + gram] = mix64(combined)
    return grams
