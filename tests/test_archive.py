"""The live archive: articles added one by one, in any order, give the same tables as
one scan; queries store nothing; an interrupted add leaves the article whole or absent."""

from __future__ import annotations

import json
import random
import sys
from concurrent.futures import Future
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copytrace.candidates import CandidateConfig
from copytrace.candidates.boilerplate import PASSAGE_DOCUMENTS, Boilerplate
from copytrace.cli import app
from copytrace.engine import ScanConfig, scan
from copytrace.engine import archive as archive_module
from copytrace.engine.archive import LiveArchive
from copytrace.errors import InputError
from copytrace.ingest import Document, document_from_record, read_documents
from copytrace.parallel import worker_count
from copytrace.store import DuckDBStore
from tests.conftest import require_data
from tests.test_scan import collection, mutate, prose

# max_df low enough that shared footers become common while articles arrive, so the
# pairs they made are checked again (the hard part of matching a scan one by one).
SMALL_DF = CandidateConfig(max_df=3)
TABLE_ORDERS = {
    "documents": "SELECT id, text, date, source, title, text_hash FROM documents ORDER BY id",
    "candidates": "SELECT a, b, jaccard_estimate, containment_estimate, method, verified, kept FROM candidates ORDER BY a, b",
    "pairs": "SELECT * FROM pairs ORDER BY a, b",
    "passages": "SELECT * FROM passages ORDER BY a, b, passage",
    "stories": "SELECT * FROM stories ORDER BY document_id",
    "derivation_edges": "SELECT * FROM derivation_edges ORDER BY child_id",
}


def footered_collection(seed: int = 3) -> list[dict]:
    """The scan tests' collection plus articles that share only an outlet's footer (a
    few per outlet, more than ``SMALL_DF.max_df``), two briefs that are mostly that
    footer, and a snippet quoted in a new text."""
    rng = random.Random(seed)
    records = collection(seed)
    footers = {outlet: prose(rng, 45) for outlet in ("north", "south")}
    for n in range(2 * PASSAGE_DOCUMENTS):  # each outlet's footer marks passages
        outlet = "north" if n % 2 else "south"
        records.append({"id": f"{outlet}-{n}", "text": prose(rng, 250) + "\n\n" + footers[outlet],
                        "date": f"2024-08-{n % 28 + 1:02d}", "source": outlet})
    # Briefs that are mostly their outlet's footer: near-duplicates that share only it.
    records += [{"id": f"north-brief-{n}", "text": prose(rng, 4) + "\n\n" + footers["north"],
                 "date": "2024-08-20", "source": "north"} for n in range(2)]
    quoted = " ".join(records[3]["text"].split()[40:90])
    records.append({"id": "quoting", "text": prose(rng, 200) + " " + quoted + " " + prose(rng, 100),
                    "date": "2024-09-01"})
    records.append({"id": "edited", "text": mutate(rng, records[-1]["text"], 0.1), "date": "2024-09-02"})
    return records


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def tables(db: Path) -> dict[str, list[dict]]:
    with DuckDBStore(db, read_only=True) as store:
        return {name: store.query(sql).to_pylist() for name, sql in TABLE_ORDERS.items()}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Document], dict]:
    folder = tmp_path_factory.mktemp("scanned")
    source = write_jsonl(folder / "articles.jsonl", footered_collection())
    scan([source], folder / "scan.duckdb", config=ScanConfig(workers=1, candidates=SMALL_DF))
    return list(read_documents([source])), tables(folder / "scan.duckdb")


@pytest.mark.parametrize("order_seed", [1, 2, 3])
@pytest.mark.parametrize("batch_size", [1, 7])
def test_adding_one_by_one_in_any_order_gives_the_scan(tmp_path, scanned, order_seed, batch_size):
    documents, expected = scanned
    shuffled = random.Random(order_seed).sample(documents, len(documents))
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        LiveArchive(store, candidates=SMALL_DF).add(shuffled, batch_size=batch_size)
    assert tables(tmp_path / "live.duckdb") == expected
    assert any(row["method"] == "containment" for row in expected["candidates"])
    # Footers held by more than max_df articles pair nobody, although every order of
    # arrival paired some articles on them while they were rare.
    assert not [p for p in expected["pairs"] if p["a"].startswith(("north", "south"))]
    # The briefs are near-duplicates on their footer alone: a candidate, not a pair.
    assert [(c["a"], c["kept"]) for c in expected["candidates"] if c["b"] == "north-brief-1"] == [
        ("north-brief-0", False)]
    assert len(expected["stories"]) >= 6


@pytest.mark.skipif(worker_count(2) < 2, reason="one core (or too little memory) for a second verifying process")
def test_verifying_on_two_processes_gives_the_scan(tmp_path, scanned, monkeypatch):
    monkeypatch.setattr(archive_module, "PARALLEL_PAIRS", 2)  # every batch splits its pairs
    documents, expected = scanned
    shuffled = random.Random(4).sample(documents, len(documents))
    with DuckDBStore(tmp_path / "live.duckdb") as store, LiveArchive(store, candidates=SMALL_DF, workers=2) as archive:
        archive.add(shuffled, batch_size=40)
        assert archive._pool is not None
    assert archive._pool is None  # closed with the archive
    assert tables(tmp_path / "live.duckdb") == expected


def test_shares_no_worker_started_are_verified_here_in_order(tmp_path):
    """The adding process takes back the shares no worker has started (futures still
    pending), also those that keep no pair."""
    rng = random.Random(9)
    copied = Document("c", prose(rng, 80))
    shares = [[(Document("a", prose(rng, 80)), Document("b", prose(rng, 80)))],
              [(copied, Document("d", copied.text))]]
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        kept = LiveArchive(store)._collect(shares, [Future(), Future()], Boilerplate())
    assert [(pair.a, pair.b) for pair in kept] == [("c", "d")]


def test_an_article_that_makes_a_footer_common_drops_the_pairs_it_made(tmp_path):
    rng = random.Random(5)
    footer = prose(rng, 60)
    articles = [Document(f"d{n}", prose(rng, 200) + "\n\n" + footer) for n in range(SMALL_DF.max_df + 1)]
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        archive = LiveArchive(store, candidates=SMALL_DF)
        archive.add(articles[:-1])
        before = store.query("SELECT count(*) AS n FROM pairs").column("n")[0].as_py()
        archive.add(articles[-1:])
        after = store.query("SELECT count(*) AS n FROM pairs").column("n")[0].as_py()
    assert before == 3  # three articles, each pair sharing the footer while it is rare
    assert after == 0  # four articles hold it: a scan would not pair them on it


def test_an_article_that_makes_a_footer_boilerplate_drops_the_pairs_it_made(tmp_path):
    """The third article of one source with the footer makes it boilerplate (the scan's
    rule): the pair the first two made on it goes, as a scan of the three would have it."""
    rng = random.Random(6)
    footer = prose(rng, 60)
    articles = [Document(f"d{n}", prose(rng, 200) + "\n\n" + footer, source="outlet") for n in range(3)]
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        archive = LiveArchive(store)
        archive.add(articles[:2])
        before = store.query("SELECT count(*) AS n FROM pairs").column("n")[0].as_py()
        archive.add(articles[2:])
        after = store.query("SELECT count(*) AS n FROM pairs").column("n")[0].as_py()
    assert (before, after) == (1, 0)


def test_a_late_original_re_roots_its_story(tmp_path):
    records = {r["id"]: r for r in collection()}
    order = ["story2-copy", "story2-copy-of-copy", "story2-base"]
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        archive = LiveArchive(store)
        first = archive.add([_document(records[i]) for i in order[:2]])
        late = archive.add([_document(records[order[2]])])[0]
    assert first[1].story_id == "story2-copy"
    assert late.story_id == "story2-base"
    assert {m.document.id for m in late.reprints} == {"story2-copy", "story2-copy-of-copy"}


def test_query_finds_sources_and_stores_nothing(tmp_path):
    records = {r["id"]: r for r in collection()}
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        LiveArchive(store).add([_document(records["akorda"]), _document(records["story2-base"])])
    before = tables(tmp_path / "live.duckdb")
    with DuckDBStore(tmp_path / "live.duckdb", read_only=True) as store:
        report = LiveArchive(store).query(_document(records["reprint-1"]))
    assert report.status == "query"
    assert [m.document.id for m in report.sources] == ["akorda"]
    assert report.sources[0].pair.passages
    assert report.to_json()["schema"] == "copytrace.article/1"
    assert tables(tmp_path / "live.duckdb") == before


def test_an_id_added_again_is_existing_or_refused(tmp_path):
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        archive = LiveArchive(store)
        archive.add([Document("x", prose(random.Random(1), 100))])
        again = archive.add([Document("x", prose(random.Random(1), 100))])
        assert again[0].status == "existing"
        with pytest.raises(InputError, match="already in the store with a different text"):
            archive.add([Document("x", "Another text entirely, with other words in it.")])
        with pytest.raises(InputError, match="id 'z' is given twice, with different texts"):
            archive.add([Document("z", "One text of z, with its words."), Document("z", "Another text of z, other words.")])
        assert store.query("SELECT count(*) AS n FROM documents").column("n")[0].as_py() == 1


def test_an_id_of_the_batch_still_waiting_is_existing_or_refused(tmp_path):
    """The next batch is matched before the one before it is stored: its ids count too."""
    text = prose(random.Random(1), 100)
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        archive = LiveArchive(store)
        reports = archive.add([Document("x", text), Document("x", text)], batch_size=1)
        assert [r.status for r in reports] == ["added", "existing"]
        with pytest.raises(InputError, match="id 'y' is already in the store with a different text"):
            archive.add([Document("y", text), Document("y", "Another text entirely, with other words.")], batch_size=1)
        # The first 'y' was stored before the second was refused, as without the overlap.
        assert store.query("SELECT id FROM documents ORDER BY id").column("id").to_pylist() == ["x", "y"]


def test_a_failed_batch_stores_nothing_and_leaves_the_index_clean(tmp_path):
    rng = random.Random(2)
    text = prose(rng, 200)
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        archive = LiveArchive(store)
        archive.add([Document("kept", prose(rng, 150))])
        with pytest.raises(InputError):
            archive.add([Document("new", text), Document("kept", "A different text for a kept id.")])
        assert store.document_ids() == ["kept"]
        assert len(archive.index) == 1
        assert archive.add([Document("copy", text)])[0].sources == []


def test_the_index_written_to_disk_is_reused_and_rebuilt_when_stale(tmp_path, monkeypatch):
    from copytrace.store import archive_index

    monkeypatch.setattr(archive_index, "COMPACT_AT", 3)
    rng = random.Random(4)
    base = prose(rng, 200)
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        LiveArchive(store).add([Document(f"d{n}", prose(rng, 150)) for n in range(5)] + [Document("base", base)])
    assert (tmp_path / "live.duckdb.index" / "CURRENT").exists()
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        archive = LiveArchive(store)
        assert len(archive.index) == 6
        assert [m.document.id for m in archive.query(Document("copy", base)).reprints + archive.query(
            Document("copy", base)).sources] == ["base"]


def test_readers_see_only_stored_articles_and_a_compaction_leaves_their_index_whole(tmp_path, monkeypatch):
    """The writer indexes a batch before storing it; a request thread reading meanwhile
    must not find it, and one still reading as the index is compacted keeps a whole index."""
    from copytrace.store import archive_index

    rng = random.Random(5)
    base = prose(rng, 200)
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        archive = LiveArchive(store)
        archive.add([Document("base", base)])
        seen: dict[str, list[str]] = {}
        store_matched = archive._store_matched

        def read_then_store(batch, run_id):
            with store.reader() as reader:  # as a request thread would, mid-batch
                view = archive.reading(reader)
                seen["during"] = [m.document.id for m in view.query(Document("q", base)).sources]
                seen["indexed"] = ["copy" in archive.index, "copy" in view.index]
            return store_matched(batch, run_id)

        monkeypatch.setattr(archive, "_store_matched", read_then_store)
        archive.add([Document("copy", base + " One more line.")])
        assert seen == {"during": ["base"], "indexed": [True, False]}
        with store.reader() as reader:
            old = archive.reading(reader)
            monkeypatch.setattr(archive_index, "COMPACT_AT", 1)
            monkeypatch.setattr(archive, "_store_matched", store_matched)
            archive.add([Document("third", prose(rng, 150))])
            assert archive.index is not old.index and len(archive.index) == 3 and not archive.index._delta_sources
            assert sorted(m.document.id for m in old.query(Document("q", base)).sources) == ["base", "copy"]


def test_cli_add_and_query(tmp_path):
    records = collection()
    first = write_jsonl(tmp_path / "first.jsonl", records[:1])
    second = write_jsonl(tmp_path / "second.jsonl", records[1:2])
    runner = CliRunner()
    added = runner.invoke(app, ["add", str(first), "--db", str(tmp_path / "s.duckdb")])
    assert added.exit_code == 0, added.output
    assert "akorda: added" in added.output
    assert "read 1 record: 1 added, 0 already stored, 0 rejected" in added.output
    queried = runner.invoke(app, ["query", str(second), "--db", str(tmp_path / "s.duckdb"), "--json"])
    assert queried.exit_code == 0, queried.output
    report = json.loads(queried.output)
    assert report["schema"] == "copytrace.articles/1"
    assert report["articles"][0]["sources"][0]["document"]["id"] == "akorda"
    assert report["articles"][0]["sources"][0]["pair"]["schema"] == "copytrace.pair/1"


def test_cli_add_with_skip_refuses_a_known_id_with_another_text_adds_the_rest_and_records_it(tmp_path):
    records = collection()
    db = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    assert runner.invoke(app, ["add", str(write_jsonl(tmp_path / "first.jsonl", records[:1])), "--db", db]).exit_code == 0
    changed = {**records[0], "text": records[3]["text"]}
    second = tmp_path / "second.jsonl"
    second.write_text("\n".join([json.dumps(records[1]), json.dumps(changed), "{not json"]) + "\n", encoding="utf-8")
    added = runner.invoke(app, ["add", str(second), "--db", db, "--on-error", "skip", "--json"])
    assert added.exit_code == 0, added.output
    report = json.loads(added.output)
    assert [a["document"]["id"] for a in report["articles"]] == [records[1]["id"]]
    known = f"id '{changed['id']}' is already in the store with a different text"  # scan's words
    assert [(r["where"], r["reason"]) for r in report["rejected"]] == [
        (f"{second}:3", "malformed JSON: Expecting property name enclosed in double quotes (column 2)"),
        (f"{second}:2", known)]
    assert report["rejected"][1]["raw"] == changed["text"][:1000]  # what was refused, to see
    queried = runner.invoke(app, ["query", str(second), "--db", db, "--on-error", "skip", "--json"])
    assert queried.exit_code == 0, queried.output  # the stored document of that id would be left out of its matches
    assert [(r["where"], r["reason"]) for r in json.loads(queried.output)["rejected"]][1:] == [(f"{second}:2", known)]
    with DuckDBStore(db, read_only=True) as store:
        run = store.query("SELECT read, stored, existing, rejected FROM runs ORDER BY run_id DESC LIMIT 1").to_pylist()
        assert run == [{"read": 3, "stored": 1, "existing": 0, "rejected": 2}]
        assert store.query("SELECT count(*) AS n FROM rejects").column("n")[0].as_py() == 2
    second.write_text("\n".join([json.dumps(records[2]), json.dumps(changed)]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:  # without skip: the conflict stops the add before anything is stored
        runner.invoke(app, ["add", str(second), "--db", db], catch_exceptions=False)
    assert (error.value.where, error.value.reason) == (f"{second}:2", known)
    with DuckDBStore(db, read_only=True) as store:
        assert records[2]["id"] not in store.document_ids()


def _document(record: dict) -> Document:
    return document_from_record(record, "test record")


def test_the_10k_synthetic_collection_added_in_a_shuffled_order_gives_the_scan(tmp_path):
    """The issue's invariant at scale: real prose with planted reuse and boilerplate."""
    require_data("pan13-text-alignment-train/src")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from synthetic import write_collection

    documents_path, _ = write_collection(10_000, tmp_path / "collection")
    scan([documents_path], tmp_path / "scan.duckdb")
    documents = list(read_documents([documents_path]))
    with DuckDBStore(tmp_path / "live.duckdb") as store:
        LiveArchive(store).add(random.Random(10).sample(documents, len(documents)))
    assert tables(tmp_path / "live.duckdb") == tables(tmp_path / "scan.duckdb")


def test_a_scan_of_a_large_store_leaves_the_index_built_for_the_archive(tmp_path, monkeypatch):
    """A server on a store a scan just wrote starts without building its index."""
    from copytrace.store import archive_index

    monkeypatch.setattr(archive_index, "COMPACT_AT", 3)
    rng = random.Random(8)
    base = prose(rng, 200)
    articles = [{"id": f"d{n}", "text": prose(rng, 150)} for n in range(5)] + [{"id": "base", "text": base}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(row) + "\n" for row in articles), encoding="utf-8")
    scan([tmp_path / "in.jsonl"], tmp_path / "scanned.duckdb")
    assert (tmp_path / "scanned.duckdb.index" / "CURRENT").exists()
    assert not list((tmp_path / "scanned.duckdb.index").glob("building-*"))

    def no_build(self, batches):
        raise AssertionError("the index was built again")

    monkeypatch.setattr(archive_index.ArchiveIndex, "_build_base", no_build)
    with DuckDBStore(tmp_path / "scanned.duckdb") as store:
        archive = LiveArchive(store)
        assert len(archive.index) == 6 and not archive.index._delta_sources
        report = archive.query(Document("copy", base))
        assert [m.document.id for m in report.sources + report.reprints] == ["base"]


def test_the_warm_up_a_server_does_aligns_a_retelling_and_a_summary():
    """serve loads the compiled kernels with these pairs as it starts: they must reach
    them, exact and sentence seeds, and summary mode, alike."""
    from copytrace.align import clusters
    from copytrace.engine.stages import warm_up

    retelling, summary = warm_up()
    assert [passage.verbatim_share == 1.0 for passage in retelling.passages] == [True, False]
    assert summary.b == "warm-up-summary" and summary.passages
    assert clusters.one_group_in_order.overloads  # summary mode's test of its regions ran
