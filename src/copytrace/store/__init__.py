"""Where a scan keeps what it found: documents, signatures, candidates, verified
pairs and passages, stories, runs and rejected records.

:class:`Store` is the small interface the engine talks to (in the spirit of
datasketch's storage layer: one protocol, one class per backend);
:class:`DuckDBStore` is the embedded DuckDB backend. :func:`open_store` opens a
scan's database for reading; its tables come back as pyarrow Tables, which
convert to pandas (``.to_pandas()``) or polars (``polars.from_arrow``).
"""

from copytrace.store.base import TABLES, ArchiveStore, Store
from copytrace.store.duckdb_store import DuckDBStore, open_store

__all__ = ["TABLES", "ArchiveStore", "DuckDBStore", "Store", "open_store"]
