"""The plan of a scan, stated once, and its steps as functions over Arrow batches.

A scan is five steps; each says what it maps over and what it hands on::

    records ──(1) parse and sign: map over records as the engine read them (LINE:
      │          a JSONL line; WHOLE_FILE: a text or CSV file; a Parquet row)──▶ PARSED
      │          rows (a document and its signatures, or why the record was refused),
      │          each with its read key (file number, record number): the first of
      │          an id by read key wins
      ▼
    documents ──(2) candidate keys: map──▶ KEY rows (kind, key, document number,
      │          source number): each distinct sampled n-gram and each LSH band of a
      │          document
      ▼
    KEY rows ──(3) join: packed by join partition (a range of the key's high bits:
      │          KEY_BLOCK rows), each partition's rows unpacked and joined──▶
      │          JOINED rows: (a, b, shared, near) of the documents (by number) that
      │          share keys in a partition, and the boilerplate n-grams; the pairs summed
      │          over partitions, with both documents' profiles ──▶ CANDIDATE rows (by
      │          id), by the rule of :func:`copytrace.candidates.lookup.candidates`
      ▼
    candidates ──(4) verify: the pairs and the documents of the candidate graph, each
      │          with its connected component (labelled by :func:`component_labels`
      │          where one task holds the graph), partitioned and sorted by
      │          component: COMPONENT_ROW rows──▶ VERIFIED rows (the pair, its passages,
      │          what the story step needs of it); a text comes once per component and
      │          is prepared once for all its pairs
      ▼
    VERIFIED rows ──(5) stories: group by connected component──▶ STORY rows
               (:func:`copytrace.provenance.stories.build_stories` of the component)

Every function here depends on its input alone (a batch, the key rows of a join
partition, the rows of a partition sorted by component for verify and stories, the whole
candidate graph for :func:`component_labels`), so an engine may cut the collection
into batches and partitions as it likes and get the same rows:
:mod:`copytrace.engine.spark` runs them through ``mapInArrow``, and Spark only moves
rows between them (shuffles, sorts and joins). The local engine
(:mod:`copytrace.engine.local`) runs the same stage functions
(:mod:`copytrace.engine.stages`) with its own in-memory join
(:func:`copytrace.candidates.pairs_from_signatures`), which applies the same rule to
every pair at once.

Keys do not depend on the collection size or on partitioning: an n-gram's key is
its whole 64-bit hash (in the local join too:
:func:`copytrace.candidates.containment.shared_ngram_pairs`) and a band's key is
:func:`copytrace.candidates.lsh.band_keys`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from itertools import islice
from pathlib import PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from copytrace.align import DEFAULT_CONFIG, AlignConfig
from copytrace.candidates import CandidateConfig, source_numbers
from copytrace.candidates.boilerplate import Boilerplate
from copytrace.candidates.containment import BoilerplateNgrams, SharedNgrams, shared_ngram_pairs
from copytrace.candidates.groups import distinct, pair_keys, pairs_sharing_keys, split_pair_keys, union
from copytrace.candidates.lookup import Profiles, batch_keys, candidates, distinct_ngram_counts
from copytrace.candidates.shingles import TokenHashes
from copytrace.engine.stages import parse_and_sign, verify_pairs
from copytrace.errors import InputError
from copytrace.ingest import Document, FieldMap
from copytrace.ingest.document import DOCUMENT_COLUMNS, DOCUMENT_SCHEMA
from copytrace.ingest.readers import (
    CSV_SUFFIXES, Read, csv_records, jsonl_record, parquet_record, rejection, text_file_record,
)
from copytrace.provenance.stories import PairEdge, build_stories, component_roots
from copytrace.store.blobs import blob_values, signature_blobs, signatures_from_rows
from copytrace.store.records import VerifiedPair, VerifiedRows
from copytrace.store.schema import BOILERPLATE as STORED_BOILERPLATE
from copytrace.store.schema import CANDIDATES, PAIRS, SIGNATURE_FIELDS, STORIES, parquet_schema

NGRAM, BAND = 0, 1  # kinds of candidate key
RECORD_BITS = 32  # a document's number is its file number, then its record number in as many bits
OUTPUT_BATCH_ROWS = 100_000  # rows of an Arrow batch a join step hands back at most

# --- the records that pass between the steps ----------------------------------

_DOCUMENT_FIELDS = list(DOCUMENT_SCHEMA)

# Records as the engine's readers found them, each with its read key (file number in
# read order, record number in its file), its file's name as the user gave it and its
# file id (copytrace.ingest.readers.input_files: a text file's document id, the prefix
# of positional ids). A JSONL line: its number (from 1), its byte offset in the file,
# its bytes with newline.
LINE = pa.schema([("file", pa.int32()), ("record", pa.int64()), ("name", pa.string()), ("file_id", pa.string()),
                  ("offset", pa.int64()), ("line", pa.binary())])
# A text or CSV file, whole.
WHOLE_FILE = pa.schema([("file", pa.int32()), ("name", pa.string()), ("file_id", pa.string()),
                        ("content", pa.binary())])
# The read key of a Parquet row (its number from 1), before the row's own columns.
ROW_KEY = pa.schema([("_file", pa.int32()), ("_record", pa.int64()), ("_name", pa.string()), ("_file_id", pa.string())])

# A record as read and parsed: its read key (file, record), the same as one number
# (:func:`document_number`), where it is, and either why it was refused (``reason``) or
# its document with signatures. ``raw`` is the rejection excerpt, kept for documents
# too (a later duplicate id is refused with it).
PARSED = pa.schema([
    ("file", pa.int32()), ("record", pa.int64()), ("number", pa.int64()), ("where", pa.string()), ("reason", pa.string()),
    ("raw", pa.string()), *_DOCUMENT_FIELDS, ("text_hash", pa.string()), *SIGNATURE_FIELDS,
    ("distinct_ngrams", pa.int64()),
])

# Candidate keys are a fingerprint n-gram's hash or an LSH band's key (uint64 as int64).
# A candidate key of a document (its number: :func:`document_number`), with its source's
# number among the collection's source names in order, -1 for none (the boilerplate rule
# counts documents per source). Numbers, not names, since every key row is shuffled:
# about 190 a document.
KEY = pa.schema([("kind", pa.int8()), ("key", pa.int64()), ("document", pa.int64()), ("source", pa.int32())])
# Key rows of one batch of documents that fall in one join partition
# (:func:`join_partitions`), as one Arrow IPC message of :data:`KEY` rows: what the engine
# shuffles, so that it moves a few blocks per batch instead of about 190 rows a document
# (at 1M articles Spark's shuffle and sort of the rows one by one took 323 task-seconds:
# docs/spark.md). ``route`` is the value the engine partitions the blocks by.
KEY_BLOCK = pa.schema([("route", pa.int32()), ("keys", pa.binary())])
# The store's boilerplate table (:func:`copytrace.candidates.boilerplate_table`); the
# n-gram's hash, a uint64, as a decimal: Spark and Parquet readers have no unsigned 64 bits.
BOILERPLATE = parquet_schema(STORED_BOILERPLATE)

# Two documents (their numbers, a < b) that share keys: n-grams shared (rare ones) and
# whether they share a band.
SHARED = pa.schema([("a", pa.int64()), ("b", pa.int64()), ("shared", pa.int64()), ("near", pa.bool_())])
# What the join hands on: two documents that share keys in one partition (the SHARED
# columns) or a boilerplate n-gram (the BOILERPLATE columns), the other columns null.
JOINED = pa.schema([pa.field(field.name, field.type) for field in (*SHARED, *BOILERPLATE)])
# What the candidate rule needs of a document (:class:`copytrace.candidates.lookup.Profile`).
PROFILE_FIELDS = [("id", pa.string()), ("date", pa.date32()), ("source", pa.string()),
                  ("minhash", pa.binary()), ("shingle_count", pa.int64()), ("distinct_ngrams", pa.int64())]
# The candidates table's columns but verified and kept (every candidate is verified).
CANDIDATE = pa.schema(list(CANDIDATES)[:-2])

PASSAGE = pa.struct([("region", pa.int32()), ("a_start", pa.int32()), ("a_end", pa.int32()),
                     ("b_start", pa.int32()), ("b_end", pa.int32()), ("similarity", pa.float64()),
                     ("verbatim_share", pa.float64())])
# A document of the candidate graph and its connected component, named by its least id.
COMPONENT = pa.schema([("id", pa.string()), ("component", pa.string())])
# What verify maps over: a candidate pair (a, b) or a document of the candidate graph
# (its DOCUMENT_COLUMNS, the others null), with its connected component.
COMPONENT_ROW = pa.schema([("component", pa.string()), ("a", pa.string()), ("b", pa.string()), *_DOCUMENT_FIELDS])
# A verified pair: the pairs table's row (all the story step needs of it but the
# dates: :class:`copytrace.provenance.stories.PairEdge`), its passages in order, both dates.
VERIFIED = pa.schema([*PAIRS, ("passage_rows", pa.list_(PASSAGE)), ("date_a", pa.date32()), ("date_b", pa.date32())])
# A document's place in its story, with the weight of the edge from its parent.
STORY = pa.schema([*STORIES, ("weight", pa.float64())])


# --- (1) parse and sign: map over records as the engine's readers found them ---------

def parse_lines(
    lines: Iterable[pa.RecordBatch], field_map: FieldMap, config: CandidateConfig, batch_size: int = 1000
) -> Iterator[pa.RecordBatch]:
    """:data:`PARSED` rows of JSONL :data:`LINE` rows (:func:`copytrace.ingest.readers.jsonl_record`)."""
    reads = ((row["file"], row["record"],
              jsonl_record(row["name"], row["file_id"], row["record"], row["offset"], row["line"], field_map))
             for batch in lines for row in batch.to_pylist())
    return _signed(((file, record, read) for file, record, read in reads if read is not None), config, batch_size)


def parse_whole_files(
    files: Iterable[pa.RecordBatch], field_map: FieldMap, config: CandidateConfig, batch_size: int = 1000
) -> Iterator[pa.RecordBatch]:
    """:data:`PARSED` rows of :data:`WHOLE_FILE` rows: a text file's one record
    (:func:`copytrace.ingest.readers.text_file_record`), a CSV file's records
    (:func:`copytrace.ingest.readers.csv_records`)."""
    return _signed((keyed for batch in files for row in batch.to_pylist() for keyed in _whole_file_reads(row, field_map)),
                   config, batch_size)


def _whole_file_reads(row: dict, field_map: FieldMap) -> Iterator[tuple[int, int, Read]]:
    name, content = row["name"], row["content"]
    if PurePosixPath(name).suffix.lower() in CSV_SUFFIXES:
        for number, read in enumerate(csv_records(name, row["file_id"], io.BytesIO(content), field_map)):
            yield row["file"], number, read
    else:
        yield row["file"], 0, text_file_record(name, row["file_id"], len(content), partial(bytes, content))


def parse_rows(
    rows: Iterable[pa.RecordBatch], field_map: FieldMap, config: CandidateConfig, batch_size: int = 1000
) -> Iterator[pa.RecordBatch]:
    """:data:`PARSED` rows of Parquet rows: :data:`ROW_KEY` columns, then the columns
    of ``field_map`` the files have (:func:`copytrace.ingest.readers.parquet_record`)."""
    keys = ROW_KEY.names

    def reads() -> Iterator[tuple[int, int, Read]]:
        for batch in rows:
            for row in batch.to_pylist():
                file, record, name, file_id = (row.pop(key) for key in keys)
                yield file, record, parquet_record(name, file_id, record, row, field_map)

    return _signed(reads(), config, batch_size)


def refused_files(files: Sequence[tuple[int, str, str]]) -> pa.RecordBatch:
    """:data:`PARSED` rows of files refused as a whole: (file number, where, why)."""
    return _parsed_rows([(file, 0) for file, _, _ in files], [Read(where, None, why) for _, where, why in files],
                        CandidateConfig())


def _signed(reads: Iterator[tuple[int, int, Read]], config: CandidateConfig, batch_size: int) -> Iterator[pa.RecordBatch]:
    """:data:`PARSED` rows of keyed reads, parsed and signed ``batch_size`` at a time
    (:func:`copytrace.engine.stages.parse_and_sign`)."""
    while chunk := list(islice(reads, batch_size)):
        yield _parsed_rows([(file, record) for file, record, _ in chunk], [read for _, _, read in chunk], config)


def document_number(file: int, record: int, where: str) -> int:
    """One integer for a read key (file, record), unique in a scan as the key is:
    the file number in the high bits, the record number in :data:`RECORD_BITS`."""
    if not 0 <= record < 1 << RECORD_BITS:
        raise InputError(where, f"a file of more than {(1 << RECORD_BITS) - 1:,} records: split it")
    return file << RECORD_BITS | record


def _parsed_rows(keys: list[tuple[int, int]], reads: list[Read], config: CandidateConfig) -> pa.RecordBatch:
    outcomes, signed = parse_and_sign(reads, config)
    distinct_ngrams = distinct_ngram_counts(signed.signatures)
    documents = signed.documents.to_pylist()
    blobs = signature_blobs(signed).to_pylist()
    rows = []
    for (file, record), read, outcome in zip(keys, reads, outcomes):
        row = {"file": file, "record": record, "number": document_number(file, record, read.where), "where": read.where}
        refused = rejection(read, outcome if isinstance(outcome, str) else "")
        row["raw"] = refused.raw
        if isinstance(outcome, str):
            row["reason"] = outcome
        else:
            row |= documents[outcome.row] | blobs[outcome.row] | {"distinct_ngrams": distinct_ngrams[outcome.row]}
        rows.append(row)
    return pa.RecordBatch.from_pylist(rows, schema=PARSED)


# --- (2) candidate keys: map over documents ---------------------------------------

def candidate_keys(documents: Iterable[pa.RecordBatch], config: CandidateConfig,
                   sources: pa.Array) -> Iterator[pa.RecordBatch]:
    """:data:`KEY` rows of each document (its signature columns, ``number`` and
    ``source``): its distinct sampled n-grams and its LSH band keys
    (:func:`copytrace.candidates.lookup.batch_keys`, the live archive's); its source
    numbered among ``sources``, the collection's distinct source names in order."""
    for batch in documents:
        if not batch.num_rows:
            continue
        found = batch_keys(signatures_from_rows(batch), config)
        banded = np.flatnonzero(found.has_bands)
        owner = np.concatenate((np.repeat(np.arange(batch.num_rows), np.diff(found.ngram_offsets)),
                                np.repeat(banded, config.bands)))
        kinds = np.repeat(np.array([NGRAM, BAND], dtype=np.int8), [len(found.ngrams), len(banded) * config.bands])
        keys = np.concatenate((found.ngrams, found.bands[banded].ravel())).view(np.int64)
        source = source_numbers(batch.column("source"), sources)
        yield pa.RecordBatch.from_arrays(
            [pa.array(kinds), pa.array(keys), pa.array(batch.column("number").to_numpy()[owner]),
             pa.array(source[owner].astype(np.int32))], schema=KEY)


def join_partitions(keys: np.ndarray, partitions: int) -> np.ndarray:
    """The join partition (0 to ``partitions`` - 1) of each key (int64 views of 64-bit
    hashes): its high 32 bits scaled to the range, so that the partitions get about as many
    keys each (the high bits of n-gram fingerprints stay uniform:
    :mod:`copytrace.candidates.containment`), and equal keys the same partition."""
    high = keys.view(np.uint64) >> np.uint64(32)
    return ((high * np.uint64(partitions)) >> np.uint64(32)).astype(np.int32)


def key_blocks(documents: Iterable[pa.RecordBatch], config: CandidateConfig, sources: pa.Array,
               routes: np.ndarray) -> Iterator[pa.RecordBatch]:
    """:data:`KEY_BLOCK` rows of each batch's :data:`KEY` rows (:func:`candidate_keys`):
    one for each of its ``len(routes)`` join partitions that holds any, with
    ``routes[partition]`` as its route (the engine sends each route to one task; which one
    does not change the result, since a task joins whatever whole partitions it gets)."""
    for keys in candidate_keys(documents, config, sources):
        partition = join_partitions(keys.column("key").to_numpy(), len(routes))
        # The join takes rows in any order; a stable sort keeps each block's rows in
        # document order, runs that Spark's shuffle compression packs (a radix sort, for
        # 16 bits, costs less than numpy's default quicksort).
        order = np.argsort(partition.astype(np.uint16) if len(routes) <= 1 << 16 else partition, kind="stable")
        bounds = np.searchsorted(partition[order], np.arange(len(routes) + 1))
        ordered = keys.take(pa.array(order))
        present = np.flatnonzero(np.diff(bounds))
        blocks = [ordered.slice(bounds[p], bounds[p + 1] - bounds[p]).serialize().to_pybytes() for p in present]
        yield pa.RecordBatch.from_arrays([pa.array(routes[present], pa.int32()), pa.array(blocks, pa.binary())],
                                         schema=KEY_BLOCK)


# --- (3) join: the key rows of each join partition, then the candidate rule per pair

def join_blocks(blocks: Iterable[pa.RecordBatch], config: CandidateConfig, sources: pa.Array
                ) -> Iterator[pa.RecordBatch]:
    """:data:`JOINED` rows of one task's :data:`KEY_BLOCK` rows (every block of the join
    partitions it was sent, in any order): their key rows unpacked and joined at once
    (:func:`join_keys`). A partition holds its share of about 190 key rows a document,
    21 bytes each: about 80 MB at one partition per 20,000 documents
    (:data:`copytrace.engine.spark.DOCUMENTS_PER_PARTITION`); the join's numpy arrays
    take about 270 MB more at their peak (3.7M rows, measured)."""
    keys = pa.Table.from_batches([pa.ipc.read_record_batch(block.as_buffer(), KEY)
                                  for batch in blocks for block in batch.column("keys")], schema=KEY)
    if keys.num_rows:
        yield from join_keys(keys, config, sources)


def join_keys(keys: pa.Table, config: CandidateConfig, sources: pa.Array) -> Iterator[pa.RecordBatch]:
    """:data:`JOINED` rows of the :data:`KEY` rows of whole keys (every row of each key
    they hold; in any order): for every two documents that share a key (``a < b`` by
    number), the n-grams they share here and whether they share a band (:data:`SHARED`
    rows, one per pair, which Spark sums over partitions), and the boilerplate n-grams,
    with the source holding each most (``sources`` are the names the key rows number).

    The n-grams are joined by the local engine's compiled join
    (:func:`copytrace.candidates.containment.shared_ngram_pairs`, over the documents
    numbered from 0 here), so both engines apply one rule: neither a boilerplate n-gram
    nor one in more than ``max_df`` documents (a stock phrase) pairs any. The bands are
    grouped as the local LSH groups them. Every row of a document carries its one source
    (as :func:`candidate_keys` makes them)."""
    document = keys.column("document").to_numpy()
    documents = distinct(document)
    codes = np.searchsorted(documents, document)  # a sort and a search: np.unique's inverse sorts by argsort
    source_of = np.full(len(documents), -1, dtype=np.int64)
    source_of[codes] = keys.column("source").to_numpy()
    is_ngram = keys.column("kind").to_numpy() == NGRAM
    key = keys.column("key").to_numpy()
    shared = _shared_ngrams(key[is_ngram].view(np.uint64), codes[is_ngram], source_of, config)
    bands = distinct(pairs_sharing_keys(key[~is_ngram], codes[~is_ngram]))
    pairs = _shared_rows(documents, pair_keys(shared.a, shared.b), shared.shared, bands)
    yield from pairs.to_batches(max_chunksize=OUTPUT_BATCH_ROWS)
    found = shared.boilerplate
    if len(found):
        yield from _boilerplate_rows(found, sources).to_batches(max_chunksize=OUTPUT_BATCH_ROWS)


def _shared_ngrams(hashes: np.ndarray, codes: np.ndarray, source_of: np.ndarray, config: CandidateConfig
                   ) -> SharedNgrams:
    """The pairs of documents (numbered ``codes``, from 0) sharing the n-grams ``hashes``,
    with how many, and the boilerplate among them: the local join's, every pair kept (the
    candidate rule waits for the sums over partitions). In one part: the partition's hashes
    are one slice of the range the join would cut into parts."""
    order = np.argsort(codes, kind="stable")
    offsets = np.zeros(len(source_of) + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=len(source_of)), out=offsets[1:])
    return shared_ngram_pairs(TokenHashes(hashes[order], offsets), config.max_df, 1, 0.0, source_of,
                              config.boilerplate_documents, partitions=1)


def _shared_rows(documents: np.ndarray, ngram_pairs: np.ndarray, shared: np.ndarray, band_pairs: np.ndarray
                 ) -> pa.Table:
    """:data:`JOINED` rows of pairs (:func:`copytrace.candidates.groups.pair_keys` of
    indices into ``documents``) that share ``shared`` n-grams (``ngram_pairs``, distinct)
    or a band (``band_pairs``, distinct): one per pair."""
    every = union(ngram_pairs, band_pairs)
    shared_by_pair = np.zeros(len(every), dtype=np.int64)
    shared_by_pair[np.searchsorted(every, ngram_pairs)] = shared
    a, b = split_pair_keys(every)
    nulls = [pa.nulls(len(every), field.type) for field in BOILERPLATE]
    return pa.table([pa.array(documents[a]), pa.array(documents[b]), pa.array(shared_by_pair),
                     pa.array(np.isin(every, band_pairs, assume_unique=True)), *nulls], schema=JOINED)


def _boilerplate_rows(found: BoilerplateNgrams, sources: pa.Array) -> pa.Table:
    """:data:`JOINED` rows of boilerplate n-grams, their sources named."""
    nulls = [pa.nulls(len(found), field.type) for field in SHARED]
    return pa.table([*nulls, pa.array(found.ngrams.tolist(), JOINED.field("ngram").type),
                     pa.array(found.documents, pa.int32()), sources.take(pa.array(found.source)),
                     pa.array(found.source_documents, pa.int32())], schema=JOINED)


def whole_groups(rows: Iterable[pa.RecordBatch], columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
    """Batches of rows sorted by ``columns`` (:func:`join_blocks` sorts a partition's
    key rows by key, Spark its component rows and verified pairs by component) cut only
    between groups of equal values: the rows of a group that runs on into the next batch
    are held back and handed on with it. A group that spans whole batches is held as
    pieces, joined once, so that its rows are copied once however many batches it spans."""
    held: list[pa.RecordBatch] = []
    for batch in rows:
        if not batch.num_rows:
            continue
        if held and _one_group(held[-1], batch, columns):
            held.append(batch)
            continue
        if held:
            batch = pa.concat_batches([*held, batch])
        last = int(_group_starts(batch, columns)[-1])
        if last:
            yield batch.slice(0, last)
        held = [batch.slice(last)]
    if held:
        yield pa.concat_batches(held)


def _one_group(held: pa.RecordBatch, batch: pa.RecordBatch, columns: Sequence[str]) -> bool:
    """Whether every row of ``batch`` is of the group of ``held``, rows of one group: the
    rows are sorted, so its first and last rows tell (no pass over the batch, which is
    then passed over again when it is cut)."""
    return all(held.column(name)[0].as_py() == batch.column(name)[0].as_py() == batch.column(name)[-1].as_py()
               for name in columns)


def _group_starts(batch: pa.RecordBatch, columns: Sequence[str]) -> np.ndarray:
    """Where each run of rows with equal values in ``columns`` starts in a non-empty batch."""
    differs = np.zeros(batch.num_rows - 1, dtype=bool)
    for name in columns:
        values = batch.column(name).to_numpy(zero_copy_only=False)
        differs |= values[1:] != values[:-1]
    return np.flatnonzero(np.r_[True, differs])


def candidate_rows(pairs: Iterable[pa.RecordBatch], config: CandidateConfig) -> Iterator[pa.RecordBatch]:
    """:data:`CANDIDATE` rows of :data:`SHARED` rows that carry both documents' profile
    columns (:data:`PROFILE_FIELDS`, prefixed ``a_`` and ``b_``), by the candidate rule
    of :func:`copytrace.candidates.lookup.candidates`, a batch at a time."""
    for batch in filter(len, pairs):
        kept = candidates(_profiles(batch, "a_", config.num_perm), _profiles(batch, "b_", config.num_perm),
                          batch.column("shared").to_numpy(),
                          batch.column("near").to_numpy(zero_copy_only=False), config)
        yield pa.RecordBatch.from_arrays([pa.array(kept.a, pa.string()), pa.array(kept.b, pa.string()),
                                          pa.array(kept.jaccard), pa.array(kept.containment),
                                          pa.array(kept.method, pa.string())], schema=CANDIDATE)


def _profiles(batch: pa.RecordBatch, prefix: str, num_perm: int) -> Profiles:
    """One side's :class:`copytrace.candidates.lookup.Profiles` from its prefixed columns
    (each minhash ``num_perm`` values: a reshape of another size fails)."""
    column = {name: batch.column(prefix + name) for name, _ in PROFILE_FIELDS}
    dates = column["date"].cast(pa.int32())
    minhash, _ = blob_values(column["minhash"], np.uint32)
    return Profiles(
        ids=column["id"].to_numpy(zero_copy_only=False), minhash=minhash.reshape(batch.num_rows, num_perm),
        shingle_count=column["shingle_count"].to_numpy(), distinct_ngrams=column["distinct_ngrams"].to_numpy(),
        days=dates.fill_null(0).to_numpy().astype(np.int64), dated=dates.is_valid().to_numpy(zero_copy_only=False),
        sources=column["source"].to_numpy(zero_copy_only=False),
    )


# --- (4) verify: group by connected component of the candidates ---------------------

def component_labels(edges: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """:data:`COMPONENT` rows of every document of the edges (a, b) of a whole graph,
    by union-find (:func:`copytrace.provenance.stories.component_roots`, as the local
    engine groups its pairs): for a graph that one task holds (170,957 candidate pairs
    at 100k articles: 0.2 s)."""
    pairs = (pair for batch in edges for pair in zip(batch.column("a").to_pylist(), batch.column("b").to_pylist()))
    roots = component_roots(pairs)
    yield pa.RecordBatch.from_arrays([pa.array(list(roots), pa.string()), pa.array(list(roots.values()), pa.string())],
                                     schema=COMPONENT)


def verified_components(rows: Iterable[pa.RecordBatch], config: AlignConfig = DEFAULT_CONFIG,
                        boilerplate: Boilerplate = Boilerplate()) -> Iterator[pa.RecordBatch]:
    """:data:`VERIFIED` rows of one partition's :data:`COMPONENT_ROW` rows sorted by
    component: :func:`verified_rows` of each batch of whole components, one Python call
    per batch, where a cogroup of each component's pairs and texts made one per component."""
    for block in whole_groups(rows, ("component",)):
        yield from verified_rows(block, config, boilerplate).to_batches()


def verified_rows(rows: pa.RecordBatch | pa.Table, config: AlignConfig = DEFAULT_CONFIG,
                  boilerplate: Boilerplate = Boilerplate()) -> pa.Table:
    """:data:`VERIFIED` rows of the candidate pairs among ``rows`` (:data:`COMPONENT_ROW`
    rows of whole connected components of the candidate graph, in any order) that share
    a passage, not only ``boilerplate``, by :func:`copytrace.engine.stages.verify_pairs`.
    As the local engine verifies them: each text comes once, and the aligner's cache
    prepares it once for all its pairs, taken in order of (component, a, b)."""
    is_pair = pc.is_valid(rows.column("a"))
    pairs, documents = rows.filter(is_pair), rows.filter(pc.invert(is_pair))
    columns = [documents.column(name).to_pylist() for name in DOCUMENT_COLUMNS]
    by_id = {document.id: document for document in (Document(*values) for values in zip(*columns))}
    ordered = sorted(zip(*(pairs.column(name).to_pylist() for name in ("component", "a", "b"))))
    kept = verify_pairs([(by_id[a], by_id[b]) for _, a, b in ordered], config, boilerplate)
    return _verified_table(VerifiedRows.of(kept), {id_: document.date for id_, document in by_id.items()})


def _verified_table(rows: VerifiedRows, dates: dict[str, dt.date | None]) -> pa.Table:
    """:data:`VERIFIED` rows of the pairs and passages tables' rows (the local engine's,
    built in columns: :meth:`copytrace.store.records.VerifiedRows.of`), each pair's
    passages in a list, with both documents' ``dates``."""
    counts = rows.pairs.column("passages").to_numpy()
    offsets = pa.array(np.r_[0, np.cumsum(counts)].astype(np.int32))
    passages = pa.StructArray.from_arrays([rows.passages.column(name).combine_chunks() for name in PASSAGE.names],
                                          fields=list(PASSAGE))
    pair_dates = [pa.array([dates[id_] for id_ in rows.pairs.column(side).to_pylist()], pa.date32()) for side in "ab"]
    return pa.table([*rows.pairs.columns, pa.ListArray.from_arrays(offsets, passages), *pair_dates], schema=VERIFIED)


def pair_edge(pair: VerifiedPair) -> PairEdge:
    """What the story step needs of a verified pair (the pairs table's row holds it too)."""
    return PairEdge(*(getattr(pair, name) for name in PairEdge._fields))


# --- (5) stories: group by connected component -------------------------------------

def story_rows(component: pa.Table) -> pa.Table:
    """:data:`STORY` rows of one connected component of the pair graph, from its
    :data:`VERIFIED` rows (passage rows not needed)."""
    rows = component.to_pylist()
    edges = [PairEdge(*(row[name] for name in PairEdge._fields)) for row in rows]
    dates = {row[side]: row[f"date_{side}"] for row in rows for side in ("a", "b")}
    forest = build_stories(edges, dates)
    weights = {edge.child_id: edge.weight for edge in forest.edges}
    return pa.Table.from_pylist(
        [vars(node) | {"weight": weights.get(node.document_id)} for node in forest.nodes], schema=STORY)


def component_stories(rows: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """:data:`STORY` rows of one partition's :data:`VERIFIED` rows (passage rows not
    needed) sorted by their ``component`` column: :func:`story_rows` of each batch of
    whole components, since the stories of several components are those of each. At 1M
    articles a Python call per component (``applyInArrow``) took 77.8 task-seconds for
    the stage, against 23.0 s for the local engine's whole graph."""
    for block in whole_groups(rows, ("component",)):
        yield from story_rows(pa.Table.from_batches([block])).to_batches()
