"""The collection scan: planted reuse found, resumable, incremental, batch-invariant,
every record accounted for."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import copytrace
from copytrace.cli import app
from copytrace.engine import ScanConfig
from copytrace.engine import local as engine
from copytrace.engine import stages
from copytrace.align import align
from copytrace.ingest import Document
from copytrace.errors import InputError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "press-release"
PLANTED = {
    ("akorda", "akorda-copy"), ("akorda", "reprint-1"), ("akorda-copy", "reprint-1"),
    ("story2-base", "story2-copy"), ("story2-base", "story2-copy-of-copy"), ("story2-copy", "story2-copy-of-copy"),
}
SYLLABLES = ["ka", "lo", "mi", "ta", "ren", "sol", "vi", "dor", "pe", "nu", "sha", "qui", "bel", "tor", "an", "es"]


def prose(rng: random.Random, words: int) -> str:
    """Sentences of random made-up words: texts that share nothing by chance."""
    vocabulary = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(3000)]
    sentences, count = [], 0
    while count < words:
        length = rng.randint(8, 16)
        sentences.append(" ".join(rng.choice(vocabulary) for _ in range(length)).capitalize() + ".")
        count += length
    return " ".join(sentences)


def mutate(rng: random.Random, text: str, share: float) -> str:
    return " ".join(word if rng.random() > share else "changed" for word in text.split())


def collection(seed: int = 1) -> list[dict]:
    """Two stories (the bundled press release with its reprint and an edited copy;
    a made-up article, its reprint and a reprint of that) and five unrelated articles."""
    rng = random.Random(seed)
    release = (EXAMPLE / "akorda-press-release.txt").read_text(encoding="utf-8")
    base = prose(rng, 400)
    copy = mutate(rng, base, 0.05)
    return [
        {"id": "akorda", "text": release, "date": "2024-05-16", "source": "akorda"},
        {"id": "reprint-1", "text": (EXAMPLE / "reprint.txt").read_text(encoding="utf-8"), "date": "2024-05-17"},
        {"id": "akorda-copy", "text": mutate(rng, release, 0.05), "date": "2024-05-18", "source": "wire"},
        {"id": "story2-base", "text": base, "date": "2024-06-01", "source": "a"},
        {"id": "story2-copy", "text": copy, "date": "2024-06-02", "source": "b"},
        {"id": "story2-copy-of-copy", "text": mutate(rng, copy, 0.05), "date": "2024-06-03", "source": "c"},
        *({"id": f"other-{i}", "text": prose(rng, 300), "date": "2024-07-01"} for i in range(5)),
    ]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("collection") / "docs.jsonl", collection())


def rows(db: Path, table: str, drop: tuple[str, ...] = ()) -> list[dict]:
    with copytrace.open_store(db) as store:
        return [{k: v for k, v in row.items() if k not in drop} for row in store.table(table).to_pylist()]


def results(db: Path) -> dict[str, list[dict]]:
    """The tables that hold findings (not run bookkeeping)."""
    return {
        "pairs": rows(db, "pairs"), "passages": rows(db, "passages"), "stories": rows(db, "stories"),
        "derivation_edges": rows(db, "derivation_edges"), "candidates": rows(db, "candidates"),
        "documents": rows(db, "documents", drop=("ingested_at", "run_id")),
    }


def serial(batch_size: int = 1000) -> ScanConfig:
    return ScanConfig(batch_size=batch_size, workers=1)


def test_pairs_of_the_same_two_texts_are_aligned_once_and_each_decides_its_own_source(monkeypatch):
    """Verbatim copies paired with one source share one alignment; dates still decide per pair."""
    release = (EXAMPLE / "akorda-press-release.txt").read_text(encoding="utf-8")
    reprint = (EXAMPLE / "reprint.txt").read_text(encoding="utf-8")
    source = Document("release", release, date=dt.date(2024, 5, 16))
    copies = [Document(f"copy-{day}", reprint, date=dt.date(2024, 5, day)) for day in (15, 17, 18)]
    alone = [stages.verify_pairs([(source, copy)])[0] for copy in copies]
    aligned = []
    monkeypatch.setattr(stages, "align", lambda *args, **kwargs: aligned.append(args) or align(*args, **kwargs))
    together = stages.verify_pairs([(source, copy) for copy in copies])
    assert len(aligned) == 1
    assert [pair.to_json() for pair in together] == [pair.to_json() for pair in alone]
    assert together[0].confidence < together[1].confidence  # the copy dated first weighs against the release


def test_scan_finds_the_planted_pairs_stories_and_originals(docs, tmp_path):
    summary = copytrace.scan([docs], tmp_path / "s.duckdb", config=serial())
    assert (summary.read, summary.stored, summary.rejected, summary.documents) == (11, 11, 0, 11)
    assert summary.to_json()["schema"] == "copytrace.scan/1"
    assert list(summary.to_json()["step_seconds"]) == ["ingest", "candidates", "verify", "stories", "index"]
    assert 0 < sum(summary.step_seconds.values()) <= summary.seconds
    assert {(p["a"], p["b"]) for p in rows(tmp_path / "s.duckdb", "pairs")} == PLANTED
    stories = {r["document_id"]: (r["story_id"], r["parent_id"]) for r in rows(tmp_path / "s.duckdb", "stories")}
    assert stories["akorda"] == ("akorda", None)
    assert stories["reprint-1"][0] == stories["akorda-copy"][0] == "akorda"
    assert stories["story2-copy-of-copy"] == ("story2-base", "story2-copy")
    assert summary.stories == 2
    with copytrace.open_store(tmp_path / "s.duckdb") as store:
        passages = store.passages().to_pylist()
        texts = {d["id"]: d["text"] for d in store.documents().to_pylist()}
    assert passages and all(0 <= p["a_start"] < p["a_end"] <= len(texts[p["a"]]) for p in passages)


def test_rerun_adds_nothing(docs, tmp_path):
    db = tmp_path / "s.duckdb"
    copytrace.scan([docs], db, config=serial())
    first = results(db)
    again = copytrace.scan([docs], db, config=serial())
    assert (again.read, again.stored, again.existing, again.verified) == (11, 0, 11, 0)
    assert results(db) == first


def test_interrupted_scan_continues_where_it_stopped(docs, tmp_path, monkeypatch):
    clean = tmp_path / "clean.duckdb"
    copytrace.scan([docs], clean, config=serial())
    db = tmp_path / "interrupted.duckdb"
    monkeypatch.setattr(engine, "VERIFY_CHUNK", 1)
    monkeypatch.setattr(engine, "STORE_EVERY", 1)
    original_add = engine.DuckDBStore.add_verified
    calls = []

    def interrupt_on_third(self, checked, kept):
        calls.append(checked)
        if len(calls) == 3:
            raise KeyboardInterrupt
        original_add(self, checked, kept)

    monkeypatch.setattr(engine.DuckDBStore, "add_verified", interrupt_on_third)
    with pytest.raises(KeyboardInterrupt):
        copytrace.scan([docs], db, config=serial())
    monkeypatch.setattr(engine.DuckDBStore, "add_verified", original_add)
    assert len(rows(db, "pairs")) == 2
    resumed = copytrace.scan([docs], db, config=serial())
    assert resumed.verified == len(PLANTED) - 2
    assert results(db) == results(clean)


def test_later_scan_links_new_documents_and_re_roots_stories(tmp_path):
    records = collection()
    old = write_jsonl(tmp_path / "old.jsonl", [r for r in records if r["id"] != "akorda"])
    new = write_jsonl(tmp_path / "new.jsonl", [r for r in records if r["id"] == "akorda"])
    db = tmp_path / "s.duckdb"
    copytrace.scan([old], db, config=serial())
    assert "akorda" not in {r["story_id"] for r in rows(db, "stories")}
    later = copytrace.scan([new], db, config=serial())
    assert (later.stored, later.candidates_added) == (1, 2)
    assert {(p["a"], p["b"]) for p in rows(db, "pairs")} == PLANTED
    stories = {r["document_id"]: (r["story_id"], r["parent_id"]) for r in rows(db, "stories")}
    assert stories["akorda"] == ("akorda", None)
    assert stories["reprint-1"][0] == "akorda"


def test_results_do_not_depend_on_batch_size_or_workers(docs, tmp_path, monkeypatch):
    copytrace.scan([docs], tmp_path / "one.duckdb", config=ScanConfig(batch_size=1, workers=1))
    # Batches of 3 and chunks of 2 pairs on 2 workers: records are parsed and signed, and
    # pairs verified, in worker processes (an input of one batch or chunk runs in this one).
    monkeypatch.setattr(engine, "VERIFY_CHUNK", 2)
    copytrace.scan([docs], tmp_path / "many.duckdb", config=ScanConfig(batch_size=3, workers=2))
    assert results(tmp_path / "one.duckdb") == results(tmp_path / "many.duckdb")


def bad_collection(path: Path) -> Path:
    good = collection()[:4]
    lines = [json.dumps(r).encode() for r in good]
    lines += [
        b"{not json",
        json.dumps({"id": "no-text"}).encode(),
        json.dumps({"id": "akorda", "text": "a duplicate id"}).encode(),
        b'{"id": "bad-utf8", "text": "caf\xe9"}',
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("config", [serial(), ScanConfig(batch_size=2, workers=2)], ids=["serial", "workers"])
def test_bad_records_are_skipped_and_accounted_for(tmp_path, config):
    source = bad_collection(tmp_path / "bad.jsonl")
    db = tmp_path / "s.duckdb"
    summary = copytrace.scan([source], db, config=config, on_error="skip", rejects=tmp_path / "rejects.jsonl")
    assert (summary.read, summary.stored, summary.rejected) == (8, 4, 4)
    assert summary.read == summary.stored + summary.existing + summary.rejected
    written = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [r["where"] for r in written] == [f"{source}:{n}" for n in (5, 6, 7, 8)]
    assert all(r["reason"] and r["schema"] == "copytrace.rejection/2" for r in written)
    assert sorted(r["where"] for r in rows(db, "rejects")) == sorted(r["where"] for r in written)
    (run,) = rows(db, "runs")
    assert (run["read"], run["stored"], run["rejected"], run["stage"]) == (8, 4, 4, "done")


@pytest.mark.parametrize("config", [serial(), ScanConfig(batch_size=2, workers=2)], ids=["serial", "workers"])
def test_bad_record_stops_the_scan_by_default_naming_file_and_line(tmp_path, config):
    source = bad_collection(tmp_path / "bad.jsonl")
    with pytest.raises(InputError, match=rf"{source.name}:5") as stop:
        copytrace.scan([source], tmp_path / "s.duckdb", config=config)
    stored = len(rows(tmp_path / "s.duckdb", "documents"))
    assert stored == (4 if config.batch_size == 2 else 0)  # the batches before the bad record's
    assert ("the 4 new documents of the batches before it are stored" in stop.value.reason) == bool(stored)


def test_a_changed_text_under_a_stored_id_is_refused(tmp_path):
    db = tmp_path / "s.duckdb"
    copytrace.scan([write_jsonl(tmp_path / "a.jsonl", collection()[:2])], db, config=serial())
    changed = write_jsonl(tmp_path / "b.jsonl", [{"id": "new", "text": "A new text."},
                                                 {"id": "akorda", "text": "another text entirely"}])
    with pytest.raises(InputError, match="different text") as error:
        copytrace.scan([changed], db, config=serial())
    assert error.value.where == f"{changed}:2"
    skipped = copytrace.scan([changed], db, config=serial(), on_error="skip", rejects=tmp_path / "r.jsonl")
    assert (skipped.read, skipped.stored, skipped.rejected) == (2, 1, 1)
    (rejection,) = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert rejection["where"] == f"{changed}:2"
    assert rejection["raw"] == json.dumps({"id": "akorda", "text": "another text entirely"})


def test_cli_scan_stories_show_export(docs, tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "s.duckdb")
    result = runner.invoke(app, ["scan", str(docs), "--db", db, "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["pairs"] == len(PLANTED)
    listing = runner.invoke(app, ["stories", "--db", db, "--json"])
    assert {s["story_id"]: s["size"] for s in json.loads(listing.output)} == {"akorda": 3, "story2-base": 3}
    shown = runner.invoke(app, ["show", "story2-copy-of-copy", "--db", db])
    assert shown.exit_code == 0
    tree = [re.search(r"(─+ )(story2-\S+)\s+2024", line) for line in shown.output.splitlines()]
    # the tree nests each document one level under its parent
    assert [(m.start(2), m.group(2)) for m in tree if m] == [
        (4, "story2-base"), (8, "story2-copy"), (12, "story2-copy-of-copy")
    ]
    out = tmp_path / "export"
    for format in ("parquet", "jsonl", "csv"):
        exported = runner.invoke(app, ["export", "--db", db, "--format", format, "--out", str(out)])
        assert exported.exit_code == 0, exported.output
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    assert {(p["a"], p["b"]) for p in pairs} == PLANTED
    assert (out / "passages.parquet").stat().st_size > 0 and (out / "stories.csv").read_text().startswith("story_id")


def test_verification_takes_the_pairs_of_one_story_together():
    pairs = [("a", "z"), ("b", "c"), ("e", "f"), ("c", "d"), ("a", "b"), ("x", "y"), ("d", "y")]
    ordered = engine._grouped_by_component(pairs)
    assert sorted(ordered) == sorted(pairs)
    # {a, b, c, d, x, y, z} is one story, {e, f} another: the first story's pairs come first.
    assert ordered[-1] == ("e", "f") and ordered[:2] == [("a", "b"), ("a", "z")]
