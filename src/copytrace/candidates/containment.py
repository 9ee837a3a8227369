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
sorting needs memory for a few partitions at a time; the pairs of all partitions
are summed at the end. The result does not depend on the number of partitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from copytrace.candidates.groups import run_bounds, split_pair_keys
from copytrace.candidates.shingles import TokenHashes
from copytrace.parallel import thread_starmap

PARTITIONS_PER_PASS = 4  # a pass holds a quarter of the keys at 16 partitions


def sample_ngrams(shingles: TokenHashes, sample_bits: int) -> TokenHashes:
    """The n-grams kept for the index: those whose hash has ``sample_bits`` low zero bits."""
    hashes, offsets = _sample(shingles.hashes, shingles.offsets, np.uint64((1 << sample_bits) - 1))
    return TokenHashes(hashes=hashes, offsets=offsets)


@numba.njit(cache=True, nogil=True)
def _sample(hashes, offsets, mask):
    """The hashes with no bit of ``mask`` set, and the offsets of each text's."""
    kept = np.empty(len(hashes), dtype=np.uint64)
    kept_offsets = np.zeros(len(offsets), dtype=np.int64)
    count = 0
    for text in range(len(offsets) - 1):
        for position in range(offsets[text], offsets[text + 1]):
            if hashes[position] & mask == 0:
                kept[count] = hashes[position]
                count += 1
        kept_offsets[text + 1] = count
    return kept[:count].copy(), kept_offsets


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
    """Join the sampled n-grams of all documents; keep pairs sharing enough of them.

    Each sampled n-gram becomes one uint64 key, its hash with the low bits
    replaced by its document's index, so that a plain (SIMD) sort of the keys
    groups the documents of each n-gram. The sampled hashes' low ``sample_bits``
    bits are zero anyway; hashes still keep ``64 - bits(documents)`` bits plus
    those, and the rare collisions this adds can only add a shared n-gram.
    """
    if partitions < 1 or partitions & (partitions - 1):
        raise ValueError(f"partitions must be a power of two, not {partitions}")
    doc_bits = max(int(len(sampled) - 1).bit_length(), 1)
    distinct = np.zeros(len(sampled), dtype=np.int64)
    keys, shared = [np.zeros(0, dtype=np.uint64)], [np.zeros(0, dtype=np.int64)]
    # Partition p holds the hashes whose top bits are p; a pass over the hashes
    # collects the keys of PARTITIONS_PER_PASS partitions, laid out by partition,
    # and joins them in threads.
    shift = 64 - (partitions.bit_length() - 1)
    sizes = _partition_sizes(sampled.hashes, shift, partitions)
    for first in range(0, partitions, PARTITIONS_PER_PASS):
        group = range(first, min(first + PARTITIONS_PER_PASS, partitions))
        bounds = np.concatenate(([0], np.cumsum(sizes[group.start : group.stop])))
        ngram_keys = _ngram_keys(sampled.hashes, sampled.offsets, shift, group.start, bounds, doc_bits)
        joined = thread_starmap(
            _join_partition,
            [(ngram_keys[bounds[k] : bounds[k + 1]], doc_bits, max_df, len(sampled)) for k in range(len(group))],
        )
        for pair_keys_, lengths, counts in joined:
            keys.append(pair_keys_)
            shared.append(lengths)
            distinct += counts
    keys, shared = _sum_by_key(np.concatenate(keys), np.concatenate(shared))
    a, b = split_pair_keys(keys)
    containment = shared / np.maximum(np.minimum(distinct[a], distinct[b]), 1)
    keep = (shared >= min_shared) & (containment >= min_containment)
    return SharedNgrams(a=a[keep], b=b[keep], shared=shared[keep], containment=containment[keep])


def _join_partition(
    ngram_keys: np.ndarray, doc_bits: int, max_df: int, documents: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One partition's pair keys, the n-grams each pair shares in it, and each document's
    distinct n-grams in it (sorts ``ngram_keys`` in place)."""
    ngram_keys.sort()
    distinct = np.zeros(documents, dtype=np.int64)
    pairs = np.sort(_pairs_in_rare_ngrams(ngram_keys, doc_bits, max_df, distinct))
    starts, lengths = run_bounds(pairs)
    return pairs[starts], lengths, distinct


@numba.njit(cache=True)
def _partition(value, shift):
    """The partition of a hash: its top bits, ``value >> shift`` (one partition when ``shift`` is 64)."""
    return np.int64(value >> np.uint64(shift)) if shift < 64 else 0


@numba.njit(cache=True)
def _partition_sizes(hashes, shift, partitions):
    """How many hashes fall in each partition."""
    sizes = np.zeros(partitions, dtype=np.int64)
    for position in range(len(hashes)):
        sizes[_partition(hashes[position], shift)] += 1
    return sizes


@numba.njit(cache=True)
def _ngram_keys(hashes, offsets, shift, first, bounds, doc_bits):
    """Keys ``hash >> doc_bits << doc_bits | document`` of the hashes of partitions
    ``first`` to ``first + len(bounds) - 2``; partition ``first + k``'s are
    ``keys[bounds[k]:bounds[k + 1]]``."""
    keys = np.empty(bounds[-1], dtype=np.uint64)
    written = bounds[:-1].copy()
    bits, groups = np.uint64(doc_bits), len(bounds) - 1
    for text in range(len(offsets) - 1):
        for position in range(offsets[text], offsets[text + 1]):
            value = hashes[position]
            k = _partition(value, shift) - first
            if 0 <= k < groups:
                keys[written[k]] = ((value >> bits) << bits) | np.uint64(text)
                written[k] += 1
    return keys


@numba.njit(cache=True, nogil=True)
def _pairs_in_rare_ngrams(keys, doc_bits, max_df, distinct):
    """Pair keys (:func:`copytrace.candidates.groups.pair_keys`) of every two documents
    that share an n-gram found in 2 to ``max_df`` documents, from sorted n-gram keys;
    adds each document's distinct n-grams to ``distinct``."""
    bits, mask = np.uint64(doc_bits), np.uint64((1 << doc_bits) - 1)
    # Distinct keys (an n-gram twice in one document counts once), in place.
    unique = 0
    for position in range(len(keys)):
        if position == 0 or keys[position] != keys[position - 1]:
            keys[unique] = keys[position]
            unique += 1
            distinct[keys[position] & mask] += 1
    # The runs of keys of one n-gram found in 2 to max_df documents.
    run_starts, run_ends = np.empty(unique, dtype=np.int64), np.empty(unique, dtype=np.int64)
    runs, total, start = 0, 0, 0
    for end in range(1, unique + 1):
        if end == unique or keys[end] >> bits != keys[start] >> bits:
            if 2 <= end - start <= max_df:
                run_starts[runs], run_ends[runs] = start, end
                runs += 1
                total += (end - start) * (end - start - 1) // 2
            start = end
    pairs = np.empty(total, dtype=np.uint64)
    written = 0
    for run in range(runs):
        for first in range(run_starts[run], run_ends[run]):
            for second in range(first + 1, run_ends[run]):
                # Documents ascend within an n-gram: first's is the lower.
                pairs[written] = ((keys[first] & mask) << np.uint64(32)) | (keys[second] & mask)
                written += 1
    return pairs


def _sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys, sorted, and the sum of the values of each."""
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    starts, _ = run_bounds(keys)
    return keys[starts], np.add.reduceat(values, starts) if len(keys) else values
