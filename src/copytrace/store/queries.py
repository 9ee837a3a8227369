"""Read-side queries the front ends print: story summaries, trees, a document's pairs."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from copytrace.errors import InputError, NotFound
from copytrace.store.duckdb_store import DuckDBStore


@dataclass(frozen=True)
class StorySummary:
    """One story: its id (its original's id), size, the original's title, date range;
    every article but the original is a reprint."""

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
        return {"schema": "copytrace.story_summary/1", **row, "reprints": self.size - 1}


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
        f"{_SUMMARY_SELECT} GROUP BY s.story_id ORDER BY size DESC, s.story_id LIMIT ?", [limit]
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
        raise NotFound(document_id, "no such document or story in the store")
    story = store.query("SELECT story_id FROM stories WHERE document_id = ?", [document_id]).to_pylist()
    rows = store.query(
        "SELECT CASE WHEN a = ? THEN b ELSE a END AS other, source_id, confidence, "
        "CASE WHEN a = ? THEN coverage_a ELSE coverage_b END AS coverage_here, "
        "CASE WHEN a = ? THEN coverage_b ELSE coverage_a END AS coverage_there, similarity, passages "
        "FROM pairs WHERE a = ? OR b = ? ORDER BY coverage_here DESC, other",
        [document_id] * 5,
    ).to_pylist()
    return DocumentView(document_id, story[0]["story_id"] if story else None, [PairView(**row) for row in rows])


@dataclass(frozen=True)
class StoryFilters:
    """Filters of the story list: stories with an article dated within [``date_from``,
    ``date_to``], with an article from ``source``, and with ``text`` in an article's
    title or text (case-insensitive)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    source: str | None = None
    text: str | None = None

    def to_json(self) -> dict:
        return {**asdict(self), "date_from": _iso_date(self.date_from), "date_to": _iso_date(self.date_to)}


@dataclass(frozen=True)
class StoryListing:
    """One page of the story list, largest stories first; ``total`` stories match."""

    filters: StoryFilters
    page: int
    per_page: int
    total: int
    stories: list[StorySummary]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.story_list/1``."""
        return {
            "schema": "copytrace.story_list/1", "filters": self.filters.to_json(), "page": self.page,
            "per_page": self.per_page, "pages": self.pages, "total": self.total,
            "stories": [story.to_json() for story in self.stories],
        }


def list_stories(store: DuckDBStore, filters: StoryFilters, page: int = 1, per_page: int = 50) -> StoryListing:
    """A page of the stories that match ``filters``, largest first, then by id."""
    if page < 1 or not 1 <= per_page <= 500:
        raise InputError("page", f"page must be at least 1 and per_page 1 to 500 (got {page} and {per_page})")
    conditions, parameters = _story_conditions(filters)
    matching = (
        "SELECT DISTINCT s.story_id FROM stories s JOIN documents d ON d.id = s.document_id"
        + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
    )
    total = store.query(f"SELECT count(*) AS n FROM ({matching})", parameters).column("n")[0].as_py()
    rows = store.query(
        f"{_SUMMARY_SELECT} WHERE s.story_id IN ({matching}) GROUP BY s.story_id "
        "ORDER BY size DESC, s.story_id LIMIT ? OFFSET ?",
        [*parameters, per_page, (page - 1) * per_page],
    ).to_pylist()
    return StoryListing(filters, page, per_page, total, [StorySummary(**row) for row in rows])


_SUMMARY_SELECT = (
    "SELECT s.story_id, count(*) AS size, any_value(o.title) AS original_title, "
    "min(d.date) AS first_date, max(d.date) AS last_date "
    "FROM stories s JOIN documents d ON d.id = s.document_id LEFT JOIN documents o ON o.id = s.story_id"
)


def _story_conditions(filters: StoryFilters) -> tuple[list[str], list[object]]:
    conditions: list[str] = []
    parameters: list[object] = []
    if filters.date_from:
        conditions.append("d.date >= ?")
        parameters.append(filters.date_from)
    if filters.date_to:
        conditions.append("d.date <= ?")
        parameters.append(filters.date_to)
    if filters.source:
        conditions.append("d.source = ?")
        parameters.append(filters.source)
    if filters.text:
        conditions.append("(d.title ILIKE ? ESCAPE '\\' OR d.text ILIKE ? ESCAPE '\\')")
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        parameters += [pattern, pattern]
    return conditions, parameters


@dataclass(frozen=True)
class StoryArticle:
    """An article of a story: its place in the derivation tree and what it kept of its
    parent (``coverage``: the share of its body found in the parent)."""

    document_id: str
    parent_id: str | None
    depth: int
    date: dt.date | None
    source: str | None
    title: str | None
    weight: float | None
    coverage: float | None

    def to_json(self) -> dict:
        return {**asdict(self), "date": _iso_date(self.date)}


@dataclass(frozen=True)
class StoryView:
    """A story: its articles in tree order (parents before children) and how many
    copies each outlet made (articles other than the original)."""

    story_id: str
    articles: list[StoryArticle]
    copies_by_outlet: list[tuple[str, int]]

    @property
    def timeline(self) -> list[StoryArticle]:
        """The articles by date (undated last), then outlet and id."""
        return sorted(self.articles, key=lambda a: (a.date or dt.date.max, a.source or "", a.document_id))

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.story/1``."""
        return {
            "schema": "copytrace.story/1", "story_id": self.story_id,
            "articles": [article.to_json() for article in self.articles],
            "timeline": [article.document_id for article in self.timeline],
            "copies_by_outlet": [{"source": source, "copies": copies} for source, copies in self.copies_by_outlet],
        }


def story_view(store: DuckDBStore, story_id: str) -> StoryView:
    """A story's articles and outlets; :class:`InputError` if there is no such story."""
    rows = store.query(
        "SELECT s.document_id, s.parent_id, s.depth, d.date, d.source, d.title, e.weight, "
        "CASE WHEN p.a = s.document_id THEN p.coverage_a ELSE p.coverage_b END AS coverage "
        "FROM stories s JOIN documents d ON d.id = s.document_id "
        "LEFT JOIN derivation_edges e ON e.child_id = s.document_id "
        "LEFT JOIN pairs p ON p.a = least(s.document_id, s.parent_id) AND p.b = greatest(s.document_id, s.parent_id) "
        "WHERE s.story_id = ? ORDER BY s.depth, s.document_id",
        [story_id],
    ).to_pylist()
    if not rows:
        raise NotFound(story_id, "no such story in the store")
    articles = [StoryArticle(**row) for row in rows]
    copies: dict[str, int] = {}
    for article in articles:
        if article.parent_id is not None:
            copies[article.source or "(no outlet)"] = copies.get(article.source or "(no outlet)", 0) + 1
    return StoryView(story_id, articles, sorted(copies.items(), key=lambda item: (-item[1], item[0])))
