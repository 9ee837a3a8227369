"""The storage interface of a scan: what the engine reads and writes, nothing more."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa

if TYPE_CHECKING:
    from copytrace.candidates import Signatures
    from copytrace.engine.stages import SignedBatch
    from copytrace.store.duckdb_store import VerifiedRows
    from copytrace.ingest import Document, Rejection
    from copytrace.provenance.stories import StoryForest

# Tables every backend exposes (docs/scan.md describes their columns).
TABLES = (
    "documents", "signatures", "candidates", "pairs", "passages", "boilerplate",
    "stories", "derivation_edges", "runs", "rejects",
)


class Store(Protocol):
    """What the engine needs from a store. Every write is atomic: a scan that is
    interrupted leaves the store as it was after the last completed write."""

    def check_settings(self, settings: dict[str, object]) -> None:
        """Record the settings signatures depend on, or refuse ones that differ."""

    def known_documents(self) -> dict[str, str]:
        """Text hash of every stored document, by id."""

    def add_batch(self, batch: SignedBatch, rejections: Sequence[Rejection], run_id: int) -> None:
        """Store a batch of documents with their signatures, and rejected records."""

    def signatures(self) -> tuple[list[str], list, list[str | None], Signatures]:
        """Ids, dates, sources and signatures of every stored document, ordered by id."""

    def add_candidates(self, candidates: pa.Table) -> int:
        """Add candidate pairs (columns a, b, jaccard_estimate, containment_estimate,
        method) not yet stored; the number added."""

    def unverified_candidates(self) -> list[tuple[str, str]]:
        """Candidate pairs not yet verified, ordered."""

    def documents_to_verify(self) -> Iterator[Document]:
        """Every document of a candidate pair not yet verified, streamed."""

    def add_verified(self, checked: Sequence[tuple[str, str]], rows: VerifiedRows) -> None:
        """Mark candidates as verified and store the rows of the pairs (and passages) kept."""

    def pair_graph(self) -> tuple[pa.Table, dict[str, object]]:
        """Every verified pair (a, b, source_id, confidence, coverage_a, coverage_b),
        and the date of every document in one."""

    def replace_stories(self, forest: StoryForest) -> None:
        """Replace the stories and derivation edges."""

    def start_run(self, inputs: Sequence[str]) -> int:
        """Record a new run; its id."""

    def update_run(self, run_id: int, **counts: object) -> None:
        """Update a run's counts and stage."""

    def table(self, name: str) -> pa.Table:
        """One of :data:`TABLES` as a pyarrow Table."""

    def close(self) -> None:
        """Release the backend."""
