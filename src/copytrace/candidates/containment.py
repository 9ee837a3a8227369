"""An index of shared rare n-grams: candidates for partial reuse.

A 300-word release quoted in a 1,500-word article shares few shingles relative
to the union (low Jaccard) but most of its own (high containment, Broder 1997).
As in passim (Smith, Cordell & Mullen, "Computational methods for uncovering
reprinted texts in antebellum newspapers", 2015), documents are paired when
they share n-grams that are rare in the collection: an n-gram found in more
than ``max_df`` documents is boilerplate or a stock phrase and says nothing
about reuse, and dropping it bounds the pairs each posting list can produce.

To bound memory, only n-grams whose hash is 0 modulo ``2**sample_bits`` are
indexed (the "0 mod p" selection of Manber 1994 and Schleimer, Wilkerson &
Aiken, "Winnowing", SIGMOD 2003). The choice depends on the n-gram alone, so a
passage shared by two texts is sampled in both, and the share of sampled
n-grams in common estimates containment.

The join runs over partitions of the n-gram hashes (their high bits), so its
sorting needs memory for one partition at a time; the pairs of all partitions
are summed at the end. The result does not depend on the number of partitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from copytrace.candidates.groups import pairs_in_runs, run_bounds, split_pair_keys
from copytrace.candidates.shingles import TokenHashes


def sample_ngrams(shingles: TokenHashes, sample_bits: int) -> TokenHashes:
    """The n-grams kept for the index: those whose hash has ``sample_bits`` low zero bits."""
    keep = (shingles.hashes & np.uint64((1 << sample_bits) - 1)) == 0
    kept_before = np.concatenate(([0], np.cumsum(keep)))
    return TokenHashes(hashes=shingles.hashes[keep], offsets=kept_before[shingles.offsets])


@dataclass(frozen=True)
class SharedNgrams:
    """Pairs that share rare sampled n-grams: ``shared[i]`` n-grams in common, and
    ``containment[i]`` = shared / the smaller of the two documents' sampled n-grams."""

    a: np.ndarray
    b: np.ndarray
    shared: np.ndarray
    containment: np.ndarray


def shared_ngram_pairs(
    sampled: TokenHashes, max_df: int, min_shared: int, min_containment: float, partitions: int = 16
) -> SharedNgrams:
    """Join the sampled n-grams of all documents; keep pairs sharing enough of them."""
    if partitions < 1 or partitions & (partitions - 1):
        raise ValueError(f"partitions must be a power of two, not {partitions}")
    distinct = np.zeros(len(sampled), dtype=np.int64)
    keys, shared = [np.zeros(0, dtype=np.uint64)], [np.zeros(0, dtype=np.int64)]
    width = 2**64 // partitions
    for partition in range(partitions):
        # Partition p holds the hashes in [p·width, (p+1)·width): compared in place, no index array.
        low, high = np.uint64(partition * width), np.uint64((partition + 1) * width - 1)
        positions = np.flatnonzero((sampled.hashes >= low) & (sampled.hashes <= high))
        hashes = sampled.hashes[positions]
        docs = np.searchsorted(sampled.offsets, positions, side="right") - 1
        order = np.argsort(hashes, kind="stable")  # documents stay in order within an n-gram
        hashes, docs = hashes[order], docs[order]
        first = np.ones(len(hashes), dtype=bool)
        first[1:] = (hashes[1:] != hashes[:-1]) | (docs[1:] != docs[:-1])
        hashes, docs = hashes[first], docs[first]
        distinct += np.bincount(docs, minlength=len(sampled))
        starts, lengths = run_bounds(hashes)
        rare = (lengths >= 2) & (lengths <= max_df)
        partition_keys, partition_shared = np.unique(pairs_in_runs(docs, starts[rare], lengths[rare]), return_counts=True)
        keys.append(partition_keys)
        shared.append(partition_shared)
    keys, shared = _sum_by_key(np.concatenate(keys), np.concatenate(shared))
    a, b = split_pair_keys(keys)
    containment = shared / np.maximum(np.minimum(distinct[a], distinct[b]), 1)
    keep = (shared >= min_shared) & (containment >= min_containment)
    return SharedNgrams(a=a[keep], b=b[keep], shared=shared[keep], containment=containment[keep])


def _sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys, sorted, and the sum of the values of each."""
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    starts, _ = run_bounds(keys)
    return keys[starts], np.add.reduceat(values, starts) if len(keys) else values
