"""Word n-gram shingles of a batch of texts, hashed to stable 64-bit integers.

Tokens are the words of :func:`copytrace.text.tokenise` in their normalised
form (:func:`copytrace.text.normalise`), found here without one Python object
per word: each text is folded and case-folded as a whole, characters that
cannot be part of a word are blanked with one ``regex`` substitution, and the
word boundaries and hashes of the whole batch are computed with numpy over the
UTF-8 bytes. A word hash depends only on the bytes of its form (its length, its
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
_LOW_BYTE_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [2**64 - 1], dtype=np.uint64)
# Odd plus even: their sum is odd, so a word of eight bytes or fewer (head == tail)
# still maps one-to-one to head * (sum).
_HEAD_MULTIPLIER = 0x9E3779B97F4A7C15
_TAIL_MULTIPLIER = 0x6A09E667F3BCC908
_NGRAM_MULTIPLIERS = (
    0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
    0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9,
)
MAX_NGRAM = len(_NGRAM_MULTIPLIERS)


def mix64(values: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser (Steele et al., OOPSLA 2014): a fixed bijection on uint64."""
    z = values ^ (values >> np.uint64(30))
    with np.errstate(over="ignore"):
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


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
    """Hash every word of every text; one numpy pass over the whole batch."""
    encoded = [prepare(text) for text in texts]
    doc_ends = np.cumsum([len(e) + len(_SEPARATOR) for e in encoded], dtype=np.int64) + _PAD
    buffer = np.frombuffer(
        b" " * _PAD + _SEPARATOR.join(encoded) + _SEPARATOR + b" " * _PAD, dtype=np.uint8
    )
    starts, ends = _word_bounds(buffer)
    offsets = np.concatenate(([0], np.searchsorted(starts, doc_ends))).astype(np.int64)
    return TokenHashes(hashes=_hash_words(buffer, starts, ends), offsets=offsets)


def _word_bounds(buffer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Byte offsets where words start and end; an apostrophe joins two word parts."""
    word = _WORD_BYTE[buffer]
    apostrophe = buffer == _APOSTROPHE_BYTE
    word[1:-1] |= apostrophe[1:-1] & word[:-2] & word[2:]
    edges = np.flatnonzero(word[1:] != word[:-1]) + 1
    return edges[0::2], edges[1::2]


def _hash_words(buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Hash each word from its length and its first and last eight bytes."""
    eight_bytes = np.ndarray(
        shape=(len(buffer) - 7,), dtype="<u8", buffer=buffer.data, strides=(1,)
    )
    lengths = (ends - starts).astype(np.uint64)
    short = np.minimum(lengths, np.uint64(8))
    head = eight_bytes[starts]
    head &= _LOW_BYTE_MASKS[short]
    tail = eight_bytes[ends - 8]
    tail >>= np.uint64(64) - short * np.uint64(8)  # numpy shifts by 64 give 0: words of 8+ bytes
    tail[short == 8] = eight_bytes[ends[short == 8] - 8]
    with np.errstate(over="ignore"):
        head *= np.uint64(_HEAD_MULTIPLIER)
        tail *= np.uint64(_TAIL_MULTIPLIER)
        head += tail
    head += lengths
    return mix64(head)


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
