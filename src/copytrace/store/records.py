"""The records that pass between the engine's steps and the store: a signed batch of
documents, a verified pair, the store's rows of verified pairs and a stored passage's
offsets. Here, below the
engine, so that the store takes them without importing the engine that makes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from copytrace.align import Passage
from copytrace.candidates import Signatures
from copytrace.store.schema import PAIRS, PASSAGES

PAIR_SCHEMA = "copytrace.pair/1"


class PassageSpan(NamedTuple):
    """Where a stored passage lies in its pair's two texts (``a_end``, ``b_end`` excluded)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


@dataclass(frozen=True)
class SignedBatch:
    """A batch of documents as Arrow rows (the columns of
    :func:`copytrace.ingest.document.documents_table` and ``text_hash``), with their
    signatures. Arrow, so that a batch signed in a worker process travels back as a
    few buffers, not one Python object per document."""

    documents: pa.Table
    signatures: Signatures

    def __len__(self) -> int:
        return self.documents.num_rows

    def take(self, rows: Sequence[int]) -> SignedBatch:
        """The batch of documents ``rows``, in that order."""
        if list(rows) == list(range(len(self))):
            return self
        return SignedBatch(self.documents.take(pa.array(rows, pa.int64())), self.signatures.take(rows))


@dataclass(frozen=True)
class VerifiedPair:
    """Two documents (``a < b`` by id) that share at least one aligned passage.

    ``source_id`` is the document the source decision names as the original of
    the two, with its ``confidence``. ``coverage_a``/``coverage_b``: share of each
    body's words inside the passages. ``similarity``: mean passage similarity weighted
    by passage length.
    """

    a: str
    b: str
    source_id: str
    confidence: float
    coverage_a: float
    coverage_b: float
    similarity: float
    passages: tuple[Passage, ...]

    @property
    def moves(self) -> int:
        """The places where the passages change order: one that starts earlier in ``b``
        than the one before it in ``a`` (a moved paragraph; the story step's evidence)."""
        by_a = self._passages_in_a()
        return sum(after.b_start < before.b_start for before, after in zip(by_a, by_a[1:]))

    @property
    def verbatim_share(self) -> float:
        """The passages' verbatim share, weighted by length and summed in the order of
        ``a`` (a float sum depends on its order, and every engine must get the same bits)."""
        by_a = self._passages_in_a()
        lengths = [p.a_end - p.a_start + p.b_end - p.b_start for p in by_a]
        total = sum(lengths)
        return sum(n * p.verbatim_share for n, p in zip(lengths, by_a)) / total if total else 1.0

    def _passages_in_a(self) -> list[Passage]:
        return sorted(self.passages, key=lambda p: p.a_start)

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.pair/1``."""
        return {
            "schema": PAIR_SCHEMA,
            "a": self.a,
            "b": self.b,
            "source_id": self.source_id,
            "confidence": round(self.confidence, 4),
            "coverage_a": round(self.coverage_a, 4),
            "coverage_b": round(self.coverage_b, 4),
            "similarity": round(self.similarity, 4),
            "passages": [passage.to_json() for passage in self.passages],
        }


@dataclass(frozen=True)
class VerifiedRows:
    """Rows of the pairs and passages tables (:data:`copytrace.store.schema.PAIRS`,
    :data:`~copytrace.store.schema.PASSAGES`) for verified pairs. Built where the pairs
    were verified (:meth:`of`, in the worker), so that compact Arrow tables travel back
    to the process that stores them, not the pairs' passages with their texts."""

    pairs: pa.Table
    passages: pa.Table

    @classmethod
    def of(cls, kept: Sequence[VerifiedPair]) -> VerifiedRows:
        columns = {name: [getattr(p, name) for p in kept] for name in PAIRS.names if name != "passages"}
        pairs = pa.table(columns | {"passages": [len(p.passages) for p in kept]}, schema=PAIRS)
        return cls(pairs=pairs, passages=_passage_rows(kept))

    @staticmethod
    def concatenate(parts: Sequence[VerifiedRows]) -> VerifiedRows:
        return VerifiedRows(
            pairs=pa.concat_tables([part.pairs for part in parts]),
            passages=pa.concat_tables([part.passages for part in parts]),
        )


def _passage_rows(kept: Sequence[VerifiedPair]) -> pa.Table:
    """The passages rows of ``kept``: each pair's passages, numbered in order, built
    column by column (a scan stores about nine a pair)."""
    counts = np.array([len(pair.passages) for pair in kept], dtype=np.int64)
    owner = np.repeat(np.arange(len(kept)), counts)
    numbers = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    passages = [passage for pair in kept for passage in pair.passages]
    columns = {
        "a": pa.array([pair.a for pair in kept], pa.string()).take(owner),
        "b": pa.array([pair.b for pair in kept], pa.string()).take(owner),
        "passage": numbers.astype(np.int32),
    }
    columns |= {name: [getattr(p, name) for p in passages] for name in PASSAGES.names[3:]}  # Passage's attributes
    return pa.table(columns, schema=PASSAGES)
