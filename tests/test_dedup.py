"""`copytrace dedup`: the collection less its near-duplicates, the original of each kept,
every document written or listed once, outputs that round-trip, both engines alike."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import copytrace
from copytrace.dedup import DedupSummary, Duplicate, ScoredPair, dedup, near_duplicates, pair_scores
from copytrace.dedup import run as dedup_run
from copytrace.dedup.decide import priority
from copytrace.engine import ScanConfig
from copytrace.errors import InputError
from copytrace.store import DuckDBStore
from copytrace.store.export import export_tables
from tests.conftest import cli
from tests.test_scan import mutate, prose, write_jsonl
from tests.test_spark import requires_spark, spark  # noqa: F401 (a fixture)


def dedup_collection(seed: int = 3) -> list[dict]:
    """An original with an exact copy and a near copy (both with ids that sort before
    it), a trimmed reprint, an article that shares half its text, a chain of edited
    copies, and unrelated articles."""
    rng = random.Random(seed)
    base, chained = prose(rng, 400), prose(rng, 400)
    sentences = base.split(". ")
    first_copy = mutate(rng, chained, 0.03)
    return [
        {"id": "z-original", "text": base, "date": "2024-03-01", "source": "wire", "title": "The original"},
        {"id": "a-exact", "text": base, "date": "2024-03-02", "source": "daily"},
        {"id": "m-near", "text": mutate(rng, base, 0.02), "date": "2024-03-02", "url": "https://example.org/near"},
        {"id": "t-trimmed", "text": ". ".join(sentences[:len(sentences) * 6 // 10]) + ".", "date": "2024-03-03"},
        {"id": "h-half", "text": ". ".join(sentences[:len(sentences) // 2]) + ". " + prose(rng, 200),
         "date": "2024-03-03"},
        {"id": "c0", "text": chained, "date": "2024-04-01"},
        {"id": "c1", "text": first_copy, "date": "2024-04-02"},
        {"id": "c2", "text": mutate(rng, first_copy, 0.03), "date": "2024-04-03"},
        *({"id": f"other-{n}", "text": prose(rng, 250), "date": "2024-05-01", "language": "en"} for n in range(4)),
    ]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dedup")
    db = folder / "news.duckdb"
    copytrace.scan([write_jsonl(folder / "news.jsonl", dedup_collection())], db, config=ScanConfig(workers=1))
    return db


def read_rows(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def stored_documents(db: Path) -> dict[str, dict]:
    with copytrace.open_store(db) as store:
        rows = store.query("SELECT id, text, date, source, url, title, language, credit, body_start, body_end "
                           "FROM documents").to_pylist()
    return {row["id"]: row for row in rows}


def pair_scores_of(db: Path, measure: str = "jaccard") -> dict[tuple[str, str], tuple[float, float]]:
    """Each stored pair's scores, (a as b's duplicate, b as a's), the way dedup reads them."""
    with copytrace.open_store(db) as store:
        pairs = store.connection.sql(dedup_run._PAIRS).to_arrow_table()
    a_scores, b_scores = pair_scores(measure, *(pairs.column(name).to_numpy()
                                                for name in ("coverage_a", "coverage_b", "verbatim_share")))
    return {(a, b): (float(sa), float(sb)) for a, b, sa, sb in
            zip(pairs.column("a").to_pylist(), pairs.column("b").to_pylist(), a_scores, b_scores)}


# --- the rule, on scored pairs ----------------------------------------------


def test_copies_are_dropped_as_duplicates_of_the_first_in_priority_order():
    order = {"orig": 0, "copy": 1, "copy2": 2}
    pairs = [ScoredPair("copy", "orig", 0.95, 0.95), ScoredPair("copy2", "orig", 0.9, 0.9),
             ScoredPair("copy", "copy2", 0.97, 0.97)]
    assert near_duplicates(pairs, order, 0.8) == [Duplicate("copy", "orig", 0.95), Duplicate("copy2", "orig", 0.9)]


def test_a_chain_keeps_what_only_resembles_a_dropped_document():
    """A ~ B ~ C with A and C apart: B goes, C stays (nothing kept is its near-duplicate)."""
    order = {"a": 0, "b": 1, "c": 2}
    pairs = [ScoredPair("a", "b", 0.9, 0.9), ScoredPair("b", "c", 0.9, 0.9), ScoredPair("a", "c", 0.7, 0.7)]
    assert near_duplicates(pairs, order, 0.8) == [Duplicate("b", "a", 0.9)]
    assert near_duplicates(pairs, order, 0.7) == [Duplicate("b", "a", 0.9), Duplicate("c", "a", 0.7)]


def test_the_original_is_the_best_scoring_kept_one_then_the_first():
    order = {"k1": 0, "k2": 1, "copy": 2}
    best = [ScoredPair("copy", "k1", 0.85, 0.85), ScoredPair("copy", "k2", 0.9, 0.9)]
    assert near_duplicates(best, order, 0.8) == [Duplicate("copy", "k2", 0.9)]
    tied = [ScoredPair("copy", "k2", 0.9, 0.9), ScoredPair("copy", "k1", 0.9, 0.9)]
    assert near_duplicates(tied, order, 0.8) == [Duplicate("copy", "k1", 0.9)]


def test_a_score_below_the_threshold_drops_nothing_and_containment_is_one_way():
    order = {"long": 0, "short": 1}
    assert near_duplicates([ScoredPair("long", "short", 0.79, 0.79)], order, 0.8) == []
    # the short one lies inside the long one: dropped; the long one is not inside the short one
    assert near_duplicates([ScoredPair("long", "short", 0.5, 1.0)], order, 0.8) == [Duplicate("short", "long", 1.0)]
    assert near_duplicates([ScoredPair("long", "short", 1.0, 0.5)], order, 0.8) == []


def test_jaccard_score_is_the_word_jaccard_of_a_shared_block():
    """Bodies of 100 and 60 words sharing 50 word for word: 50 / (100 + 60 - 50)."""
    a_score, b_score = pair_scores("jaccard", np.array([0.5]), np.array([50 / 60]), np.array([1.0]))
    assert a_score[0] == b_score[0] == pytest.approx(50 / 110)
    contained = pair_scores("containment", np.array([0.5]), np.array([50 / 60]), np.array([0.9]))
    assert [score[0] for score in contained] == pytest.approx([0.45, 0.75])


def test_priority_puts_the_original_then_the_earliest_then_the_id_first():
    rows = [(1, dt.date(2024, 1, 1), "a"), (0, dt.date(2024, 1, 9), "z"), (1, None, "b"),
            (1, dt.date(2024, 1, 1), "0"), (None, dt.date(2020, 1, 1), "n")]
    assert [id_ for *_, id_ in sorted(rows, key=lambda row: priority(*row))] == ["z", "0", "a", "b", "n"]


# --- a scanned collection -----------------------------------------------------


def test_dedup_keeps_the_original_and_drops_its_copies(store, tmp_path):
    summary = dedup(store, tmp_path / "kept.jsonl")
    dropped = {row["id"]: row for row in read_rows(tmp_path / "kept.dropped.jsonl")}
    assert set(dropped) == {"a-exact", "m-near", "c1", "c2"}
    assert {id_: row["duplicate_of"] for id_, row in dropped.items()} == {
        "a-exact": "z-original", "m-near": "z-original", "c1": "c0", "c2": "c0"}
    assert dropped["a-exact"]["score"] > 0.99
    assert (summary.read, summary.kept, summary.dropped, summary.clusters) == (12, 8, 4, 2)
    assert summary.dropped_file == str(tmp_path / "kept.dropped.jsonl")


def test_every_document_is_kept_or_dropped_once_and_kept_ones_are_not_near_duplicates(store, tmp_path):
    dedup(store, tmp_path / "kept.parquet", threshold=0.5)
    kept = [row["id"] for row in read_rows(tmp_path / "kept.parquet")]
    dropped = read_rows(tmp_path / "kept.dropped.parquet")
    assert sorted(kept + [row["id"] for row in dropped]) == sorted(stored_documents(store))
    scores = pair_scores_of(store)
    for (a, b), (score, _) in scores.items():
        assert not (a in kept and b in kept and score >= 0.5)
    for row in dropped:  # each listed with a kept document, the pair's own score
        assert row["duplicate_of"] in kept
        pair = tuple(sorted((row["id"], row["duplicate_of"])))
        assert row["score"] == scores[pair][0] >= 0.5


def test_the_threshold_is_inclusive(store, tmp_path):
    near = next(row for row in dedup_dropped(store, tmp_path, 0.8) if row["id"] == "m-near")
    assert "m-near" in {row["id"] for row in dedup_dropped(store, tmp_path, near["score"])}
    assert "m-near" not in {row["id"] for row in dedup_dropped(store, tmp_path, math.nextafter(near["score"], 1))}


def dedup_dropped(store: Path, folder: Path, threshold: float) -> list[dict]:
    dedup(store, folder / "kept.jsonl", threshold=threshold)
    return read_rows(folder / "kept.dropped.jsonl")


@pytest.mark.parametrize("copied", [str, lambda text: text + "\n", lambda text: text.replace("\n\n", "\n \n")],
                         ids=["same text", "a final line break", "other breaks"])
def test_an_exact_copy_scores_one_whatever_its_paragraph_breaks(tmp_path, copied):
    rng = random.Random(5)
    text = "\n\n".join(prose(rng, 60) for _ in range(5))  # breaks between passages lie outside them
    db = tmp_path / "copies.duckdb"
    copytrace.scan([write_jsonl(tmp_path / "copies.jsonl", [{"id": "original", "text": text, "date": "2024-01-01"},
                                                           {"id": "copy", "text": copied(text), "date": "2024-01-02"}])],
                   db, config=ScanConfig(workers=1))
    for measure in ("jaccard", "containment"):
        dedup(db, tmp_path / "kept.jsonl", threshold=1.0, measure=measure)
        assert read_rows(tmp_path / "kept.dropped.jsonl") == [{"id": "copy", "duplicate_of": "original", "score": 1.0}]


def test_a_store_whose_last_scan_stopped_is_refused(store, tmp_path):
    stopped = tmp_path / "stopped.duckdb"
    stopped.write_bytes(store.read_bytes())
    with DuckDBStore(stopped) as opened:
        opened.connection.execute("UPDATE runs SET stage = 'stories', finished_at = NULL")
    with pytest.raises(InputError, match=r"its last scan \(run 1\) stopped in its stories step; run the same scan"):
        dedup(stopped, tmp_path / "kept.jsonl")
    assert not (tmp_path / "kept.jsonl").exists()


def test_containment_drops_a_trimmed_reprint_that_jaccard_keeps(store, tmp_path):
    assert "t-trimmed" not in {row["id"] for row in dedup_dropped(store, tmp_path, 0.8)}
    dedup(store, tmp_path / "kept.jsonl", measure="containment")
    dropped = {row["id"]: row["duplicate_of"] for row in read_rows(tmp_path / "kept.dropped.jsonl")}
    assert dropped["t-trimmed"] == "z-original" and "h-half" not in dropped


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_the_kept_documents_round_trip_with_the_stores_fields(store, tmp_path, suffix):
    dedup(store, tmp_path / f"kept{suffix}")
    documents = stored_documents(store)
    rows = read_rows(tmp_path / f"kept{suffix}")
    assert [row["id"] for row in rows] == sorted(set(documents) - {"a-exact", "m-near", "c1", "c2"})
    for row in rows:
        expected = documents[row["id"]]
        if suffix == ".jsonl":
            expected = {**expected, "date": expected["date"] and expected["date"].isoformat()}
        assert row == expected
    assert rows[-1]["title"] == "The original"


def test_the_kept_jsonl_is_a_collection_copytrace_reads(store, tmp_path):
    dedup(store, tmp_path / "kept.jsonl")
    summary = copytrace.scan([tmp_path / "kept.jsonl"], tmp_path / "again.duckdb", config=ScanConfig(workers=1))
    assert (summary.read, summary.stored, summary.rejected) == (8, 8, 0)


def test_cli_prints_the_versioned_summary_and_refuses_mistakes_in_one_line(store, tmp_path, capsys):
    status, stdout, _ = cli(capsys, "dedup", "--db", str(store), "--out", str(tmp_path / "k.jsonl"), "--json")
    assert status == 0
    summary = json.loads(stdout)
    assert summary["schema"] == "copytrace.dedup/1"
    assert summary["read"] == summary["kept"] + summary["dropped"]
    assert set(summary) == {"schema", *DedupSummary.__dataclass_fields__}
    before = hashlib.md5(store.read_bytes()).hexdigest()
    for args, message in [
        (["--threshold", "0"], "--threshold: must be above 0"),
        (["--threshold", "1.5"], "--threshold: must be above 0"),
        (["--measure", "cosine"], "--measure: must be one of jaccard, containment"),
        (["--out", str(store)], "unknown format '.duckdb'"),
        (["--out", str(tmp_path / "k.csv")], "unknown format '.csv'"),
        (["--dropped", str(tmp_path / "k.jsonl")], "is also --out"),
        (["--db", str(tmp_path / "missing.duckdb")], "no such store"),
        (["--db", str(tmp_path)], "neither a store nor the output of copytrace scan --engine spark"),
        (["--out", str(tmp_path / "no-folder" / "k.jsonl")], "cannot write here"),
        (["--out", ""], "--out: name the file to write (.jsonl or .parquet)"),
    ]:
        status, _, stderr = cli(capsys, "dedup", "--db", str(store), "--out", str(tmp_path / "k.jsonl"), *args)
        assert status == 2, args
        assert len(stderr.strip().splitlines()) == 1 and message in stderr, stderr
    assert hashlib.md5(store.read_bytes()).hexdigest() == before


def test_an_output_is_never_an_input(store, tmp_path):
    linked = tmp_path / "store.parquet"
    linked.symlink_to(store)
    with pytest.raises(InputError, match="is the input store"):
        dedup(store, linked)
    dataset = tmp_path / "dataset"
    for name in dedup_run.PARQUET_TABLES:
        (dataset / name).mkdir(parents=True)
        (dataset / name / "part-0.parquet").write_bytes(b"")
    with pytest.raises(InputError, match="inside the input dataset"):
        dedup(dataset, dataset / "documents" / "part-0.parquet")


def test_a_failed_run_leaves_the_outputs_as_they_were(store, tmp_path, monkeypatch):
    out = tmp_path / "kept.jsonl"
    out.write_text("earlier output\n")

    def failing(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dedup_run, "_json_value", failing)
    with pytest.raises(OSError):
        dedup(store, out)
    assert out.read_text() == "earlier output\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kept.jsonl"]


def test_a_parquet_dataset_of_the_tables_gives_the_stores_outputs(store, tmp_path):
    """The Spark engine's layout (a folder of Parquet files per table), written here from
    the store: the same code path as a Spark scan's output, without Java."""
    with copytrace.open_store(store) as opened:
        for name in dedup_run.PARQUET_TABLES:
            (tmp_path / "scan[1]" / name).mkdir(parents=True)
            pq.write_table(opened.table(name), tmp_path / "scan[1]" / name / "part-0.parquet")
            (tmp_path / "scan1" / name).mkdir(parents=True)  # what "scan[1]" as a glob would read instead
            pq.write_table(opened.table(name).slice(0, 0), tmp_path / "scan1" / name / "part-0.parquet")
    dedup(store, tmp_path / "local.jsonl", threshold=0.5)
    dedup(tmp_path / "scan[1]", tmp_path / "parquet.jsonl", threshold=0.5)
    for name in ("{}.jsonl", "{}.dropped.jsonl"):
        assert (tmp_path / name.format("parquet")).read_bytes() == (tmp_path / name.format("local")).read_bytes()
    with copytrace.open_store(store) as opened:  # copytrace export's layout: one file per table
        export_tables(opened, tmp_path / "exported", "parquet")
    dedup(tmp_path / "exported", tmp_path / "export.jsonl", threshold=0.5)
    assert (tmp_path / "export.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


@requires_spark
def test_both_engines_give_the_same_outputs(store, spark, tmp_path):  # noqa: F811 (the fixture)
    from copytrace.engine.spark import spark_scan

    spark_scan([write_jsonl(tmp_path / "news.jsonl", dedup_collection())], tmp_path / "scan", spark=spark,
               config=ScanConfig(batch_size=5))
    for suffix in (".jsonl", ".parquet"):
        dedup(store, tmp_path / f"local{suffix}", threshold=0.5)
        dedup(tmp_path / "scan", tmp_path / f"spark{suffix}", threshold=0.5)
        for name in ("{}", "{}.dropped"):
            local, spark_ = (tmp_path / (name.format(engine) + suffix) for engine in ("local", "spark"))
            assert read_rows(spark_) == read_rows(local)
    assert (tmp_path / "spark.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
