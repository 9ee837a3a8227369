"""The stages of a scan as pure functions over one batch.

Each function depends on its batch alone, so the local engine
(:mod:`copytrace.engine.local`) and a Spark engine can map them over partitions of
any size and get the same results:

* :func:`parse_and_sign`: records as read → documents and their signatures
  (ingest and the candidates stage's input);
* :func:`sign_documents`: documents → signatures;
* :func:`verify_pairs`: candidate document pairs → verified pairs with passages;
* :func:`copytrace.provenance.stories.build_stories`: verified pairs → stories.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NamedTuple

import pyarrow as pa

from copytrace.align import DEFAULT_CONFIG, AlignConfig, Passage, align
from copytrace.candidates import CandidateConfig, signatures_for_batch
from copytrace.candidates.boilerplate import Boilerplate
from copytrace.candidates.lookup import batch_keys
from copytrace.ingest import Document
from copytrace.ingest.document import documents_table
from copytrace.ingest.readers import Read, parse_records
from copytrace.provenance.source import decide_source, pair_coverage
from copytrace.store.records import SignedBatch, VerifiedPair


class DocumentRow(NamedTuple):
    """A parsed record's document, as :func:`parse_and_sign` sends it back: its id, its
    row in the batch's :class:`SignedBatch` and the hash of its text."""

    id: str
    row: int
    text_hash: str


def text_hash(text: str) -> str:
    """A short digest of a text, to tell a document read again from a changed one."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def sign_documents(documents: Sequence[Document], config: CandidateConfig) -> SignedBatch:
    """Hash and sign a batch of documents (signatures are of their bodies)."""
    table = documents_table(documents)
    hashes = pa.array([text_hash(document.text) for document in documents], pa.string())
    return SignedBatch(
        documents=table.append_column("text_hash", hashes),
        signatures=signatures_for_batch([document.body for document in documents], config),
    )


def parse_and_sign(reads: Sequence[Read], config: CandidateConfig) -> tuple[list[str | DocumentRow], SignedBatch]:
    """Parse a batch of records as read (:func:`copytrace.ingest.readers.read_unparsed`)
    and sign the documents among them: each record's outcome (why it was refused, or
    its document's row) and the signed batch. Done together so that an engine ships
    each batch to a worker and back once."""
    outcomes = [read.outcome for read in parse_records(reads)]
    documents = [outcome for outcome in outcomes if isinstance(outcome, Document)]
    signed = sign_documents(documents, config)
    numbered_hashes = enumerate(signed.documents.column("text_hash").to_pylist())
    return [
        outcome if isinstance(outcome, str) else DocumentRow(outcome.id, *next(numbered_hashes))
        for outcome in outcomes
    ], signed


def verify_pairs(
    pairs: Sequence[tuple[Document, Document]], config: AlignConfig = DEFAULT_CONFIG,
    boilerplate: Boilerplate = Boilerplate(),
) -> list[VerifiedPair]:
    """Align each candidate pair; keep those with at least one passage that is not
    ``boilerplate`` on both sides (docs/boilerplate.md): two articles that share only
    an outlet's footer are not a reuse pair.

    A passage is only reported when it has ``config.min_words`` words (25 by
    default) on its shorter side, so a kept pair shares at least that much text.

    Pairs of the same two texts (verbatim copies paired with one source, or with each
    other) are aligned once: what is reused depends on the texts alone; which is the
    source is decided for each pair.
    """
    reused: dict[tuple, list[Passage]] = {}
    kept = []
    for a, b in pairs:
        texts = (a.text, a.body_span, b.text, b.body_span)
        if texts not in reused:
            passages = align(a.text, b.text, config, a_span=a.body_span, b_span=b.body_span)
            reused[texts] = passages if passages and not boilerplate.only_boilerplate(passages, a, b) else []
        if reused[texts]:
            kept.append(_verified(a, b, reused[texts]))
    return kept


def warm_up(align: AlignConfig = DEFAULT_CONFIG, candidates: CandidateConfig = CandidateConfig()
            ) -> list[VerifiedPair]:
    """Sign, key and verify small made-up pairs (a retelling, and a summary; the pairs are
    returned), so that the compiled kernels of signing, of the live archive's keys and of
    aligning are loaded (from numba's cache: about 1 s; compiled on the first run after an
    install: about a minute) before a request waits for them: ``serve`` does it as it starts."""
    told = [f"On day {n} the council of district {n} discussed road {n}, school {n} and its budget." for n in range(30)]
    retold = [*told[:6], "A new paragraph about something else entirely, with no words from before.",
              *(f"The district {n} council talked on day {n} about its budget, school {n} and road {n}."
                for n in range(6, 12))]
    summary = [told[n] for n in (2, 3, 12, 13, 24, 25)]
    original, retelling, summing_up = (Document(f"warm-up-{name}", " ".join(sentences)) for name, sentences in
                                       (("original", told[:12]), ("retelling", retold), ("summary", summary)))
    longer = Document("warm-up-longer", " ".join(told))
    batch_keys(sign_documents([original, retelling, summing_up, longer], candidates).signatures, candidates)
    return verify_pairs([(original, retelling), (longer, summing_up)], align)


def _verified(a: Document, b: Document, passages: list[Passage]) -> VerifiedPair:
    coverage_a, coverage_b = pair_coverage(a, b, passages)
    decision = decide_source(a, b, passages, (coverage_a, coverage_b))  # coverage counted once, on a hot path
    lengths = [p.a_end - p.a_start + p.b_end - p.b_start for p in passages]
    return VerifiedPair(
        a=a.id,
        b=b.id,
        source_id=decision.source_id,
        confidence=float(decision.confidence),
        coverage_a=coverage_a,
        coverage_b=coverage_b,
        similarity=sum(p.similarity * n for p, n in zip(passages, lengths)) / max(sum(lengths), 1),
        passages=tuple(passages),
    )
