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
which partition the join below, stay uniform among the fingerprints kept, and the
low bits, which the join overwrites with the document's index, are the ones
biased towards small values.

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

    Each fingerprint becomes one uint64 key, its hash with the low bits replaced
    by its document's index, so that a plain (SIMD) sort of the keys groups the
    documents of each n-gram. The hashes keep their ``64 - bits(documents)`` high
    bits (winnowing leaves them uniform), and the rare collisions this adds can
    only add a shared n-gram.
    """
    if partitions < 1 or partitions & (partitions - 1):
        raise ValueError(f"partitions must be a power of two, not {partitions}")
    if source_codes is None:
        source_codes, min_source_documents = np.full(len(sampled), -1, dtype=np.int64), 0
    doc_bits = max(int(len(sampled) - 1).bit_length(), 1)
    distinct = np.zeros(len(sampled), dtype=np.int64)
    keys, shared, found = [np.zeros(0, dtype=np.uint64)], [np.zeros(0, dtype=np.int64)], []
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
            [(ngram_keys[bounds[k] : bounds[k + 1]], doc_bits, max_df, source_codes, min_source_documents, sampled)
             for k in range(len(group))],
        )
        for pair_keys_, lengths, counts, boilerplate in joined:
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
    ngram_keys: np.ndarray, doc_bits: int, max_df: int, source_codes: np.ndarray, min_source_documents: int,
    sampled: TokenHashes,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """One partition's pair keys, the n-grams each pair shares in it, each document's
    distinct n-grams in it, and its boilerplate n-grams (sorts ``ngram_keys`` in place)."""
    ngram_keys.sort()
    distinct = np.zeros(len(source_codes), dtype=np.int64)
    pairs, boilerplate = _pairs_in_rare_ngrams(ngram_keys, doc_bits, max_df, distinct, source_codes,
                                               min_source_documents, sampled.hashes, sampled.offsets)
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
def _pairs_in_rare_ngrams(keys, doc_bits, max_df, distinct, source_codes, min_source_documents, hashes, offsets):
    """Pair keys (:func:`copytrace.candidates.groups.pair_keys`) of every two documents
    that share an n-gram found in 2 to ``max_df`` documents and in fewer than
    ``min_source_documents`` of any one source, from sorted n-gram keys; adds each
    document's distinct n-grams to ``distinct``. Also the n-grams found in
    ``min_source_documents`` or more of one source, with their documents, that source
    and its documents: the key lacks a hash's low ``doc_bits`` bits, so its whole hash is
    looked up among its first document's fingerprints (``hashes``, ``offsets``)."""
    bits, mask = np.uint64(doc_bits), np.uint64((1 << doc_bits) - 1)
    # Distinct keys (an n-gram twice in one document counts once), in place.
    unique = 0
    for position in range(len(keys)):
        if position == 0 or keys[position] != keys[position - 1]:
            keys[unique] = keys[position]
            unique += 1
            distinct[keys[position] & mask] += 1
    # The runs of keys of one n-gram found in 2 to max_df documents, not boilerplate, from
    # the front of run_starts/run_ends; those of boilerplate n-grams from the back.
    run_starts, run_ends = np.empty(unique, dtype=np.int64), np.empty(unique, dtype=np.int64)
    runs, found, total, start = 0, 0, 0, 0
    for end in range(1, unique + 1):
        if end == unique or keys[end] >> bits != keys[start] >> bits:
            length = end - start
            if min_source_documents >= 2 and length >= min_source_documents and (
                _most_frequent_source(keys[start:end], mask, source_codes)[1] >= min_source_documents
            ):
                found += 1
                run_starts[unique - found], run_ends[unique - found] = start, end
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
        boilerplate[number] = _whole_hash(keys[first], bits, mask, hashes, offsets)
        documents[number] = end - first
        sources[number], source_documents[number] = _most_frequent_source(keys[first:end], mask, source_codes)
    return pairs, (boilerplate, documents, sources, source_documents)


@numba.njit(cache=True, nogil=True)
def _whole_hash(key, bits, mask, hashes, offsets):
    """The fingerprint of document ``key & mask`` whose high bits are the key's."""
    document = np.int64(key & mask)
    prefix = key >> bits
    for position in range(offsets[document], offsets[document + 1]):
        if hashes[position] >> bits == prefix:
            return hashes[position]
    return (key >> bits) << bits  # unreachable: every key comes from a fingerprint


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
    starts, _ = run_bounds(keys)
    return keys[starts], np.add.reduceat(values, starts) if len(keys) else values
