"""Bring a store built by an earlier copytrace up to the current schema
(:data:`copytrace.store.schema.SCHEMA_VERSION`), in place and in one transaction, so that
an archive never has to be rescanned because the tool was upgraded.

Schema 1 to 2: the pairs table gains ``moves`` and ``verbatim_share``, what the story step
needs of a pair beside its row (:class:`copytrace.provenance.stories.PairEdge`). Schema 1
derived them from the passages on every read; at 1M articles that window over 14M
passages took longer than anything else in opening the archive's reuse graph.

Schema 2 to 3: Thai is cut into words by dictionary (:mod:`copytrace.segmentation`),
where each code point was a word. The signatures, candidates and passages of Thai
articles made the old way cannot be mended in place, so a store holding any is refused,
untouched, with how many it holds: they are to be scanned into a new store. Any other
store is of schema 3 as it is; so is a Spark scan's Parquet dataset of schema 2
(:mod:`copytrace.store.parquet_import`), which :func:`refuse_thai` checks the same way.
"""

from __future__ import annotations

import json

import duckdb

from copytrace.errors import InputError
from copytrace.store.schema import SCHEMA_VERSION

# Passages one UPDATE reads (within the store's 1 GB memory limit; a window over the
# 14M passages of a 1M-article store at once outgrew it).
PASSAGES_PER_PART = 1_000_000


def stored_version(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The schema version the store was built with; None for a new store."""
    try:
        rows = connection.execute("SELECT value FROM settings WHERE key = 'schema_version'").fetchall()
    except duckdb.CatalogException:
        return None
    return json.loads(rows[0][0]) if rows else None


def needs_upgrade(connection: duckdb.DuckDBPyConnection) -> bool:
    return stored_version(connection) not in (None, SCHEMA_VERSION)


def upgrade(connection: duckdb.DuckDBPyConnection, where: str) -> None:
    """Upgrade the writable store ``where`` from its version to the current one (nothing
    if current); an :class:`InputError` naming it, the store untouched, where it cannot be."""
    version = stored_version(connection)
    if version in (None, SCHEMA_VERSION):
        return
    connection.execute("BEGIN TRANSACTION")
    try:
        if version == "1":
            _pair_order_columns(connection)
        refuse_thai(connection, where)
        connection.execute("UPDATE settings SET value = ? WHERE key = 'schema_version'",
                           [json.dumps(SCHEMA_VERSION)])
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def refuse_thai(connection: duckdb.DuckDBPyConnection, where: str, documents: str = "documents") -> None:
    """Schema 3 refuses Thai articles tokenised a code point a word (schema 1 or 2), from
    the table or relation ``documents`` (its ``text`` column), with how many, naming ``where``."""
    [(thai,)] = connection.execute(rf"SELECT count(*) FROM {documents} WHERE regexp_matches(text, '\p{{Thai}}')"
                                   ).fetchall()
    if thai:
        raise InputError(where, f"holds {thai} Thai article(s) tokenised a letter a word by the copytrace that "
                                "built it (schema 1 or 2); this one cuts Thai into words: scan them into a new --db")


def _pair_order_columns(connection: duckdb.DuckDBPyConnection) -> None:
    """Schema 2's ``moves`` (places where a pair's passages, in the order of ``a``, start
    earlier in ``b`` than the one before) and ``verbatim_share`` (weighted by length,
    summed in the order of ``a`` as :class:`copytrace.store.records.VerifiedPair` sums)."""
    connection.execute("ALTER TABLE pairs ADD COLUMN moves INTEGER DEFAULT 0")
    connection.execute("ALTER TABLE pairs ADD COLUMN verbatim_share DOUBLE DEFAULT 1.0")
    [(passages,)] = connection.execute("SELECT count(*) FROM passages").fetchall()
    parts = max(1, -(-passages // PASSAGES_PER_PART))
    for part in range(parts):  # by a hash of a pair's first document
        connection.execute(f"""
            UPDATE pairs SET moves = s.moves, verbatim_share = s.share FROM (
                SELECT a, b, count(*) FILTER (WHERE b_start < previous_b_start) AS moves,
                       sum((a_end - a_start + b_end - b_start) * verbatim_share ORDER BY a_start)
                       / sum(a_end - a_start + b_end - b_start) AS share
                FROM (SELECT *, lag(b_start) OVER (PARTITION BY a, b ORDER BY a_start) AS previous_b_start
                      FROM passages WHERE hash(a) % {parts} = {part})
                GROUP BY a, b) s
            WHERE pairs.a = s.a AND pairs.b = s.b""")
