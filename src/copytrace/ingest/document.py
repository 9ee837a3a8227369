"""The :class:`Document`: one article, exactly as read, with optional metadata."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa

# A document's Arrow form, its fields in the order Document takes them.
DOCUMENT_SCHEMA = pa.schema([
    ("id", pa.string()), ("text", pa.string()), ("date", pa.date32()),
    *((name, pa.string()) for name in ("source", "url", "title", "language", "credit")),
    ("body_start", pa.int32()), ("body_end", pa.int32()),
])
DOCUMENT_COLUMNS = tuple(DOCUMENT_SCHEMA.names)


@dataclass(frozen=True)
class Document:
    """One article.

    ``text`` is the text exactly as read, so every character offset copytrace
    reports is an offset into it. ``body_start``/``body_end`` delimit the part
    that is compared: header lines (``date 2024-05-17``) and trailing credit
    lines (``///Akorda …, 16 May 2024``) found by :mod:`copytrace.ingest.metadata`
    are kept out of it. ``credit`` is the text of a credit line or dateline.
    """

    id: str
    text: str
    date: dt.date | None = None
    source: str | None = None
    url: str | None = None
    title: str | None = None
    language: str | None = None
    credit: str | None = None
    body_start: int = 0
    body_end: int | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def body_span(self) -> tuple[int, int]:
        end = len(self.text) if self.body_end is None else self.body_end
        return self.body_start, end

    @property
    def body(self) -> str:
        start, end = self.body_span
        return self.text[start:end]

    def to_json(self) -> dict:
        """JSON form (without the text, which results carry separately)."""
        start, end = self.body_span
        return {
            "id": self.id,
            "date": self.date.isoformat() if self.date else None,
            "source": self.source,
            "url": self.url,
            "title": self.title,
            "language": self.language,
            "credit": self.credit,
            "body_start": start,
            "body_end": end,
            "length": len(self.text),
        }


def documents_table(documents: Sequence[Document]) -> pa.Table:
    """Documents as an Arrow table of :data:`DOCUMENT_SCHEMA` (``body_end`` resolved);
    ``Document(*row)`` turns a row back into its document."""
    columns = {name: [getattr(d, name) for d in documents] for name in DOCUMENT_COLUMNS[:-1]}
    return pa.table({**columns, "body_end": [d.body_span[1] for d in documents]}, schema=DOCUMENT_SCHEMA)
