"""The plan of a scan, stated once, and its steps as functions over Arrow batches.

A scan is five steps; each says what it maps over and what it hands on::

    records ──(1) parse and sign: map over records as the engine read them (LINE:
      │          a JSONL line; WHOLE_FILE: a text or CSV file; a Parquet row)──▶ PARSED
      │          rows (a document and its signatures, or why the record was refused),
      │          each with its read key (file number, record number): the first of
      │          an id by read key wins
      ▼
    documents ──(2) candidate keys: map──▶ KEY rows (kind, key, id): each distinct
      │          sampled n-gram and each LSH band of a document
      ▼
    KEY rows ──(3) join: partitioned by key and sorted──▶ JOINED rows: (a, b, kind) of
      │          the documents that share a key, and the boilerplate n-grams; the
      │          pairs summed by pair into (a, b, shared, near), with both documents'
      │          profiles ──▶ CANDIDATE rows, by the rule of
      │          :func:`copytrace.candidates.lookup.candidate`
      ▼
    candidates ──(4) verify: group by connected component of the candidates (labelled
      │          by :func:`component_labels` where one task holds the graph), each
      │          with its documents──▶ VERIFIED rows (the pair, its passages, what
      │          the story step needs of it); a text comes once per component and is
      │          prepared once for all its pairs
      ▼
    VERIFIED rows ──(5) stories: group by connected component──▶ STORY rows
               (:func:`copytrace.provenance.stories.build_stories` of the component)

Every function here depends on its input alone (a batch, a group, the rows of a
partition sorted by key for the join, the whole candidate graph for
:func:`component_labels`), so an engine may cut the collection into batches and
partitions as it likes and get the same rows:
:mod:`copytrace.engine.spark` runs them through ``mapInArrow`` and ``applyInArrow``,
and Spark only moves rows between them (the group-by-key joins). The local engine
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
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from itertools import combinations, islice
from pathlib import PurePosixPath
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from copytrace.align import DEFAULT_CONFIG, AlignConfig
from copytrace.candidates import CandidateConfig
from copytrace.candidates.boilerplate import Boilerplate
from copytrace.candidates.lookup import Profile, boilerplate_ngrams, candidate, index_keys
from copytrace.engine.stages import parse_and_sign, verify_pairs
from copytrace.ingest import Document, FieldMap
from copytrace.ingest.document import DOCUMENT_COLUMNS, DOCUMENT_SCHEMA
from copytrace.ingest.readers import (
    CSV_SUFFIXES, Read, csv_records, jsonl_record, parquet_record, rejection, text_file_record,
)
from copytrace.provenance.stories import PairEdge, build_stories, component_roots
from copytrace.store.blobs import signature_blobs, signatures_from_rows
from copytrace.store.records import VerifiedPair
from copytrace.store.schema import BOILERPLATE as STORED_BOILERPLATE
from copytrace.store.schema import CANDIDATES, PAIRS, SIGNATURE_FIELDS, STORIES, parquet_schema

NGRAM, BAND = 0, 1  # kinds of candidate key
OUTPUT_BATCH_ROWS = 100_000  # rows of an Arrow batch a join step hands back at most

# --- the records that pass between the steps ----------------------------------

_DOCUMENT_FIELDS = list(DOCUMENT_SCHEMA)

# Records as the engine's readers found them, each with its read key (file number in
# read order, record number in its file) and its file's name as the user gave it. A
# JSONL line: its number (from 1), its byte offset in the file, its bytes with newline.
LINE = pa.schema([("file", pa.int32()), ("record", pa.int64()), ("name", pa.string()), ("offset", pa.int64()),
                  ("line", pa.binary())])
# A text or CSV file, whole; ``text_id`` names a text file's document.
WHOLE_FILE = pa.schema([("file", pa.int32()), ("name", pa.string()), ("text_id", pa.string()), ("content", pa.binary())])
# The read key of a Parquet row (its number from 1), before the row's own columns.
ROW_KEY = pa.schema([("_file", pa.int32()), ("_record", pa.int64()), ("_name", pa.string())])

# A record as read and parsed: its read key (file, record), where it is, and either
# why it was refused (``reason``) or its document with signatures. ``raw`` is the
# rejection excerpt, kept for documents too (a later duplicate id is refused with it).
PARSED = pa.schema([
    ("file", pa.int32()), ("record", pa.int64()), ("where", pa.string()), ("reason", pa.string()),
    ("raw", pa.string()), *_DOCUMENT_FIELDS, ("text_hash", pa.string()), *SIGNATURE_FIELDS,
    ("distinct_ngrams", pa.int64()),
])

# Candidate keys are a fingerprint n-gram's hash or an LSH band's key (uint64 as int64).
# A candidate key of a document, with its source (the boilerplate rule counts documents per source).
KEY = pa.schema([("kind", pa.int8()), ("key", pa.int64()), ("id", pa.string()), ("source", pa.string())])
PAIR_KEY = pa.schema([("a", pa.string()), ("b", pa.string()), ("kind", pa.int8())])
# The store's boilerplate table (:func:`copytrace.candidates.boilerplate_table`); the
# n-gram's hash, a uint64, as a decimal: Spark and Parquet readers have no unsigned 64 bits.
BOILERPLATE = parquet_schema(STORED_BOILERPLATE)

# What the join hands on: a pair of documents that share a key (the PAIR_KEY columns) or
# a boilerplate n-gram (the BOILERPLATE columns), the other columns null.
JOINED = pa.schema([pa.field(field.name, field.type) for field in (*PAIR_KEY, *BOILERPLATE)])
# What the candidate rule needs of a document (:class:`copytrace.candidates.lookup.Profile`).
PROFILE_FIELDS = [("id", pa.string()), ("date", pa.date32()), ("source", pa.string()),
                  ("minhash", pa.binary()), ("shingle_count", pa.int64()), ("distinct_ngrams", pa.int64())]
# Two documents that share keys: n-grams shared (rare ones) and whether they share a band.
SHARED = pa.schema([("a", pa.string()), ("b", pa.string()), ("shared", pa.int64()), ("near", pa.bool_())])
# The candidates table's columns but verified and kept (every candidate is verified).
CANDIDATE = pa.schema(list(CANDIDATES)[:-2])

PASSAGE = pa.struct([("region", pa.int32()), ("a_start", pa.int32()), ("a_end", pa.int32()),
                     ("b_start", pa.int32()), ("b_end", pa.int32()), ("similarity", pa.float64()),
                     ("verbatim_share", pa.float64())])
# A document of the candidate graph and its connected component, named by its least id.
COMPONENT = pa.schema([("id", pa.string()), ("component", pa.string())])
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
    reads = ((row["file"], row["record"], jsonl_record(row["name"], row["record"], row["offset"], row["line"], field_map))
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
        for number, read in enumerate(csv_records(name, io.BytesIO(content), field_map)):
            yield row["file"], number, read
    else:
        yield row["file"], 0, text_file_record(name, row["text_id"], len(content), partial(bytes, content))


def parse_rows(
    rows: Iterable[pa.RecordBatch], field_map: FieldMap, config: CandidateConfig, batch_size: int = 1000
) -> Iterator[pa.RecordBatch]:
    """:data:`PARSED` rows of Parquet rows: :data:`ROW_KEY` columns, then the columns
    of ``field_map`` the files have (:func:`copytrace.ingest.readers.parquet_record`)."""
    keys = ROW_KEY.names

    def reads() -> Iterator[tuple[int, int, Read]]:
        for batch in rows:
            for row in batch.to_pylist():
                file, record, name = (row.pop(key) for key in keys)
                yield file, record, parquet_record(name, record, row, field_map)

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


def _parsed_rows(keys: list[tuple[int, int]], reads: list[Read], config: CandidateConfig) -> pa.RecordBatch:
    outcomes, signed = parse_and_sign(reads, config)
    offsets = signed.signatures.sampled.offsets
    documents = signed.documents.to_pylist()
    blobs = signature_blobs(signed).to_pylist()
    rows = []
    for (file, record), read, outcome in zip(keys, reads, outcomes):
        row = {"file": file, "record": record, "where": read.where}
        refused = rejection(read, outcome if isinstance(outcome, str) else "")
        row["raw"] = refused.raw
        if isinstance(outcome, str):
            row["reason"] = outcome
        else:
            sampled = signed.signatures.sampled.hashes[offsets[outcome.row]:offsets[outcome.row + 1]]
            row |= documents[outcome.row] | blobs[outcome.row] | {"distinct_ngrams": len(np.unique(sampled))}
        rows.append(row)
    return pa.RecordBatch.from_pylist(rows, schema=PARSED)


# --- (2) candidate keys: map over documents ---------------------------------------

def candidate_keys(documents: Iterable[pa.RecordBatch], config: CandidateConfig) -> Iterator[pa.RecordBatch]:
    """:data:`KEY` rows of each document: its distinct sampled n-grams and its LSH band
    keys (:func:`copytrace.candidates.lookup.index_keys`, the live archive's keys)."""
    for batch in documents:
        if not batch.num_rows:
            continue
        kinds, keys, ids, sources = [], [], [], []
        documents = zip(batch.column("id").to_pylist(), batch.column("source").to_pylist())
        for (id_, source), found in zip(documents, index_keys(signatures_from_rows(batch), config)):
            for kind, values in ((NGRAM, found.ngrams), (BAND, found.bands)):
                kinds.append(np.full(len(values), kind, dtype=np.int8))
                keys.append(values.view(np.int64))
                ids += [id_] * len(values)
                sources += [source] * len(values)
        yield pa.RecordBatch.from_arrays([pa.array(np.concatenate(kinds)), pa.array(np.concatenate(keys)),
                                          pa.array(ids, pa.string()), pa.array(sources, pa.string())], schema=KEY)


# --- (3) join: key rows sorted by key, then the candidate rule per pair -----------

class KeyGroup(NamedTuple):
    """The documents (and their sources) that hold one candidate key."""

    kind: int
    key: int
    ids: list[str]
    sources: list[str | None]


def key_groups(keys: Iterable[pa.RecordBatch]) -> Iterator[KeyGroup]:
    """The groups of :data:`KEY` rows that two or more documents share, from batches
    of one partition where the rows of a key come together (Spark sorts them by key and
    kind), and a group may run on from one batch to the next. Group boundaries are
    found with numpy, and only groups of two or more rows become Python lists: most
    n-grams belong to one document."""
    pending: KeyGroup | None = None
    for batch in keys:
        groups = _batch_groups(batch)
        if pending and groups and (groups[0].kind, groups[0].key) == (pending.kind, pending.key):
            pending.ids.extend(groups[0].ids)
            pending.sources.extend(groups[0].sources)
            groups = groups[1:]
        if not groups:
            continue
        if pending and len(pending.ids) >= 2:
            yield pending
        yield from (group for group in groups[:-1] if len(group.ids) >= 2)
        pending = groups[-1]
    if pending and len(pending.ids) >= 2:
        yield pending


def _batch_groups(batch: pa.RecordBatch) -> list[KeyGroup]:
    """The groups of a sorted batch of two rows or more, and its first and last
    groups whatever their size (they may go on in the batches around it). Only their
    rows' ids and sources become Python strings."""
    if not batch.num_rows:
        return []
    kinds, keys = batch.column("kind").to_numpy(), batch.column("key").to_numpy()
    starts = np.flatnonzero(np.r_[True, (kinds[1:] != kinds[:-1]) | (keys[1:] != keys[:-1])])
    ends = np.r_[starts[1:], batch.num_rows]
    wanted = ends - starts >= 2
    wanted[[0, -1]] = True
    starts, ends = starts[wanted], ends[wanted]
    rows = np.concatenate([np.arange(start, end) for start, end in zip(starts.tolist(), ends.tolist())])
    ids, sources = (batch.column(name).take(rows).to_pylist() for name in ("id", "source"))
    offsets = np.r_[0, np.cumsum(ends - starts)].tolist()
    return [KeyGroup(int(kinds[start]), int(keys[start]), ids[first:last], sources[first:last])
            for start, first, last in zip(starts.tolist(), offsets, offsets[1:])]


def join_rows(keys: Iterable[pa.RecordBatch], config: CandidateConfig) -> Iterator[pa.RecordBatch]:
    """:data:`JOINED` rows of sorted :data:`KEY` rows (:func:`key_groups`): every two
    documents that share a key (``a < b``), and the boilerplate n-grams, those held by
    at least ``boilerplate_documents`` documents of one source (the rule of
    :func:`copytrace.candidates.lookup.boilerplate_ngrams`, the live archive's), each
    with the source holding it most (of several, the first by name, as the local join
    picks it). Neither a boilerplate n-gram nor one in more than ``max_df`` documents
    (a stock phrase) pairs any. One pass gives both, so Spark sorts the key rows and
    hands them over once: 53 task-seconds at 100k articles, where sorting them into a
    cache and two passes over it took 29 + 34 + 16."""
    pairs: dict[str, list] = {name: [] for name in PAIR_KEY.names}
    boilerplate: list[dict] = []
    for group in key_groups(keys):
        found = _boilerplate(group, config) if group.kind == NGRAM else None
        if found is not None:
            boilerplate.append({"ngram": group.key % (1 << 64), "documents": len(group.ids),
                                "source": found[0], "source_documents": found[1]})
        elif group.kind == BAND or len(group.ids) <= config.max_df:
            for first, second in combinations(sorted(group.ids), 2):
                pairs["a"].append(first)
                pairs["b"].append(second)
            pairs["kind"] += [group.kind] * (len(group.ids) * (len(group.ids) - 1) // 2)
        if len(pairs["a"]) >= OUTPUT_BATCH_ROWS:
            yield _joined(pairs, [])
            pairs = {name: [] for name in PAIR_KEY.names}
    yield _joined(pairs, boilerplate)


def _joined(pairs: dict[str, list], boilerplate: list[dict]) -> pa.RecordBatch:
    """:data:`JOINED` rows: the pairs, then the boilerplate n-grams."""
    count, more = len(pairs["a"]), len(boilerplate)
    columns = [pa.array(pairs[name] + [None] * more, JOINED.field(name).type) for name in PAIR_KEY.names]
    columns += [pa.array([None] * count + [row[name] for row in boilerplate], JOINED.field(name).type)
                for name in BOILERPLATE.names]
    return pa.RecordBatch.from_arrays(columns, schema=JOINED)


def _boilerplate(group: KeyGroup, config: CandidateConfig) -> tuple[str, int] | None:
    """The source holding n-gram ``group`` most and how often, when that makes it
    boilerplate (:func:`copytrace.candidates.lookup.boilerplate_ngrams`), else None."""
    if len(group.ids) < config.boilerplate_documents or not boilerplate_ngrams(
            {group.key: group.ids}, dict(zip(group.ids, group.sources)), config.boilerplate_documents):
        return None
    held = Counter(source for source in group.sources if source)
    most = max(held.values())
    return min(source for source, count in held.items() if count == most), most


def candidate_rows(pairs: Iterable[pa.RecordBatch], config: CandidateConfig) -> Iterator[pa.RecordBatch]:
    """:data:`CANDIDATE` rows of :data:`SHARED` rows that carry both documents' profile
    columns (:data:`PROFILE_FIELDS`, prefixed ``a_`` and ``b_``), by the candidate rule
    of :func:`copytrace.candidates.lookup.candidate`."""
    for batch in pairs:
        rows = []
        for row in batch.to_pylist():
            found = candidate(_profile(row, "a_"), _profile(row, "b_"), row["shared"], row["near"], config)
            if found is not None:
                rows.append(vars(found))
        yield pa.RecordBatch.from_pylist(rows, schema=CANDIDATE)


def _profile(row: dict, prefix: str) -> Profile:
    values = {name: row[prefix + name] for name, _ in PROFILE_FIELDS}
    values["minhash"] = np.frombuffer(values["minhash"], dtype=np.uint32)
    return Profile(**values)


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


def verified_component(
    pairs: pa.Table, documents: pa.Table, config: AlignConfig = DEFAULT_CONFIG, boilerplate: Boilerplate = Boilerplate()
) -> pa.Table:
    """:data:`VERIFIED` rows of the candidate ``pairs`` (columns a, b) that share a
    passage, not only ``boilerplate``, given their ``documents``
    (:data:`copytrace.ingest.document.DOCUMENT_COLUMNS`; others ignored), by
    :func:`copytrace.engine.stages.verify_pairs`. Meant for one connected component of
    the candidate graph, as the local engine verifies it: each text comes once, and the
    aligner's cache prepares it once for all its pairs, taken in order of (a, b)."""
    columns = [documents.column(name).to_pylist() for name in DOCUMENT_COLUMNS]
    by_id = {document.id: document for document in (Document(*values) for values in zip(*columns))}
    ordered = sorted(zip(pairs.column("a").to_pylist(), pairs.column("b").to_pylist()))
    kept = verify_pairs([(by_id[a], by_id[b]) for a, b in ordered], config, boilerplate)
    dates = {id_: document.date for id_, document in by_id.items()}
    return pa.Table.from_pylist([_verified_row(pair, dates) for pair in kept], schema=VERIFIED)


def _verified_row(pair: VerifiedPair, dates: dict[str, dt.date | None]) -> dict:
    return {
        **{name: getattr(pair, name) for name in PAIRS.names if name != "passages"},
        "passages": len(pair.passages),
        "passage_rows": [{name: getattr(p, name) for name in PASSAGE.names} for p in pair.passages],
        "date_a": dates[pair.a], "date_b": dates[pair.b],
    }


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
