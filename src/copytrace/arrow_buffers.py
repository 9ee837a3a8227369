"""Variable-size Arrow arrays (strings, binaries) seen as numpy arrays, in place.

A string or binary array keeps all its values end to end in one data buffer and
their bounds in an offsets buffer (Arrow columnar format, "Variable-size binary
layout"). Compiled kernels read the values straight from there, without a Python
object per value.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def data_and_offsets(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The data buffer of a string or binary array (large or not) as bytes, read in
    place, and its ``len(array) + 1`` offsets: value ``i`` is ``data[offsets[i]:offsets[i + 1]]``
    (a null's bounds are whatever its offsets say)."""
    _, offsets_buffer, data = array.buffers()
    large = pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if large else np.int32)
    offsets = offsets[array.offset : array.offset + len(array) + 1].astype(np.int64)
    return (np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)), offsets
