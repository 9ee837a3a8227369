"""`copytrace scan --engine spark` (the engine's options) and `copytrace import-parquet`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import typer

from copytrace.cli import app, say, shown
from copytrace.engine import DEFAULT_DB, ScanConfig, ScanSummary
from copytrace.errors import InputError
from copytrace.ingest import FieldMap
from copytrace.ingest.readers import OnError

ENGINES = ("local", "spark")


def engine_chosen(engine: str, spark_options: Mapping[str, object] | None = None) -> str:
    """``--engine``, checked; ``spark_options`` (``--out`` and the others by name, with
    their values) are refused with the local engine, which would silently ignore them."""
    if engine not in ENGINES:
        raise InputError("--engine", f"must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "local" and (given := [name for name, value in (spark_options or {}).items() if value]):
        raise InputError(given[0], "is an option of --engine spark; the local engine writes the store of --db")
    return engine


def spark_scan_command(
    inputs: Sequence[str | Path], out: str | Path | None, *, master: str | None, conf: Sequence[str],
    config: ScanConfig, field_map: FieldMap | None, on_error: OnError,
) -> ScanSummary:
    """Run :func:`copytrace.engine.spark.spark_scan` with the command line's options."""
    if out is None:
        raise InputError("--out", "--engine spark writes a Parquet dataset: give its folder with --out")
    settings = {}
    for setting in conf:
        key, equals, value = setting.partition("=")
        if not equals or not key:
            raise InputError("--conf", f"expected KEY=VALUE, got {setting!r}")
        settings[key] = value
    from copytrace.engine.spark import spark_scan, spark_session

    spark = spark_session(master, settings)
    return spark_scan(inputs, out, spark=spark, config=config, field_map=field_map, on_error=on_error)


@app.command("import-parquet")
def import_parquet(
    folder: Path = typer.Argument(..., help="The --out folder of copytrace scan --engine spark."),
    db: Path = typer.Option(Path(DEFAULT_DB), "--db", help="A new DuckDB store file."),
) -> None:
    """Load the Parquet dataset of a Spark scan into a DuckDB store (for stories, show, serve)."""
    from copytrace.store.parquet_import import import_parquet as load

    counts = load(folder, db)
    say(shown(", ".join(f"{rows:,} {name}" for name, rows in counts.items()) + f" in {db}"))
