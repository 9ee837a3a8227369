"""Eight bytes at a time: every helper agrees with the same test written byte by byte."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copytrace import swar
from copytrace.text import WORD_CHARACTER, character_classes


def _as_int(data: bytes) -> np.uint64:
    return np.uint64(int.from_bytes(data.ljust(8, b"\0"), "little"))


def _marks(flags: list[bool]) -> int:
    return sum(0x80 << (8 * k) for k, flag in enumerate(flags) if flag)


EIGHT_BYTES = st.binary(min_size=8, max_size=8)


@settings(max_examples=500, deadline=None)
@given(EIGHT_BYTES)
def test_byte_tests_match_byte_by_byte(data):
    value = _as_int(data)
    assert int(swar.in_range(value, 0x41, 0x5A)) == _marks([0x41 <= b <= 0x5A for b in data])
    assert int(swar.ascii_alphanumeric(value)) == _marks([chr(b).isalnum() and b < 0x80 for b in data])
    lowered = bytes(b | 0x20 if 0x41 <= b <= 0x5A else b for b in data)
    assert int(swar.ascii_lower(value)) == int.from_bytes(lowered, "little")


def test_every_ascii_byte_in_every_lane():
    """Each byte value in each of the eight lanes, the others holding every other value
    in turn: no lane's sum carries into its neighbour."""
    for lane in range(8):
        for value in range(256):
            data = bytearray((value + 37 * k) % 256 for k in range(8))
            data[lane] = value
            got = int(swar.ascii_alphanumeric(_as_int(bytes(data))))
            assert got == _marks([chr(b).isalnum() and b < 0x80 for b in data])


def test_ascii_word_characters_are_letters_and_digits():
    """The word scan takes ASCII words eight and 64 bytes at a time as runs of letters
    and digits: that is what the character classes say of ASCII."""
    classes = character_classes()
    assert [chr(b) for b in range(128) if classes[b] == WORD_CHARACTER] == [
        chr(b) for b in range(128) if chr(b).isalnum()
    ]


@pytest.mark.parametrize("count", range(9))
def test_low_bytes(count):
    assert int(swar.low_bytes(count)) == (1 << (8 * count)) - 1


@settings(deadline=None)
@given(st.integers(0, 255))
def test_gather_marks_gives_one_bit_per_byte(bits):
    mask = _marks([bool(bits >> k & 1) for k in range(8)])
    assert int(swar.gather_marks(np.uint64(mask))) == bits


def test_lowest_bit_and_first_marked():
    assert [int(swar.lowest_bit(np.uint64(1 << k))) for k in range(64)] == list(range(64))
    assert int(swar.lowest_bit(np.uint64(0))) == 64
    assert [int(swar.first_marked(np.uint64(0x80 << (8 * k)))) for k in range(8)] == list(range(8))
    assert int(swar.first_marked(np.uint64(0))) == 8


def test_load8_reads_zeros_past_the_end_and_past_the_buffer():
    buffer = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    for position in range(len(buffer) + 2):
        for end in range(position, len(buffer) + 1):
            expected = bytes(buffer[position:min(end, position + 8)])
            assert int(swar.load8(buffer, position, end)) == int.from_bytes(expected, "little"), (position, end)
