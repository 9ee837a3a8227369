"""The DuckDB store: round trips, atomic writes, settings guard, read-only opening."""

from __future__ import annotations

import datetime as dt
import inspect
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from copytrace.align import Passage
from copytrace.candidates import CandidateConfig, CandidatePairs
from copytrace.engine.plan import pair_edge
from copytrace.engine.stages import sign_documents
from copytrace.errors import InputError
from copytrace.ingest import Document, Rejection
from copytrace.provenance.stories import PairEdge, build_stories
from copytrace.store import TABLES, ArchiveStore, DuckDBStore, Store, open_store
from copytrace.store import duckdb_store, schema, upgrade
from copytrace.store.export import EXPORTED_TABLES, export_tables
from copytrace.store.parquet_import import import_parquet
from copytrace.store.records import VerifiedPair, VerifiedRows
from copytrace.store.schema import SCHEMA_VERSION, SCHEMAS
from copytrace.store.spill import DocumentSpill, read_spilled

CONFIG = CandidateConfig()
DOCS = [
    Document("b", "header\nThe quick brown fox jumps over the lazy dog again and again.", dt.date(2024, 1, 2),
             source="x", body_start=7),
    Document("a", "The quick brown fox jumps over the lazy dog again and again today.", dt.date(2024, 1, 1)),
]


# A chain d0-d1-...-d11 whose odd pairs have two passages out of order (a move).
_PASSAGES = (Passage(0, 10, 20, 30, "x", "x", 0.9, 0.5, 0), Passage(20, 30, 0, 10, "y", "y", 0.8, 1.0, 1))
CHAINED_PAIRS = [VerifiedPair(f"d{n}", f"d{n + 1}", f"d{n}", 0.7, 0.5, 0.6, 0.9, _PASSAGES[: 1 + n % 2])
                 for n in range(11)]


def pair(a: str = "a", b: str = "b") -> VerifiedPair:
    passage = Passage(0, 10, 7, 17, "The quick ", "The quick ", 0.9, 0.8, 0)
    return VerifiedPair(a, b, a, 0.7, 0.5, 0.6, 0.9, (passage,))


@pytest.mark.parametrize("rows_per_batch", [1, 65536])
def test_documents_and_signatures_round_trip(tmp_path, monkeypatch, rows_per_batch):
    monkeypatch.setattr(duckdb_store, "_SIGNATURE_ROWS", rows_per_batch)
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        batch = sign_documents(DOCS, CONFIG)
        store.add_batch(batch, [Rejection("f.jsonl:3", "no text", "{}")], run_id=1)
        assert store.known_documents() == dict(zip(["b", "a"], batch.documents.column("text_hash").to_pylist()))
        ids, dates, sources, signatures = store.signatures()
    assert ids == ["a", "b"] and dates == [d.date for d in DOCS[::-1]] and sources == [None, "x"]
    np.testing.assert_array_equal(signatures.minhash, batch.signatures.minhash[::-1])
    np.testing.assert_array_equal(signatures.shingle_counts, batch.signatures.shingle_counts[::-1])
    stored, signed = signatures.sampled, batch.signatures.sampled
    for here, there in ((0, 1), (1, 0)):
        np.testing.assert_array_equal(
            stored.hashes[stored.offsets[here] : stored.offsets[here + 1]],
            signed.hashes[signed.offsets[there] : signed.offsets[there + 1]],
        )
    with open_store(tmp_path / "s.duckdb") as store:
        assert store.table("rejects").to_pylist() == [
            {"where": "f.jsonl:3", "reason": "no text", "raw": "{}", "run_id": 1}
        ]
        assert store.documents().column("body_end").to_pylist() == [len(DOCS[1].text), len(DOCS[0].text)]


def test_reading_every_signature_leaves_few_table_blocks_cached_and_the_usual_memory_limit(tmp_path, monkeypatch):
    """The candidate join that follows the read needs the memory (at 1M articles DuckDB
    kept its whole 1 GB limit of blocks cached through it)."""
    monkeypatch.setattr(duckdb_store, "CACHE_RELEASE_LIMIT", "1MB")  # a store this small is under 64 MB
    texts = [" ".join(f"word{n}x{k}" for k in range(400)) for n in range(400)]
    cached = "SELECT coalesce(sum(memory_usage_bytes), 0) AS b FROM duckdb_memory() WHERE tag = 'BASE_TABLE'"
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.add_batch(sign_documents([Document(f"d{n}", text) for n, text in enumerate(texts)], CONFIG), [], 1)
        store.checkpoint()
        usual = store.query("SELECT current_setting('memory_limit') AS m").column("m")[0].as_py()
        store.query("SELECT count(*) FROM signatures WHERE octet_length(sampled) > 0 AND octet_length(minhash) > 0")
        assert store.query(cached).column("b")[0].as_py() > 2**20  # a read leaves more blocks cached than the release leaves
        ids, *_ = store.signatures()
        assert len(ids) == len(texts)
        assert store.query(cached).column("b")[0].as_py() <= 2**20
        assert store.query("SELECT current_setting('memory_limit') AS m").column("m")[0].as_py() == usual


def test_reading_every_documents_archive_row_folds_the_log_first(tmp_path):
    """What was written since the last checkpoint holds DuckDB's memory (at 1M articles,
    the whole limit, and the archive index's join of every document failed to pin a block)."""
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db) as store:
        store.add_batch(sign_documents(DOCS, CONFIG), [], run_id=1)
        logged = os.path.getsize(f"{db}.wal")
        assert logged > 0
        assert sorted(row for batch in store.archive_rows(["a"]) for row in batch.column("id").to_pylist()) == ["a"]
        assert os.path.getsize(f"{db}.wal") == logged  # a read of some documents leaves the log
        assert sorted(row for batch in store.archive_rows() for row in batch.column("id").to_pylist()) == ["a", "b"]
        assert not os.path.exists(f"{db}.wal") or os.path.getsize(f"{db}.wal") == 0


def test_a_new_store_discards_an_index_left_by_a_deleted_one_and_an_old_store_keeps_its_own(tmp_path):
    """A store deleted and scanned again into the same path (same ids, other texts) must not
    answer from the deleted store's index (a benchmark rescanning its collection did)."""
    db = tmp_path / "s.duckdb"
    DuckDBStore(db).close()
    (tmp_path / "s.duckdb.index").mkdir()
    (tmp_path / "s.duckdb.index" / "CURRENT").write_text("{}")
    DuckDBStore(db).close()
    assert (tmp_path / "s.duckdb.index" / "CURRENT").exists()  # the store's own
    db.unlink()
    DuckDBStore(db).close()
    assert not (tmp_path / "s.duckdb.index").exists()


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.add_batch(sign_documents(DOCS[:1], CONFIG), [], run_id=1)
        with pytest.raises(Exception):  # "b" is already stored: the whole batch is refused
            store.add_batch(sign_documents(DOCS[::-1], CONFIG), [], run_id=2)
        assert sorted(store.known_documents()) == ["b"]
        assert store.query("SELECT count(*) AS n FROM signatures").column("n")[0].as_py() == 1


def test_candidates_are_added_once_and_verified_pairs_stored(tmp_path):
    candidates = CandidatePairs(
        a=np.array([0]), b=np.array([1]), jaccard=np.array([0.5], np.float32),
        containment=np.array([0.6], np.float32), method=np.array([2], np.int8), ids=("a", "b"),
    ).to_arrow()
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.add_batch(sign_documents([*DOCS, Document("c", "not a candidate")], CONFIG), [], run_id=1)
        assert store.add_candidates(candidates) == 1
        assert store.add_candidates(candidates) == 0
        assert store.unverified_candidates() == [("a", "b")]
        to_verify = {d.id: d for d in store.documents_to_verify()}
        assert {k: (d.text, d.date, d.source, d.body_span) for k, d in to_verify.items()} == {
            d.id: (d.text, d.date, d.source, d.body_span) for d in DOCS
        }
        store.add_verified([("a", "b")], VerifiedRows.of([pair()]))
        assert store.unverified_candidates() == []
        assert list(store.documents_to_verify()) == []
        assert store.table("candidates").to_pylist()[0]["method"] == "both"
        edges, _ = store.pair_graph()
        assert edges == [PairEdge("a", "b", "a", 0.7, 0.5, 0.6, 0, 0.8)]
        (passage,) = store.passages().to_pylist()
        assert (passage["a_start"], passage["b_end"], passage["passage"]) == (0, 17, 0)


def test_stories_are_replaced_not_appended(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.replace_stories(build_stories([PairEdge("a", "b", "b", 0.9, 0.8, 0.8)], {}))
        store.replace_stories(build_stories([PairEdge("a", "b", "a", 0.9, 0.8, 0.8)], {}))
        assert store.stories().to_pylist() == [
            {"story_id": "a", "document_id": "a", "parent_id": None, "depth": 0},
            {"story_id": "a", "document_id": "b", "parent_id": "a", "depth": 1},
        ]
        assert len(store.table("derivation_edges")) == 1


def test_runs_record_counts_and_stage(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        run = store.start_run(["x.jsonl"])
        store.update_run(run, stage="verify", read=3, stored=2, rejected=1)
        (row,) = store.table("runs").to_pylist()
    assert (row["run_id"], row["stage"], row["read"], row["inputs"]) == (run, "verify", 3, '["x.jsonl"]')


def test_a_store_built_with_other_settings_is_refused(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.check_settings({"candidates": {"ngram": 5}})
        store.check_settings({"candidates": {"ngram": 5}})
        with pytest.raises(InputError, match="ngram"):
            store.check_settings({"candidates": {"ngram": 4}})


def test_open_store_reads_every_table_and_refuses_a_missing_file(tmp_path):
    DuckDBStore(tmp_path / "s.duckdb").close()
    with open_store(tmp_path / "s.duckdb") as store:
        assert all(store.table(name).num_rows == 0 for name in TABLES)
        with pytest.raises(InputError, match="unknown table"):
            store.table("nope")
    with pytest.raises(InputError, match="no such store"):
        open_store(tmp_path / "missing.duckdb")


def test_a_store_reopened_for_writing_answers_queries(tmp_path):
    DuckDBStore(tmp_path / "s.duckdb").close()
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        assert store.query("SELECT count(*) AS n FROM runs").column("n").to_pylist() == [0]


def test_spilled_documents_read_back_by_location(tmp_path):
    with DocumentSpill(tmp_path) as spill:
        assert spill.write(DOCS) == 2
        read = read_spilled(spill.path, [spill.locate("a"), spill.locate("b"), spill.locate("a")])
        assert read == [DOCS[1], DOCS[0], DOCS[1]]
        path = spill.path
    assert not os.path.exists(path) and os.listdir(tmp_path) == []


def test_bulk_writes_get_more_memory_and_end_folded_into_the_file(tmp_path):
    path = tmp_path / "s.duckdb"
    memory = lambda: store.query("SELECT current_setting('memory_limit') AS m").column("m")[0].as_py()  # noqa: E731
    with DuckDBStore(path) as store:
        usual = memory()
        log = tmp_path / "s.duckdb.wal"
        with store.bulk_writes():
            assert memory() != usual
            store.add_batch(sign_documents(DOCS, CONFIG), [], run_id=1)
            assert log.exists() and log.stat().st_size > 0
        assert not log.exists() or log.stat().st_size == 0
        assert memory() == usual
        assert store.query("SELECT count(*) AS n FROM documents").column("n")[0].as_py() == len(DOCS)


# --- one Arrow schema per table --------------------------------------------------

DUCKDB_NAMES = {pa.string(): "VARCHAR", pa.binary(): "BLOB", pa.date32(): "DATE", pa.timestamp("us"): "TIMESTAMP",
                pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.uint64(): "UBIGINT", pa.float32(): "FLOAT",
                pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN"}


def filled_store(path) -> DuckDBStore:
    """A store with a row in every table."""
    store = DuckDBStore(path)
    run = store.start_run(["x.jsonl"])
    store.add_batch(sign_documents(DOCS, CONFIG), [Rejection("f.jsonl:3", "no text", "{}")], run_id=run)
    store.add_candidates(CandidatePairs(a=np.array([0]), b=np.array([1]), jaccard=np.array([0.5], np.float32),
                                        containment=np.array([0.6], np.float32), method=np.array([1], np.int8),
                                        ids=("a", "b")).to_arrow())
    store.add_verified([("a", "b")], VerifiedRows.of([pair()]))
    store.replace_stories(build_stories([PairEdge("a", "b", "a", 0.9, 0.8, 0.8)], {}))
    store.replace_boilerplate(pa.table({"ngram": pa.array([2**63 + 5], pa.uint64()), "documents": pa.array([3], pa.int32()),
                                        "source": ["x"], "source_documents": pa.array([3], pa.int32())}))
    store.update_run(run, stage="done", finished_at=dt.datetime(2024, 1, 3), read=3, stored=2, rejected=1)
    return store


@pytest.mark.parametrize("name", [*TABLES, "settings"])
def test_the_store_creates_each_table_from_its_arrow_schema(name):
    wanted = SCHEMAS.get(name, schema.SETTINGS)
    with DuckDBStore(":memory:") as store:
        columns = store.query("SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_name = ? ORDER BY ordinal_position", [name]).to_pylist()
        [key] = store.query("SELECT constraint_column_names AS key FROM duckdb_constraints() "
                            "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'", [name]).column("key").to_pylist()
        read = store.query(f"SELECT * FROM {name}").schema
    assert [(c["column_name"], c["data_type"]) for c in columns] == [(f.name, DUCKDB_NAMES[f.type]) for f in wanted]
    assert key == schema.primary_key(wanted)
    assert read.equals(wanted, check_metadata=False)


def test_every_table_is_read_and_exported_to_parquet_with_its_schema(tmp_path):
    with filled_store(tmp_path / "s.duckdb") as store:
        for name in TABLES:
            table = store.table(name)
            assert table.num_rows >= 1 and table.schema.equals(SCHEMAS[name], check_metadata=False), name
        written = export_tables(store, tmp_path / "out", "parquet")
    assert {path.stem for path in written} == set(EXPORTED_TABLES)
    for path in written:
        assert schema.conforms(pq.read_schema(path), path.stem) == [], path.stem  # names, order, types


def write_dataset(store: DuckDBStore, folder, **replaced: pa.Table) -> None:
    """The store's tables as a Parquet dataset (the Spark engine's output layout)."""
    settings = store.query("SELECT * FROM settings ORDER BY key")
    for name, table in {"settings": settings, **{n: store.table(n) for n in TABLES}, **replaced}.items():
        (folder / name).mkdir(parents=True)
        pq.write_table(table, folder / name / "part-0.parquet")


def test_a_parquet_dataset_of_the_store_schemas_imports_as_it_was(tmp_path):
    with filled_store(tmp_path / "s.duckdb") as store:
        write_dataset(store, tmp_path / "dataset")
        before = {name: store.table(name) for name in TABLES}
    counted = import_parquet(tmp_path / "dataset", tmp_path / "imported.duckdb")
    assert all(counted[name] == before[name].num_rows for name in TABLES)
    with open_store(tmp_path / "imported.duckdb") as imported:
        for name in TABLES:
            assert imported.table(name).equals(before[name]), name


def _of_schema_2_dataset(store: DuckDBStore, folder: Path, **replaced: pa.Table) -> None:
    store.connection.execute("UPDATE settings SET value = '\"2\"' WHERE key = 'schema_version'")
    write_dataset(store, folder, **replaced)


def test_a_parquet_dataset_of_schema_2_without_thai_imports_as_schema_3(tmp_path):
    """Schema 3 changed no table, only how Thai is tokenised (store.upgrade)."""
    with filled_store(tmp_path / "s.duckdb") as store:
        _of_schema_2_dataset(store, tmp_path / "dataset")
        before = {name: store.table(name) for name in TABLES}
    import_parquet(tmp_path / "dataset", tmp_path / "imported.duckdb")
    with open_store(tmp_path / "imported.duckdb") as imported:
        assert upgrade.stored_version(imported.connection) == SCHEMA_VERSION == "3"
        assert all(imported.table(name).equals(before[name]) for name in TABLES)


def test_a_parquet_dataset_of_schema_2_with_thai_is_refused_naming_its_documents(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        texts = ["English text here.", "ข่าววันนี้ ผู้สื่อข่าวรายงานว่า"]
        store.add_batch(sign_documents([Document(f"d{n}", text) for n, text in enumerate(texts)], CONFIG), [], 1)
        _of_schema_2_dataset(store, tmp_path / "dataset")
    with pytest.raises(InputError) as refused:
        import_parquet(tmp_path / "dataset", tmp_path / "imported.duckdb")
    assert refused.value.where == str(tmp_path / "dataset" / "documents")
    assert refused.value.reason.startswith("holds 1 Thai article(s) tokenised a letter a word")
    assert not (tmp_path / "imported.duckdb").exists()


def test_a_parquet_dataset_of_schema_2_whose_texts_cannot_be_read_is_refused_in_one_line(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.add_batch(sign_documents([Document("d0", "English text here.")], CONFIG), [], 1)
        documents = store.table("documents")
        broken = pa.array([b"\xff not UTF-8"], pa.binary()).view(pa.string())  # pyarrow writes it unchecked
        _of_schema_2_dataset(store, tmp_path / "dataset",
                             documents=documents.set_column(documents.column_names.index("text"), "text", broken))
    with pytest.raises(InputError, match="cannot be read: ") as refused:
        import_parquet(tmp_path / "dataset", tmp_path / "imported.duckdb")
    assert refused.value.where == str(tmp_path / "dataset" / "documents")
    assert not (tmp_path / "imported.duckdb").exists()


@pytest.mark.parametrize("change, message", [
    (lambda t: t.set_column(6, "similarity", t.column("similarity").cast(pa.float32())),
     "column 'similarity' is float, not double"),
    (lambda t: t.drop_columns(["passages"]), "expected a, b, source_id"),
    (lambda t: t.select(["b", "a", *t.column_names[2:]]), "columns b, a, source_id"),
])
def test_a_parquet_table_that_differs_from_its_schema_is_refused_naming_the_file(tmp_path, change, message):
    with filled_store(tmp_path / "s.duckdb") as store:
        write_dataset(store, tmp_path / "dataset", pairs=change(store.table("pairs")))
    with pytest.raises(InputError, match=message) as refused:
        import_parquet(tmp_path / "dataset", tmp_path / "imported.duckdb")
    assert refused.value.where.endswith("part-0.parquet") and "pairs" in refused.value.where


def test_an_import_that_fails_on_a_table_names_it_and_leaves_the_store_empty_for_the_next(tmp_path):
    with filled_store(tmp_path / "s.duckdb") as store:
        stories = store.table("stories")
        write_dataset(store, tmp_path / "broken", stories=pa.concat_tables([stories, stories]))
        write_dataset(store, tmp_path / "mended")
    with pytest.raises(InputError, match="cannot be imported: .*[Dd]uplicate key") as refused:
        import_parquet(tmp_path / "broken", tmp_path / "imported.duckdb")
    assert refused.value.where == str(tmp_path / "broken" / "stories")
    with open_store(tmp_path / "imported.duckdb") as imported:
        assert all(imported.table(name).num_rows == 0 for name in TABLES)
    assert import_parquet(tmp_path / "mended", tmp_path / "imported.duckdb")["stories"] == stories.num_rows


def test_an_export_is_no_dataset_to_import_and_is_told_so(tmp_path):
    with filled_store(tmp_path / "s.duckdb") as store:
        export_tables(store, tmp_path / "exported", "parquet")
    with pytest.raises(InputError, match="is the output of copytrace export, which holds no signatures or settings"):
        import_parquet(tmp_path / "exported", tmp_path / "imported.duckdb")
    assert not (tmp_path / "imported.duckdb").exists()


def test_an_import_into_a_store_with_rows_in_any_table_is_refused_and_keeps_them(tmp_path):
    with filled_store(tmp_path / "s.duckdb") as store:
        write_dataset(store, tmp_path / "dataset")
    with DuckDBStore(tmp_path / "imported.duckdb") as target:  # a scan that stored no document
        target.start_run(["empty.jsonl"])
    with pytest.raises(InputError, match="already holds runs; import into a new --db") as refused:
        import_parquet(tmp_path / "dataset", tmp_path / "imported.duckdb")
    assert refused.value.where == str(tmp_path / "imported.duckdb")
    with open_store(tmp_path / "imported.duckdb") as kept:
        assert kept.table("runs").num_rows == 1


# --- the store interface ----------------------------------------------------------

@pytest.mark.parametrize("protocol", [Store, ArchiveStore])
def test_the_duckdb_store_implements_the_store_interfaces(protocol):
    with DuckDBStore(":memory:") as store:
        assert isinstance(store, protocol)
    for name, method in vars(protocol).items():
        if callable(method) and not name.startswith("_"):
            wanted = list(inspect.signature(method).parameters)
            assert list(inspect.signature(getattr(DuckDBStore, name)).parameters) == wanted, name


def test_a_store_without_one_of_the_methods_is_not_a_store():
    class Partial(DuckDBStore):
        pair_graph = None

    store = object.__new__(Partial)
    store.path, store.read_only = ":memory:", False
    assert not isinstance(store, Store) and not isinstance(store, ArchiveStore)


def test_no_connection_of_a_store_prints_duckdbs_progress_bar(tmp_path):
    """DuckDB prints one on stdout for a query past 2 s (it broke --json output under load).
    Checked in a process of its own: under pytest, DuckDB starts with the bar off."""
    DuckDBStore(tmp_path / "s.duckdb").close()
    check = ("import sys; from copytrace.store import DuckDBStore, open_store\n"
             "for open_ in (DuckDBStore, open_store):\n"
             "    with open_(sys.argv[1]) as store:\n"
             "        for connection in (store, store.reader()):\n"
             "            print(connection.query(\"SELECT current_setting('enable_progress_bar') AS on\")['on'][0])\n")
    shown = subprocess.run([sys.executable, "-c", check, str(tmp_path / "s.duckdb")], capture_output=True, text=True)
    assert shown.stdout.split() == ["False"] * 4, shown.stderr


def test_the_pair_graph_is_what_the_pairs_themselves_say(tmp_path):
    documents = [Document(f"d{n}", f"text {n}") for n in range(12)]
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.add_batch(sign_documents(documents, CONFIG), [], run_id=1)
        store.add_verified([], VerifiedRows.of(CHAINED_PAIRS))
        edges, dates = store.pair_graph()
    assert len(edges) == 11 and sum(edge.moves for edge in edges) == 5 and set(dates) == {d.id for d in documents}
    # The live archive computes a new pair's edge itself (the reuse graph it keeps).
    assert edges == sorted((pair_edge(pair) for pair in CHAINED_PAIRS), key=lambda edge: (edge.a, edge.b))


def test_a_store_of_schema_1_is_upgraded_in_place_on_opening_even_for_reading(tmp_path, monkeypatch):
    """Schema 1 had no pair order columns; the upgrade derives them from the passages,
    in parts (9 here, some of them empty), as the pairs themselves compute them."""
    documents = [Document(f"d{n}", f"text {n}") for n in range(12)]
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.add_batch(sign_documents(documents, CONFIG), [], run_id=1)
        store.add_verified([], VerifiedRows.of(CHAINED_PAIRS))
        current = store.table("pairs")
        for column in ("moves", "verbatim_share"):
            store.connection.execute(f"ALTER TABLE pairs DROP COLUMN {column}")
        store.connection.execute("UPDATE settings SET value = '\"1\"' WHERE key = 'schema_version'")
    monkeypatch.setattr(upgrade, "PASSAGES_PER_PART", 2)
    with open_store(tmp_path / "s.duckdb") as store:
        assert store.table("pairs").equals(current)
        assert upgrade.stored_version(store.connection) == SCHEMA_VERSION


def _of_schema_2(path, texts: list[str]) -> None:
    with DuckDBStore(path) as store:
        store.add_batch(sign_documents([Document(f"d{n}", text) for n, text in enumerate(texts)], CONFIG), [], run_id=1)
        store.connection.execute("UPDATE settings SET value = '\"2\"' WHERE key = 'schema_version'")


def test_a_store_of_schema_2_without_thai_is_of_schema_3_as_it_is(tmp_path):
    _of_schema_2(tmp_path / "s.duckdb", ["English text here.", "Китайский 东京 text"])
    with open_store(tmp_path / "s.duckdb") as store:
        assert upgrade.stored_version(store.connection) == SCHEMA_VERSION == "3"
        assert store.table("documents").num_rows == 2


def test_a_store_of_schema_2_with_thai_is_refused_untouched(tmp_path):
    """Its Thai articles were tokenised a code point a word: they must be scanned again."""
    path = tmp_path / "s.duckdb"
    _of_schema_2(path, ["English text here.", "ข่าววันนี้ ผู้สื่อข่าวรายงานว่า", "ภาษาไทย"])
    before = path.read_bytes()
    for read_only in (True, False):
        with pytest.raises(InputError) as error:
            DuckDBStore(path, read_only=read_only)
        assert error.value.where == str(path)
        assert error.value.reason.startswith("holds 2 Thai article(s) tokenised a letter a word")
    assert path.read_bytes() == before


@pytest.mark.parametrize("distinct_keys", [3, 40, 5000])
def test_postings_are_sorted_by_key_then_document_each_once(distinct_keys):
    """As sorting both columns at once does: keys held by a few documents, by many, duplicates."""
    from copytrace.store.postings import sorted_postings

    rng = np.random.default_rng(distinct_keys)
    keys = rng.choice(rng.integers(0, 2**64, distinct_keys, dtype=np.uint64), 6000)
    docs = rng.integers(0, 300, 6000).astype(np.uint32)
    order = np.lexsort((docs, keys))
    pairs = sorted(set(zip(keys[order].tolist(), docs[order].tolist())))
    got_keys, got_docs = sorted_postings(keys, docs)
    assert list(zip(got_keys.tolist(), got_docs.tolist())) == pairs


def test_postings_spilled_by_range_merge_sorted_with_a_base_each_once(tmp_path):
    """The external sort of the archive index's postings gives what sorting them all at
    once gives, whichever range of keys they fall in and however they were batched."""
    from copytrace.store.postings import PostingsSpill, sorted_postings

    rng = np.random.default_rng(7)
    keys = rng.integers(0, 2**64, 3000, dtype=np.uint64)
    keys[::7] = keys[0]  # a key many documents hold
    docs = (rng.integers(0, 100, 3000) + 100 * (np.arange(3000) // 700)).astype(np.uint32)  # a batch's own
    base_keys, base_docs = sorted_postings(rng.integers(0, 2**64, 800, dtype=np.uint64),
                                           rng.integers(500, 600, 800).astype(np.uint32))
    spill = PostingsSpill(tmp_path)
    for start in range(0, 3000, 700):
        spill.add(keys[start : start + 700], docs[start : start + 700])
    merged = list(spill.merged(base_keys, base_docs))
    expected = sorted_postings(np.concatenate([keys, base_keys]), np.concatenate([docs, base_docs]))
    assert 1 < len(merged) <= 64
    assert np.array_equal(np.concatenate([k for k, _ in merged]), expected[0])
    assert np.array_equal(np.concatenate([d for _, d in merged]), expected[1])
    assert spill.merged_size(base_keys) == len(expected[0])


def _dataset(folder: Path, settings: dict[str, str]) -> Path:
    """A Spark output folder with no documents and these raw ``settings`` values."""
    from copytrace.store.schema import SCHEMAS, SETTINGS

    for name in ("documents", "settings"):
        (folder / name).mkdir(parents=True)
    pq.write_table(SCHEMAS["documents"].empty_table(), folder / "documents" / "part-0.parquet")
    pq.write_table(pa.table({"key": list(settings), "value": list(settings.values())}, schema=SETTINGS),
                   folder / "settings" / "part-0.parquet")
    return folder


@pytest.mark.parametrize("settings, reason", [
    ({"schema_version": "not json"}, "the value of 'schema_version' is not JSON: 'not json'"),
    ({"schema_version": '"9"'}, 'the dataset is of schema_version "9"; this copytrace reads "3": '
                                "import it with the copytrace that wrote it"),
    ({"schema_version": "3"}, 'the dataset is of schema_version 3; this copytrace reads "3": '
                              "import it with the copytrace that wrote it"),
    ({"": '"3"'}, "a row without its key"),
])
def test_a_dataset_of_other_settings_is_refused_naming_them_and_makes_no_store(tmp_path, settings, reason):
    folder = _dataset(tmp_path / "out", settings)
    with pytest.raises(InputError) as error:
        import_parquet(folder, tmp_path / "new.duckdb")
    assert (error.value.where, error.value.reason) == (str(folder / "settings"), reason)
    assert not (tmp_path / "new.duckdb").exists()
    with pytest.raises(InputError, match="no such folder"):
        import_parquet(tmp_path / "absent", tmp_path / "new.duckdb")


def test_a_store_whose_creation_stopped_midway_opens_as_a_new_one(tmp_path, monkeypatch):
    """Its tables and its schema version are written together: a stop between them left
    tables without a version, and every later open refused the file as someone else's."""
    import gc

    db = tmp_path / "new.duckdb"

    def stopped(self, settings):
        raise KeyboardInterrupt

    monkeypatch.setattr(DuckDBStore, "check_settings", stopped)
    with pytest.raises(KeyboardInterrupt):
        DuckDBStore(db)
    gc.collect()  # the half-opened store's connection
    monkeypatch.undo()
    with DuckDBStore(db) as store:
        assert store.row_count("documents") == 0
