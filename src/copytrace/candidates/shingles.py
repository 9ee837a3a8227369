"""Word n-gram shingles of a batch of texts, hashed to stable 64-bit integers.

Tokens are the words of :func:`copytrace.text.tokenise` in their normalised
form (:func:`copytrace.text.normalise`), found here without one Python object
per word, by compiled kernels (numba) over the UTF-8 of a whole batch, texts in
parallel threads. One folds each text as :func:`prepare` folds it, character by
character from tables of every code point (:func:`fold_tables`); one finds the
words, looking each character up in the table of every code point's class
that :func:`copytrace.text.tokenise` uses (:func:`copytrace.text.character_classes`),
and hashes them (the apostrophes that join word parts are ASCII by then). A word hash depends
only on the bytes of its form (its length, its first and its last eight bytes),
so it is the same in every process, run and batch, unlike Python's salted
``hash()``.

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

from copytrace.text import _WORD, CODE_POINTS, OWN_WORD, WORD_CHARACTER, character_classes, every_code_point

# Common non-ASCII characters of news text, replaced with str.replace (fast) so that
# most texts become ASCII; only characters that cannot be part of a word are blanked.
_APOSTROPHES = ("’", "ʼ")
_COMMON_NON_WORD = tuple(
    ch for ch in "\xa0‘“”„«»—–‑‒―−•·…©®™°′″\u2009\u200a\u200b\u202f\u2022"
    if not _WORD.fullmatch(ch)
)
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
    """Hash every word of every text as :func:`prepare` folds it: :func:`fold_batch`,
    then one compiled scan of the folded bytes, texts in parallel threads."""
    classes = character_classes()
    buffer, starts, ends, flagged = fold_batch(texts)
    hashes, offsets = _word_hashes(buffer, starts, ends, classes)
    redo = np.flatnonzero(flagged)
    if len(redo):
        redo_buffer, redo_starts, redo_ends = _joined([prepare(texts[k]) for k in redo])
        redone = _word_hashes(redo_buffer, redo_starts, redo_ends, classes)
        hashes, offsets = _replace_texts(hashes, offsets, redo, *redone)
    return TokenHashes(hashes=hashes, offsets=offsets)


def fold_batch(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The texts folded as :func:`prepare` folds them, in one buffer: text ``i`` is
    ``buffer[starts[i]:ends[i]]``, unless ``flagged[i]``: then :func:`prepare` must fold it.

    A compiled kernel folds the UTF-8 of each text character by character with
    the tables of :func:`fold_tables`, which is what :func:`prepare` does whenever
    the text is NFKC-normalised (case folding is then per character). It flags
    the other texts: a character that may change under NFKC, or combining marks
    out of canonical order (the quick check of Unicode Standard Annex #15).
    """
    buffer, starts, ends = _joined([text.encode("utf-8") for text in texts])
    tables = fold_tables()
    room = np.zeros(len(texts) + 1, dtype=np.int64)
    room[1:] = np.cumsum((ends - starts) * tables.growth)
    folded, folded_lengths, flagged = _fold_texts(
        buffer, starts, ends, room,
        tables.mapped_start, tables.mapped_bytes, tables.unstable, tables.combining_class,
    )
    return folded, room[:-1], room[:-1] + folded_lengths, flagged


def _joined(encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One buffer of byte strings, and where each starts and ends in it."""
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    ends = np.cumsum(lengths)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends - lengths, ends


def _replace_texts(
    hashes: np.ndarray, offsets: np.ndarray, texts: np.ndarray, new_hashes: np.ndarray, new_offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The hashes with those of ``texts`` (sorted indices) replaced by ``new_hashes``."""
    counts = np.diff(offsets)
    counts[texts] = np.diff(new_offsets)
    pieces, kept_from = [], 0
    for number, text in enumerate(texts):
        pieces += [hashes[offsets[kept_from] : offsets[text]], new_hashes[new_offsets[number] : new_offsets[number + 1]]]
        kept_from = text + 1
    pieces.append(hashes[offsets[kept_from] :])
    return np.concatenate(pieces), np.concatenate(([0], np.cumsum(counts))).astype(np.int64)


@dataclass(frozen=True)
class FoldTables:
    """Per code point: ``mapped_bytes[mapped_start[c]:mapped_start[c + 1]]`` is the UTF-8
    that ``c`` folds to (empty: ``c`` itself); ``unstable[c]``: ``c`` may change under
    NFKC (NFKC_Quick_Check No or Maybe); ``combining_class[c]``: its canonical combining
    class. ``growth``: the most UTF-8 bytes a folded character has per byte of input."""

    mapped_start: np.ndarray
    mapped_bytes: np.ndarray
    unstable: np.ndarray
    combining_class: np.ndarray
    growth: int


@lru_cache(maxsize=1)
def fold_tables() -> FoldTables:
    """The tables of :func:`fold_batch`, from :mod:`unicodedata` (about 0.4 s, once per process).

    A character that NFKC changes folds to the case folding of its NFKC form when
    that does not depend on its neighbours: its compatibility decomposition has
    no combining mark and its NFKC form no character that composes with the one
    before it. Other NFKC-unstable characters flag their text.
    """
    assigned = regex.sub(r"[\p{Cn}\p{Cs}\p{Co}]", "", every_code_point())
    special = {apostrophe: "'" for apostrophe in _APOSTROPHES} | dict.fromkeys(_COMMON_NON_WORD, " ")
    composes = _composing_characters(assigned)
    mapped = dict(special)
    unstable = np.zeros(CODE_POINTS, dtype=np.uint8)
    combining_class = np.zeros(CODE_POINTS, dtype=np.uint8)
    for character in assigned:
        if character in special:
            continue
        code = ord(character)
        combining_class[code] = unicodedata.combining(character)
        if unicodedata.is_normalized("NFKC", character):
            unstable[code] = character in composes
            if character.casefold() != character:
                mapped[character] = character.casefold()
            continue
        normal = unicodedata.normalize("NFKC", character)
        if any(map(unicodedata.combining, unicodedata.normalize("NFKD", character))) or composes.intersection(normal):
            unstable[code] = 1
        else:
            mapped[character] = normal.casefold()
    lengths = np.zeros(CODE_POINTS + 1, dtype=np.int64)
    encoded = {ord(c): f.encode("utf-8") for c, f in mapped.items()}
    for code, data in encoded.items():
        lengths[code + 1] = len(data)
    growth = max(-(-len(data) // len(chr(code).encode("utf-8"))) for code, data in encoded.items())
    return FoldTables(
        mapped_start=np.cumsum(lengths).astype(np.int64),
        mapped_bytes=np.frombuffer(b"".join(encoded[code] for code in sorted(encoded)), dtype=np.uint8),
        unstable=unstable,
        combining_class=combining_class,
        growth=growth,
    )


def _composing_characters(assigned: str) -> set[str]:
    """Characters that canonical composition may join to the character before them
    (NFKC_Quick_Check Maybe, or more): the second of every two-character canonical
    decomposition, and the Hangul vowel and final jamo."""
    composing = {chr(code) for code in (*range(0x1161, 0x1176), *range(0x11A8, 0x11C3))}
    for character in assigned:
        decomposition = unicodedata.decomposition(character).split()
        if len(decomposition) == 2 and not decomposition[0].startswith("<"):
            composing.add(chr(int(decomposition[1], 16)))
    return composing


@numba.njit(cache=True, parallel=True)
def _fold_texts(buffer, starts, ends, room, mapped_start, mapped_bytes, unstable, combining_class):
    """Fold each text ``buffer[starts[i]:ends[i]]`` into ``out[room[i]:]``; the folded
    lengths, and which texts :func:`prepare` must fold instead."""
    out = np.empty(room[-1], dtype=np.uint8)
    lengths = np.zeros(len(starts), dtype=np.int64)
    flagged = np.zeros(len(starts), dtype=np.bool_)
    for text in numba.prange(len(starts)):
        write, position, previous_class = room[text], starts[text], 0
        while position < ends[text]:
            byte = buffer[position]
            if byte < 0x80:
                out[write] = byte + 32 if 65 <= byte <= 90 else byte
                write += 1
                position += 1
                previous_class = 0
                continue
            code, size = _decode(buffer, position)
            combining = combining_class[code]
            if unstable[code] or 0 < combining < previous_class:
                flagged[text] = True
                break
            previous_class = combining
            first, last = mapped_start[code], mapped_start[code + 1]
            if last == first:
                first, last = position, position + size
                out[write : write + size] = buffer[first:last]
            else:
                out[write : write + last - first] = mapped_bytes[first:last]
            write += last - first
            position += size
        lengths[text] = write - room[text]
    return out, lengths, flagged


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
    return their count. A word is a run of word characters (an apostrophe between
    two of them joins the parts); a character of an unspaced script is a word of
    its own. A word's hash is built from its bytes as they stream by
    (:func:`_add_byte`). The scan's state stays in local variables: passed through
    a helper per character as a tuple, it made the scan several times slower."""
    count, in_word, apostrophe = 0, False, False  # apostrophe: one follows the word
    head, tail, length = np.uint64(0), np.uint64(0), 0
    position = start
    while position < end:
        byte = buffer[position]
        if byte < 0x80:
            kind, size = classes[byte], 1
        else:
            code, size = _decode(buffer, position)
            kind = classes[code]
        if kind == WORD_CHARACTER:
            if not in_word:
                in_word, head, tail, length = True, np.uint64(0), np.uint64(0), 0
            elif apostrophe:
                head, tail, length = _add_byte(head, tail, length, _APOSTROPHE_BYTE)
            apostrophe = False
            if size == 1:
                head, tail, length = _add_byte(head, tail, length, byte)
            else:
                for k in range(position, position + size):
                    head, tail, length = _add_byte(head, tail, length, buffer[k])
        elif in_word and not apostrophe and byte == _APOSTROPHE_BYTE:
            apostrophe = True  # part of the word if a word character follows
        else:
            if in_word:
                out[first + count] = _word_hash(head, tail, length)
                count += 1
            in_word, apostrophe = False, False
            if kind == OWN_WORD:
                own_head, own_tail, own_length = np.uint64(0), np.uint64(0), 0
                for k in range(position, position + size):
                    own_head, own_tail, own_length = _add_byte(own_head, own_tail, own_length, buffer[k])
                out[first + count] = _word_hash(own_head, own_tail, own_length)
                count += 1
        position += size
    if in_word:
        out[first + count] = _word_hash(head, tail, length)
        count += 1
    return count


@numba.njit(cache=True)
def _add_byte(head, tail, length, byte):
    """Append a byte to a word: ``head`` holds its first eight bytes, ``tail`` its last
    eight (both little-endian), ``length`` its length."""
    value = np.uint64(byte)
    if length < 8:
        head |= value << np.uint64(8 * length)
    return head, (tail >> np.uint64(8)) | (value << np.uint64(56)), length + 1


@numba.njit(cache=True)
def _word_hash(head, tail, length):
    """Hash a word from its length and its first and last eight bytes (a word of
    eight bytes or fewer is both: its bytes, little-endian)."""
    last = tail if length >= 8 else head
    return mix64(head * np.uint64(_HEAD_MULTIPLIER) + last * np.uint64(_TAIL_MULTIPLIER) + np.uint64(length))


@numba.njit(cache=True)
def _decode(buffer, position):
    """Code point and UTF-8 length of the non-ASCII character at ``position``."""
    byte = buffer[position]
    if byte < 0xE0:
        size, code = 2, byte & 0x1F
    elif byte < 0xF0:
        size, code = 3, byte & 0x0F
    else:
        size, code = 4, byte & 0x07
    for k in range(1, size):
        code = (code << 6) | (buffer[position + k] & 0x3F)
    return code, size


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
