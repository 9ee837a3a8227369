"""The Spark engine gives the local engine's tables, row by row (docs/spark.md).

One SparkSession (``local[2]``) serves the module; the tests skip, saying why, where
pyspark or Java is missing.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import copytrace
from copytrace.cli import app, main
from copytrace.engine import ScanConfig
from copytrace.errors import InputError
from copytrace.store.parquet_import import import_parquet
from tests.test_scan import collection, mutate, prose

TABLES = ("documents", "signatures", "candidates", "pairs", "passages", "boilerplate", "stories", "derivation_edges", "rejects", "runs")
NOT_COMPARED = {"documents": ("ingested_at",), "runs": ("started_at", "finished_at")}  # clock times


def _spark_missing() -> str | None:
    if shutil.which("java") is None:
        return "Java is not installed (apt-get install openjdk-17-jre-headless)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'copytrace[spark]')"
    return None


requires_spark = pytest.mark.skipif(_spark_missing() is not None, reason=str(_spark_missing()))


def news(seed: int = 7, stories: int = 120, unrelated: int = 1500) -> list[dict]:
    """A collection of a few thousand articles: stories with copies, edited copies and
    copies of copies; snippets of 2-4 sentences quoted in other articles; a footer that
    every article of an outlet ends with (boilerplate), and briefs that share nothing
    else; unrelated articles; the bundled
    press release with its reprint; and two records with one id (the first wins)."""
    rng = random.Random(seed)
    footers = {f"outlet-{n}": prose(rng, 30) for n in range(6)}
    records = list(collection())
    day = 0

    def article(id_: str, text: str) -> dict:
        nonlocal day
        day += 1
        outlet = rng.choice(sorted(footers))
        return {"id": id_, "text": f"{text} {footers[outlet]}", "source": outlet,
                "date": f"2024-{1 + day % 12:02d}-{1 + day % 28:02d}"}

    for story in range(stories):
        base = prose(rng, rng.randint(150, 400))
        records.append(article(f"s{story}-base", base))
        copy = mutate(rng, base, 0.05)
        records.append(article(f"s{story}-copy", copy))
        if story % 2:
            records.append(article(f"s{story}-copy-of-copy", mutate(rng, copy, 0.05)))
        if story % 3 == 0:
            sentences = base.split(". ")
            start = rng.randrange(max(len(sentences) - 4, 1))
            snippet = ". ".join(sentences[start:start + rng.randint(2, 4)])
            records.append(article(f"s{story}-snippet", f"{prose(rng, 200)} {snippet}. {prose(rng, 100)}"))
    records += [article(f"solo-{n}", prose(rng, rng.randint(80, 200))) for n in range(unrelated)]
    # Briefs of one outlet, mostly its footer: near-duplicates that share nothing else.
    records += [{"id": f"brief-{n}", "text": f"{prose(rng, 8)}\n\n{footers['outlet-0']} {footers['outlet-1']}",
                 "source": "outlet-0", "date": "2024-06-01"} for n in range(3)]
    records.append({"id": "s0-base", "text": "a second record with a taken id"})
    return records


def write_inputs(folder: Path) -> list[Path]:
    """The collection in two JSONL files (bad records, a blank line, invalid UTF-8, a
    line ending in CRLF, no newline at the end), a Parquet folder of two files, a
    CSV file with a record over two lines, a text file, and a folder of two JSONL
    files of one name whose records have no id."""
    records = news()
    third = len(records) // 3
    first = folder / "a.jsonl"
    lines = [json.dumps(r).encode() for r in records[:third]] + [
        b"{not json", b"", json.dumps({"id": "no-text"}).encode(), b'{"id": "bad-utf8", "text": "caf\xff"}',
        json.dumps({"id": "crlf", "text": prose(random.Random(2), 60)}).encode() + b"\r"]
    first.write_bytes(b"\n".join(lines) + b"\n")
    second = folder / "b news [1].jsonl"  # a space: Spark reports the path URL-encoded; brackets: a glob
    second.write_text("\n".join(json.dumps(r) for r in records[third:2 * third]), encoding="utf-8")
    dataset = folder / "c.parquet.d"
    dataset.mkdir()
    rest = records[2 * third:]
    for part, rows in enumerate((rest[:len(rest) // 2], rest[len(rest) // 2:])):
        pq.write_table(pa.table({name: [r.get(name) for r in rows] for name in ("id", "text", "date", "source")}),
                       dataset / f"part-{part}.parquet")
    (dataset / "_SUCCESS").write_text("")
    table = folder / "d.csv"
    table.write_text(f'id,text,source\ncsv-1,"{prose(random.Random(3), 80)}\n{prose(random.Random(4), 40)}",csv\n',
                     encoding="utf-8")
    text = folder / "e{x}*.txt"  # glob characters stand for themselves
    text.write_text(prose(random.Random(5), 90), encoding="utf-8")
    daily = folder / "daily"  # records without ids in files of one name: named by their path in the folder
    for day in (1, 2):
        (daily / f"0{day}").mkdir(parents=True)
        (daily / f"0{day}" / "feed.jsonl").write_text(json.dumps({"text": prose(random.Random(5 + day), 70)}) + "\n")
    return [first, second, dataset, table, text, daily]


@pytest.fixture(scope="module")
def spark():
    from copytrace.engine.spark import spark_session

    # Small file splits: a JSONL file is read in several blocks, its lines numbered across them.
    session = spark_session("local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4",
                                         "spark.driver.host": "127.0.0.1", "spark.sql.files.maxPartitionBytes": "200000"})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def scanned(spark, tmp_path_factory):
    """The same inputs scanned by both engines, Spark's given as ``file://`` URIs: the
    local store and the Spark dataset imported."""
    from copytrace.engine import spark as spark_engine
    from copytrace.engine.spark import spark_scan

    folder = tmp_path_factory.mktemp("spark")
    inputs = write_inputs(folder)
    local = folder / "local.duckdb"
    copytrace.scan(inputs, local, config=ScanConfig(workers=2), on_error="skip")
    uris = [f"file://{path}" for path in inputs]
    with pytest.MonkeyPatch.context() as patch:  # as a large input: more partitions than the session's, texts on disk
        patch.setattr(spark_engine, "DOCUMENTS_PER_PARTITION", 300)
        patch.setattr(spark_engine, "texts_on_disk", lambda input_bytes, cache_bytes: True)
        patch.setattr(spark_engine, "COMPONENT_CHUNK_PAIRS", 2)  # stories of 3 or more pairs in chunks
        summary = spark_scan(uris, folder / "out", spark=spark, config=ScanConfig(batch_size=97), on_error="skip")
    imported = folder / "imported.duckdb"
    import_parquet(folder / "out", imported)
    return local, imported, summary


def table(db: Path, name: str) -> list[dict]:
    """A table's rows, clock times left out and files named without ``file://``."""
    dropped = NOT_COMPARED.get(name, ())
    with copytrace.open_store(db) as store:
        rows = [{k: v for k, v in row.items() if k not in dropped} for row in store.table(name).to_pylist()]
    return [{k: v.replace("file://", "") if isinstance(v, str) else v for k, v in row.items()} for row in rows]


@requires_spark
@pytest.mark.parametrize("name", TABLES)
def test_every_table_is_the_local_engines_row_by_row(scanned, name):
    local, imported, _ = scanned
    assert table(imported, name) == table(local, name)


def _component_rows(pairs, documents, component: str) -> list[dict]:
    """:data:`copytrace.engine.plan.COMPONENT_ROW` rows of ``pairs`` and ``documents`` in ``component``."""
    from copytrace.ingest.document import DOCUMENT_COLUMNS

    return ([{"component": component, "a": a.id, "b": b.id} for a, b in pairs] +
            [{"component": component, **{name: getattr(d, name) for name in DOCUMENT_COLUMNS}} for d in documents])


def test_the_verify_step_keeps_what_verify_pairs_keeps_whatever_the_order_of_its_rows():
    """Spark hands a component's pairs and texts in any order, interleaved (no Java needed here)."""
    from itertools import combinations

    from copytrace.engine.plan import COMPONENT_ROW, VERIFIED, verified_rows
    from copytrace.engine.stages import verify_pairs
    from copytrace.ingest import document_from_record

    documents = [document_from_record(record, record["id"]) for record in collection()]
    pairs = list(combinations(sorted(documents, key=lambda d: d.id), 2))
    expected = {(p.a, p.b) for p in verify_pairs(pairs)}
    rows = _component_rows(pairs, documents, "c")
    random.Random(3).shuffle(rows)
    found = verified_rows(pa.Table.from_pylist(rows, schema=COMPONENT_ROW))
    assert found.schema == VERIFIED and len(expected) >= 4
    assert list(zip(found.column("a").to_pylist(), found.column("b").to_pylist())) == sorted(expected)


def test_verify_of_batches_of_whole_components_is_that_of_each_component():
    """However a partition's rows sorted by component are cut in batches (no Java needed here)."""
    from itertools import combinations

    from copytrace.engine.plan import COMPONENT_ROW, VERIFIED, verified_components, verified_rows
    from copytrace.ingest import document_from_record

    documents = sorted((document_from_record(record, record["id"]) for record in collection()), key=lambda d: d.id)
    rows = []
    for component in ("akorda", "story2", "other"):  # every two documents of each
        members = [d for d in documents if d.id.startswith(component) or component == "akorda" and d.id.startswith("reprint")]
        rows += _component_rows(list(combinations(members, 2)), members, component)
    table = pa.Table.from_pylist(rows, schema=COMPONENT_ROW)
    expected = verified_rows(table)
    assert expected.num_rows >= 5
    for batch_rows in (1, 3, 7, 1000):
        found = pa.Table.from_batches(list(verified_components(table.to_batches(max_chunksize=batch_rows))),
                                      schema=VERIFIED)
        assert found.sort_by([("a", "ascending"), ("b", "ascending")]).equals(
            expected.sort_by([("a", "ascending"), ("b", "ascending")])), batch_rows


@requires_spark
def test_a_large_component_is_verified_in_chunks_each_with_the_texts_of_its_pairs(spark, monkeypatch):
    from pyspark.sql import functions as F

    from copytrace.engine import spark as spark_engine

    monkeypatch.setattr(spark_engine, "COMPONENT_CHUNK_PAIRS", 3)
    large = [("d0", f"d{n}") for n in range(1, 7)] + [("d1", "d2"), ("d2", "d3")]  # 8 pairs
    edges = large + [("e0", "e1"), ("e1", "e2")]
    components = spark.createDataFrame([(f"{d}{n}", f"{d}0") for d, top in (("d", 7), ("e", 3)) for n in range(top)],
                                       "id string, component string")
    pairs = spark.createDataFrame([(a, b, a[0] + "0") for a, b in edges], "a string, b string, component string")
    texts = components.select("id", F.lit("text").alias("text"))
    grouped_pairs, grouped_texts = spark_engine._verify_groups(pairs, texts, components, len(edges))
    groups = {(row["a"], row["b"]): row["component"] for row in grouped_pairs.collect()}
    held = {(row["component"], row["id"]) for row in grouped_texts.collect()}
    assert sorted(groups) == sorted(edges)
    assert all((group, a) in held and (group, b) in held for (a, b), group in groups.items())
    assert {groups[pair] for pair in edges[-2:]} == {"e0"}  # a small component stays whole
    chunks = {groups[pair] for pair in large}
    assert len(chunks) > 1 and all(chunk.startswith("d0\0") for chunk in chunks)  # 8 pairs: 3 chunks at most
    assert len(chunks) <= 3 and {group for group, _ in held} == chunks | {"e0"}


@requires_spark
def test_components_by_rounds_of_joins_are_those_of_union_find(spark, scanned):
    """Large candidate graphs are labelled by rounds of joins, small ones in one task: the same labels."""
    from copytrace.engine.spark import _components

    local, _, _ = scanned
    pairs = [(row["a"], row["b"]) for row in table(local, "candidates")]
    edges = spark.createDataFrame(pairs, "a string, b string").repartition(3)
    by_rounds, in_one_task = (sorted(map(tuple, _components(edges, len(pairs), [], one_task_edges=limit).collect()))
                              for limit in (len(pairs) - 1, len(pairs)))
    assert by_rounds == in_one_task and len({component for _, component in by_rounds}) >= 100
    assert all(component <= id_ for id_, component in in_one_task)


@requires_spark
def test_each_join_partition_is_routed_to_a_task_of_its_own(spark):
    """The key join's blocks of join partition p go to Spark's shuffle partition p."""
    from pyspark.sql import functions as F

    from copytrace.engine.spark import _routes

    for partitions in (1, 4, 50):
        routes = _routes(spark, partitions)
        blocks = spark.createDataFrame([(int(route),) for route in routes], "route int").repartition(partitions, "route")
        task_of = dict(blocks.select("route", F.spark_partition_id()).collect())
        assert [task_of[int(route)] for route in routes] == list(range(partitions))


def _numbers(groups) -> tuple[dict[str, int], pa.Array]:
    """A number for each document of ``groups`` (kind, key, members), in reverse order of
    names (the join must not lean on names), and the sources in order."""
    ids = sorted({id_ for _, _, members in groups for id_, _ in members}, reverse=True)
    sources = sorted({source for _, _, members in groups for _, source in members if source})
    return {id_: (7 << 32) + 3 * n for n, id_ in enumerate(ids)}, pa.array(sources, pa.string())


def _key_rows(*groups: tuple[int, int, list[tuple[str, str | None]]]) -> pa.Table:
    """:data:`copytrace.engine.plan.KEY` rows of ``groups`` (kind, key, members), by key
    (bands before n-grams of one key value, and documents in no order), documents and
    sources numbered by :func:`_numbers`."""
    from copytrace.engine.plan import KEY

    numbers, sources = _numbers(groups)
    source_numbers = {name: n for n, name in enumerate(sources.to_pylist())}
    rows = [{"kind": kind, "key": key, "document": numbers[id_], "source": source_numbers.get(source, -1)}
            for kind, key, members in groups for id_, source in members]
    return pa.Table.from_pylist(sorted(rows, key=lambda row: (row["key"], -row["kind"], row["document"] % 5)), schema=KEY)


def test_whole_groups_cut_sorted_rows_only_between_keys_however_they_come_in_batches():
    """A key's rows may run over several batches; they are handed on together (no Java needed here)."""
    from copytrace.engine.plan import whole_groups

    rng = random.Random(5)
    groups = [(rng.randrange(2), key, [(f"d{rng.randrange(60)}", rng.choice(["s1", "s2", None])) for _ in range(size)])
              for key, size in enumerate(rng.choice([1, 1, 1, 2, 3, 7, 40]) for _ in range(200))]
    table = _key_rows(*((kind, key, list(dict(members).items())) for kind, key, members in groups))
    for batch_rows in (1, 2, 3, 39, 40, 41, 1000):
        blocks = list(whole_groups(table.to_batches(max_chunksize=batch_rows), ("key",)))
        assert pa.Table.from_batches(blocks, schema=table.schema).equals(table), batch_rows
        keys_of_blocks = [set(block.column("key").to_pylist()) for block in blocks]
        assert sum(map(len, keys_of_blocks)) == len(set().union(*keys_of_blocks)), batch_rows


def test_stories_of_batches_of_whole_components_are_those_of_each_component():
    """However a partition's verified pairs sorted by component are cut in batches (no Java needed here)."""
    import datetime as dt

    import pyarrow.compute as pc

    from copytrace.engine.plan import STORY, component_stories, story_rows

    rng = random.Random(3)
    rows = []
    for component in range(30):
        members = [f"c{component:02d}-{n}" for n in range(rng.randrange(2, 6))]
        for first, second in zip(members, members[1:]):
            rows.append({"a": first, "b": second, "source_id": rng.choice([first, second]),
                         "confidence": rng.random(), "coverage_a": rng.random(), "coverage_b": rng.random(),
                         "moves": 0, "verbatim_share": rng.random(), "date_a": dt.date(2024, 5, rng.randrange(1, 9)),
                         "date_b": dt.date(2024, 5, rng.randrange(1, 9)), "component": members[0]})
    table = pa.Table.from_pylist(rows)
    expected = pa.concat_tables([story_rows(table.filter(pc.equal(table.column("component"), name)))
                                 for name in sorted(set(table.column("component").to_pylist()))])
    assert expected.num_rows == len({row[side] for row in rows for side in ("a", "b")})
    for batch_rows in (1, 2, 5, 1000):
        found = pa.Table.from_batches(list(component_stories(table.to_batches(max_chunksize=batch_rows))), schema=STORY)
        assert found.sort_by("document_id").equals(expected.sort_by("document_id")), batch_rows


def _summed_pairs(rows: list[dict], numbers: dict[str, int]) -> dict[tuple[str, str], tuple[int, bool]]:
    """The join's pair rows summed by pair, as Spark sums them over partitions, each pair
    by its documents' names in order (``numbers``: each name's number)."""
    names = {number: name for name, number in numbers.items()}
    summed: dict[tuple[str, str], tuple[int, bool]] = {}
    for row in rows:
        if row["a"] is not None:
            assert row["a"] < row["b"]
            pair = tuple(sorted((names[row["a"]], names[row["b"]])))
            shared, near = summed.get(pair, (0, False))
            summed[pair] = (shared + row["shared"], near or row["near"])
    return summed


@pytest.mark.parametrize("order", [0, 1, 2])
def test_documents_sharing_a_key_are_paired_unless_the_ngram_is_stock_or_boilerplate(order):
    """The join's pairs and boilerplate rows from key rows in any order (no Java needed here)."""
    from copytrace.candidates import CandidateConfig
    from copytrace.engine.plan import BAND, BOILERPLATE, JOINED, NGRAM, join_keys

    groups = [
        (NGRAM, 2, [("c", "s1"), ("a", "s2"), ("b", "s3")]),  # a rare n-gram: every two documents
        (BAND, 3, [("d", "s1"), ("e", "s1"), ("f", "s1")]),  # a band: never boilerplate
        (NGRAM, 4, [("d", "s1"), ("e", "s1"), ("f", "s1"), ("g", "s2")]),  # three documents of one source: boilerplate
        (NGRAM, 5, [(f"m{n}", f"s{n}") for n in range(5)]),  # in more than max_df documents
        (NGRAM, 6, [("lone", "s1")]),
        (NGRAM, 7, [("b", "s3"), ("a", "s2")]),  # a second n-gram of a and b
        (BAND, 7, [("a", "s2"), ("b", "s3")]),  # and a band: the same key, another kind
        (NGRAM, -8, [("x", "t"), ("y", "t"), ("z", "u"), ("w", "u")]),  # two sources tied: the first by name
    ]
    numbers, sources = _numbers(groups)
    keys = _key_rows(*groups)
    if order:
        keys = keys.take(pa.array(random.Random(order).sample(range(keys.num_rows), keys.num_rows)))
    config = CandidateConfig(max_df=4, boilerplate_documents=2)
    joined = join_keys(keys, config, sources)
    rows = pa.Table.from_batches(list(joined), schema=JOINED).to_pylist()
    assert _summed_pairs(rows, numbers) == {
        ("a", "b"): (2, True), ("a", "c"): (1, False), ("b", "c"): (1, False),
        ("d", "e"): (0, True), ("d", "f"): (0, True), ("e", "f"): (0, True)}
    assert sorted(([row[name] for name in BOILERPLATE.names] for row in rows if row["ngram"] is not None),
                  key=lambda row: int(row[0])) == [[4, 4, "s1", 3], [(-8) % (1 << 64), 4, "t", 2]]
    assert all((row["a"] is None) != (row["ngram"] is None) for row in rows)


def test_documents_of_no_source_sharing_an_ngram_are_paired_and_it_is_not_boilerplate():
    """A collection without sources (the join once failed on it; no Java needed here)."""
    from copytrace.candidates import CandidateConfig
    from copytrace.engine.plan import JOINED, NGRAM, join_keys

    groups = [(NGRAM, 9, [("p", None), ("q", None), ("r", None)])]
    numbers, sources = _numbers(groups)
    joined = join_keys(_key_rows(*groups), CandidateConfig(boilerplate_documents=2), sources)
    rows = pa.Table.from_batches(list(joined), schema=JOINED).to_pylist()
    assert _summed_pairs(rows, numbers) == {("p", "q"): (1, False), ("p", "r"): (1, False), ("q", "r"): (1, False)}
    assert all(row["ngram"] is None for row in rows)


@pytest.mark.parametrize("partitions", [1, 3, 16])
def test_key_rows_packed_by_join_partition_join_as_all_of_them_joined_at_once(partitions):
    """Key rows in any order, packed in blocks by join partition and joined partition by
    partition, give the rows of one join of them all sorted (no Java needed here)."""
    from copytrace.candidates import CandidateConfig
    from copytrace.engine.plan import JOINED, KEY, KEY_BLOCK, join_blocks, join_keys, join_partitions

    rng = random.Random(partitions)
    source_of = {f"d{n}": rng.choice(["s1", "s2", "s3", None]) for n in range(40)}  # a document has one source
    groups = [(rng.randrange(2), rng.randrange(-1 << 63, 1 << 63),
               [(name, source_of[name]) for name in (f"d{rng.randrange(40)}" for _ in range(rng.choice([1, 2, 3, 6])))])
              for _ in range(300)]
    groups = [(kind, key, list(dict(members).items())) for kind, key, members in groups]
    _, sources = _numbers(groups)
    rows = _key_rows(*groups)
    config = CandidateConfig(max_df=4, boilerplate_documents=2)
    expected = pa.Table.from_batches(list(join_keys(rows, config, sources)), schema=JOINED)
    shuffled = rows.take(pa.array(rng.sample(range(rows.num_rows), rows.num_rows)))
    partition = join_partitions(shuffled.column("key").to_numpy(), partitions)
    assert set(partition.tolist()) == set(range(partitions))
    joined = []
    for number in range(partitions):
        mine = shuffled.filter(pa.array(partition == number))
        cuts = sorted(rng.sample(range(1, mine.num_rows), 2)) if mine.num_rows > 2 else []
        pieces = [mine.slice(start, end - start) for start, end in zip([0, *cuts], [*cuts, mine.num_rows])]
        blocks = pa.RecordBatch.from_pylist(
            [{"route": number, "keys": piece.to_batches()[0].serialize().to_pybytes()} for piece in pieces if piece.num_rows],
            schema=KEY_BLOCK)
        joined += join_blocks([blocks.slice(0, 1), blocks.slice(1)], config, sources)
    found = pa.Table.from_batches(joined, schema=JOINED)
    numbers = {number: f"d{number}" for number in set(rows.column("document").to_pylist())}
    named = {name: number for number, name in numbers.items()}
    assert _summed_pairs(found.to_pylist(), named) == _summed_pairs(expected.to_pylist(), named)
    boilerplate = [name for name in JOINED.names if name not in ("a", "b", "shared", "near")]
    assert sorted(map(str, found.filter(pa.compute.is_valid(found.column("ngram"))).select(boilerplate).to_pylist())) == \
        sorted(map(str, expected.filter(pa.compute.is_valid(expected.column("ngram"))).select(boilerplate).to_pylist()))
    assert KEY.names == rows.schema.names



@pytest.mark.parametrize("seed, partitions, batch_rows", [(1, 1, 7), (2, 3, 50), (3, 8, 13)])
def test_the_plans_join_shares_the_ngrams_and_bands_the_rule_counts_whatever_the_partitions(seed, partitions, batch_rows):
    """Texts that share passages, stock phrases and outlets' footers, numbered in no order,
    signed, keyed and packed in batches, joined partition by partition and summed as Spark
    sums them: each pair shares the rare n-grams that the live archive's rule, in plain
    Python, counts for it, and the bands the local LSH finds; the boilerplate learnt is the
    rule's (no Java needed here)."""
    from copytrace.candidates import CandidateConfig, signatures_for_batch, source_names
    from copytrace.candidates.groups import split_pair_keys
    from copytrace.candidates.lookup import boilerplate_ngrams, index_keys
    from copytrace.candidates.lsh import lsh_pairs
    from copytrace.engine.plan import JOINED, KEY_BLOCK, join_blocks, key_blocks
    from copytrace.store.blobs import signature_blobs
    from copytrace.store.records import SignedBatch

    rng = random.Random(seed)
    texts, sources = _texts_sharing_passages_and_footers(rng, 120)
    config = CandidateConfig(max_df=6, boilerplate_documents=3)
    signatures = signatures_for_batch(texts, config)
    ids = [f"d{n}" for n in range(len(texts))]
    numbers = rng.sample(range(1 << 40), len(texts))  # not dense, not in the order of the rows
    signed = signature_blobs(SignedBatch(pa.table({"id": ids}), signatures))
    rows = signed.append_column("number", pa.array(numbers, pa.int64())).append_column(
        "source", pa.array(sources, pa.string()))
    names, routes = source_names(sources), np.arange(partitions, dtype=np.int32)
    blocks = pa.Table.from_batches(list(key_blocks(rows.to_batches(max_chunksize=batch_rows), config, names, routes)),
                                   schema=KEY_BLOCK)
    blocks = blocks.take(pa.array(rng.sample(range(blocks.num_rows), blocks.num_rows)))
    joined = [row for route in range(partitions) for batch in join_blocks(
        blocks.filter(pa.compute.equal(blocks.column("route"), route)).to_batches(), config, names)
        for row in pa.Table.from_batches([batch], schema=JOINED).to_pylist()]
    holders: dict[int, list[str]] = {}
    for id_, keys in zip(ids, index_keys(signatures, config)):
        for ngram in keys.ngrams.tolist():
            holders.setdefault(ngram, []).append(id_)
    boilerplate = boilerplate_ngrams(holders, dict(zip(ids, sources)), config.boilerplate_documents)
    expected: dict[tuple[str, str], list] = {}
    for ngram, holding in holders.items():
        if 2 <= len(holding) <= config.max_df and ngram not in boilerplate:
            for pair in itertools.combinations(sorted(holding), 2):
                expected.setdefault(pair, [0, False])[0] += 1
    for a, b in zip(*(side.tolist() for side in split_pair_keys(lsh_pairs(signatures.minhash, config.bands)))):
        expected.setdefault(tuple(sorted((ids[a], ids[b]))), [0, False])[1] = True
    assert _summed_pairs(joined, dict(zip(ids, numbers))) == {pair: tuple(value) for pair, value in expected.items()}
    assert any(shared for shared, _ in expected.values()) and any(near for _, near in expected.values()) and boilerplate
    assert {int(row["ngram"]) for row in joined if row["ngram"] is not None} == boilerplate


def _texts_sharing_passages_and_footers(rng: random.Random, count: int) -> tuple[list[str], list[str | None]]:
    """``count`` texts of random words with passages from a common pool, some whole copies
    of a passage, and each outlet's footer on most of its texts; and their sources."""
    words = [f"w{n}" for n in range(400)]
    passages = [" ".join(rng.choices(words, k=40)) for _ in range(12)]
    footers = {source: f"Follow {source} on every channel for the latest news and stories from {source} today"
               for source in ("s1", "s2", "s3")}
    texts, sources = [], []
    for _ in range(count):
        source = rng.choice([*footers, None])
        parts = [" ".join(rng.choices(words, k=rng.randrange(5, 60))) for _ in range(3)]
        parts += rng.sample(passages, rng.randrange(0, 3)) + ([footers[source]] if source and rng.random() < 0.7 else [])
        rng.shuffle(parts)
        texts.append(" ".join(parts) if rng.random() > 0.1 else rng.choice(passages))
        sources.append(source)
    return texts, sources

def test_documents_are_numbered_by_read_key_one_number_each():
    """Key rows carry a document's number; two read keys never share one (no Java needed here)."""
    from copytrace.engine.plan import RECORD_BITS, document_number

    keys = [(0, 1), (0, 2), (1, 1), (2, 0), ((1 << 31) - 1, (1 << RECORD_BITS) - 1)]
    numbers = [document_number(file, record, "x.jsonl") for file, record in keys]
    assert len(set(numbers)) == len(keys) and numbers == sorted(numbers) and max(numbers) < 1 << 63
    with pytest.raises(InputError, match=r"x.jsonl: a file of more than 4,294,967,295 records"):
        document_number(3, 1 << RECORD_BITS, "x.jsonl")


def test_candidate_keys_carry_each_documents_number_and_its_sources_place_by_name():
    """Key rows name documents and sources by number (no Java needed here)."""
    from copytrace.candidates import CandidateConfig
    from copytrace.engine.plan import BAND, KEY, candidate_keys, document_number

    config = CandidateConfig()
    parsed = _three_parsed(config)
    keys = pa.Table.from_batches(list(candidate_keys(parsed.to_batches(), config, pa.array(["a", "b"]))),
                                 schema=KEY).to_pylist()
    numbers = [document_number(2, record, "d.jsonl") for record in (1, 2, 3)]
    assert {row["document"]: row["source"] for row in keys} == dict(zip(numbers, [1, -1, 0]))
    for number, distinct in zip(numbers, parsed.column("distinct_ngrams").to_pylist()):
        kinds = [row["kind"] for row in keys if row["document"] == number]
        assert kinds.count(BAND) == config.bands and len(kinds) == distinct + config.bands


def test_key_blocks_hold_each_key_row_once_in_the_block_of_its_join_partition():
    """Blocks carry their join partition's route (no Java needed here)."""
    from copytrace.candidates import CandidateConfig
    from copytrace.engine.plan import KEY, KEY_BLOCK, candidate_keys, join_partitions, key_blocks

    config, sources, routes = CandidateConfig(), pa.array(["a", "b"]), np.array([5, 9, 2], dtype=np.int32)
    parsed = _three_parsed(config).to_batches(max_chunksize=2)
    blocks = pa.Table.from_batches(list(key_blocks(parsed, config, sources, routes)), schema=KEY_BLOCK).to_pylist()
    unpacked = []
    for block in blocks:
        keys = pa.ipc.read_record_batch(pa.py_buffer(block["keys"]), KEY)
        partitions = join_partitions(keys.column("key").to_numpy(), len(routes))
        assert set(routes[partitions].tolist()) == {block["route"]}
        unpacked += keys.to_pylist()
    expected = pa.Table.from_batches(list(candidate_keys(parsed, config, sources)), schema=KEY).to_pylist()
    assert sorted(map(str, unpacked)) == sorted(map(str, expected)) and len(blocks) >= 4


def _three_parsed(config) -> pa.Table:
    """:data:`copytrace.engine.plan.PARSED` rows of three JSONL records: two of sources b and a, one of none."""
    from copytrace.engine.plan import LINE, PARSED, parse_lines
    from copytrace.ingest import FieldMap

    rng = random.Random(4)
    records = [{"id": "x", "text": prose(rng, 200), "source": "b"}, {"id": "y", "text": prose(rng, 200)},
               {"id": "z", "text": prose(rng, 200), "source": "a"}]
    lines = [(json.dumps(record) + "\n").encode() for record in records]
    offsets = [sum(map(len, lines[:n])) for n in range(len(lines))]
    batch = pa.RecordBatch.from_pydict({"file": [2] * 3, "record": [1, 2, 3], "name": ["d.jsonl"] * 3, "file_id": ["d"] * 3,
                                        "offset": offsets, "line": lines}, schema=LINE)
    return pa.Table.from_batches(list(parse_lines([batch], FieldMap(), config)), schema=PARSED)


@requires_spark
def test_the_collection_has_what_the_comparison_needs(scanned):
    """Rejects, a duplicate id, stories with several members, and snippet pairs."""
    local, _, summary = scanned
    reasons = [row["reason"] for row in table(local, "rejects")]
    assert any(reason.startswith("duplicate id 's0-base'") for reason in reasons) and len(reasons) == 4
    assert any(reason.startswith("binary or not UTF-8: invalid UTF-8 at byte") for reason in reasons)
    assert summary.read == summary.stored + summary.rejected
    assert list(summary.step_seconds) == ["parse and sign", "candidates", "verify", "stories", "write"]
    assert summary.stories >= 100 and summary.pairs >= 200
    assert {"01/feed:1", "02/feed:1"} <= {row["id"] for row in table(local, "documents")}
    pairs = {(row["a"], row["b"]) for row in table(local, "pairs")}
    assert sum(b.endswith("-snippet") for _, b in pairs) >= 20
    # Briefs that share only boilerplate are candidates, never pairs.
    briefs = [row for row in table(local, "candidates") if row["a"].startswith("brief")]
    assert briefs and not any(row["kept"] for row in briefs)


@requires_spark
def test_the_imported_store_answers_stories_and_show(scanned):
    _, imported, _ = scanned
    runner = CliRunner()
    listed = runner.invoke(app, ["stories", "--db", str(imported), "--json"])
    assert listed.exit_code == 0, listed.output
    shown = runner.invoke(app, ["show", "s1-copy", "--db", str(imported), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["story"]


@requires_spark
def test_a_bad_record_stops_a_spark_scan_naming_its_file_and_line(spark, tmp_path):
    from copytrace.engine.spark import spark_scan

    source = tmp_path / "bad.jsonl"
    source.write_text(json.dumps({"id": "x", "text": prose(random.Random(1), 50)}) + "\n{not json\n")
    with pytest.raises(InputError, match=rf"{source.name}:2"):
        spark_scan([source], tmp_path / "out", spark=spark)


def test_without_pyspark_the_spark_engine_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"id": "x", "text": "some words here"}) + "\n")
    monkeypatch.setattr(sys, "argv", ["copytrace", "scan", str(source), "--engine", "spark", "--out", str(tmp_path / "o")])
    with pytest.raises(SystemExit) as exit:
        main()
    assert exit.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "pip install 'copytrace[spark]'" in line


@requires_spark
def test_a_uri_that_names_nothing_is_refused_naming_it(spark, tmp_path):
    from copytrace.engine.spark import spark_scan

    missing = f"file://{tmp_path}/nothing-here"
    with pytest.raises(InputError, match="no such file or folder") as refused:
        spark_scan([missing], tmp_path / "out", spark=spark)
    assert refused.value.where == missing


def _numba_cache_dir(batches):
    import os

    for _ in batches:
        yield pa.RecordBatch.from_pydict({"folder": [os.environ.get("NUMBA_CACHE_DIR")]})


@requires_spark
def test_python_workers_cache_numba_kernels_in_the_configured_folder(spark):
    from copytrace.engine.spark import numba_cache_dir

    found = spark.range(1).mapInArrow(_numba_cache_dir, "folder string").collect()
    assert found[0]["folder"] == numba_cache_dir()


def _numba_threads(batches):
    import numba

    for _ in batches:
        yield pa.RecordBatch.from_pydict({"threads": [numba.get_num_threads()]})


@requires_spark
def test_python_workers_run_numba_kernels_on_the_tasks_one_core(spark):
    # Spark runs a task on each core; a worker with a kernel thread per core besides
    # oversubscribed them (verify ran ten times slower).
    found = spark.range(0, 2, numPartitions=2).mapInArrow(_numba_threads, "threads long").collect()
    assert [row["threads"] for row in found] == [1, 1]


def test_local_sessions_get_a_few_shuffle_partitions_per_core_unless_set():
    from copytrace.engine.spark import LOCAL_PARTITIONS_PER_CORE, local_shuffle_partitions

    assert local_shuffle_partitions("local[2]", 2, None) == 2 * LOCAL_PARTITIONS_PER_CORE
    assert local_shuffle_partitions("local[*]", 16, None) == 16 * LOCAL_PARTITIONS_PER_CORE
    assert local_shuffle_partitions("local[2]", 2, "200") is None  # --conf or spark-submit set it
    assert local_shuffle_partitions("yarn", 400, None) is None  # a cluster keeps its own


def test_large_collections_get_more_partitions_than_the_sessions():
    """So that no partition's sort of key rows, or of verify's texts, needs a large block
    of memory (no Java needed here)."""
    from copytrace.engine.spark import DOCUMENTS_PER_PARTITION, document_partitions

    assert document_partitions(100_000, 8) == 8
    assert document_partitions(1_000_000, 8) == 1_000_000 // DOCUMENTS_PER_PARTITION
    assert document_partitions(DOCUMENTS_PER_PARTITION * 300 + 1, 200) == 301


def test_parsed_texts_go_to_disk_only_where_they_would_fill_half_the_cache():
    """A local[2] session on this 24 GB machine caches in 2,892 MB (no Java needed here)."""
    from copytrace.engine.spark import texts_on_disk

    cache = 2_892 * 2**20
    assert not texts_on_disk(673_298_698, cache)  # the 100k benchmark's JSONL
    assert texts_on_disk(6_744_442_687, cache)  # the 1M one
    assert texts_on_disk(cache // 2 + 1, cache) and not texts_on_disk(cache // 2, cache)


@requires_spark
def test_input_files_carry_their_sizes_and_the_session_its_cache_memory(spark, tmp_path):
    from copytrace.engine.spark import _cache_memory
    from copytrace.engine.spark_read import list_inputs

    inputs = write_inputs(tmp_path)
    for paths in ([str(path) for path in inputs], [f"file://{path}" for path in inputs]):
        files, _ = list_inputs(spark, paths, {})
        assert len(files) == 8  # the Parquet and daily folders' two files each, each other input one
        assert [file.size for file in files] == [os.path.getsize(file.name.removeprefix("file://")) for file in files]
    assert _cache_memory(spark) > 0


@requires_spark
def test_a_given_shuffle_partitions_setting_is_kept(spark):
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"


@requires_spark
def test_a_local_session_gets_a_quarter_of_the_machines_memory(spark):
    # Spark's 1 GB could not cache a 100k scan's documents, and spilled.
    from copytrace.engine.spark import local_driver_memory

    memory = local_driver_memory()
    assert spark.sparkContext.getConf().get("spark.driver.memory") == memory
    machine_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    assert 1 <= int(memory.removesuffix("g")) <= max(1, machine_gb / 4)


def test_spark_defaults_conf_is_read_where_spark_reads_it(tmp_path):
    """A driver memory in spark-defaults.conf is kept: builder settings would override it."""
    from copytrace.engine.spark import spark_defaults

    (tmp_path / "spark-defaults.conf").write_text(
        "# comment\nspark.driver.memory   3g\nspark.a=1\n! other comment\nspark.b : two words\n\n")
    assert spark_defaults({"SPARK_CONF_DIR": str(tmp_path)}) == {"spark.driver.memory": "3g", "spark.a": "1", "spark.b": "two words"}
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "spark-defaults.conf").write_text("spark.driver.memory 2g\n")
    assert spark_defaults({"SPARK_HOME": str(tmp_path)}) == {"spark.driver.memory": "2g"}
    assert spark_defaults({"SPARK_CONF_DIR": str(tmp_path / "none")}) == {}


@requires_spark
def test_spark_submit_runs_the_package_and_stops_at_a_bad_record(tmp_path):
    """spark-submit runs copytrace/cli/spark_submit.py as its application (docs/spark.md):
    executors parse with the package, and a bad record ends the run with one line
    naming its file and line, exit 2 (a bad record keeps the test to the first step)."""
    import subprocess

    import copytrace.cli.spark_submit as application

    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"id": "one", "text": prose(random.Random(9), 100)}) + "\n{not json\n")
    submit = Path(sys.executable).parent / "spark-submit"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    done = subprocess.run(
        [str(submit), "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.host=127.0.0.1",
         "--conf", "spark.sql.shuffle.partitions=2", application.__file__, str(source), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 2, done.stderr[-2000:]
    # spark-submit passes the driver's stderr on as its stdout; the console wraps long lines.
    squeezed = "".join((done.stdout + done.stderr).split())
    assert f"error:{source}:2:malformedJSON" in squeezed

