"""Read-side queries the front ends print: story summaries, trees, a document's pairs."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from copytrace.errors import InputError
from copytrace.store.duckdb_store import DuckDBStore


@dataclass(frozen=True)
class StorySummary:
    """One story: its id (its original's id), size, the original's title, date range."""

    story_id: str
    size: int
    original_title: str | None
    first_date: dt.date | None
    last_date: dt.date | None

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.story_summary/1``."""
        row = asdict(self)
        for key in ("first_date", "last_date"):
            row[key] = row[key].isoformat() if row[key] else None
        return {"schema": "copytrace.story_summary/1", **row}


@dataclass(frozen=True)
class TreeNode:
    """A document in a derivation tree; ``weight`` of the edge from its parent."""

    document_id: str
    parent_id: str | None
    depth: int
    date: dt.date | None
    title: str | None
    weight: float | None

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.tree_node/1``."""
        return {"schema": "copytrace.tree_node/1", **asdict(self), "date": _iso_date(self.date)}


@dataclass(frozen=True)
class PairView:
    """A reuse pair seen from one document."""

    other: str
    source_id: str
    confidence: float
    coverage_here: float
    coverage_there: float
    similarity: float
    passages: int

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.pair_view/1``."""
        return {"schema": "copytrace.pair_view/1", **asdict(self)}


@dataclass(frozen=True)
class DocumentView:
    """A document's story (None when it shares no text) and its pairs."""

    document_id: str
    story_id: str | None
    pairs: list[PairView]

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.document_view/1``."""
        return {"schema": "copytrace.document_view/1", "document_id": self.document_id,
                "story_id": self.story_id, "pairs": [pair.to_json() for pair in self.pairs]}


def _iso_date(date: dt.date | None) -> str | None:
    return date.isoformat() if date else None


def story_summaries(store: DuckDBStore, limit: int) -> list[StorySummary]:
    """The ``limit`` largest stories, largest first."""
    rows = store.query(
        "SELECT s.story_id, count(*) AS size, any_value(o.title) AS original_title, "
        "min(d.date) AS first_date, max(d.date) AS last_date "
        "FROM stories s JOIN documents d ON d.id = s.document_id "
        "LEFT JOIN documents o ON o.id = s.story_id "
        "GROUP BY s.story_id ORDER BY size DESC, s.story_id LIMIT ?",
        [limit],
    ).to_pylist()
    return [StorySummary(**row) for row in rows]


def story_tree(store: DuckDBStore, story_id: str) -> list[TreeNode]:
    """The documents of a story, parents before children."""
    rows = store.query(
        "SELECT s.document_id, s.parent_id, s.depth, d.date, d.title, e.weight "
        "FROM stories s JOIN documents d ON d.id = s.document_id "
        "LEFT JOIN derivation_edges e ON e.child_id = s.document_id "
        "WHERE s.story_id = ? ORDER BY s.depth, s.document_id",
        [story_id],
    ).to_pylist()
    return [TreeNode(**row) for row in rows]


def document_view(store: DuckDBStore, document_id: str) -> DocumentView:
    """A document's story and pairs; :class:`InputError` if no such document."""
    found = store.query("SELECT count(*) AS n FROM documents WHERE id = ?", [document_id])
    if found.column("n")[0].as_py() == 0:
        raise InputError(document_id, "no such document or story in the store")
    story = store.query("SELECT story_id FROM stories WHERE document_id = ?", [document_id]).to_pylist()
    rows = store.query(
        "SELECT CASE WHEN a = ? THEN b ELSE a END AS other, source_id, confidence, "
        "CASE WHEN a = ? THEN coverage_a ELSE coverage_b END AS coverage_here, "
        "CASE WHEN a = ? THEN coverage_b ELSE coverage_a END AS coverage_there, similarity, passages "
        "FROM pairs WHERE a = ? OR b = ? ORDER BY coverage_here DESC, other",
        [document_id] * 5,
    ).to_pylist()
    return DocumentView(document_id, story[0]["story_id"] if story else None, [PairView(**row) for row in rows])
