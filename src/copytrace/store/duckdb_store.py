"""The embedded DuckDB backend of :class:`copytrace.store.Store`.

One file holds a whole collection. Each write runs in one transaction, so an
interrupted scan leaves every table consistent, and keys (document id, pair)
make a rerun add nothing twice. docs/scan.md documents the schema.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from copytrace.candidates import CandidateConfig, Signatures
from copytrace.candidates.boilerplate import Boilerplate, passage_documents
from copytrace.candidates.shingles import TokenHashes
from copytrace.errors import InputError
from copytrace.ingest import Document, Rejection
from copytrace.ingest.document import DOCUMENT_COLUMNS
from copytrace.provenance.stories import PairEdge, StoryForest
from copytrace.store.archive_index import ARCHIVE_ROWS, discard_index
from copytrace.store.blobs import blob_values, signature_blobs
from copytrace.store.holder import holder
from copytrace.store.records import PassageSpan, SignedBatch, VerifiedRows
from copytrace.store.schema import (
    BOILERPLATE, DERIVATION_EDGES, DOCUMENTS, PAIR_FIELDS, REJECTS, SCHEMA_VERSION, SCHEMAS, SIGNATURES, STORIES, TABLES,
    ddl, row_order,
)
from copytrace.store.upgrade import needs_upgrade, stored_version, upgrade


CHECKPOINT_THRESHOLD = "2GB"  # see __init__
# DuckDB's own memory (buffer pool, sorts, indexes); past it, it evicts and spills to
# <db>.tmp. Its default, 80% of the machine, let a 1M-article scan keep 5 GB of table
# blocks cached while streaming the texts out for verification.
MEMORY_LIMIT = "1GB"
# While ingesting (DuckDBStore.bulk_writes): room for what a checkpoint folds in
# (CHECKPOINT_THRESHOLD of log), so that it is not evicted to <db>.tmp and read back.
BULK_MEMORY_LIMIT = "2500MB"
# Lowered to this for a moment to drop the table blocks a long read left cached
# (DuckDBStore.release_cache).
CACHE_RELEASE_LIMIT = "64MB"
_STREAM_ROWS = 1024  # documents per batch read from a streamed query
_SIGNATURE_ROWS = 65536  # signatures per batch read by DuckDBStore.signatures
# Rows (texts and signatures) per batch streamed to the archive index: building the index
# of 1M articles peaked at 4.7 GB in batches of 65,536 rows, at 1.9 GB in these.
_ARCHIVE_ROWS = 8192

# DuckDB COPY formats by export format; COPY streams, so texts never sit in memory at once.
EXPORT_FORMATS = {"parquet": "FORMAT parquet", "jsonl": "FORMAT json", "csv": "FORMAT csv, HEADER true"}
_PAIR_KEYS = pa.schema(PAIR_FIELDS)
_RUN_COUNTS = ("read", "stored", "existing", "rejected", "candidates", "verified", "pairs", "stories")


class DuckDBStore:
    """A scan's store in one DuckDB file (``":memory:"`` for a store in memory)."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        if read_only and not Path(self.path).exists():
            raise InputError(self.path, "no such store; run copytrace scan first")
        on_disk = self.path != ":memory:"
        created = on_disk and not Path(self.path).exists()
        if on_disk:
            _check_store_file(Path(self.path))
        self.connection = self._connect()
        self._refuse_other_databases()
        if created:
            discard_index(self.path)
        if read_only and needs_upgrade(self.connection):
            # A store of an earlier schema is upgraded once, by opening it for writing.
            self.connection.close()
            DuckDBStore(self.path).close()
            self.connection = self._connect()
        # DuckDB prints a progress bar on stdout for a query past 2 s: it broke --json output.
        self.connection.execute("SET enable_progress_bar = false")
        if not read_only:
            # Checkpoint (fold the write-ahead log into the file) every 2 GB of log, not
            # every 16 MB: a scan commits a batch at a time, and each checkpoint rewrites
            # table blocks, which made ingest 3x slower (16 MB). Commits stay durable in
            # the log; the scan checkpoints itself after ingest. See bulk_writes.
            self.connection.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
            self.connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
            with self.transaction():  # a new store's tables and its schema version together, or neither
                self.connection.execute(ddl())
                if stored_version(self.connection) is None:
                    self.check_settings({"schema_version": SCHEMA_VERSION})
            try:
                upgrade(self.connection, self.path)
            except InputError:
                self.connection.close()
                raise
            self.check_settings({"schema_version": SCHEMA_VERSION})

    def _refuse_other_databases(self) -> None:
        """A DuckDB database with tables (in any schema) but no copytrace schema version in
        its settings is someone else's: it is refused untouched (a scan added its tables
        beside theirs; a read failed with a traceback on the first table it lacked). An
        empty one is refused for reading: there is nothing to read yet."""
        tables = [name for (name,) in self.connection.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE NOT internal ORDER BY 1").fetchall()]
        if not tables and self.read_only:
            self.connection.close()
            raise InputError(self.path, "holds no copytrace store yet; run copytrace scan first")
        if tables and not self._has_schema_version(tables):
            self.connection.close()
            shown = ", ".join(name.removeprefix("main.") for name in tables[:5]) + (", …" if len(tables) > 5 else "")
            raise InputError(self.path, f"is a DuckDB database but not a copytrace store (its tables: {shown}); "
                                        "give a new path or a store made by copytrace scan")

    def _has_schema_version(self, tables: list[str]) -> bool:
        if "main.settings" not in tables:
            return False
        try:
            return stored_version(self.connection) is not None
        except (duckdb.Error, ValueError):  # a table of that name with other columns, or values not JSON
            return False

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(self.path, read_only=self.read_only)
        except duckdb.Error as error:
            if (server := holder(self.path)) is not None:
                raise InputError(self.path, f"the store is held by {server}; send articles to its API "
                                            "(POST /articles) or stop it first") from error
            raise InputError(self.path, f"cannot open the store: {error}") from error

    # --- writing -----------------------------------------------------------

    def check_settings(self, settings: dict[str, object]) -> None:
        for key, value in settings.items():
            wanted = json.dumps(value, sort_keys=True)
            stored = [value for (value,) in self.connection.execute(
                "SELECT value FROM settings WHERE key = ?", [key]
            ).fetchall()]
            if not stored:
                self.connection.execute("INSERT INTO settings VALUES (?, ?)", [key, wanted])
            elif stored[0] != wanted:
                raise InputError(
                    self.path, f"store was built with {key} = {stored[0]}, not {wanted}; use a new --db"
                )

    def known_documents(self) -> dict[str, str]:
        return dict(self.connection.execute("SELECT id, text_hash FROM documents").fetchall())

    def add_batch(self, batch: SignedBatch, rejections: Sequence[Rejection], run_id: int) -> None:
        rows = len(batch)
        documents = pa.Table.from_arrays(
            [*batch.documents.columns, pa.array([run_id] * rows, pa.int32()),
             pa.array([dt.datetime.now()] * rows, pa.timestamp("us"))], schema=DOCUMENTS)
        signatures = signature_blobs(batch).cast(SIGNATURES)
        with self._transaction() as con:
            con.register("new_documents", documents)
            con.register("new_signatures", signatures)
            con.execute("INSERT INTO documents SELECT * FROM new_documents")
            con.execute("INSERT INTO signatures SELECT * FROM new_signatures")
            self.add_rejects(rejections, run_id)

    def add_rejects(self, rejections: Sequence[Rejection], run_id: int) -> None:
        rejects = pa.table({"where": [r.where for r in rejections], "reason": [r.reason for r in rejections],
                            "raw": [r.raw for r in rejections], "run_id": [run_id] * len(rejections)}, schema=REJECTS)
        with self._transaction() as con:
            con.register("new_rejects", rejects)
            con.execute("INSERT OR REPLACE INTO rejects SELECT * FROM new_rejects")

    def signatures(self) -> tuple[list[str], list, list[str | None], Signatures]:
        """Every document's id, date, source and signatures, in id order. Streamed in Arrow
        batches into arrays sized up front: the blobs are copied out of each batch's
        buffers, never held as one Python object per row (at 1M documents those objects
        and their copies took 2.5 GB)."""
        [(documents, sampled_bytes, minhash_bytes)] = self.connection.execute(
            "SELECT count(*), coalesce(sum(octet_length(sampled)), 0), coalesce(max(octet_length(minhash)), 0) "
            "FROM signatures"
        ).fetchall()
        num_perm = minhash_bytes // 4
        minhash = np.empty((documents, num_perm), dtype=np.uint32)
        counts = np.empty(documents, dtype=np.int64)
        hashes = np.empty(sampled_bytes // 8, dtype=np.uint64)
        offsets = np.zeros(documents + 1, dtype=np.int64)
        ids: list[str] = []
        dates: list = []
        sources: list[str | None] = []
        reader = self.connection.sql(
            "SELECT s.id, d.date, d.source, s.minhash, s.shingle_count, s.sampled "
            "FROM signatures s JOIN documents d USING (id) ORDER BY s.id"
        ).to_arrow_reader(_SIGNATURE_ROWS)
        row = 0
        for batch in reader:
            size = batch.num_rows
            ids += batch.column(0).to_pylist()
            dates += batch.column(1).to_pylist()
            sources += batch.column(2).to_pylist()
            minhash[row : row + size] = blob_values(batch.column(3), np.uint32)[0].reshape(size, num_perm)
            counts[row : row + size] = batch.column(4).to_numpy()
            sampled, sampled_ends = blob_values(batch.column(5), np.uint64)
            start = offsets[row]
            hashes[start : start + sampled_ends[-1]] = sampled
            offsets[row + 1 : row + size + 1] = start + sampled_ends[1:]
            row += size
        signatures = Signatures(minhash=minhash, shingle_counts=counts, sampled=TokenHashes(hashes=hashes, offsets=offsets))
        self.release_cache()  # the candidate join needs the memory the read's blocks hold
        return ids, dates, sources, signatures

    def fingerprints(self) -> Iterator[tuple[list[str], TokenHashes]]:
        """Every document's fingerprints (its signature's sampled n-grams), in batches
        of ids and hashes read in place from the batch's buffer."""
        reader = self.connection.sql("SELECT id, sampled FROM signatures").to_arrow_reader(_SIGNATURE_ROWS)
        for batch in reader:
            yield batch.column(0).to_pylist(), TokenHashes(*blob_values(batch.column(1), np.uint64))

    def add_candidates(self, candidates: pa.Table) -> int:
        before = self.row_count("candidates")
        with self._transaction() as con:
            con.register("new_candidates", candidates)
            con.execute(
                "INSERT INTO candidates SELECT a, b, jaccard_estimate, containment_estimate, "
                "CAST(method AS VARCHAR), false, false FROM new_candidates ON CONFLICT DO NOTHING"
            )
        return self.row_count("candidates") - before

    def replace_boilerplate(self, boilerplate: pa.Table) -> None:
        """The collection's boilerplate n-grams (:func:`copytrace.candidates.boilerplate_table`)."""
        with self._transaction() as con:
            con.register("new_boilerplate", boilerplate.cast(BOILERPLATE))
            con.execute("DELETE FROM boilerplate")
            con.execute("INSERT INTO boilerplate SELECT * FROM new_boilerplate")

    def boilerplate(self) -> Boilerplate:
        """The boilerplate n-grams the last scan learnt that mark passages
        (:func:`copytrace.candidates.boilerplate.passage_documents`), with the store's
        candidate settings."""
        stored = self.connection.execute("SELECT value FROM settings WHERE key = 'candidates'").fetchall()
        config = CandidateConfig.stored(stored[0][0], self.path) if stored else CandidateConfig()
        column = self.query("SELECT ngram FROM boilerplate WHERE source_documents >= $1 ORDER BY ngram",
                            [passage_documents(config)]).column("ngram")
        ngrams = column.to_numpy().astype(np.uint64) if len(column) else np.zeros(0, dtype=np.uint64)
        return Boilerplate(ngrams, config)

    def unverified_candidates(self) -> list[tuple[str, str]]:
        return self.connection.execute(
            "SELECT a, b FROM candidates WHERE NOT verified ORDER BY a, b"
        ).fetchall()

    def documents_to_verify(self) -> Iterator[Document]:
        """Every document of a candidate pair not yet verified, streamed in one scan of
        the table (fetching texts by id costs a scan per fetch: see store/spill.py)."""
        reader = self.connection.sql(
            f"SELECT {', '.join(DOCUMENT_COLUMNS)} FROM documents WHERE id IN "
            "(SELECT a FROM candidates WHERE NOT verified UNION SELECT b FROM candidates WHERE NOT verified)"
        ).to_arrow_reader(_STREAM_ROWS)
        for batch in reader:
            yield from (Document(*row) for row in zip(*(column.to_pylist() for column in batch.columns)))

    def add_verified(self, checked: Sequence[tuple[str, str]], rows: VerifiedRows) -> None:
        kept = set(zip(rows.pairs.column("a").to_pylist(), rows.pairs.column("b").to_pylist()))
        keys = pa.table({"a": [a for a, _ in checked], "b": [b for _, b in checked],
                         "kept": [pair in kept for pair in checked]})
        with self._transaction() as con:
            for name, table in (("checked_keys", keys), ("new_pairs", rows.pairs), ("new_passages", rows.passages)):
                con.register(name, table)
            # One update: each joins the keys with the whole candidates table.
            con.execute("UPDATE candidates SET verified = true, kept = k.kept FROM checked_keys k "
                        "WHERE candidates.a = k.a AND candidates.b = k.b")
            con.execute("INSERT INTO pairs SELECT * FROM new_pairs")
            con.execute("INSERT INTO passages SELECT * FROM new_passages")

    def pair_graph(self) -> tuple[list[PairEdge], dict[str, object]]:
        pairs = self.query(f"SELECT {', '.join(PairEdge._fields)} FROM pairs ORDER BY a, b")
        dates = dict(self.connection.execute(
            "SELECT id, date FROM documents WHERE id IN (SELECT a FROM pairs UNION SELECT b FROM pairs)"
        ).fetchall())
        # Column by column: a dict per row first costs as much again at 1M pairs.
        columns = [pairs.column(name).to_pylist() for name in PairEdge._fields]
        return list(map(PairEdge._make, zip(*columns))), dates

    def replace_stories(self, forest: StoryForest) -> None:
        with self._transaction() as con:
            con.execute("DELETE FROM stories")
            con.execute("DELETE FROM derivation_edges")
            self._insert_forest(con, forest)

    @staticmethod
    def _insert_forest(con: _Transaction, forest: StoryForest) -> None:
        nodes = pa.table({name: [getattr(n, name) for n in forest.nodes] for name in STORIES.names}, schema=STORIES)
        edges = pa.table({name: [getattr(e, name) for e in forest.edges] for name in DERIVATION_EDGES.names},
                         schema=DERIVATION_EDGES)
        con.register("new_stories", nodes)
        con.register("new_edges", edges)
        con.execute("INSERT INTO stories SELECT * FROM new_stories")
        con.execute("INSERT INTO derivation_edges SELECT * FROM new_edges")

    def start_run(self, inputs: Sequence[str]) -> int:
        [(run_id,)] = self.connection.execute(
            "INSERT INTO runs (run_id, started_at, stage, inputs) "
            "VALUES (nextval('run_ids'), ?, 'ingest', ?) RETURNING run_id",
            [dt.datetime.now(), json.dumps([str(p) for p in inputs])],
        ).fetchall()
        return run_id

    def update_run(self, run_id: int, **counts: object) -> None:
        unknown = set(counts) - {*_RUN_COUNTS, "stage", "finished_at"}
        if unknown:
            raise ValueError(f"unknown run fields {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in counts)
        self.connection.execute(
            f"UPDATE runs SET {assignments} WHERE run_id = ?", [*counts.values(), run_id]
        )

    # --- the live archive (copytrace.engine.archive) ------------------------

    def reader(self) -> DuckDBStore:
        """Another connection to this store's database, for one reading thread (a DuckDB
        connection must not be shared between threads). It sees committed writes only;
        close it when done."""
        other = object.__new__(DuckDBStore)
        other.path, other.read_only, other.connection = self.path, True, self.connection.cursor()
        return other


    def document_ids(self) -> list[str]:
        """Every stored document's id."""
        return self.query("SELECT id FROM documents").column("id").to_pylist()

    def own_files(self) -> dict[str, str]:
        """What an output of this store must not replace, each with what it is: the store,
        its log, and the files its runs were given (recorded absolute; relative paths that
        older versions recorded resolve from the current folder). The folders given are
        :meth:`input_folders`."""
        inputs = sorted(path for path in self._run_inputs() if os.path.isfile(path))
        return {**dict.fromkeys(inputs, "an input the store was scanned from"),
                self.path: "the store", f"{self.path}.wal": "the store's log"}

    def input_folders(self) -> dict[str, float]:
        """The folders this store's runs were given (absolute paths; older versions' relative
        ones and labels such as ``api`` are left out), each with when the last run given it
        started, as a POSIX time (see :func:`copytrace.outputs.refuse_inputs`)."""
        return {path: started for path, started in self._run_inputs().items()
                if os.path.isabs(path) and os.path.isdir(path)}

    def _run_inputs(self) -> dict[str, float]:
        """Each input the runs were given, with when the last run given it started (POSIX time)."""
        started: dict[str, float] = {}
        for listed, start in self.connection.execute("SELECT inputs, started_at FROM runs").fetchall():
            for path in json.loads(listed or "[]"):
                started[path] = max(started.get(path, 0.0), start.timestamp())
        return started

    def archive_rows(self, ids: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The rows the live archive's index keeps (:data:`copytrace.store.archive_index.ARCHIVE_ROWS`:
        document and signature columns) of documents ``ids`` in id order, or of every
        document in the order the join gives (sorting every text by id ran out of the 1 GB
        of MEMORY_LIMIT at 1M articles), streamed in batches. Before reading every
        document, a writable store folds its write-ahead log into the file: DuckDB holds
        what was written since the last checkpoint in memory, and after a 1M-article scan's
        verification that was the whole limit, so the join could not pin a block."""
        if ids is None and not self.read_only:
            self.checkpoint()
        columns = ", ".join(f"d.{name}" for name in DOCUMENT_COLUMNS)
        chosen = "" if ids is None else "WHERE d.id IN (SELECT unnest(?)) ORDER BY d.id"
        reader = self.connection.sql(
            f"SELECT {columns}, s.minhash, s.shingle_count, s.sampled FROM documents d JOIN signatures s USING (id) "
            f"{chosen}", params=None if ids is None else [list(ids)],
        ).to_arrow_reader(_ARCHIVE_ROWS)
        for batch in reader:
            yield batch.cast(ARCHIVE_ROWS)

    def documents_by_id(self, ids: Sequence[str]) -> dict[str, Document]:
        """The stored documents among ``ids``, by id."""
        rows = self.query(
            f"SELECT {', '.join(DOCUMENT_COLUMNS)} FROM documents WHERE id IN (SELECT unnest(?))", [list(ids)]
        )
        return {row[0]: Document(*row) for row in zip(*(column.to_pylist() for column in rows.columns))}

    def add_matched(self, candidates: pa.Table, rows: VerifiedRows) -> None:
        """Store candidates verified as they were found (the live archive verifies a new
        document's candidates before storing it), with the rows of the pairs kept: the
        :meth:`add_candidates` columns and ``kept``."""
        with self._transaction() as con:
            for name, table in (("matched", candidates), ("new_pairs", rows.pairs), ("new_passages", rows.passages)):
                con.register(name, table)
            con.execute(
                "INSERT INTO candidates SELECT a, b, jaccard_estimate, containment_estimate, "
                "CAST(method AS VARCHAR), true, kept FROM matched"
            )
            con.execute("INSERT INTO pairs SELECT * FROM new_pairs")
            con.execute("INSERT INTO passages SELECT * FROM new_passages")

    def candidates_among(self, ids: Sequence[str]) -> list[tuple[str, str]]:
        """The candidate pairs whose two documents are both among ``ids``."""
        return self.connection.execute(
            "SELECT a, b FROM candidates WHERE a IN (SELECT unnest($1)) AND b IN (SELECT unnest($1)) ORDER BY a, b",
            [list(ids)],
        ).fetchall()

    def revise_candidates(self, dropped: Sequence[tuple[str, str]], revised: pa.Table) -> None:
        """Drop candidate pairs (with their verified pair and passages) and rewrite the
        estimates and method of others (columns of :meth:`add_candidates`)."""
        with self._transaction() as con:
            _delete_pairs(con, dropped, ("candidates", "pairs", "passages"))
            con.register("revised_candidates", revised)
            con.execute(
                "UPDATE candidates SET jaccard_estimate = r.jaccard_estimate, "
                "containment_estimate = r.containment_estimate, method = CAST(r.method AS VARCHAR) "
                "FROM revised_candidates r WHERE candidates.a = r.a AND candidates.b = r.b"
            )

    def passage_spans_of(self, ids: Sequence[str]) -> dict[tuple[str, str], list[PassageSpan]]:
        """The passages of each stored pair with a document among ``ids``, by pair, in
        passage order."""
        rows = self.connection.execute(
            "SELECT a, b, a_start, a_end, b_start, b_end FROM passages "
            "WHERE a IN (SELECT unnest($1)) OR b IN (SELECT unnest($1)) ORDER BY a, b, passage", [list(ids)],
        ).fetchall()
        spans: dict[tuple[str, str], list[PassageSpan]] = {}
        for a, b, *offsets in rows:
            spans.setdefault((a, b), []).append(PassageSpan(*offsets))
        return spans

    def unkeep_pairs(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Drop verified pairs (with their passages), their candidates kept as not kept."""
        with self._transaction() as con:
            _delete_pairs(con, pairs, ("pairs", "passages"))
            con.execute("UPDATE candidates SET kept = false FROM pair_keys k "
                        "WHERE candidates.a = k.a AND candidates.b = k.b")

    def story_ids(self, ids: Sequence[str]) -> dict[str, str]:
        """The story of each document among ``ids`` that is in one."""
        return dict(self.connection.execute(
            "SELECT document_id, story_id FROM stories WHERE document_id IN (SELECT unnest(?))", [list(ids)]
        ).fetchall())

    def replace_stories_of(self, members: Sequence[str], forest: StoryForest) -> None:
        """Replace the story rows of ``members`` (every document of the stories being
        rebuilt) by ``forest``."""
        with self._transaction() as con:
            con.register("rebuilt_members", pa.table({"id": pa.array(list(members), pa.string())}))
            con.execute("DELETE FROM stories WHERE document_id IN (SELECT id FROM rebuilt_members)")
            con.execute("DELETE FROM derivation_edges WHERE child_id IN (SELECT id FROM rebuilt_members)")
            self._insert_forest(con, forest)

    # --- reading -----------------------------------------------------------

    def table(self, name: str) -> pa.Table:
        return self.query(self._select_all(name))

    def export_table(self, name: str, path: str | Path, format: str) -> None:
        """Write one table to ``path`` as ``parquet``, ``jsonl`` or ``csv``."""
        quoted = str(path).replace("'", "''")
        self.connection.execute(f"COPY ({self._select_all(name)}) TO '{quoted}' ({EXPORT_FORMATS[format]})")

    def documents(self) -> pa.Table:
        return self.table("documents")

    def pairs(self) -> pa.Table:
        return self.table("pairs")

    def passages(self) -> pa.Table:
        return self.table("passages")

    def stories(self) -> pa.Table:
        return self.table("stories")

    def query(self, sql: str, parameters: Sequence[object] = ()) -> pa.Table:
        """Run a read query on the store (for the front ends' summaries)."""
        return self.connection.sql(sql, params=list(parameters) or None).to_arrow_table()

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Raise DuckDB's memory limit to :data:`BULK_MEMORY_LIMIT` for a long run of writes,
        then checkpoint and lower it again. Under the usual 1 GB, what was written since the
        last checkpoint was evicted to <db>.tmp and read back by the checkpoint (ingesting
        and checkpointing 400,000 articles: 58.0 s with 1 GB of memory and 4 GB of log,
        49.4-49.9 s with 2.5 GB and 2 GB)."""
        self.connection.execute(f"SET memory_limit = '{BULK_MEMORY_LIMIT}'")
        try:
            yield
            self.checkpoint()
        finally:
            self.connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the file. DuckDB keeps what was written since the
        last checkpoint in memory (up to the memory limit); a scan checkpoints after
        ingest so that this memory is free for the candidate join (measured: 701 MB of
        DuckDB memory and 1,116 MB resident → 93 and 650 MB after ingesting 200,000
        articles)."""
        self.connection.execute("CHECKPOINT")

    def release_cache(self) -> None:
        """Drop the table blocks DuckDB keeps cached after a read, up to its whole memory
        limit, by lowering the limit for a moment (DuckDB evicts down to a new limit).
        Reading every signature of 100,000 articles left 165 MB of blocks cached (1 GB, the
        limit, at 1M), held through the candidate join that follows; released, the join's
        process peaked at 959 MB instead of 1,081 (``duckdb_memory()``, VmRSS)."""
        self.connection.execute(f"SET memory_limit = '{CACHE_RELEASE_LIMIT}'")
        self.connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _select_all(name: str) -> str:
        if name not in TABLES:
            raise InputError("table", f"unknown table '{name}' (known: {', '.join(TABLES)})")
        order = ", ".join(f'"{column}"' for column in row_order(SCHEMAS[name]))
        return f"SELECT * FROM {name} ORDER BY {order}"

    def row_count(self, table: str) -> int:
        """How many rows ``table`` holds."""
        [(count,)] = self.connection.execute(f"SELECT count(*) FROM {table}").fetchall()
        return count

    def _transaction(self):
        return _Transaction(self)

    def transaction(self) -> _Transaction:
        """One transaction around several writes: the writes inside it (each of which
        is otherwise a transaction of its own) commit together or not at all."""
        return _Transaction(self)


class _Transaction:
    """BEGIN … COMMIT, or ROLLBACK on any error; registered views are dropped after.
    Nested in another transaction of the same store, it joins that one."""

    def __init__(self, store: DuckDBStore) -> None:
        self.store = store
        self.connection = store.connection
        self.registered: list[str] = []

    def register(self, name: str, table: pa.Table) -> None:
        self.connection.register(name, table)
        self.registered.append(name)

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> None:
        self.connection.execute(sql, list(parameters) or None)

    def __enter__(self) -> _Transaction:
        self.outermost = not getattr(self.store, "_in_transaction", False)
        if self.outermost:
            self.connection.execute("BEGIN TRANSACTION")
            self.store._in_transaction = True
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        try:
            if self.outermost:
                self.store._in_transaction = False
                self.connection.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            for name in self.registered:
                self.connection.unregister(name)


def _delete_pairs(con: _Transaction, pairs: Sequence[tuple[str, str]], tables: Sequence[str]) -> None:
    """Delete the rows of ``pairs`` from ``tables``; the pairs stay registered as ``pair_keys``."""
    con.register("pair_keys", pa.table({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]}, schema=_PAIR_KEYS))
    for table in tables:
        con.execute(f"DELETE FROM {table} t USING pair_keys k WHERE t.a = k.a AND t.b = k.b")


def _check_store_file(path: Path) -> None:
    """Refuse a path that holds something other than a DuckDB database: DuckDB opens some
    data files (a .jsonl, a .csv) as views of their data and saves nothing, and refuses
    others with a traceback. A DuckDB file carries "DUCK" at byte 8."""
    if path.is_dir():
        raise InputError(str(path), "is a folder, not a DuckDB database; give a file path for the store")
    try:
        with path.open("rb") as file:
            header = file.read(12)
    except FileNotFoundError:
        return  # a new store
    except OSError as error:
        raise InputError(str(path), f"cannot read the store: {error.strerror or error}") from error
    if header[8:12] != b"DUCK":
        raise InputError(str(path), "is not a DuckDB database; give a new path or a store made by copytrace scan")


def open_store(db: str | Path) -> DuckDBStore:
    """Open a scan's store for reading: ``.documents()``, ``.pairs()``, ``.passages()``,
    ``.stories()`` and ``.table(name)`` return pyarrow Tables."""
    return DuckDBStore(db, read_only=True)
