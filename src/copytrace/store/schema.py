"""One Arrow schema per table of a scan's store, stated once.

The DuckDB store creates its tables from these schemas (:func:`ddl`), the Arrow rows
written to it are built with them, exports and the Spark engine's Parquet output have
them, and ``import-parquet`` checks its input against them (docs/scan.md describes the
columns). A schema's metadata holds the table's primary key and the columns that order
its rows when it is read or written out; a field's ``duckdb.compression`` metadata is
DuckDB's compression for the column.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from copytrace.ingest.document import DOCUMENT_SCHEMA

# The version of the tables below; copytrace.store.upgrade brings older stores up to it.
SCHEMA_VERSION = "3"

# Signature blobs (copytrace.store.blobs) are random bytes: DuckDB's compression only
# costs time to write and read them.
_UNCOMPRESSED = {"duckdb.compression": "uncompressed"}
# Article texts are most of a store. Zstandard keeps them in less room than DuckDB's
# default (FSST and dictionaries) and costs far less to write: ingesting 30,000 articles
# of the English benchmark took 6.8-6.9 s instead of 8.8-9.3, in a 128 MB file instead
# of 167 MB; reading every text back costs 0.38 s instead of 0.22.
_ZSTD = {"duckdb.compression": "zstd"}
_DUCKDB_TYPES = {
    pa.string(): "VARCHAR", pa.binary(): "BLOB", pa.date32(): "DATE", pa.timestamp("us"): "TIMESTAMP",
    pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.uint64(): "UBIGINT", pa.float32(): "FLOAT",
    pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN",
}


def _table(fields: Sequence[pa.Field | tuple[str, pa.DataType]], key: Sequence[str],
           order: Sequence[str] | None = None) -> pa.Schema:
    """A table's schema, with its primary key and row order (the key's, by default)."""
    return pa.schema(fields, metadata={"primary_key": ",".join(key), "order": ",".join(order or key)})


SIGNATURE_FIELDS = [
    pa.field("minhash", pa.binary(), metadata=_UNCOMPRESSED), pa.field("shingle_count", pa.int64()),
    pa.field("sampled", pa.binary(), metadata=_UNCOMPRESSED),
]
PAIR_FIELDS = [("a", pa.string()), ("b", pa.string())]

SETTINGS = _table([("key", pa.string()), ("value", pa.string())], ["key"])
DOCUMENTS = _table([*(field.with_metadata(_ZSTD) if field.name == "text" else field for field in DOCUMENT_SCHEMA),
                    ("text_hash", pa.string()), ("run_id", pa.int32()),
                    ("ingested_at", pa.timestamp("us"))], ["id"])
SIGNATURES = _table([("id", pa.string()), *SIGNATURE_FIELDS], ["id"])
CANDIDATES = _table([*PAIR_FIELDS, ("jaccard_estimate", pa.float32()), ("containment_estimate", pa.float32()),
                     ("method", pa.string()), ("verified", pa.bool_()), ("kept", pa.bool_())], ["a", "b"])
PAIRS = _table([*PAIR_FIELDS, ("source_id", pa.string()), ("confidence", pa.float64()),
                ("coverage_a", pa.float64()), ("coverage_b", pa.float64()), ("similarity", pa.float64()),
                ("passages", pa.int32()), ("moves", pa.int32()), ("verbatim_share", pa.float64())], ["a", "b"])
PASSAGES = _table([*PAIR_FIELDS, ("passage", pa.int32()), ("region", pa.int32()),
                   *((name, pa.int32()) for name in ("a_start", "a_end", "b_start", "b_end")),
                   ("similarity", pa.float64()), ("verbatim_share", pa.float64())], ["a", "b", "passage"])
BOILERPLATE = _table([("ngram", pa.uint64()), ("documents", pa.int32()), ("source", pa.string()),
                      ("source_documents", pa.int32())], ["ngram"])
STORIES = _table([("story_id", pa.string()), ("document_id", pa.string()), ("parent_id", pa.string()),
                  ("depth", pa.int32())], ["document_id"], order=["story_id", "depth", "document_id"])
DERIVATION_EDGES = _table([("story_id", pa.string()), ("parent_id", pa.string()), ("child_id", pa.string()),
                           ("weight", pa.float64())], ["child_id"], order=["story_id", "child_id"])
RUNS = _table([("run_id", pa.int32()), ("started_at", pa.timestamp("us")), ("finished_at", pa.timestamp("us")),
               ("stage", pa.string()), ("inputs", pa.string()),
               *((name, pa.int64()) for name in ("read", "stored", "existing", "rejected", "candidates",
                                                 "verified", "pairs", "stories"))], ["run_id"])
REJECTS = _table([("where", pa.string()), ("reason", pa.string()), ("raw", pa.string()), ("run_id", pa.int32())],
                 ["where"])

# The tables of a scan's results, each with its schema; every backend exposes them.
SCHEMAS = {
    "documents": DOCUMENTS, "signatures": SIGNATURES, "candidates": CANDIDATES, "pairs": PAIRS,
    "passages": PASSAGES, "boilerplate": BOILERPLATE, "stories": STORIES, "derivation_edges": DERIVATION_EDGES,
    "runs": RUNS, "rejects": REJECTS,
}
TABLES = tuple(SCHEMAS)


def primary_key(schema: pa.Schema) -> list[str]:
    """The columns of a table's primary key."""
    return schema.metadata[b"primary_key"].decode().split(",")


def row_order(schema: pa.Schema) -> list[str]:
    """The columns that order a table's rows when it is read or written out."""
    return schema.metadata[b"order"].decode().split(",")


def duckdb_type(field: pa.Field) -> str:
    """DuckDB's type of a column, with its compression when the field names one."""
    compression = (field.metadata or {}).get(b"duckdb.compression")
    return _DUCKDB_TYPES[field.type] + (f" USING COMPRESSION {compression.decode()}" if compression else "")


def create_table(name: str, schema: pa.Schema) -> str:
    """``CREATE TABLE IF NOT EXISTS`` of a table with ``schema``."""
    columns = [f'"{field.name}" {duckdb_type(field)}' for field in schema]
    key = ", ".join(f'"{column}"' for column in primary_key(schema))
    return f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(columns)}, PRIMARY KEY ({key}));"


def ddl() -> str:
    """The statements that create a store's tables (and the sequence of run ids)."""
    return "\n".join([create_table("settings", SETTINGS), "CREATE SEQUENCE IF NOT EXISTS run_ids START 1;",
                      *(create_table(name, schema) for name, schema in SCHEMAS.items())])


# Spark and many Parquet readers have no unsigned 64-bit integer: such a column (a
# boilerplate n-gram's hash) may come as a decimal of 20 digits, which DuckDB reads back.
_PARQUET_FORMS = {pa.uint64(): pa.decimal128(20, 0)}


def parquet_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` as Spark writes it: each unsigned 64-bit column a decimal of 20 digits."""
    return pa.schema([field.with_type(_PARQUET_FORMS.get(field.type, field.type)) for field in schema],
                     metadata=schema.metadata)


def conforms(table: pa.Schema, name: str) -> list[str]:
    """How the columns of ``table`` (a table or Parquet file read back) differ from those
    of the store's table ``name``: names, order and types; empty when they conform."""
    wanted = SCHEMAS[name] if name in SCHEMAS else SETTINGS
    types = dict(zip(table.names, table.types))
    differences = [f"column {field.name!r} is {types[field.name]}, not {field.type}"
                   for field in wanted if types.get(field.name, field.type) not in (field.type, _PARQUET_FORMS.get(field.type))]
    if table.names != wanted.names:
        differences.insert(0, f"columns {', '.join(table.names)}; expected {', '.join(wanted.names)}")
    return differences
