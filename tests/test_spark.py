"""The Spark engine gives the local engine's tables, row by row (docs/spark.md).

One SparkSession (``local[2]``) serves the module; the tests skip, saying why, where
pyspark or Java is missing.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

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

TABLES = ("documents", "signatures", "candidates", "pairs", "passages", "stories", "derivation_edges", "rejects", "runs")
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
    every article of an outlet ends with (boilerplate); unrelated articles; the bundled
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
    records.append({"id": "s0-base", "text": "a second record with a taken id"})
    return records


def write_inputs(folder: Path) -> list[Path]:
    """The collection in three files (two JSONL, one Parquet), with bad records."""
    records = news()
    third = len(records) // 3
    first = folder / "a.jsonl"
    lines = [json.dumps(r) for r in records[:third]] + ["{not json", json.dumps({"id": "no-text"})]
    first.write_text("\n".join(lines) + "\n", encoding="utf-8")
    second = folder / "b.jsonl"
    second.write_text("".join(json.dumps(r) + "\n" for r in records[third:2 * third]), encoding="utf-8")
    third_file = folder / "c.parquet"
    rest = records[2 * third:]
    pq.write_table(pa.table({name: [r.get(name) for r in rest] for name in ("id", "text", "date", "source")}), third_file)
    return [first, second, third_file]


@pytest.fixture(scope="module")
def spark():
    from copytrace.engine.spark import spark_session

    session = spark_session("local[2]", {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4",
                                         "spark.driver.host": "127.0.0.1"})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def scanned(spark, tmp_path_factory):
    """The same inputs scanned by both engines: the local store and the Spark dataset imported."""
    from copytrace.engine.spark import spark_scan

    folder = tmp_path_factory.mktemp("spark")
    inputs = write_inputs(folder)
    local = folder / "local.duckdb"
    copytrace.scan(inputs, local, config=ScanConfig(workers=2), on_error="skip")
    summary = spark_scan(inputs, folder / "out", spark=spark, config=ScanConfig(batch_size=97), on_error="skip")
    imported = folder / "imported.duckdb"
    import_parquet(folder / "out", imported)
    return local, imported, summary


def table(db: Path, name: str) -> list[dict]:
    dropped = NOT_COMPARED.get(name, ())
    with copytrace.open_store(db) as store:
        return [{k: v for k, v in row.items() if k not in dropped} for row in store.table(name).to_pylist()]


@requires_spark
@pytest.mark.parametrize("name", TABLES)
def test_every_table_is_the_local_engines_row_by_row(scanned, name):
    local, imported, _ = scanned
    assert table(imported, name) == table(local, name)


@requires_spark
def test_the_collection_has_what_the_comparison_needs(scanned):
    """Rejects, a duplicate id, stories with several members, and snippet pairs."""
    local, _, summary = scanned
    reasons = [row["reason"] for row in table(local, "rejects")]
    assert any(reason.startswith("duplicate id 's0-base'") for reason in reasons) and len(reasons) == 3
    assert summary.read == summary.stored + summary.rejected
    assert summary.stories >= 100 and summary.pairs >= 200
    pairs = {(row["a"], row["b"]) for row in table(local, "pairs")}
    assert sum(b.endswith("-snippet") for _, b in pairs) >= 20


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
