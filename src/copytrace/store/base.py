"""The storage interface of a scan: what the engine reads and writes, nothing more.

:class:`Store` is what the local engine's steps need; :class:`ArchiveStore` adds what
the live archive needs to add articles one at a time. :class:`~copytrace.store.DuckDBStore`
implements both (``tests/test_store.py`` checks it). The records they take are in
:mod:`copytrace.store.records`, the tables' schemas in :mod:`copytrace.store.schema`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pyarrow as pa

from copytrace.store.schema import TABLES

if TYPE_CHECKING:
    from copytrace.candidates import Signatures
    from copytrace.candidates.shingles import TokenHashes
    from copytrace.candidates.boilerplate import Boilerplate
    from copytrace.ingest import Document, Rejection
    from copytrace.provenance.stories import PairEdge, StoryForest
    from copytrace.store.records import PassageSpan, SignedBatch, VerifiedRows

__all__ = ["TABLES", "ArchiveStore", "Store"]


@runtime_checkable
class Store(Protocol):
    """What the engine needs from a store. Every write is atomic: a scan that is
    interrupted leaves the store as it was after the last completed write."""

    path: str  # where the store is (":memory:" for a store in memory)

    def check_settings(self, settings: dict[str, object]) -> None:
        """Record the settings signatures depend on, or refuse ones that differ."""

    def known_documents(self) -> dict[str, str]:
        """Text hash of every stored document, by id."""

    def add_batch(self, batch: SignedBatch, rejections: Sequence[Rejection], run_id: int) -> None:
        """Store a batch of documents with their signatures, and rejected records."""

    def add_rejects(self, rejections: Sequence[Rejection], run_id: int) -> None:
        """Store records that run ``run_id`` refused."""

    def signatures(self) -> tuple[list[str], list, list[str | None], Signatures]:
        """Ids, dates, sources and signatures of every stored document, ordered by id."""

    def replace_boilerplate(self, boilerplate: pa.Table) -> None:
        """Replace the boilerplate n-grams (:data:`copytrace.store.schema.BOILERPLATE`)."""

    def fingerprints(self) -> Iterator[tuple[list[str], TokenHashes]]:
        """Every document's fingerprints (its signature's sampled n-grams), in batches of
        ids and hashes."""

    def add_candidates(self, candidates: pa.Table) -> int:
        """Add candidate pairs (columns a, b, jaccard_estimate, containment_estimate,
        method) not yet stored; the number added."""

    def boilerplate(self) -> Boilerplate:
        """The boilerplate n-grams the last scan learnt, with the store's candidate settings."""

    def unverified_candidates(self) -> list[tuple[str, str]]:
        """Candidate pairs not yet verified, ordered."""

    def documents_to_verify(self) -> Iterator[Document]:
        """Every document of a candidate pair not yet verified, streamed."""

    def add_verified(self, checked: Sequence[tuple[str, str]], rows: VerifiedRows) -> None:
        """Mark candidates as verified and store the rows of the pairs (and passages) kept."""

    def pair_graph(self) -> tuple[list[PairEdge], dict[str, object]]:
        """Every verified pair (a, b, source_id, confidence, coverage_a, coverage_b,
        moves, verbatim_share), and the date of every document in one."""

    def replace_stories(self, forest: StoryForest) -> None:
        """Replace the stories and derivation edges."""

    def start_run(self, inputs: Sequence[str]) -> int:
        """Record a new run; its id."""

    def update_run(self, run_id: int, **counts: object) -> None:
        """Update a run's counts and stage."""

    def table(self, name: str) -> pa.Table:
        """One of :data:`TABLES` as a pyarrow Table, in its rows' order
        (:func:`copytrace.store.schema.row_order`)."""

    def close(self) -> None:
        """Release the backend."""


@runtime_checkable
class ArchiveStore(Store, Protocol):
    """What the live archive (:mod:`copytrace.engine.archive`) needs besides a scan's
    writes: documents and rows by id, and writes of one article's candidates, pairs and
    stories."""

    read_only: bool

    def reader(self) -> ArchiveStore:
        """Another connection to the store, for one reading thread; committed writes only."""

    def transaction(self) -> AbstractContextManager[object]:
        """One transaction around several writes: they commit together or not at all."""

    def query(self, sql: str, parameters: Sequence[object] = ()) -> pa.Table:
        """A read query on the store."""

    def document_ids(self) -> list[str]:
        """Every stored document's id."""

    def archive_rows(self, ids: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The archive index's rows of documents ``ids`` (every document when None), by id."""

    def documents_by_id(self, ids: Sequence[str]) -> dict[str, Document]:
        """The stored documents among ``ids``, by id."""

    def add_matched(self, candidates: pa.Table, rows: VerifiedRows) -> None:
        """Store candidates verified as they were found, with the rows of the pairs kept."""

    def candidates_among(self, ids: Sequence[str]) -> list[tuple[str, str]]:
        """The candidate pairs whose two documents are both among ``ids``."""

    def revise_candidates(self, dropped: Sequence[tuple[str, str]], revised: pa.Table) -> None:
        """Drop candidate pairs (with their pairs and passages) and rewrite others' estimates."""

    def passage_spans_of(self, ids: Sequence[str]) -> dict[tuple[str, str], list[PassageSpan]]:
        """The passages of each stored pair with a document among ``ids``, by pair."""

    def unkeep_pairs(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Drop verified pairs and their passages; their candidates stay, not kept."""

    def story_ids(self, ids: Sequence[str]) -> dict[str, str]:
        """The story of each document among ``ids`` that is in one."""

    def replace_stories_of(self, members: Sequence[str], forest: StoryForest) -> None:
        """Replace the story rows of ``members`` by ``forest``."""
