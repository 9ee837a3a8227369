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
``copytrace.text``; a text with Thai, whose words a dictionary finds there
(:mod:`copytrace.segmentation`), is hashed from the forms :func:`copytrace.text.tokenise`
gives it, folded word by word. Whole-text folding differs from per-word folding only for
compatibility characters that change class under NFKC (``m²`` gives ``m2``, or ``m``
word by word).
"""

from __future__ import annotations

import operator
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial

import numba
import numpy as np
import pyarrow as pa

from copytrace import swar
from copytrace.arrow_buffers import data_and_offsets
from copytrace.hashing import mix64
from copytrace.text import (
    _WORD, CODE_POINTS, OWN_WORD, SEGMENTED, WORD_CHARACTER, character_classes, code_points_matching,
    every_code_point, has_segmented_script, tokenise,
)

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


def token_hashes(texts: Sequence[str] | pa.Array | pa.ChunkedArray) -> TokenHashes:
    """Hash every word of every text as :func:`prepare` folds it, in one compiled pass
    over the UTF-8 of the batch that folds and hashes together (:func:`_hash_words`),
    texts in parallel threads. ``texts`` are Python strings, or an Arrow string array
    whose UTF-8 buffer the pass reads in place (a null is an empty text). The rare
    texts the pass cannot fold (see :func:`_scan_text`) are folded by :func:`prepare`
    and hashed by the same pass with folding off. Texts with any Thai are hashed from
    their words' forms (:func:`_form_hashes`), one by one in Python: about 1.3 MB/s,
    where the pass hashes about 40 MB/s of English."""
    if isinstance(texts, (pa.Array, pa.ChunkedArray)):
        texts = _string_array(texts)
        buffer, starts, ends = _arrow_utf8(texts)
        text_at = lambda k: texts[k].as_py() or ""  # noqa: E731
    else:
        buffer, starts, ends = _joined([text.encode("utf-8") for text in texts])
        text_at = texts.__getitem__
    scratch, room, counts = _hash_words(buffer, starts, ends, True)
    redo = np.flatnonzero(counts < 0)
    redo_scratch, redo_room, redo_counts = _redone([text_at(k) for k in redo])
    counts[redo] = redo_counts
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    source = np.full(len(starts), -1, dtype=np.int64)
    source[redo] = np.arange(len(redo))
    hashes = _gather(scratch, room, redo_scratch, redo_room, source, offsets)
    return TokenHashes(hashes=hashes, offsets=offsets)


def _redone(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What :func:`_hash_words` gives (scratch, where each text's hashes start, their
    counts) for texts the folding pass handed back: each folded by :func:`prepare` and
    hashed with folding off, or, holding Thai, hashed from its words' forms."""
    thai = list(map(has_segmented_script, texts))
    scratch, room, counts = _hash_words(*_joined([b"" if t else prepare(text) for text, t in zip(texts, thai)]), False)
    if not any(thai):
        return scratch, room, counts
    parts = [_form_hashes(tokenise(text).forms) if t else scratch[room[k] : room[k] + counts[k]]
             for k, (text, t) in enumerate(zip(texts, thai))]
    counts = np.array(list(map(len, parts)), dtype=np.int64)
    return np.concatenate(parts), np.cumsum(counts) - counts, counts


def _form_hashes(forms: Sequence[str]) -> np.ndarray:
    """The hash of each word form (its UTF-8 bytes as one word, as the scan hashes a word)."""
    return _hash_byte_ranges(*_joined([form.encode("utf-8") for form in forms]))


@numba.njit(cache=True)
def _hash_byte_ranges(buffer, starts, ends):
    """The word hash of each ``buffer[starts[i]:ends[i]]``."""
    hashes = np.empty(len(starts), dtype=np.uint64)
    for word in range(len(starts)):
        head, tail, length = np.uint64(0), np.uint64(0), 0
        for k in range(starts[word], ends[word]):
            head, tail, length = _add_byte(head, tail, length, buffer[k])
        hashes[word] = _word_hash(head, tail, length)
    return hashes


def hash_folded(folded: list[bytes]) -> TokenHashes:
    """The word hashes of texts already folded by :func:`prepare` (the reference that
    :func:`token_hashes` is tested against)."""
    scratch, room, counts = _hash_words(*_joined(folded), False)
    offsets = np.zeros(len(folded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    return TokenHashes(hashes=_gather(scratch, room, scratch, room, np.full(len(folded), -1), offsets), offsets=offsets)


def _string_array(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One string or large-string array (chunks joined, other string types cast)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
        texts = texts.cast(pa.large_string())
    return texts


def _arrow_utf8(texts: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The UTF-8 buffer of an Arrow string array, read in place, and where each text
    starts and ends in it (a null ends where it starts, whatever its offsets say)."""
    buffer, offsets = data_and_offsets(texts)
    starts, ends = offsets[:-1], offsets[1:]
    if texts.null_count:
        ends = np.where(texts.is_null().to_numpy(zero_copy_only=False), starts, ends)
    return buffer, starts, ends


def _joined(encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One buffer of byte strings, and where each starts and ends in it."""
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    ends = np.cumsum(lengths)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends - lengths, ends


def _hash_words(buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray, fold: bool):
    """:func:`_hash_texts` with this process's tables (a buffer shorter than eight bytes
    is padded: :func:`copytrace.swar.load8` reads eight at a time)."""
    if len(buffer) < 8:
        buffer = np.concatenate([buffer, np.zeros(8, dtype=np.uint8)])
    tables = fold_tables()
    return _hash_texts(
        buffer, starts, ends, fold, character_classes(),
        tables.mapped_start, tables.mapped_bytes, tables.unstable, tables.combining_class, tables.longest + 2,
    )


@dataclass(frozen=True)
class FoldTables:
    """Per code point: ``mapped_bytes[mapped_start[c]:mapped_start[c + 1]]`` is the UTF-8
    that ``c`` folds to (empty: ``c`` itself); ``unstable[c]``: ``c`` may change under
    NFKC (NFKC_Quick_Check No or Maybe); ``combining_class[c]``: its canonical combining
    class. ``longest``: the most UTF-8 bytes one character folds to."""

    mapped_start: np.ndarray
    mapped_bytes: np.ndarray
    unstable: np.ndarray
    combining_class: np.ndarray
    longest: int


@lru_cache(maxsize=1)
def fold_tables() -> FoldTables:
    """The tables of :func:`_scan_text`, from :mod:`unicodedata` (about 0.07 s, once per process).

    A character that NFKC changes folds to the case folding of its NFKC form when
    that does not depend on its neighbours: its compatibility decomposition has
    no combining mark and its NFKC form no character that composes with the one
    before it. Other NFKC-unstable characters flag their text.
    """
    codes = np.flatnonzero(~code_points_matching(r"[\p{Cn}\p{Cs}\p{Co}]", every_code_point()))
    assigned = codes.astype(np.uint32).tobytes().decode("utf-32-le")
    special = {apostrophe: "'" for apostrophe in _APOSTROPHES} | dict.fromkeys(_COMMON_NON_WORD, " ")
    composes = _composing_characters(assigned)
    mapped = dict(special)
    unstable = np.zeros(CODE_POINTS, dtype=np.uint8)
    combining_class = np.zeros(CODE_POINTS, dtype=np.uint8)
    combining_class[codes] = np.fromiter(map(unicodedata.combining, assigned), dtype=np.uint8, count=len(codes))
    # Whole-string maps in C first: only the few thousand characters that some rule
    # touches take the Python steps below.
    normalized = list(map(partial(unicodedata.is_normalized, "NFKC"), assigned))
    case_changes = list(map(operator.ne, map(str.casefold, assigned), assigned))
    touched = {c for c, n, f in zip(assigned, normalized, case_changes) if f or not n} | composes
    for character in touched - special.keys():
        code = ord(character)
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
    return FoldTables(
        mapped_start=np.cumsum(lengths).astype(np.int64),
        mapped_bytes=np.frombuffer(b"".join(encoded[code] for code in sorted(encoded)), dtype=np.uint8),
        unstable=unstable,
        combining_class=combining_class,
        longest=int(lengths.max()),
    )


def _composing_characters(assigned: str) -> set[str]:
    """Characters that canonical composition may join to the character before them
    (NFKC_Quick_Check Maybe, or more): the second of every two-character canonical
    decomposition, and the Hangul vowel and final jamo."""
    composing = {chr(code) for code in (*range(0x1161, 0x1176), *range(0x11A8, 0x11C3))}
    for decomposition in filter(None, map(unicodedata.decomposition, assigned)):
        parts = decomposition.split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            composing.add(chr(int(parts[1], 16)))
    return composing


@numba.njit(cache=True, parallel=True, nogil=True)
def _hash_texts(buffer, starts, ends, fold, classes, mapped_start, mapped_bytes, unstable, combining_class, slack):
    """Hash the words of each text ``buffer[starts[i]:ends[i]]``, texts in parallel
    threads: the scratch array, where each text's hashes start in it, and their count
    (-1: a text this pass cannot fold, see :func:`_scan_text`). ``slack``: room for the
    words one character can add and the last word (it folds to at most ``slack - 2`` bytes)."""
    # A text of b bytes has at most (b + 1) // 2 words; one whose folded forms make
    # more is handed back (-1) like one that cannot be folded.
    room = np.zeros(len(starts) + 1, dtype=np.int64)
    room[1:] = np.cumsum((ends - starts + 1) // 2 + slack)
    scratch = np.empty(room[-1], dtype=np.uint64)
    counts = np.zeros(len(starts), dtype=np.int64)
    for text in numba.prange(len(starts)):
        counts[text] = _scan_text(
            buffer, starts[text], ends[text], fold, classes,
            mapped_start, mapped_bytes, unstable, combining_class, scratch, room[text], room[text + 1] - slack,
        )
    return scratch, room[:-1], counts


@numba.njit(cache=True, parallel=True, nogil=True)
def _gather(scratch, room, redo_scratch, redo_room, redo_of, offsets):
    """One array of every text's hashes: text ``i``'s from ``scratch`` at ``room[i]``, or
    from ``redo_scratch`` at ``redo_room[redo_of[i]]`` when ``redo_of[i] >= 0``."""
    hashes = np.empty(offsets[-1], dtype=np.uint64)
    for text in numba.prange(len(offsets) - 1):
        count = offsets[text + 1] - offsets[text]
        if redo_of[text] < 0:
            hashes[offsets[text] : offsets[text + 1]] = scratch[room[text] : room[text] + count]
        else:
            first = redo_room[redo_of[text]]
            hashes[offsets[text] : offsets[text + 1]] = redo_scratch[first : first + count]
    return hashes


@numba.njit(cache=True)
def _scan_text(buffer, start, end, fold, classes, mapped_start, mapped_bytes, unstable, combining_class, out, first, limit):
    """Fold the UTF-8 text ``buffer[start:end]`` as :func:`prepare` does and hash its words
    into ``out[first:]``; return their count, or -1 when :func:`prepare` must fold it
    (a character that may change under NFKC, combining marks out of canonical order) or
    its words pass ``out[limit]`` (``out`` has room for one character's words beyond).

    Folding is character by character from the tables of :func:`fold_tables` (ASCII is
    lower-cased), which is what :func:`prepare` does whenever the text is NFKC-normalised:
    the quick check of Unicode Standard Annex #15 tells. A non-ASCII character is handed
    to :func:`_add_character` as its folded bytes ``source[at:at + size]``: the text
    itself for a character that folds to itself, the table of folded forms for the others.
    ASCII outside a word, nearly all of most texts, goes to :func:`_hash_ascii_stretch`,
    64 bytes a step, up to the next non-ASCII character; the words that touch one are
    built here, their ASCII runs eight bytes a step (:func:`_add_ascii_run`)."""
    count, in_word, apostrophe = 0, False, False
    head, tail, length = np.uint64(0), np.uint64(0), 0
    previous_class, position = 0, start
    while position < end:
        if first + count > limit:
            return -1
        byte = buffer[position]
        if byte < 0x80 and not in_word:
            position, count = _hash_ascii_stretch(buffer, position, end, classes, out, first, count, limit)
            if position == end:
                break
            byte = buffer[position]  # a byte the stretch leaves to the steps below
        if byte < 0x80:
            kind = classes[byte]
            if kind == WORD_CHARACTER:
                if not in_word:
                    in_word, head, tail, length = True, np.uint64(0), np.uint64(0), 0
                elif apostrophe:
                    head, tail, length = _add_byte(head, tail, length, _APOSTROPHE_BYTE)
                apostrophe = False
                position, head, tail, length = _add_ascii_run(buffer, position, end, head, tail, length)
                previous_class = 0
                continue
            elif in_word and not apostrophe and byte == _APOSTROPHE_BYTE:
                apostrophe = True
                position += 1
            else:
                if in_word:
                    out[first + count] = _word_hash(head, tail, length)
                    count += 1
                in_word, apostrophe = False, False
                position += 1
            previous_class = 0
        else:
            code, size = _decode(buffer, position)
            source, at, stop = buffer, position, position + size
            if fold:
                combining = combining_class[code]
                if unstable[code] or 0 < combining < previous_class or classes[code] == SEGMENTED:
                    return -1
                previous_class = combining
                if mapped_start[code + 1] > mapped_start[code]:
                    source, at, stop = mapped_bytes, mapped_start[code], mapped_start[code + 1]
            while at < stop:  # the characters ``code`` folds to
                character, character_size = (source[at], 1) if source[at] < 0x80 else _decode(source, at)
                count, in_word, apostrophe, head, tail, length = _add_character(
                    classes[character], source, at, character_size, out, first, count, in_word, apostrophe, head, tail, length
                )
                at += character_size
            position += size
    if in_word:
        out[first + count] = _word_hash(head, tail, length)
        count += 1
    return count


@numba.njit(inline="always")
def _hash_ascii_stretch(buffer, position, end, classes, out, first, count, limit):
    """Hash the words of the ASCII text from ``position`` (outside a word) to the next
    non-ASCII byte or ``end``, 64 bytes a step; return where :func:`_scan_text` goes on
    (outside a word) and the count of words. A word that reaches the non-ASCII byte (or
    an apostrophe just before it) may go on through it: it is left to
    :func:`_scan_text`, which goes on at its first byte. Stops early, past a word, once
    the words pass ``out[limit]``.

    Each step marks the letters and digits of 64 bytes as the bits of one integer
    (:func:`_alphanumeric_bits`); the bits where the marks change are where runs of them
    start and end, taken lowest first, and each word is hashed from two loads (its first
    and last eight bytes). A scan that looks for where each word ends from where the last
    one ended waits on that step at every word; the marks of a block do not. On the 100k
    benchmark's texts (630 MB, one thread) the scan took 3.0 s byte by byte, 1.3 s so.
    The way of marking and taking the bits is simdjson's (Langdale & Lemire, 2019)."""
    open_run, joined, word_start, base = False, False, position, position
    while base < end:
        marks, ascii_end = _alphanumeric_bits(buffer, base, end)
        changes = marks ^ ((marks << np.uint64(1)) | np.uint64(open_run))
        while changes:
            at = base + swar.lowest_bit(changes)
            changes &= changes - np.uint64(1)
            if not open_run:
                if not joined:
                    word_start = at
                open_run, joined = True, False
                continue
            open_run = False
            if at == ascii_end and ascii_end < end:
                return word_start, count  # the word may go on past the non-ASCII byte
            if at + 1 < end and buffer[at] == _APOSTROPHE_BYTE:
                following = buffer[at + 1]
                if following >= 0x80:
                    return word_start, count  # the apostrophe may join a non-ASCII letter
                if classes[following] == WORD_CHARACTER:
                    joined = True  # the apostrophe joins this run and the next
                    continue
            out[first + count] = _ascii_word_hash(buffer, word_start, at)
            count += 1
            if first + count > limit:
                return at, count
        if ascii_end < base + 64:  # every run here has ended (the bits past ascii_end are clear)
            return ascii_end, count
        open_run = (marks >> np.uint64(63)) != 0
        base += 64
    if open_run:
        out[first + count] = _ascii_word_hash(buffer, word_start, end)
        count += 1
    return end, count


@numba.njit(inline="always")
def _alphanumeric_bits(buffer, base, end):
    """Bit ``k`` set when ``buffer[base + k]`` (``k`` < 64, before ``end``) is an ASCII letter
    or digit, up to the first non-ASCII byte; and where that byte is (``end`` when the
    text has none from ``base`` to ``base + 64``)."""
    marks, ascii_end = np.uint64(0), end
    for k in range(8):
        block = swar.load8(buffer, base + 8 * k, end)
        high = block & swar.HIGH_BITS
        if high:
            ascii_end = base + 8 * k + swar.first_marked(high)
            block &= swar.low_bytes(swar.first_marked(high))
        marks |= swar.gather_marks(swar.ascii_alphanumeric(block)) << np.uint64(8 * k)
        if high:
            break
    return marks, ascii_end


@numba.njit(inline="always")
def _ascii_word_hash(buffer, start, stop):
    """:func:`_word_hash` of the ASCII word ``buffer[start:stop]``, lower-cased."""
    head = swar.ascii_lower(swar.load8(buffer, start, stop))
    last = swar.ascii_lower(swar.load8(buffer, max(stop - 8, start), stop))
    return _word_hash(head, last, stop - start)


@numba.njit(inline="always")
def _add_ascii_run(buffer, position, end, head, tail, length):
    """Append to a word the run of ASCII letters and digits that starts at ``position``
    (a word character), lower-cased, eight bytes a step (:mod:`copytrace.swar`); return
    where the run ends and the word's state as :func:`_add_byte` would leave it."""
    block = swar.load8(buffer, position, end)
    run = swar.first_marked(~swar.ascii_alphanumeric(block) & swar.HIGH_BITS & ~np.uint64(0x80))  # the first byte is in the run
    opening = swar.ascii_lower(block) & swar.low_bytes(run)
    if length < 8:
        head |= (opening & swar.low_bytes(8 - length)) << np.uint64(8 * length)
    if run == 8:  # eight bytes or more: find the end, eight at a time
        while True:
            more = swar.first_marked(~swar.ascii_alphanumeric(swar.load8(buffer, position + run, end)) & swar.HIGH_BITS)
            run += more
            if more < 8:
                break
        tail = swar.ascii_lower(swar.load8(buffer, position + run - 8, end))
    else:
        tail = (tail >> np.uint64(8 * run)) | (opening << np.uint64(64 - 8 * run))
    return position + run, head, tail, length + run


@numba.njit(inline="always")
def _add_character(kind, source, at, size, out, first, count, in_word, apostrophe, head, tail, length):
    """One step of the word scan over a character of class ``kind`` whose folded bytes are
    ``source[at:at + size]``. A word is a run of word characters (an apostrophe between two
    of them joins the parts); a character of an unspaced script is a word of its own. A
    word's hash is built from its bytes as they stream by (:func:`_add_byte`); a finished
    word's hash goes to ``out[first + count]``. Inlined, so the scan's state stays in
    registers (a helper called per character with its state made the scan several times slower)."""
    if kind == WORD_CHARACTER:
        if not in_word:
            in_word, head, tail, length = True, np.uint64(0), np.uint64(0), 0
        elif apostrophe:
            head, tail, length = _add_byte(head, tail, length, _APOSTROPHE_BYTE)
        apostrophe = False
        for k in range(at, at + size):
            head, tail, length = _add_byte(head, tail, length, source[k])
    elif in_word and not apostrophe and size == 1 and source[at] == _APOSTROPHE_BYTE:
        apostrophe = True  # part of the word if a word character follows
    else:
        if in_word:
            out[first + count] = _word_hash(head, tail, length)
            count += 1
        in_word, apostrophe = False, False
        if kind == OWN_WORD or kind == SEGMENTED:
            own_head, own_tail, own_length = np.uint64(0), np.uint64(0), 0
            for k in range(at, at + size):
                own_head, own_tail, own_length = _add_byte(own_head, own_tail, own_length, source[k])
            out[first + count] = _word_hash(own_head, own_tail, own_length)
            count += 1
    return count, in_word, apostrophe, head, tail, length


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


@numba.njit(cache=True, parallel=True, nogil=True)
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
