"""Eight bytes at a time in one 64-bit integer ("SIMD within a register").

Compiled helpers (numba) that let a byte scan look at eight bytes per step instead
of one: an unaligned little-endian load, a per-byte range test and ASCII
lower-casing by carry-free arithmetic, the position of the first marked byte, and
the marks of eight bytes gathered into eight bits (for 64-bit masks of 64 bytes).
The range test is the classic one (Lamport, "Multiple byte processing with
full-word instructions", CACM 1975; Warren, *Hacker's Delight*, 2nd ed., ch. 6):
for bytes below 0x80, adding ``0x80 - low`` sets a byte's high bit exactly when the
byte is at least ``low``, and no sum carries into the next byte. Bit masks of
blocks of text drive the scanners of simdjson (Langdale & Lemire, VLDB Journal 2019).

Masks mark a byte by its high bit (``0x80`` in that byte's lane).
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic

ONES = np.uint64(0x0101010101010101)
HIGH_BITS = np.uint64(0x8080808080808080)
LOW_SEVEN = np.uint64(0x7F7F7F7F7F7F7F7F)


@intrinsic
def _unaligned_load(typingctx, array, index):
    """The eight bytes of a uint8 array from ``index`` as one little-endian uint64, loaded
    at any alignment (the caller checks that they lie inside the array)."""

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        data = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, data, [args[1]], wraparound=False)
        return builder.load(builder.bitcast(pointer, ir.IntType(64).as_pointer()), align=1)

    return types.uint64(array, index), codegen


@numba.njit(inline="always")
def low_bytes(count):
    """A mask of the lowest ``count`` bytes (0 to 8), without a branch: two shifts of
    ``4 * count`` bits, since one shift by 64 would be undefined."""
    half = np.uint64(4 * count)
    return ((np.uint64(1) << half) << half) - np.uint64(1)


@numba.njit(inline="always")
def load8(buffer, position, end):
    """``buffer[position:position + 8]`` as a little-endian uint64, the bytes at or past
    ``end`` or past the buffer read as zero. ``buffer`` holds at least eight bytes: the
    last eight bytes are one load too (a loop over them kept the compiler from
    optimising the scans that call this, about ten times slower)."""
    size = len(buffer)
    if position + 8 <= size:
        value = _unaligned_load(buffer, position)
    elif position < size:
        value = _unaligned_load(buffer, size - 8) >> np.uint64(8 * (position + 8 - size))
    else:
        value = np.uint64(0)
    return value & low_bytes(min(max(end - position, 0), 8))


@numba.njit(inline="always")
def in_range(bytes8, low, high):
    """Mark the bytes of ``bytes8`` from ``low`` to ``high`` (ASCII bounds); bytes of
    0x80 and above are never marked."""
    seven = bytes8 & LOW_SEVEN  # no lane can carry into the next
    at_least_low = seven + (np.uint64(0x80 - low) * ONES)
    above_high = seven + (np.uint64(0x7F - high) * ONES)
    return at_least_low & ~above_high & ~bytes8 & HIGH_BITS


@numba.njit(inline="always")
def ascii_alphanumeric(bytes8):
    """Mark the ASCII letters and digits."""
    return in_range(bytes8 | (ONES * np.uint64(0x20)), 0x61, 0x7A) | in_range(bytes8, 0x30, 0x39)


@numba.njit(inline="always")
def ascii_lower(bytes8):
    """Lower-case the ASCII capitals A-Z, leave every other byte as it is."""
    return bytes8 | (in_range(bytes8, 0x41, 0x5A) >> np.uint64(2))


@numba.njit(inline="always")
def lowest_bit(bits):
    """The index of the lowest set bit (64 when none is)."""
    return np.int64(trailing_zeros(bits))


@numba.njit(inline="always")
def first_marked(mask):
    """The index of the first marked byte of a mask (0-7), 8 when none is marked."""
    return lowest_bit(mask) >> 3


@numba.njit(inline="always")
def gather_marks(mask):
    """The marks of a mask as eight bits, bit ``k`` for byte ``k``: one multiplication moves
    each byte's high bit to its own bit of the top byte (no two partial products meet)."""
    return ((mask >> np.uint64(7)) * np.uint64(0x0102040810204080)) >> np.uint64(56)
