"""MinHash signatures of a batch of shingle sets, as one numpy matrix.

MinHash (Broder, "On the resemblance and containment of documents", 1997):
the share of equal positions in two signatures estimates the Jaccard
similarity of the two shingle sets. Signing is done by rensa's Rust
``RMinHash`` from the pre-hashed shingles of the whole batch at once.
"""

from __future__ import annotations

import numpy as np
from rensa import RMinHash

from copytrace.candidates.shingles import TokenHashes


def signature_matrix(shingles: TokenHashes, num_perm: int, seed: int) -> np.ndarray:
    """One row of ``num_perm`` uint32 minima per text; a text without shingles gets a row
    of the maximum value, which :func:`copytrace.candidates.lsh.lsh_pairs` leaves out."""
    digests = RMinHash.digest_matrix_from_flat_token_hashes(
        shingles.hashes, shingles.offsets.astype(np.uint64), num_perm, seed
    )
    matrix = np.array(digests.to_rows(), dtype=np.uint32).reshape(len(shingles), num_perm)
    matrix[shingles.counts == 0] = np.iinfo(np.uint32).max
    return matrix


def jaccard_estimates(matrix: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    """Share of equal signature positions for each pair ``(a[i], b[i])``."""
    out = np.empty(len(a), dtype=np.float32)
    for start in range(0, len(a), chunk):
        stop = start + chunk
        out[start:stop] = (matrix[a[start:stop]] == matrix[b[start:stop]]).mean(axis=1)
    return out
