"""The store a server holds, and its one writer.

`copytrace serve` is the only process that opens its store for writing (DuckDB allows
one writing process per file). Inside it, any number of request threads read, each
through its own connection (:meth:`copytrace.store.DuckDBStore.reader`), and see
committed articles only; writes (adding articles) run one at a time under a lock,
each batch in one transaction, so no article is lost or half stored.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from copytrace.engine.archive import ArticleReport, LiveArchive
from copytrace.ingest import Document
from copytrace.store import DuckDBStore


class ArchiveService:
    """A store opened for serving: readers in parallel, one writer at a time."""

    def __init__(self, db: str | Path) -> None:
        self.db = str(db)
        self.store = DuckDBStore(db)
        self.archive = LiveArchive(self.store)
        self._write_lock = threading.Lock()

    @contextmanager
    def reader(self) -> Iterator[DuckDBStore]:
        """A connection for one request's reads."""
        store = self.store.reader()
        try:
            yield store
        finally:
            store.close()

    def add(self, documents: Sequence[Document]) -> list[ArticleReport]:
        """Add articles (one writer at a time)."""
        with self._write_lock:
            return self.archive.add(documents, run_inputs=["api"])

    def query(self, document: Document) -> ArticleReport:
        """What the archive holds for an article, without storing it."""
        with self.reader() as store:
            return self.archive.reading(store).query(document)

    def report(self, document_id: str) -> ArticleReport:
        """The report of a stored article."""
        with self.reader() as store:
            return self.archive.reading(store).report_of(document_id, "stored")

    def close(self) -> None:
        with self._write_lock:
            self.store.close()
