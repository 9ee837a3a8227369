"""Boilerplate: learnt from a collection (recurrence within one source), stored, never a
reason to pair two articles, and marked in compare, show and the exports."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from copytrace.align import align
from copytrace.candidates.boilerplate import (
    PASSAGE_DOCUMENTS, Boilerplate, _among_many, _body_ngrams, _held, held_by_document,
)
from copytrace.cli import app
from copytrace.compare import compare
from copytrace.engine import ScanConfig, scan
from copytrace.engine.archive import LiveArchive
from copytrace.ingest import Document, read_documents
from copytrace.store import DuckDBStore
from tests.test_scan import prose

runner = CliRunner()


@pytest.fixture(scope="module")
def footered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], str]:
    """Ten articles of one outlet, each with its 50-word footer (enough to mark passages:
    PASSAGE_DOCUMENTS), and a whole reprint of one of them (footer and all) by another outlet."""
    rng = random.Random(11)
    footer = prose(rng, 50)
    texts = {f"north-{n}": prose(rng, 300) + "\n\n" + footer for n in range(PASSAGE_DOCUMENTS)}
    records = [{"id": id_, "text": text, "date": "2024-03-01", "source": "north"} for id_, text in texts.items()]
    records.append({"id": "reprint", "text": texts["north-0"], "date": "2024-03-02", "source": "south"})
    folder = tmp_path_factory.mktemp("footered")
    path = folder / "articles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    db = folder / "store.duckdb"
    scan([path], db, config=ScanConfig(workers=1))
    return db, texts, footer


def test_a_footer_is_stored_as_boilerplate_and_pairs_nobody(footered):
    db, _, _ = footered
    with DuckDBStore(db, read_only=True) as store:
        rows = store.query("SELECT * FROM boilerplate").to_pylist()
        pairs = store.query("SELECT a, b FROM pairs ORDER BY a, b").to_pylist()
    assert rows and {row["source"] for row in rows} == {"north"}
    assert all(row["source_documents"] >= 3 for row in rows)
    # The reprint carries the footer too: it is a reprint all the same.
    assert pairs == [{"a": "north-0", "b": "reprint"}]


def test_articles_that_share_only_their_footer_are_candidates_not_pairs(tmp_path):
    """Two briefs of one outlet, mostly its footer, are near-duplicates; their only
    passage is that footer, so verification does not keep them, in a scan and in the
    live archive whichever arrives first."""
    rng = random.Random(12)
    footer = prose(rng, 50)
    outlet = PASSAGE_DOCUMENTS - 2  # with the briefs, just enough articles to mark the footer
    records = [{"id": f"north-{n}", "text": prose(rng, 300) + "\n\n" + footer, "source": "north"}
               for n in range(outlet)]
    records += [{"id": f"brief-{n}", "text": prose(rng, 12) + "\n\n" + footer, "source": "north"} for n in range(2)]
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    scan([path], tmp_path / "scan.duckdb", config=ScanConfig(workers=1))
    documents = list(read_documents([path]))
    with DuckDBStore(tmp_path / "live.duckdb") as live:
        archive = LiveArchive(live)
        archive.add(documents[outlet:])  # the briefs first: the footer is not boilerplate yet
        assert live.query("SELECT a, b FROM pairs").to_pylist() == [{"a": "brief-0", "b": "brief-1"}]
        archive.add(documents[:outlet])  # the outlet's other articles make it boilerplate
        assert live.query("SELECT a, b FROM pairs").num_rows == 0
        live_candidates = live.query("SELECT a, b, kept FROM candidates ORDER BY a, b").to_pylist()
    with DuckDBStore(tmp_path / "scan.duckdb", read_only=True) as scanned:
        assert scanned.query("SELECT a, b FROM pairs").num_rows == 0
        candidates = scanned.query("SELECT a, b, kept FROM candidates ORDER BY a, b").to_pylist()
    assert {"a": "brief-0", "b": "brief-1", "kept": False} in candidates
    assert live_candidates == candidates


def test_a_story_an_outlet_runs_three_times_is_still_reuse(tmp_path):
    """Three articles of one outlet carrying one story make its text boilerplate to the
    candidate rule, but too few to mark passages: they stay pairs."""
    rng = random.Random(13)
    story = prose(rng, 300)
    records = [{"id": f"update-{n}", "text": story + " " + prose(rng, 40), "source": "north"} for n in range(3)]
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    scan([path], tmp_path / "scan.duckdb", config=ScanConfig(workers=1))
    with DuckDBStore(tmp_path / "scan.duckdb", read_only=True) as store:
        assert store.query("SELECT count(*) AS n FROM boilerplate").column("n")[0].as_py() > 0
        assert store.query("SELECT count(*) AS n FROM pairs").column("n")[0].as_py() == 3


def test_compare_marks_a_footer_passage_with_the_stores_boilerplate(footered, tmp_path):
    db, texts, footer = footered
    with DuckDBStore(db, read_only=True) as store:
        learnt = store.boilerplate()
    one, two = Document("one", texts["north-1"]), Document("two", texts["north-2"])
    marked = compare(one, two, boilerplate=learnt)
    assert marked.passages and all(marked.boilerplate)
    assert not any(compare(one, two).boilerplate)  # two texts alone: nothing to learn from
    # A whole reprint: its footer is marked, its body is not.
    whole = compare(Document("one", texts["north-0"]), Document("two", texts["north-0"] + " "), boilerplate=learnt)
    assert False in whole.boilerplate
    for number, text in ((1, texts["north-1"]), (2, texts["north-2"])):
        (tmp_path / f"{number}.txt").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["compare", str(tmp_path / "1.txt"), str(tmp_path / "2.txt"), "--db", str(db),
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert [p["boilerplate"] for p in json.loads(result.output)["passages"]] == [True]
    plain = runner.invoke(app, ["compare", str(tmp_path / "1.txt"), str(tmp_path / "2.txt"), "--json"])
    assert [p["boilerplate"] for p in json.loads(plain.output)["passages"]] == [False]


def test_show_lists_a_documents_boilerplate(footered):
    db, texts, footer = footered
    result = runner.invoke(app, ["show", "north-3", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    [span] = json.loads(result.output)["boilerplate"]
    text = texts["north-3"]
    assert span["text"] == text[span["start"]:span["end"]]
    assert text.index(footer) <= span["start"] and span["end"] <= len(text)
    assert span["end"] - span["start"] > len(footer) / 2


def test_the_boilerplate_table_is_exported(footered, tmp_path):
    db, _, _ = footered
    result = runner.invoke(app, ["export", "--db", str(db), "--format", "jsonl", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "out" / "boilerplate.jsonl").read_text().splitlines()]
    assert rows and {row["source"] for row in rows} == {"north"}


def test_no_collection_marks_nothing():
    assert Boilerplate().spans(Document("any", "any text at all, of some words")) == []


@given(st.sets(st.integers(0, 60)), st.sets(st.integers(0, 60)))
def test_held_hashes_are_the_intersection(hashes, among):
    """The binary search gives what np.intersect1d gives, empty sets included."""
    as_array = lambda values: np.array(sorted(values), dtype=np.uint64)  # noqa: E731
    held = _held(as_array(hashes), as_array(among))
    assert held.tolist() == np.intersect1d(as_array(hashes), as_array(among)).tolist()
    assert held.dtype == np.uint64


@given(st.sets(st.integers(0, 2**64 - 1), max_size=20), st.lists(st.integers(0, 2**64 - 1), max_size=40),
       st.lists(st.integers(0, 2**20), max_size=40))
def test_many_hashes_are_found_as_each_is(among, others, low_bits):
    """The bitmap of _among_many rules out only hashes that are not there: hashes of the
    set, others, and others that share their top bits with one of the set."""
    members = sorted(among)
    near = [members[k % len(members)] ^ bits for k, bits in enumerate(low_bits)] if members else []
    hashes = np.array([*members, *others, *near], dtype=np.uint64)
    found = _among_many(hashes, np.array(members, dtype=np.uint64))
    assert found.tolist() == [int(value) in among for value in hashes]


def test_the_stored_fingerprints_hold_the_boilerplate_that_hashing_finds(footered):
    """What a scan's verification reads from the signatures instead of hashing each body
    again: for every document, its fingerprints among the boilerplate, exactly."""
    db, texts, _ = footered
    with DuckDBStore(db, read_only=True) as store:
        learnt = store.boilerplate()
        held = held_by_document(store.fingerprints(), learnt.ngrams, {*texts, "reprint"} - {"north-9"})
        documents = store.documents_by_id([*texts, "reprint"])
    assert len(learnt.ngrams) and set(held) == {*texts, "reprint"} - {"north-9"}  # wanted ones only
    for id_, document in documents.items():
        hashed = _held(_body_ngrams(document, learnt.config).fingerprints, learnt.ngrams)
        assert held.get(id_, hashed[:0]).tolist() == (hashed.tolist() if id_ != "north-9" else [])


def test_known_fingerprints_decide_as_hashing_does(footered):
    """Boilerplate.knowing(held) marks the same passages as hashing both bodies: a footer
    two articles share, a reprint's body that is not boilerplate; with nothing held,
    nothing is boilerplate."""
    db, texts, _ = footered
    with DuckDBStore(db, read_only=True) as store:
        learnt = store.boilerplate()
        held = held_by_document(store.fingerprints(), learnt.ngrams, {*texts, "reprint"})
        documents = store.documents_by_id([*texts, "reprint"])
    knowing = learnt.knowing(held)
    for a, b in (("north-1", "north-2"), ("north-0", "reprint"), ("north-3", "north-4")):
        one, two = documents[a], documents[b]
        passages = align(one.text, two.text, a_span=one.body_span, b_span=two.body_span)
        assert passages
        assert knowing.passages(passages, one, two) == learnt.passages(passages, one, two)
        assert knowing.only_boilerplate(passages, one, two) == learnt.only_boilerplate(passages, one, two)
    footer_pair = (documents["north-1"], documents["north-2"])
    passages = align(footer_pair[0].text, footer_pair[1].text)
    assert learnt.only_boilerplate(passages, *footer_pair)
    assert not learnt.knowing({}).only_boilerplate(passages, *footer_pair)
