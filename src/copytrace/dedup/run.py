"""``copytrace dedup``: a scanned collection without its near-duplicates, and the list of
what was dropped (docs/dedup.md).

The input is a DuckDB store (``copytrace scan``) or the Parquet dataset of a Spark scan
(``copytrace scan --engine spark --out DIR``). Both are read through DuckDB with the same
queries (a Parquet table is a view of its files), so both engines give the same output
byte for byte. Only the pairs' scores and the ids of the documents in qualifying pairs
are held in memory; the documents are streamed from DuckDB to the output in batches.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from copytrace.dedup.decide import MEASURES, Duplicate, ScoredPair, near_duplicates, pair_scores, priority
from copytrace.errors import InputError
from copytrace.ingest.document import DOCUMENT_COLUMNS, DOCUMENT_SCHEMA
from copytrace.outputs import refuse_inputs, replaced_when_done
from copytrace.progress import Tracker, progress_bars
from copytrace.store.duckdb_store import MEMORY_LIMIT, open_store
from copytrace.store.parquet_import import read_parquet_of, table_files

SCHEMA = "copytrace.dedup/1"
DEFAULT_THRESHOLD = 0.8
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
PARQUET_TABLES = ("documents", "pairs", "passages", "stories")  # what dedup reads of a Spark scan
_BATCH_ROWS = 1024  # documents per batch streamed to the output
# A pair's verbatim share: its passages' shares weighted by length, summed in a fixed
# order (a parallel sum's order, and so its last bits, would vary), as the stories stage does.
# Two documents of the same text score exactly 1 whatever the aligner found (stores made
# before 2026-12-07 counted coverage in characters, leaving out the breaks between
# passages: an identical pair of five paragraphs covered 0.9865 of each).
_PAIRS = """
    SELECT p.a, p.b,
           CASE WHEN same.a IS NULL THEN p.coverage_a ELSE 1.0 END AS coverage_a,
           CASE WHEN same.a IS NULL THEN p.coverage_b ELSE 1.0 END AS coverage_b,
           CASE WHEN same.a IS NULL THEN coalesce(s.verbatim_share, 1.0) ELSE 1.0 END AS verbatim_share
    FROM pairs p LEFT JOIN (
        SELECT a, b, sum((a_end - a_start + b_end - b_start) * verbatim_share ORDER BY a_start, passage)
                     / sum(a_end - a_start + b_end - b_start) AS verbatim_share
        FROM passages GROUP BY a, b) s USING (a, b)
    LEFT JOIN (
        SELECT p.a, p.b FROM pairs p JOIN documents da ON da.id = p.a JOIN documents db ON db.id = p.b
        WHERE da.text_hash = db.text_hash) same USING (a, b)
    ORDER BY p.a, p.b"""
_IDS = pa.schema([("id", pa.string())])
_DROPPED_SCHEMA = pa.schema([("id", pa.string()), ("duplicate_of", pa.string()), ("score", pa.float64())])


@dataclass(frozen=True)
class DedupSummary:
    """What a dedup run wrote: ``read = kept + dropped``; ``clusters`` counts the kept
    documents that have at least one dropped near-duplicate."""

    input: str
    measure: str
    threshold: float
    read: int
    kept: int
    dropped: int
    clusters: int
    out: str
    dropped_file: str
    seconds: float

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.dedup/1``."""
        return {"schema": SCHEMA, **asdict(self)}


def dedup(
    source: str | Path,
    out: str | Path,
    *,
    dropped: str | Path | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    measure: str = "jaccard",
    progress: bool = False,
) -> DedupSummary:
    """Write the documents of ``source`` (a store, or a Spark scan's Parquet folder) to
    ``out`` (.jsonl or .parquet) less their near-duplicates at ``threshold`` by
    ``measure``, and the dropped ones (id, duplicate_of, score) to ``dropped`` (default:
    ``<out stem>.dropped<suffix>`` beside ``out``). Both files are replaced only when the
    run succeeds; neither may be an input."""
    started = dt.datetime.now()
    source, out = Path(source), Path(out)
    if not out.name:  # "" and "." (a folder, not a file's name)
        raise InputError(str(out) if str(out) != "." else "--out", "name the file to write (.jsonl or .parquet)")
    dropped = Path(dropped) if dropped else out.with_name(f"{out.stem}.dropped{out.suffix}")
    _check_options(threshold, measure)
    if source.is_dir():
        _check_dataset(source)
    _check_outputs(source, out, dropped)
    bars = progress_bars() if progress else nullcontext(None)
    with _collection(source) as connection, bars as bar, ExitStack() as outputs:
        kept_temporary = outputs.enter_context(replaced_when_done(out))
        dropped_temporary = outputs.enter_context(replaced_when_done(dropped))
        duplicates = _duplicates(connection, measure, threshold, Tracker(bar, "pairs", None))
        _write(dropped_temporary, dropped, _dropped_rows(duplicates))
        [(read,)] = connection.sql("SELECT count(*) FROM documents").fetchall()
        kept = _write(kept_temporary, out, _kept_documents(connection, duplicates),
                      Tracker(bar, "write", read - len(duplicates)))
        if read != kept + len(duplicates):  # every document is written or listed, once
            raise RuntimeError(f"dedup lost documents: read {read}, kept {kept}, dropped {len(duplicates)}")
    return DedupSummary(
        input=str(source), measure=measure, threshold=threshold, read=read, kept=kept,
        dropped=len(duplicates), clusters=len({duplicate.duplicate_of for duplicate in duplicates}),
        out=str(out), dropped_file=str(dropped), seconds=(dt.datetime.now() - started).total_seconds(),
    )


def _check_options(threshold: float, measure: str) -> None:
    if not 0 < threshold <= 1:
        raise InputError("--threshold", f"must be above 0 and at most 1, not {threshold}")
    if measure not in MEASURES:
        raise InputError("--measure", f"must be one of {', '.join(MEASURES)}, not {measure!r}")


def _check_outputs(source: Path, out: Path, dropped: Path) -> None:
    """Refuse outputs of an unknown format, outputs that are folders, an output given
    twice, and any output that is an input: the store, its log or scratch folder, the
    files it was scanned from, or a file inside the Parquet dataset."""
    inputs = {source: "the input dataset" if source.is_dir() else "the input store",
              f"{source}.wal": "the input store's log", f"{source}.tmp": "the input store's scratch folder"}
    folders_read: dict[str, float] = {}
    if not source.is_dir():
        with open_store(source) as store:
            inputs = {**inputs, **store.own_files()}  # its own names for the store come first
            folders_read = store.input_folders()
    for path in (out, dropped):
        if path.suffix.lower() not in FORMATS:
            raise InputError(str(path), f"unknown format '{path.suffix}' (use {', '.join(FORMATS)})")
        refuse_inputs(path, inputs, folders_read)
        if path.is_dir():
            raise InputError(str(path), "is a folder; give a file")
    if os.path.realpath(out) == os.path.realpath(dropped):
        raise InputError(str(dropped), "is also --out; give the dropped list its own file")


def _check_dataset(folder: Path) -> None:
    missing = [name for name in PARQUET_TABLES if not table_files(folder, name)]
    if missing:
        raise InputError(str(folder), "neither a store nor the output of copytrace scan --engine spark "
                                      f"(no {', '.join(missing)} tables)")


@contextmanager
def _collection(source: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection on which ``documents``, ``pairs``, ``passages`` and ``stories``
    are the collection's tables: the store's own, or views of a Parquet dataset's files."""
    if source.is_dir():
        with duckdb.connect() as connection, tempfile.TemporaryDirectory(prefix="copytrace-dedup-") as scratch:
            connection.execute(f"SET temp_directory = '{_quoted(scratch)}'")
            for name in PARQUET_TABLES:
                connection.execute(f"CREATE VIEW {name} AS SELECT * FROM {read_parquet_of(table_files(source, name))}")
            yield _bounded(connection)
        return
    with open_store(source) as store:
        _check_finished(store.connection, source)
        yield _bounded(store.connection)


_PARTIAL_STAGES = ("candidates", "verify", "stories")


def _check_finished(connection: duckdb.DuckDBPyConnection, source: Path) -> None:
    """Refuse a store whose last scan stopped before its end: its pairs or stories are
    partial, and the documents without a story would be ranked after every dated
    original (an interrupted scan's earlier copies were kept over their originals)."""
    last = connection.execute("SELECT run_id, stage FROM runs ORDER BY run_id DESC LIMIT 1").fetchall()
    # A run that stopped while reading (a bad record, a refused add) stored whole batches
    # or nothing; one that stopped later left candidates, pairs or stories partial.
    if last and last[0][1] in _PARTIAL_STAGES:
        run_id, stage = last[0]
        raise InputError(str(source), f"its last scan (run {run_id}) stopped in its {stage} step; run the same "
                                      "scan again to finish it, then dedup")


def _bounded(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """DuckDB's memory capped as the store caps it (sorting the collection by id spills past it)."""
    connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    return connection


def _quoted(path: str | Path) -> str:
    return str(path).replace("'", "''")


def _duplicates(
    connection: duckdb.DuckDBPyConnection, measure: str, threshold: float, tracker: Tracker
) -> list[Duplicate]:
    """The documents to drop, read from the pairs and their priority."""
    pairs = connection.sql(_PAIRS).to_arrow_table()
    tracker.advance(pairs.num_rows)
    tracker.done()
    a_scores, b_scores = pair_scores(measure, *(pairs.column(name).to_numpy() for name in
                                                ("coverage_a", "coverage_b", "verbatim_share")))
    qualifying = (a_scores >= threshold) | (b_scores >= threshold)
    scored = [ScoredPair(a, b, float(a_score), float(b_score)) for a, b, a_score, b_score in zip(
        pairs.column("a").filter(qualifying).to_pylist(), pairs.column("b").filter(qualifying).to_pylist(),
        a_scores[qualifying], b_scores[qualifying])]
    ids = pa.table({"id": sorted({id_ for pair in scored for id_ in (pair.a, pair.b)})}, schema=_IDS)
    connection.register("qualifying_ids", ids)
    rows = connection.sql(
        "SELECT d.id, s.depth, CAST(d.date AS DATE) AS date FROM documents d JOIN qualifying_ids USING (id) "
        "LEFT JOIN stories s ON s.document_id = d.id").fetchall()
    ranked = sorted(rows, key=lambda row: priority(row[1], row[2], row[0]))
    return near_duplicates(scored, {id_: place for place, (id_, _, _) in enumerate(ranked)}, threshold)


def _dropped_rows(duplicates: list[Duplicate]) -> pa.RecordBatchReader:
    table = pa.Table.from_pylist([asdict(duplicate) for duplicate in duplicates], schema=_DROPPED_SCHEMA)
    return table.to_reader(_BATCH_ROWS)


def _kept_documents(connection: duckdb.DuckDBPyConnection, duplicates: list[Duplicate]) -> pa.RecordBatchReader:
    """The documents not dropped, in id order, streamed in batches with the store's types
    (whichever engine wrote them)."""
    connection.register("dropped_ids", pa.table({"id": [duplicate.id for duplicate in duplicates]}, schema=_IDS))
    return connection.sql(
        f"SELECT {', '.join(DOCUMENT_COLUMNS)} FROM documents WHERE id NOT IN (SELECT id FROM dropped_ids) ORDER BY id"
    ).to_arrow_reader(_BATCH_ROWS).cast(DOCUMENT_SCHEMA)


def _write(temporary: Path, path: Path, batches: pa.RecordBatchReader, tracker: Tracker | None = None) -> int:
    """Write ``batches`` to ``temporary`` in the format of ``path``'s suffix (JSON lines or
    Parquet); the rows written."""
    parquet = FORMATS[path.suffix.lower()] == "parquet"
    rows = 0
    with pq.ParquetWriter(temporary, batches.schema) if parquet else temporary.open("w", encoding="utf-8") as writer:
        for batch in batches:
            if parquet:
                writer.write_batch(batch)
            else:
                writer.writelines(json.dumps(row, ensure_ascii=False, default=_json_value) + "\n"
                                  for row in batch.to_pylist())
            rows += batch.num_rows
            if tracker is not None:
                tracker.advance(batch.num_rows)
    return rows


def _json_value(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
