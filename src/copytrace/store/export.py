"""Write every table of a store to a folder as Parquet, JSONL or CSV."""

from __future__ import annotations

from pathlib import Path

from copytrace.errors import InputError
from copytrace.store.base import TABLES
from copytrace.store.duckdb_store import EXPORT_FORMATS, DuckDBStore

# Signatures are binary working data of the candidates stage, not a result.
EXPORTED_TABLES = tuple(name for name in TABLES if name != "signatures")


def export_tables(store: DuckDBStore, out: str | Path, format: str) -> list[Path]:
    """One file per table in ``out`` (created if needed); the paths written."""
    if format not in EXPORT_FORMATS:
        raise InputError("--format", f"unknown format '{format}' (use {', '.join(EXPORT_FORMATS)})")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in EXPORTED_TABLES:
        path = out / f"{name}.{format}"
        store.export_table(name, path, format)
        written.append(path)
    return written
