"""How a document's signatures are stored: as blobs of their raw bytes (the MinHash row
as uint32, the sampled n-gram hashes as uint64), one row per document, in DuckDB and in
the live archive's rows file alike; read back without a Python object per value."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from copytrace.arrow_buffers import data_and_offsets
from copytrace.candidates import Signatures
from copytrace.candidates.shingles import TokenHashes

if TYPE_CHECKING:
    from copytrace.store.records import SignedBatch


def signature_blobs(batch: SignedBatch) -> pa.Table:
    """Columns id, minhash, shingle_count, sampled of a signed batch."""
    signatures = batch.signatures
    offsets = signatures.sampled.offsets
    return pa.table(
        {
            "id": batch.documents.column("id"),
            "minhash": pa.array([row.tobytes() for row in signatures.minhash], pa.binary()),
            "shingle_count": pa.array(signatures.shingle_counts, pa.int64()),
            "sampled": pa.array(
                [signatures.sampled.hashes[offsets[i]:offsets[i + 1]].tobytes() for i in range(len(signatures))],
                pa.binary(),
            ),
        }
    )


def signatures_from_rows(rows: pa.Table | pa.RecordBatch) -> Signatures:
    """The signatures in ``rows`` (columns minhash, shingle_count, sampled), in row order."""
    count = rows.num_rows
    minhash, _ = blob_values(rows.column("minhash"), np.uint32)
    sampled, offsets = blob_values(rows.column("sampled"), np.uint64)
    return Signatures(
        minhash=minhash.reshape(count, -1) if count else np.zeros((0, 0), np.uint32),
        shingle_counts=np.asarray(rows.column("shingle_count").to_numpy(zero_copy_only=False), dtype=np.int64),
        sampled=TokenHashes(hashes=sampled, offsets=offsets.astype(np.int64)),
    )


def blob_values(blobs: pa.Array | pa.ChunkedArray, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """The blobs of a binary array end to end, as one array of ``dtype`` (no copy of one
    chunk), and where each blob starts and ends in it."""
    data, offsets = data_and_offsets(blobs.combine_chunks() if isinstance(blobs, pa.ChunkedArray) else blobs)
    values = data[offsets[0] : offsets[-1]].view(dtype)
    return values, (offsets - offsets[0]) // np.dtype(dtype).itemsize
