"""The store a server holds, and its one writer.

`copytrace serve` is the only process that opens its store for writing (DuckDB allows
one writing process per file). Inside it, any number of request threads read, each
through its own connection (:meth:`copytrace.store.DuckDBStore.reader`), and see
committed articles only. Writes go through one writer thread: requests to add
articles wait in a queue, and the writer takes every request waiting (up to
:data:`copytrace.engine.archive.ADD_BATCH` articles) as one batch, stored in one
transaction (group commit: a transaction costs milliseconds whatever its size, so
fifty clients adding one article each share them). A batch that fails is retried
request by request, so one bad request fails alone. No article is lost or half stored.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

from copytrace.engine.archive import ADD_BATCH, ArticleReport, LiveArchive
from copytrace.engine.stages import warm_up
from copytrace.ingest import Document
from copytrace.store import DuckDBStore


class ArchiveService:
    """A store opened for serving: readers in parallel, one writer thread."""

    def __init__(self, db: str | Path, workers: int | None = None) -> None:
        """``workers``: the processes adds run on, this one included (None: one per core);
        the others start with the writer thread."""
        self.db = str(db)
        self.store = DuckDBStore(db)
        self.archive = LiveArchive(self.store, workers=workers)
        self._requests: queue.Queue[tuple[Sequence[Document], Future] | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write, name="copytrace-writer", daemon=True)
        self._writer.start()

    @contextmanager
    def reader(self) -> Iterator[DuckDBStore]:
        """A connection for one request's reads."""
        store = self.store.reader()
        try:
            yield store
        finally:
            store.close()

    def add(self, documents: Sequence[Document]) -> list[ArticleReport]:
        """Add articles through the writer; their reports once they are committed."""
        done: Future = Future()
        self._requests.put((documents, done))
        return done.result()

    def query(self, document: Document) -> ArticleReport:
        """What the archive holds for an article, without storing it."""
        with self.reader() as store:
            return self.archive.reading(store).query(document)

    def report(self, document_id: str) -> ArticleReport:
        """The report of a stored article."""
        with self.reader() as store:
            return self.archive.reading(store).report_of(document_id, "stored")

    def close(self) -> None:
        """Finish the writes queued, then close the store."""
        self._requests.put(None)
        self._writer.join()
        self.store.close()

    def _write(self) -> None:
        try:
            try:
                self.archive.start_workers()
            except OSError:  # no process to spare: this thread verifies alone
                self.archive.workers = 1
            # The compiled kernels loaded now: the first query would wait for them.
            warm_up(self.archive.align, self.archive.config)
            self.archive.graph  # read now: the first add would wait for it
            self._write_queued()
        finally:
            self.archive.close()  # its workers die with the thread that started them: this one

    def _write_queued(self) -> None:
        while (first := self._requests.get()) is not None:
            group = [first]
            while sum(len(documents) for documents, _ in group) < ADD_BATCH:
                try:
                    waiting = self._requests.get_nowait()
                except queue.Empty:
                    break
                if waiting is None:
                    self._requests.put(None)  # close once this group is written
                    break
                group.append(waiting)
            self._write_group(group)

    def _write_group(self, group: list[tuple[Sequence[Document], Future]]) -> None:
        """One transaction for the group; request by request if it fails."""
        try:
            reports = self.archive.add([d for documents, _ in group for d in documents], run_inputs=["api"])
        except Exception as error:  # noqa: BLE001 (handed to the waiting request)
            if len(group) == 1:
                group[0][1].set_exception(error)
                return
            for request in group:
                self._write_group([request])
            return
        for documents, done in group:
            done.set_result(reports[: len(documents)])
            reports = reports[len(documents) :]
