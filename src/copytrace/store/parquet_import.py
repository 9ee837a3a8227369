"""Load the Parquet dataset of a Spark scan (:mod:`copytrace.engine.spark`) into a new
DuckDB store, so that ``stories``, ``show``, ``serve`` and the viewer work on it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from copytrace.candidates import CandidateConfig
from copytrace.errors import InputError
from copytrace.store.archive_index import ArchiveIndex
from copytrace.store.duckdb_store import EXPORT_FORMATS, DuckDBStore
from copytrace.store.schema import SCHEMA_VERSION, TABLES, conforms
from copytrace.store.upgrade import refuse_thai


def import_parquet(folder: str | Path, db: str | Path) -> dict[str, int]:
    """Copy the tables of ``folder`` (one Parquet folder per table, and ``settings``)
    into the store ``db``, which must hold no rows yet in any of them (a failed import
    empties them all), and build the live archive's index where a server would (a large
    store); the rows of each table."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(str(folder), "no such folder")
    missing = [name for name in ("documents", "settings") if not (folder / name).is_dir()]
    if missing and any((folder / f"documents.{format}").is_file() for format in EXPORT_FORMATS):
        raise InputError(str(folder), "is the output of copytrace export, which holds no signatures or settings, so "
                                      "it cannot become a store; import-parquet reads copytrace scan --engine spark's")
    if missing:
        raise InputError(str(folder), f"not the output of copytrace scan --engine spark (no {', '.join(missing)})")
    found = [name for name in TABLES if (folder / name).is_dir()]  # a table not written stays empty
    for name in ("settings", *found):
        _check_schema(folder / name, name)
    # Before the store is opened: a refused dataset makes none.
    settings = _of_this_schema(folder, _dataset_settings(folder / "settings"))
    with DuckDBStore(db) as store:
        held = [name for name in TABLES if store.row_count(name)]
        if held:
            raise InputError(str(db), f"already holds {', '.join(held)}; import into a new --db")
        store.check_settings(settings)
        _insert_tables(store, folder, found)
        counted = {name: store.row_count(name) for name in TABLES}
        store.connection.execute(f"CREATE OR REPLACE SEQUENCE run_ids START {counted['runs'] + 1}")
        candidates = settings.get("candidates")  # as the live archive reads them: defaults where none
        ArchiveIndex.prepare(store, CandidateConfig.stored(json.dumps(candidates), store.path) if candidates
                             else CandidateConfig())
    return counted


def _dataset_settings(folder: Path) -> dict[str, object]:
    """The dataset's settings, each value decoded from its JSON; refused where a row has no
    key or a value is not JSON."""
    settings = {}
    for row in pq.read_table(folder).to_pylist():
        if not row["key"]:
            raise InputError(str(folder), "a row without its key")
        try:
            settings[row["key"]] = json.loads(row["value"])
        except (TypeError, ValueError):
            raise InputError(str(folder), f"the value of {row['key']!r} is not JSON: {str(row['value'])[:40]!r}") from None
    return settings


def _of_this_schema(dataset: Path, settings: dict[str, object]) -> dict[str, object]:
    """The ``settings`` of a dataset this copytrace reads, of its schema version: one of
    schema 2 has the same tables and is of schema 3 unless it holds Thai articles
    (:mod:`copytrace.store.upgrade`); any other version is refused."""
    version = settings.get("schema_version")  # compared, and shown, as a JSON value
    if version == "2":
        where = str(dataset / "documents")
        try:
            with duckdb.connect() as connection:
                refuse_thai(connection, where, read_parquet_of(table_files(dataset, "documents")))
        except duckdb.Error as error:  # as _insert_tables tells a file it cannot read
            raise InputError(where, f"cannot be read: {str(error).splitlines()[0]}") from None
        return settings | {"schema_version": SCHEMA_VERSION}
    if version != SCHEMA_VERSION:
        raise InputError(str(dataset / "settings"), f"the dataset is of schema_version {json.dumps(version)}; this "
                                                    f"copytrace reads {json.dumps(SCHEMA_VERSION)}: import it with "
                                                    "the copytrace that wrote it")
    return settings


def table_files(dataset: Path, name: str) -> list[Path]:
    """The Parquet files of table ``name`` in ``dataset``: a folder of them (a Spark scan's
    layout, ``name/*.parquet``) or one file (``copytrace export``'s, ``name.parquet``)."""
    return sorted((dataset / name).glob("*.parquet")) or [
        path for path in [dataset / f"{name}.parquet"] if path.is_file()]


def read_parquet_of(files: list[Path]) -> str:
    """DuckDB's ``read_parquet`` of exactly ``files``: each path with its glob characters
    escaped, since DuckDB reads ``[``, ``*`` and ``?`` in any path it is given as a
    pattern (a dataset in ``d[1]`` was read from a sibling ``d1``)."""
    quoted = ["'" + str(path).translate(_GLOB_ESCAPES).replace("'", "''") + "'" for path in files]
    return f"read_parquet([{', '.join(quoted)}])"


_GLOB_ESCAPES = str.maketrans({"[": "[[]", "*": "[*]", "?": "[?]"})


def _insert_tables(store: DuckDBStore, folder: Path, names: list[str]) -> None:
    """Insert each table's Parquet files, one table per transaction, with the store's bulk
    memory limit: all of them in one transaction ran out of DuckDB's memory at commit on
    1M articles (953.6 MiB used, the 1 GB limit); one by one they took 75 s and peaked at
    2,677 MB resident. An import that fails empties every table again (they were empty
    before it), so that the same ``--db`` can take the import once the dataset is mended."""
    try:
        with store.bulk_writes():
            for name in names:
                try:
                    files = read_parquet_of(table_files(folder, name))
                    store.connection.execute(f"INSERT INTO {name} SELECT * FROM {files}")
                except duckdb.Error as error:
                    raise InputError(str(folder / name), f"cannot be imported: {str(error).splitlines()[0]}") from None
    except BaseException:
        with store.transaction() as con:
            for name in TABLES:
                con.execute(f"DELETE FROM {name}")
        raise


def _check_schema(table: Path, name: str) -> None:
    """Refuse a table's Parquet files unless their columns are the store's
    (:data:`copytrace.store.schema.SCHEMAS`): names, order and types."""
    files = sorted(table.glob("*.parquet"))
    if not files:
        raise InputError(str(table), "holds no Parquet file")
    for file in files:
        try:
            differences = conforms(_unsigned(pq.read_schema(file)), name)
        except (pa.ArrowException, OSError) as error:
            raise InputError(str(file), f"cannot read it as Parquet: {error}") from None
        if differences:
            raise InputError(str(file), f"not the {name} table of a copytrace scan: {'; '.join(differences)}")


# Spark has no unsigned 64-bit type: the Spark engine writes a uint64 column (a
# boilerplate n-gram's hash) as decimal(20, 0), which DuckDB casts back on insert.
_SPARK_UINT64 = pa.decimal128(20, 0)


def _unsigned(schema: pa.Schema) -> pa.Schema:
    """``schema`` with its decimal(20, 0) columns read as the uint64 they hold."""
    return pa.schema([field.with_type(pa.uint64()) if field.type == _SPARK_UINT64 else field for field in schema])
