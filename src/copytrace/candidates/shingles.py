"""Word n-gram shingles of a batch of texts, hashed to stable 64-bit integers.

Tokens are the words of :func:`copytrace.text.tokenise` in their normalised
form (:func:`copytrace.text.normalise`), found here without one Python object
per word: each text is folded and case-folded as a whole, characters that
cannot be part of a word are blanked with one ``regex`` substitution, and the
word boundaries and hashes of the whole batch are computed over its UTF-8 bytes
by one compiled kernel (numba), documents in parallel threads. A word hash depends only on the bytes of its form (its length, its
first and its last eight bytes), so it is the same in every process, run and
batch, unlike Python's salted ``hash()``.

Scripts written without spaces are tokenised by character, as in
``copytrace.text``. Whole-text folding differs from per-word folding only for
compatibility characters that change class under NFKC (``m²`` gives ``m2``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numba
import numpy as np
import regex

from copytrace.text import _UNSPACED, _WORD

_NON_WORD = regex.compile(r"[^\x00-\x7f\w']|_")
_UNSPACED_CHAR = regex.compile(rf"([{_UNSPACED}])")
# Lead bytes of UTF-8 characters of three or four bytes: unspaced scripts are among them.
_WIDE_CHAR_BYTE = re.compile(rb"[\xe0-\xf4]")
# Common non-ASCII characters of news text, replaced with str.replace (fast) so that
# most texts become ASCII; only characters that cannot be part of a word are blanked.
_APOSTROPHES = ("’", "ʼ")
_COMMON_NON_WORD = tuple(
    ch for ch in "\xa0‘“”„«»—–‑‒―−•·…©®™°′″\u2009\u200a\u200b\u202f\u2022"
    if not _WORD.fullmatch(ch)
)
_SEPARATOR = b"\n"
_PAD = 8

# Bytes that can be part of a word: ASCII letters and digits, and every byte of
# a multi-byte UTF-8 character (non-word characters were blanked before).
_WORD_BYTE = np.zeros(256, dtype=bool)
for _range in (b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"0123456789"):
    _WORD_BYTE[np.frombuffer(_range, dtype=np.uint8)] = True
_WORD_BYTE[0x80:] = True
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
    """UTF-8 of ``text`` folded and case-folded, non-word characters blanked, and
    characters of unspaced scripts set apart as words of their own."""
    if not text.isascii():
        for apostrophe in _APOSTROPHES:
            text = text.replace(apostrophe, "'")
        for character in _COMMON_NON_WORD:
            if character in text:
                text = text.replace(character, " ")
    if text.isascii():
        return text.lower().encode("ascii")
    text = _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    encoded = text.encode("utf-8")
    if _WIDE_CHAR_BYTE.search(encoded) and _UNSPACED_CHAR.search(text):
        encoded = _UNSPACED_CHAR.sub(r" \1 ", text).encode("utf-8")
    return encoded


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
    # Text i is buffer[starts[i]:starts[i] + lengths[i]]; separators and padding
    # are not word bytes, so no word crosses a text's end.
    starts = _PAD + np.concatenate(([0], np.cumsum(lengths + len(_SEPARATOR))[:-1])).astype(np.int64)
    buffer = np.frombuffer(
        b" " * _PAD + _SEPARATOR.join(encoded) + _SEPARATOR + b" " * _PAD, dtype=np.uint8
    )
    hashes, offsets = _word_hashes(buffer, starts[: len(encoded)], starts[: len(encoded)] + lengths)
    return TokenHashes(hashes=hashes, offsets=offsets)


@numba.njit(cache=True, parallel=True)
def _word_hashes(buffer, starts, ends):
    """Hashes of the words of each text ``buffer[starts[i]:ends[i]]``, and the
    offsets of each text's hashes; texts are scanned in parallel threads."""
    counts = np.zeros(len(starts), dtype=np.int64)
    no_output = np.empty(0, dtype=np.uint64)
    for text in numba.prange(len(starts)):
        counts[text] = _scan_words(buffer, starts[text], ends[text], no_output, -1)
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    hashes = np.empty(offsets[-1], dtype=np.uint64)
    for text in numba.prange(len(starts)):
        _scan_words(buffer, starts[text], ends[text], hashes, offsets[text])
    return hashes, offsets


@numba.njit(cache=True)
def _scan_words(buffer, start, end, out, first):
    """Count the words of ``buffer[start:end]``; with ``first >= 0`` also write
    their hashes to ``out[first:]``. An apostrophe between word bytes joins two
    word parts."""
    count = 0
    word_start = -1
    for position in range(start, end + 1):
        byte = buffer[position]
        # One expression, not a helper function: numba compiles it several times faster.
        inside = position < end and (
            _WORD_BYTE[byte]
            or (byte == _APOSTROPHE_BYTE and _WORD_BYTE[buffer[position - 1]] and _WORD_BYTE[buffer[position + 1]])
        )
        if inside:
            if word_start < 0:
                word_start = position
        elif word_start >= 0:
            if first >= 0:
                out[first + count] = _hash_word(buffer, word_start, position)
            count += 1
            word_start = -1
    return count


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
    hashes, offsets, counts = tokens.hashes, tokens.offsets, tokens.counts
    total = len(hashes)
    combined = hashes * np.uint64(_NGRAM_MULTIPLIERS[0])
    with np.errstate(over="ignore"):
        for k in range(1, n):
            combined[: total - k] += hashes[k:] * np.uint64(_NGRAM_MULTIPLIERS[k])
    keep = np.ones(total, dtype=bool)
    long_ends = offsets[1:][counts >= n]
    for k in range(1, n):
        keep[long_ends - k] = False
    for doc in np.flatnonzero((counts < n) & (counts > 0)):
        first, stop = offsets[doc], offsets[doc + 1]
        combined[first] = _short_ngram(hashes[first:stop])
        keep[first + 1 : stop] = False
    gram_counts = np.where(counts >= n, counts - n + 1, np.minimum(counts, 1))
    new_offsets = np.concatenate(([0], np.cumsum(gram_counts))).astype(np.int64)
    return TokenHashes(hashes=mix64(combined[keep]), offsets=new_offsets)


def _short_ngram(words: np.ndarray) -> np.uint64:
    multipliers = np.array(_NGRAM_MULTIPLIERS[: len(words)], dtype=np.uint64)
    with np.errstate(over="ignore"):
        return np.uint64((words * multipliers).sum(dtype=np.uint64))
