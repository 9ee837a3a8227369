"""Load the Parquet dataset of a Spark scan (:mod:`copytrace.engine.spark`) into a new
DuckDB store, so that ``stories``, ``show``, ``serve`` and the viewer work on it."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from copytrace.errors import InputError
from copytrace.store.base import TABLES
from copytrace.store.duckdb_store import DuckDBStore


def import_parquet(folder: str | Path, db: str | Path) -> dict[str, int]:
    """Copy the tables of ``folder`` (one Parquet folder per table, and ``settings``)
    into the store ``db``, which must hold no documents yet; the rows of each table."""
    folder = Path(folder)
    missing = [name for name in ("documents", "settings") if not (folder / name).is_dir()]
    if missing:
        raise InputError(str(folder), f"not the output of copytrace scan --engine spark (no {', '.join(missing)})")
    found = [name for name in TABLES if (folder / name).is_dir()]  # a table not written stays empty
    with DuckDBStore(db) as store:
        if store.query("SELECT count(*) AS n FROM documents").column("n")[0].as_py():
            raise InputError(str(db), "already holds documents; import into a new --db")
        settings = pq.read_table(folder / "settings").to_pylist()
        store.check_settings({row["key"]: json.loads(row["value"]) for row in settings})
        counted = {}
        with store.transaction() as con:
            for name in found:
                columns = ", ".join(f'"{column}"' for column in _columns(store, name))
                pattern = str(folder / name / "*.parquet").replace("'", "''")
                con.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM read_parquet('{pattern}')")
        for name in TABLES:
            counted[name] = store.query(f"SELECT count(*) AS n FROM {name}").column("n")[0].as_py()
        store.connection.execute(f"CREATE OR REPLACE SEQUENCE run_ids START {counted['runs'] + 1}")
    return counted


def _columns(store: DuckDBStore, table: str) -> list[str]:
    return [row["column_name"] for row in store.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).to_pylist()]
