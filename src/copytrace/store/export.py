"""Write every table of a store to a folder as Parquet, JSONL or CSV."""

from __future__ import annotations

from pathlib import Path

import duckdb

from copytrace.errors import InputError
from copytrace.outputs import refuse_inputs
from copytrace.store.base import TABLES
from copytrace.store.duckdb_store import EXPORT_FORMATS, DuckDBStore

# Signatures are binary working data of the candidates stage, not a result.
EXPORTED_TABLES = tuple(name for name in TABLES if name != "signatures")


def export_tables(store: DuckDBStore, out: str | Path, format: str) -> list[Path]:
    """One file per table in ``out`` (created if needed; a table's file already there is
    replaced); the paths written. A place that cannot hold them is an :class:`InputError`."""
    if format not in EXPORT_FORMATS:
        raise InputError("--format", f"unknown format '{format}' (use {', '.join(EXPORT_FORMATS)})")
    out = Path(out)
    _make_folder(out)
    written = []
    own_files = store.own_files()
    for name in EXPORTED_TABLES:
        path = out / f"{name}.{format}"
        refuse_inputs(path, own_files)
        try:
            store.export_table(name, path, format)
        except duckdb.IOException as error:
            raise InputError(str(path), f"cannot write: {str(error).splitlines()[0]}") from error
        written.append(path)
    return written


def _make_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "is a file; give a folder for the exported tables")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(str(out), f"cannot create the folder: {error.strerror or error}") from error
