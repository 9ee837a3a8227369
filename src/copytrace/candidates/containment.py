"""An index of shared rare n-grams: candidates for partial reuse.

A 300-word release quoted in a 1,500-word article shares few shingles relative
to the union (low Jaccard) but most of its own (high containment, Broder 1997).
As in passim (Smith, Cordell & Mullen, "Computational methods for uncovering
reprinted texts in antebellum newspapers", 2015), documents are paired when
they share n-grams that are rare in the collection: an n-gram found in more
than ``max_df`` documents is boilerplate or a stock phrase and says nothing
about reuse, and dropping it bounds the pairs each posting list can produce.

To bound memory, only the n-grams that winnowing selects are indexed
(Schleimer, Wilkerson & Aiken, "Winnowing: local algorithms for document
fingerprinting", SIGMOD 2003): in every window of ``window`` consecutive n-grams
the least is kept (robust winnowing: the rightmost of equal ones, each position
once). Its guarantee makes this a passage-level index: any run of
``window + n - 1`` words shared by two texts shares at least one fingerprint, and
a run of ``2 * window + n - 1`` words at least two, whatever else the two texts
hold. The density is about ``2 / (window + 1)`` of the n-grams.

N-grams are ordered by the low half of their hash first, so that the high bits,
which place them in the join's partitions and buckets below, stay uniform among
the fingerprints kept; the low bits are the ones biased towards small values.

The join groups fingerprints by their whole 64-bit hash, as the Spark plan and the
live archive do, so two documents share an n-gram exactly when they share its hash,
whatever the size of the collection. It runs over partitions of the hashes (their
high bits), so its sorting needs memory for a few partitions at a time; the pairs of
all partitions are summed at the end. The result does not depend on the number of
partitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from copytrace.candidates.groups import run_bounds, run_starts, split_pair_keys
from copytrace.candidates.shingles import TokenHashes
from copytrace.parallel import thread_starmap

PARTITIONS_PER_PASS = 4  # a pass holds a quarter of the keys at 16 partitions


def winnow(shingles: TokenHashes, window: int) -> TokenHashes:
    """The winnowed fingerprints of each text (Schleimer et al. 2003), in text order: the
    least n-gram of every ``window`` consecutive ones; a text with fewer n-grams keeps
    its least."""
    hashes, offsets = _winnow(shingles.hashes, shingles.offsets, window)
    return TokenHashes(hashes=hashes, offsets=offsets)


@numba.njit(inline="always")
def _winnowing_order(value):
    """The order winnowing compares n-grams in: low half of the hash, then high half."""
    return (value << np.uint64(32)) | (value >> np.uint64(32))


@numba.njit(cache=True, nogil=True)
def _winnow(hashes, offsets, window):
    """Robust winnowing of each text's hashes: the least of every window (on a tie, the
    one chosen for the window before if it is still in, else the rightmost), each
    choice recorded once; the hashes kept and the offsets of each text's."""
    kept = np.empty(len(hashes), dtype=np.uint64)
    kept_offsets = np.zeros(len(offsets), dtype=np.int64)
    count = 0
    for text in range(len(offsets) - 1):
        start, end = offsets[text], offsets[text + 1]
        if start == end:
            kept_offsets[text + 1] = count
            continue
        last_window = max(end - window, start)
        chosen = -1
        for first in range(start, last_window + 1):
            stop = min(first + window, end)
            if chosen < first:  # the last choice left the window: look at all of it
                chosen = first
                for position in range(first + 1, stop):
                    if _winnowing_order(hashes[position]) <= _winnowing_order(hashes[chosen]):
                        chosen = position
            elif _winnowing_order(hashes[stop - 1]) < _winnowing_order(hashes[chosen]):
                chosen = stop - 1  # only the n-gram that entered can beat it; a tie keeps the choice
            else:
                continue
            kept[count] = hashes[chosen]
            count += 1
        kept_offsets[text + 1] = count
    return kept[:count].copy(), kept_offsets


@dataclass(frozen=True)
class SharedNgrams:
    """Pairs that share rare fingerprints: ``shared[i]`` n-grams in common, and
    ``containment[i]`` = shared / the smaller of the two documents' fingerprints.
    ``boilerplate``: the fingerprints found in ``min_source_documents`` or more
    documents of one source (:class:`BoilerplateNgrams`)."""

    a: np.ndarray
    b: np.ndarray
    shared: np.ndarray
    containment: np.ndarray
    boilerplate: BoilerplateNgrams


@dataclass(frozen=True)
class BoilerplateNgrams:
    """Fingerprints that recur within one source: ``ngrams[i]`` (full hashes, sorted) is
    in ``documents[i]`` documents, ``source_documents[i]`` of them of source number
    ``source[i]`` (the source holding it most often)."""

    ngrams: np.ndarray
    documents: np.ndarray
    source: np.ndarray
    source_documents: np.ndarray

    def __len__(self) -> int:
        return len(self.ngrams)

    @staticmethod
    def empty() -> BoilerplateNgrams:
        none = np.zeros(0, dtype=np.int64)
        return BoilerplateNgrams(np.zeros(0, dtype=np.uint64), none, none, none)


def shared_ngram_pairs(
    sampled: TokenHashes,
    max_df: int,
    min_shared: int,
    min_containment: float,
    source_codes: np.ndarray | None = None,
    min_source_documents: int = 0,
    partitions: int = 16,
) -> SharedNgrams:
    """Join the fingerprints of all documents; keep pairs sharing enough of them.

    A fingerprint counts for a pair when it is rare (in 2 to ``max_df`` documents)
    and not boilerplate: boilerplate recurs in ``min_source_documents`` or more
    documents of one source (``source_codes``: each document's source as a number,
    -1 for none; 0 turns this off). Boilerplate fingerprints of any frequency are
    returned too.

    The key of a fingerprint is its whole 64-bit hash, as in the Spark plan
    (:mod:`copytrace.engine.plan`), whatever the size of the collection. To sort the
    (hash, document) pairs as single uint64s, the hashes are first placed in buckets by
    their top ``bits`` bits (at least as many as a document number needs); within a
    bucket those bits are known, so each key holds the rest of its hash followed by its
    document's number, and sorting a bucket's keys groups the documents of each hash.
    """
    if partitions < 1 or partitions & (partitions - 1):
        raise ValueError(f"partitions must be a power of two, not {partitions}")
    if source_codes is None:
        source_codes, min_source_documents = np.full(len(sampled), -1, dtype=np.int64), 0
    partition_bits = partitions.bit_length() - 1
    bits = max(int(len(sampled) - 1).bit_length(), partition_bits, 1)
    buckets_per_partition = 1 << (bits - partition_bits)
    distinct = np.zeros(len(sampled), dtype=np.int64)
    keys, shared, found = [np.zeros(0, dtype=np.uint64)], [np.zeros(0, dtype=np.int64)], []
    # A pass over the hashes collects the keys of PARTITIONS_PER_PASS partitions (their
    # buckets in order) and joins the partitions in threads.
    sizes = _bucket_sizes(sampled.hashes, bits)
    for first in range(0, partitions, PARTITIONS_PER_PASS):
        group = range(first, min(first + PARTITIONS_PER_PASS, partitions))
        first_bucket = group.start * buckets_per_partition
        bounds = np.concatenate(([0], np.cumsum(sizes[first_bucket : group.stop * buckets_per_partition])))
        bucket_keys = _bucket_keys(sampled.hashes, sampled.offsets, bits, first_bucket, bounds)
        jobs = []
        for k in range(len(group)):
            own = bounds[k * buckets_per_partition : (k + 1) * buckets_per_partition + 1]
            jobs.append((bucket_keys[own[0] : own[-1]], own - own[0], first_bucket + k * buckets_per_partition,
                         bits, max_df, source_codes, min_source_documents))
        for pair_keys_, lengths, counts, boilerplate in thread_starmap(_join_partition, jobs):
            keys.append(pair_keys_)
            shared.append(lengths)
            distinct += counts
            found.append(boilerplate)
    keys, shared = _sum_by_key(np.concatenate(keys), np.concatenate(shared))
    a, b = split_pair_keys(keys)
    containment = shared / np.maximum(np.minimum(distinct[a], distinct[b]), 1)
    keep = (shared >= min_shared) & (containment >= min_containment)
    return SharedNgrams(
        a=a[keep], b=b[keep], shared=shared[keep], containment=containment[keep],
        boilerplate=_sorted_boilerplate(found),
    )


def _join_partition(
    keys: np.ndarray, bounds: np.ndarray, first_bucket: int, bits: int, max_df: int, source_codes: np.ndarray,
    min_source_documents: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """One partition's pair keys, the n-grams each pair shares in it, each document's
    distinct n-grams in it, and its boilerplate n-grams, from its buckets' keys
    (``keys[bounds[i]:bounds[i + 1]]`` is bucket ``first_bucket + i``; sorted in place)."""
    distinct = np.zeros(len(source_codes), dtype=np.int64)
    pairs, boilerplate = _pairs_in_rare_ngrams(keys, bounds, first_bucket, bits, max_df, distinct, source_codes,
                                               min_source_documents)
    pairs = np.sort(pairs)
    starts, lengths = run_bounds(pairs)
    return pairs[starts], lengths, distinct, boilerplate


def _sorted_boilerplate(found: list[tuple[np.ndarray, ...]]) -> BoilerplateNgrams:
    """The boilerplate n-grams of all partitions, by hash."""
    if not found or not sum(len(part[0]) for part in found):
        return BoilerplateNgrams.empty()
    ngrams, documents, source, source_documents = (np.concatenate([part[k] for part in found]) for k in range(4))
    order = np.argsort(ngrams, kind="stable")
    return BoilerplateNgrams(ngrams[order], documents[order], source[order], source_documents[order])


@numba.njit(cache=True)
def _bucket_sizes(hashes, bits):
    """How many hashes fall in each bucket (their top ``bits`` bits)."""
    sizes = np.zeros(1 << bits, dtype=np.int64)
    shift = np.uint64(64 - bits)
    for position in range(len(hashes)):
        sizes[hashes[position] >> shift] += 1
    return sizes


@numba.njit(cache=True)
def _bucket_keys(hashes, offsets, bits, first_bucket, bounds):
    """Keys ``hash << bits | document`` of the hashes of buckets ``first_bucket`` to
    ``first_bucket + len(bounds) - 2`` (the top ``bits`` bits of a hash are its bucket);
    bucket ``first_bucket + i``'s are ``keys[bounds[i]:bounds[i + 1]]``."""
    keys = np.empty(bounds[-1], dtype=np.uint64)
    written = bounds[:-1].copy()
    shift, width = np.uint64(64 - bits), np.uint64(bits)
    for text in range(len(offsets) - 1):
        for position in range(offsets[text], offsets[text + 1]):
            value = hashes[position]
            bucket = np.int64(value >> shift) - first_bucket
            if 0 <= bucket < len(written):
                keys[written[bucket]] = (value << width) | np.uint64(text)
                written[bucket] += 1
    return keys


@numba.njit(cache=True, nogil=True)
def _pairs_in_rare_ngrams(keys, bounds, first_bucket, bits, max_df, distinct, source_codes, min_source_documents):
    """Pair keys (:func:`copytrace.candidates.groups.pair_keys`) of every two documents
    that share an n-gram found in 2 to ``max_df`` documents and in fewer than
    ``min_source_documents`` of any one source, from the keys of :func:`_bucket_keys`
    (each bucket sorted here, in place); adds each document's distinct n-grams to
    ``distinct``. Also the n-grams found in ``min_source_documents`` or more of one
    source, with their documents, that source and its documents."""
    width, mask = np.uint64(bits), np.uint64((1 << bits) - 1)
    # Each bucket sorted, then its distinct keys (an n-gram twice in one document counts
    # once) moved to the front, in place; unique_bounds delimits each bucket's.
    unique = 0
    unique_bounds = np.zeros(len(bounds), dtype=np.int64)
    for bucket in range(len(bounds) - 1):
        keys[bounds[bucket] : bounds[bucket + 1]].sort()
        for position in range(bounds[bucket], bounds[bucket + 1]):
            if position == bounds[bucket] or keys[position] != keys[position - 1]:
                keys[unique] = keys[position]
                unique += 1
                distinct[keys[position] & mask] += 1
        unique_bounds[bucket + 1] = unique
    # The runs of keys of one n-gram found in 2 to max_df documents, not boilerplate, from
    # the front of run_starts/run_ends; those of boilerplate n-grams from the back, with
    # their buckets.
    run_starts, run_ends = np.empty(unique, dtype=np.int64), np.empty(unique, dtype=np.int64)
    run_buckets = np.empty(unique, dtype=np.int64)
    runs, found, total = 0, 0, 0
    for bucket in range(len(bounds) - 1):
        start, stop = unique_bounds[bucket], unique_bounds[bucket + 1]
        for end in range(start + 1, stop + 1):
            if end == stop or keys[end] >> width != keys[start] >> width:
                length = end - start
                if min_source_documents >= 2 and length >= min_source_documents and (
                    _most_frequent_source(keys[start:end], mask, source_codes)[1] >= min_source_documents
                ):
                    found += 1
                    run_starts[unique - found], run_ends[unique - found] = start, end
                    run_buckets[unique - found] = first_bucket + bucket
                elif 2 <= length <= max_df:
                    run_starts[runs], run_ends[runs] = start, end
                    runs += 1
                    total += length * (length - 1) // 2
                start = end
    pairs = np.empty(total, dtype=np.uint64)
    written = 0
    for run in range(runs):
        for first in range(run_starts[run], run_ends[run]):
            for second in range(first + 1, run_ends[run]):
                # Documents ascend within an n-gram: first's is the lower.
                pairs[written] = ((keys[first] & mask) << np.uint64(32)) | (keys[second] & mask)
                written += 1
    boilerplate = np.empty(found, dtype=np.uint64)
    documents, sources = np.empty(found, dtype=np.int64), np.empty(found, dtype=np.int64)
    source_documents = np.empty(found, dtype=np.int64)
    for number in range(found):
        first, end = run_starts[unique - 1 - number], run_ends[unique - 1 - number]
        # The whole hash: the bucket's top bits, then the rest of the key's hash.
        boilerplate[number] = (np.uint64(run_buckets[unique - 1 - number]) << np.uint64(64 - bits)) | (
            keys[first] >> width)
        documents[number] = end - first
        sources[number], source_documents[number] = _most_frequent_source(keys[first:end], mask, source_codes)
    return pairs, (boilerplate, documents, sources, source_documents)


@numba.njit(cache=True, nogil=True)
def _most_frequent_source(keys, mask, source_codes):
    """The source (not -1) holding most of the documents of ``keys``, and how many."""
    codes = np.empty(len(keys), dtype=np.int64)
    for position in range(len(keys)):
        codes[position] = source_codes[np.int64(keys[position] & mask)]
    codes.sort()
    best, best_count, run = -1, 0, 0
    for position in range(len(codes)):
        run = run + 1 if position > 0 and codes[position] == codes[position - 1] else 1
        if codes[position] >= 0 and run > best_count:
            best, best_count = codes[position], run
    return best, best_count


def _sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys, sorted, and the sum of the values of each."""
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    starts = run_starts(keys)
    return keys[starts], np.add.reduceat(values, starts) if len(keys) else values
