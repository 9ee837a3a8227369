"""Write every table of a store to a folder as Parquet, JSONL or CSV."""

from __future__ import annotations

from pathlib import Path

import duckdb

from copytrace.errors import InputError
from copytrace.outputs import refuse_inputs, replaced_when_done
from copytrace.store.base import TABLES
from copytrace.store.duckdb_store import EXPORT_FORMATS, DuckDBStore

# Signatures are binary working data of the candidates stage, not a result.
EXPORTED_TABLES = tuple(name for name in TABLES if name != "signatures")


def export_tables(store: DuckDBStore, out: str | Path, format: str) -> list[Path]:
    """One file per table in ``out`` (created if needed; a table's file already there is
    replaced); the paths written. Every path is checked before any is written, and each
    file is written beside its name and renamed over it, so a refused or failed export
    leaves no table's file half written. A place that cannot hold them is an
    :class:`InputError`."""
    if format not in EXPORT_FORMATS:
        raise InputError("--format", f"unknown format '{format}' (use {', '.join(EXPORT_FORMATS)})")
    out = Path(out)
    _make_folder(out)
    paths = {name: out / f"{name}.{format}" for name in EXPORTED_TABLES}
    own_files, folders_read = store.own_files(), store.input_folders()
    for path in paths.values():
        refuse_inputs(path, own_files, folders_read)
        if path.is_dir():
            raise InputError(str(path), "is a folder; the table's file cannot take its name")
    for name, path in paths.items():
        with replaced_when_done(path) as temporary:
            try:
                store.export_table(name, temporary, format)
            except duckdb.IOException as error:
                raise InputError(str(path), f"cannot write: {str(error).splitlines()[0]}") from error
    return list(paths.values())


def _make_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "is a file; give a folder for the exported tables")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(str(out), f"cannot create the folder: {error.strerror or error}") from error
