"""The live archive: match one article at a time against a store, and add it.

A news desk checks each incoming article at once (is it a reprint, of what, what
changed?) and the archive then grows by it. :class:`LiveArchive` runs the scan's
plan for one document, with the same stage functions:

1. **sign** it (:func:`copytrace.engine.stages.sign_documents`);
2. **candidates**: look its n-grams and band keys up in the archive's index
   (:class:`copytrace.store.archive_index.ArchiveIndex`) and apply the scan's rule
   (:mod:`copytrace.candidates.lookup`);
3. **verify** each candidate pair (:func:`copytrace.engine.stages.verify_pairs`);
4. **store** the document, its candidates and pairs, and rebuild only the stories it
   touches (:func:`copytrace.provenance.stories.build_stories` over their
   components), all in one transaction: a crash leaves the article fully stored or
   not at all. An earlier original that arrives late re-roots its story.

Adding articles one by one, in any order, gives the same pairs, passages and stories
as one scan of them: a scan counts an n-gram's documents over the whole collection,
so when an article makes an n-gram common (found in ``max_df + 1`` documents) or
boilerplate (found in ``boilerplate_documents`` documents of one source), the
candidate pairs that shared it are checked again and dropped, with their pair and
passages, if the scan's rule no longer holds. Likewise, a pair whose every passage is
boilerplate is not kept (:meth:`copytrace.candidates.boilerplate.Boilerplate.only_boilerplate`),
so when an n-gram becomes boilerplate the stored pairs of the documents holding it are
checked again.

:meth:`LiveArchive.query` does steps 1-3 without storing anything.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from itertools import islice

import numpy as np
import pyarrow as pa

from copytrace.align import DEFAULT_CONFIG, AlignConfig, Passage
from copytrace.candidates import CandidateConfig, Signatures
from copytrace.candidates.boilerplate import Boilerplate, passage_documents
from copytrace.candidates.lookup import (
    Candidate, IndexKeys, Profile, Profiles, boilerplate_ngrams, candidates, distinct_ngram_counts, index_keys,
    shared_rare, worth_profiles,
)
from copytrace.engine.plan import pair_edge
from copytrace.engine.stages import sign_documents, text_hash, verify_pairs, warm_up
from copytrace.errors import InputError, NotFound
from copytrace.faults import fault_point
from copytrace.ingest import Document, Rejection
from copytrace.ingest.readers import RAW_EXCERPT_CHARS
from copytrace.parallel import one_kernel_thread, process_pool, worker_count
from copytrace.provenance.graph import ReuseGraph
from copytrace.store import ArchiveStore
from copytrace.store.archive_index import ArchiveIndex, archive_rows_of
from copytrace.store.records import SignedBatch, VerifiedPair, VerifiedRows

REPORT_SCHEMA = "copytrace.article/1"
BATCH_SCHEMA = "copytrace.articles/1"
# Documents stored per transaction by LiveArchive.add: a transaction, and the story
# rebuild in it, cost about as much for one article as for hundreds (DuckDB scans for
# the rows around them). 1,500 articles added to a 100k store: 114-125/s in batches of
# 64, 141/s of 256, 160/s of 1,024 (measured beside the test suite); 256 keeps a
# batch's wait short.
ADD_BATCH = 256
# A batch's candidate pairs are verified in worker processes from this many (about a
# second of aligning): below, starting a worker and sending it the texts costs more.
PARALLEL_PAIRS = 256
# Shares of a batch's pairs per process: the adding process takes back those that no
# worker has started when it comes to wait for them.
SHARES_PER_WORKER = 4


@dataclass(frozen=True)
class ArchiveMatch:
    """A stored document that shares passages with the article: its ``role`` is
    ``"source"`` when the source decision names it the original of the two, else
    ``"reprint"``; ``pair`` is the verified pair (``copytrace.pair/1``)."""

    document: Document
    role: str
    pair: VerifiedPair

    @property
    def coverage_here(self) -> float:
        """Share of the article's body covered by the shared passages."""
        return self.pair.coverage_b if self.document.id == self.pair.a else self.pair.coverage_a

    @property
    def coverage_there(self) -> float:
        """Share of the other document's body covered by the shared passages."""
        return self.pair.coverage_a if self.document.id == self.pair.a else self.pair.coverage_b

    def to_json(self) -> dict:
        return {
            "document": self.document.to_json(),
            "role": self.role,
            "coverage_here": round(self.coverage_here, 4),
            "coverage_there": round(self.coverage_there, 4),
            "pair": self.pair.to_json(),
        }


@dataclass(frozen=True)
class ArticleReport:
    """What the archive holds for one article: ``status`` is ``"added"``, ``"existing"``
    (already stored with the same text) or ``"query"`` (matched, not stored);
    ``story_id`` the story it belongs (or would belong) to."""

    document: Document
    status: str
    story_id: str | None
    sources: list[ArchiveMatch]
    reprints: list[ArchiveMatch]

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.article/1`` (docs/archive.md)."""
        return {
            "schema": REPORT_SCHEMA,
            "status": self.status,
            "document": self.document.to_json(),
            "story_id": self.story_id,
            "sources": [match.to_json() for match in self.sources],
            "reprints": [match.to_json() for match in self.reprints],
        }


@dataclass
class _Matched:
    """A signed document and what the archive holds for it: its candidates, then the
    pairs verified among them."""

    signed: SignedBatch
    keys: IndexKeys
    candidates: list[Candidate]
    others: dict[str, Document]
    common: list[list[str]]  # the holders of each n-gram it makes common or boilerplate
    frequent: np.ndarray  # its n-grams in enough documents, it counted, to mark boilerplate passages
    verified: list[VerifiedPair] = field(default_factory=list)


@dataclass
class _Batch:
    """Documents matched and indexed, not stored yet: later documents of the batch are
    matched against them too, and the batch is stored in one transaction. ``documents``:
    the batch as given; ``fresh``: those to store, by id; ``verified``: waits for their
    candidates' verification; ``became_boilerplate``: the n-grams they made mark passages."""

    documents: Sequence[Document] = ()
    fresh: dict[str, Document] = field(default_factory=dict)
    matched: dict[str, _Matched] = field(default_factory=dict)
    verified: Callable[[], None] = lambda: None
    became_boilerplate: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))

    def signatures_of(self, ids: Sequence[str]) -> Signatures:
        return Signatures.concatenate([self.matched[id_].signed.signatures for id_ in ids])


class LiveArchive:
    """A store opened for matching and adding articles. One writer at a time: the
    caller serialises :meth:`add` (``copytrace serve`` runs every write on one thread).
    Close it (or use it as a context manager) to stop its verification workers."""

    def __init__(
        self, store: ArchiveStore, align: AlignConfig = DEFAULT_CONFIG, candidates: CandidateConfig | None = None,
        workers: int | None = 1,
    ) -> None:
        """``candidates``: the settings for a new store (a store keeps those it was built
        with). ``workers``: the processes an add runs on, this one included (None: one per
        core). This one matches and stores batches; the others verify their candidates
        while it does. They start with the first batch that has enough candidate pairs,
        from the thread that adds, and die with it."""
        self.store = store
        self.config = _stored_candidate_config(store, candidates)
        self.align = align
        self.workers = worker_count(workers)
        self._pool: ProcessPoolExecutor | None = None
        self.index = self._open_index()
        self._graph: ReuseGraph | None = None  # built on the first add (see graph)

    def start_workers(self) -> None:
        """Start the verification workers now, from the thread that will add (they die
        with it), and have them load what they run: a server does it as it starts, so that
        its first large batch does not wait for them."""
        if self.workers > 1 and self._pool is None:
            self._pool = process_pool(self.workers - 1)
            for _ in range(self.workers - 1):
                self._pool.submit(warm_up, self.align, self.config)

    @property
    def graph(self) -> ReuseGraph:
        """The archive's reuse graph, which story rebuilds walk: read from the store when
        first needed (by the first add, or by a server as it starts), then kept up to date.
        Python's cyclic garbage collector waits meanwhile: the millions of objects made
        would set it off again and again, to find nothing (2.4 s of 4.7 s at 1.6M pairs).
        Then they are frozen out of its reach (``gc.freeze``): they hold no cycles, and
        each full collection walked them all (1.35 s, once every few batches: adds of
        1,024 articles to a 1M-article store went from 193.6 to 237.1 a second)."""
        if self._graph is None:
            gc.disable()
            try:
                self._graph = ReuseGraph(*self.store.pair_graph())
                gc.freeze()
            finally:
                gc.enable()
        return self._graph

    def close(self) -> None:
        """Stop the verification workers, if any started."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LiveArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reading(self, store: ArchiveStore) -> LiveArchive:
        """This archive, reading through another connection to its store (a server's
        request threads each read through their own): for :meth:`query` and reports."""
        view = copy.copy(self)
        view.store = store
        view.index = self.index.committed()
        view._pool = None  # the writer's: a view never verifies in workers, nor closes them
        return view

    def _open_index(self) -> ArchiveIndex:
        return ArchiveIndex.open(
            self.store.path, self.config, self.store.document_ids(), self.store.archive_rows,
            writable=not self.store.read_only,
        )

    def query(self, document: Document) -> ArticleReport:
        """The sources and reprints the archive holds for ``document``, stored or not;
        nothing is written. An id stored with a different text is refused (an
        :class:`InputError`), as :meth:`add` refuses it: the stored document of that id
        would be taken for the article itself and left out of its matches."""
        self._not_stored([document], None)
        with one_kernel_thread():
            signed = sign_documents([document], self.config)
            matched = self._match(document, signed, index_keys(signed.signatures, self.config)[0], _Batch())
            self._start_verifying([matched], in_workers=False)()
        return self._report(document, "query", matched.verified, matched.others, self._story_of(matched.verified))

    def add(
        self, documents: Iterable[Document], run_inputs: Sequence[str] = ("add",), batch_size: int = ADD_BATCH,
        rejected: Sequence[Rejection] = (),
    ) -> list[ArticleReport]:
        """Match and store each document, in order; each batch of ``batch_size`` in one
        transaction (so a crash leaves each article stored whole or not at all). The
        records the reader ``rejected`` are stored with the run's rejects and counted.

        Batches overlap: while a batch's candidates are verified in worker processes,
        the next batch is matched here (against the index, which holds the batch before
        it); then this process verifies what the workers have not started, and stores
        the batch. If anything fails, the batch being stored and the
        one matched after it are not stored; those before are."""
        run_id = self.store.start_run(list(run_inputs))
        reports: list[ArticleReport] = []
        documents = iter(documents)
        waiting: _Batch | None = None
        with one_kernel_thread():
            try:
                while (batch := list(islice(documents, batch_size))) or waiting:
                    matched = self._match_batch(batch, self._fresh(batch, waiting, run_id)) if batch else None
                    if waiting is not None:
                        reports += self._store_batch(waiting, run_id)
                    waiting = matched
            except BaseException:
                # Neither the index nor the graph may hold what was not stored.
                self.index = self._open_index()
                self._graph = None
                raise
        added = sum(report.status == "added" for report in reports)
        if rejected:
            self.store.add_rejects(rejected, run_id)
        self.store.update_run(run_id, stage="done", finished_at=dt.datetime.now(), read=len(reports) + len(rejected),
                              stored=added, existing=len(reports) - added, rejected=len(rejected))
        if self.index.needs_compaction():
            self.index = self.index.compacted()
        return reports

    # --- adding ----------------------------------------------------------------

    def _fresh(self, documents: Sequence[Document], waiting: _Batch | None, run_id: int) -> dict[str, Document]:
        """:meth:`_not_stored` of a batch; when it refuses one, the ``waiting`` batch
        before it is stored first, as if the batches had not overlapped."""
        try:
            return self._not_stored(documents, waiting)
        except InputError:
            if waiting is not None:
                self._store_batch(waiting, run_id)
            raise

    def _match_batch(self, documents: Sequence[Document], fresh: dict[str, Document]) -> _Batch:
        """Sign, match and index a batch's ``fresh`` documents, and start verifying their
        candidates."""
        batch = _Batch(documents, fresh)
        # Signed together (one call per batch, not per article); matched one by one,
        # since each is matched against those before it; verified together.
        signed = sign_documents(list(batch.fresh.values()), self.config)
        keys = index_keys(signed.signatures, self.config)
        for n, document in enumerate(batch.fresh.values()):
            one = SignedBatch(signed.documents.slice(n, 1), signed.signatures.take([n]))
            batch.matched[document.id] = self._match(document, one, keys[n], batch)
            self.index.add([document.id], [keys[n]], archive_rows_of(one))
        matched = list(batch.matched.values())
        batch.verified = self._start_verifying(matched, in_workers=True)
        batch.became_boilerplate = self._became_boilerplate(matched, frozenset(batch.fresh))
        return batch

    def without_conflicts(self, documents: Sequence[Document], places: Mapping[str, str] | None = None
                          ) -> tuple[list[Document], list[Rejection]]:
        """``documents`` (of distinct ids, as a reader gives them) less those whose id is
        stored with a different text, and those refused, each named by its place where
        ``places`` has it (by id, as :func:`copytrace.ingest.read_documents` notes them),
        with the excerpt of its text.
        :meth:`add` stops at the first instead. Checked a batch at a time, so only one
        batch's stored texts are in memory."""
        refused: list[tuple[Document, str]] = []
        for start in range(0, len(documents), ADD_BATCH):
            self._not_stored(documents[start:start + ADD_BATCH], None, refused)
        dropped = {id(document) for document, _ in refused}
        return ([document for document in documents if id(document) not in dropped],
                [Rejection((places or {}).get(document.id, f"document '{document.id}'"), reason,
                           document.text[:RAW_EXCERPT_CHARS], len(document.text))
                 for document, reason in refused])

    def _not_stored(self, documents: Sequence[Document], waiting: _Batch | None,
                    refused: list[tuple[Document, str]] | None = None) -> dict[str, Document]:
        """The documents neither the store nor the ``waiting`` batch holds, each id once,
        by id. An id held (or earlier in ``documents``) with a different text stops it,
        or where ``refused`` is given, is noted there with why."""
        indexed = [d.id for d in documents if d.id in self.index]  # the writer's index holds every stored one
        stored = {d.id: text_hash(d.text) for d in self.index.documents_with_signatures(indexed)[0]} if indexed else {}
        held = dict(waiting.fresh) if waiting else {}
        fresh: dict[str, Document] = {}
        for document in documents:
            earlier = fresh.get(document.id) or held.get(document.id)
            known = stored.get(document.id) or (text_hash(earlier.text) if earlier else None)
            if known is None:
                fresh[document.id] = document
            elif known != text_hash(document.text):
                reason = (f"id '{document.id}' is already in the store with a different text" if document.id in stored
                          else f"id '{document.id}' is given twice, with different texts")
                if refused is None:
                    raise InputError(f"document '{document.id}'", reason)
                refused.append((document, reason))
        return fresh

    def _reports(self, batch: _Batch, stories: dict[str, str]) -> list[ArticleReport]:
        """The report of each document of a stored batch, in order, given the stories of
        those that are in one."""
        reports, reported = [], set()
        for document in batch.documents:
            matched = batch.matched.get(document.id)
            if matched is None or document.id in reported:
                reports.append(self.report_of(document.id, "existing"))
            else:
                reported.add(document.id)
                reports.append(self._report(document, "added", matched.verified, matched.others,
                                            stories.get(document.id)))
        return reports

    def _store_batch(self, batch: _Batch, run_id: int) -> list[ArticleReport]:
        """Store a batch's documents, candidates and pairs once verified, check again the
        candidates that shared an n-gram it made common and the pairs of documents holding
        an n-gram it made boilerplate, and rebuild the stories it touched: one
        transaction. The reports of its documents."""
        batch.verified()
        return self._reports(batch, self._store_matched(batch, run_id) if batch.matched else {})

    def _store_matched(self, batch: _Batch, run_id: int) -> dict[str, str]:
        """Store a matched batch (see :meth:`_store_batch`); the story of each document of
        the stories rebuilt."""
        matched = list(batch.matched.values())
        signed = SignedBatch(
            pa.concat_tables([m.signed.documents for m in matched]),
            Signatures.concatenate([m.signed.signatures for m in matched]),
        )
        candidates = [c for m in matched for c in m.candidates]
        verified = [p for m in matched for p in m.verified]
        kept = {(p.a, p.b) for p in verified}
        graph = self.graph  # read before the transaction writes
        with self.store.transaction():
            self.store.add_batch(signed, [], run_id)
            self.store.add_matched(_candidate_table(candidates, kept), VerifiedRows.of(verified))
            dropped = self._recheck_common_ngrams([group for m in matched for group in m.common])
            dropped += self._recheck_boilerplate_pairs(batch.became_boilerplate, kept)
            # The pairs dropped may be some of those just kept.
            graph.add([pair_edge(p) for p in verified],
                      {id_: m.others[id_].date for m in matched for p in m.verified for id_ in (p.a, p.b)})
            graph.drop(dropped)
            # Only pairs kept or dropped change the reuse graph, and so the stories.
            stories = self._rebuild_stories({id_ for pair in [*kept, *dropped] for id_ in pair})
            fault_point("add")
        self.index.stored(len(matched))  # committed: readers may see them now
        return stories

    def _recheck_common_ngrams(self, sharing: list[list[str]]) -> list[tuple[str, str]]:
        """Check again the candidate pairs whose documents both hold an n-gram that has
        become common; drop those the scan's rule no longer keeps (with their pair and
        passages) and revise the others' estimates. The pairs dropped."""
        groups = [set(group) for group in sharing]
        holders = sorted(set().union(*groups)) if groups else []
        pairs = [(a, b) for a, b in self.store.candidates_among(holders) if any(a in g and b in g for g in groups)]
        if not pairs:
            return []
        holding = sorted({id_ for pair in pairs for id_ in pair})
        documents, signatures = self.index.documents_with_signatures(holding)
        keys = dict(zip(holding, index_keys(signatures, self.config)))
        profiles = _profiles_of(documents, signatures, [len(keys[id_].ngrams) for id_ in holding])
        shared, near = [], []
        for a, b in pairs:
            both = np.intersect1d(keys[a].ngrams, keys[b].ngrams)
            frequency, holders = self.index.ngram_holders(both, self.config.max_df)
            boilerplate = self._boilerplate(holders, _Batch())
            shared.append(shared_rare(both, {h: [b] for h in both.tolist()}, frequency, self.config.max_df,
                                      boilerplate).get(b, 0))
            near.append(bool(np.intersect1d(keys[a].bands, keys[b].bands).size))
        kept = candidates(Profiles.of([profiles[a] for a, _ in pairs]), Profiles.of([profiles[b] for _, b in pairs]),
                          shared, near, self.config)
        kept_rows = set(kept.rows.tolist())
        dropped = [pair for row, pair in enumerate(pairs) if row not in kept_rows]
        self.store.revise_candidates(dropped, _candidate_table(kept.candidates()))
        return dropped

    def _recheck_boilerplate_pairs(self, became: np.ndarray, checked: set[tuple[str, str]]) -> list[tuple[str, str]]:
        """Check again the stored pairs (but those ``checked`` already) of documents that
        both hold an n-gram that has ``became`` boilerplate: the boilerplate they share
        grew. Unkeep those whose every passage is now boilerplate, as a scan of all of them
        would (boilerplate only grows, so a pair dropped stays dropped). The pairs dropped."""
        if not len(became):
            return []
        groups = [set(ids) for ids in self.index.ngram_holders(became, None)[1].values()]
        spans = self.store.passage_spans_of(sorted(set().union(*groups)))
        spans = {(a, b): passages for (a, b), passages in spans.items()
                 if (a, b) not in checked and any(a in group and b in group for group in groups)}
        if not spans:
            return []
        ids = sorted({id_ for pair in spans for id_ in pair})
        found, signatures = self.index.documents_with_signatures(ids)
        documents = dict(zip(ids, found))
        held = {id_: keys.ngrams for id_, keys in zip(ids, index_keys(signatures, self.config))}
        shared = [np.intersect1d(held[a], held[b], assume_unique=True) for a, b in spans]
        boilerplate = Boilerplate(self._boilerplate_among(np.concatenate(shared)), self.config)
        unkept = [(a, b) for (a, b), passages in spans.items()
                  if boilerplate.only_boilerplate(passages, documents[a], documents[b])]
        if unkept:
            self.store.unkeep_pairs(unkept)
        return unkept

    def _boilerplate_among(self, ngrams: np.ndarray, leaving_out: frozenset[str] = frozenset()) -> np.ndarray:
        """Those of ``ngrams`` that mark passages as boilerplate (:func:`passage_documents`)."""
        return self.index.boilerplate_among(ngrams, passage_documents(self.config), leaving_out)

    def _became_boilerplate(self, matched: Sequence[_Matched], batch: frozenset[str]) -> np.ndarray:
        """The n-grams of a batch's documents (indexed) that mark passages now and did not
        before it. Only n-grams that some document of it found frequent can (the last one
        holding an n-gram saw its count with the batch's others); boilerplate only grows:
        those that mark now, less those that did without the batch."""
        now = self._boilerplate_among(_frequent(matched))
        return np.setdiff1d(now, self._boilerplate_among(now, batch))

    def _rebuild_stories(self, touched: set[str]) -> dict[str, str]:
        """Rebuild the stories of ``touched`` documents (those with a pair kept or dropped;
        the graph holds the change), whole; the story of each of their documents."""
        if not touched:
            return {}
        members, forest = self.graph.stories_around(touched)
        self.store.replace_stories_of(members, forest)
        return {node.document_id: node.story_id for node in forest.nodes}

    # --- matching --------------------------------------------------------------

    def _match(self, document: Document, signed: SignedBatch, keys: IndexKeys, batch: _Batch) -> _Matched:
        """Find the candidates of ``document`` (signed, with its index keys) in the
        index, the documents of ``batch`` included; :meth:`_start_verifying` verifies them."""
        counts, holders = self.index.ngram_holders(keys.ngrams, self.config.max_df)
        frequency = {h: count + 1 for h, count in counts.items()}  # the document counts too
        before = self._boilerplate(holders, batch)
        boilerplate = self._boilerplate({h: [*ids, document.id] for h, ids in holders.items()}, batch, document)
        shared = shared_rare(keys.ngrams, holders, frequency, self.config.max_df, boilerplate)
        near = self.index.band_holders(keys.bands)
        others = sorted({id_ for id_ in shared.keys() | near
                         if worth_profiles(shared.get(id_, 0), id_ in near, self.config)} - {document.id})
        mine = Profile(document.id, signed.signatures.minhash[0], int(signed.signatures.shingle_counts[0]),
                       len(keys.ngrams), document.date, document.source)
        profiles, texts = self._profiles(others, batch)
        found = candidates(Profiles.of([mine] * len(others)), Profiles.of([profiles[other] for other in others]),
                           [shared.get(other, 0) for other in others], [other in near for other in others],
                           self.config).candidates()
        texts[document.id] = document
        common = [holders[h] for h, count in counts.items() if count == self.config.max_df]
        common += [holders[h] for h in sorted(boilerplate - before)]
        least = passage_documents(self.config)
        frequent = np.array([h for h, count in counts.items() if least and count + 1 >= least], dtype=np.uint64)
        return _Matched(signed, keys, found, texts, common, frequent)

    def _start_verifying(self, matched: Sequence[_Matched], in_workers: bool) -> Callable[[], None]:
        """Start verifying the candidates of every matched document, with the boilerplate
        the archive has learnt so far; the function that waits for it to end. ``in_workers``:
        in worker processes, when there are enough pairs (only the adding thread may);
        this process takes its share when it waits."""
        owner = {(c.a, c.b): m for m in matched for c in m.candidates}
        pairs = [(m.others[c.a], m.others[c.b]) for m in matched for c in m.candidates]
        # A pair's boilerplate is what both documents hold: the n-grams of a matched one.
        boilerplate = Boilerplate(self._boilerplate_among(_frequent(matched)), self.config)
        collect = self._verifying(pairs, boilerplate, in_workers)

        def verified() -> None:
            for pair in collect():
                owner[(pair.a, pair.b)].verified.append(pair)
        return verified

    def _verifying(self, pairs: list[tuple[Document, Document]], boilerplate: Boilerplate, in_workers: bool
                   ) -> Callable[[], list[VerifiedPair]]:
        """:func:`verify_pairs` in consecutive shares (an article's pairs are consecutive,
        so a share mostly prepares each text once) sent to the workers; the function that
        waits for the pairs kept, in order. All here for few pairs."""
        if not in_workers or self.workers <= 1 or len(pairs) < PARALLEL_PAIRS:
            kept = verify_pairs(pairs, self.align, boilerplate)
            return lambda: kept
        self.start_workers()
        count = SHARES_PER_WORKER * self.workers
        bounds = [len(pairs) * n // count for n in range(count + 1)]
        shares = [pairs[start:end] for start, end in zip(bounds, bounds[1:])]
        try:
            sent = [self._pool.submit(verify_pairs, share, self.align, boilerplate) for share in shares]
        except BrokenProcessPool:
            self.close()  # a worker died: the next batch starts new ones
            raise
        return lambda: self._collect(shares, sent, boilerplate)

    def _collect(self, shares: list[list[tuple[Document, Document]]], sent: list[Future], boilerplate: Boilerplate
                 ) -> list[VerifiedPair]:
        """The pairs kept of ``shares`` sent to the workers, in order. This process takes
        back the shares no worker has started, from the last (the workers take the first),
        so the work ends at once on every core whoever was busy before."""
        done: dict[int, list[VerifiedPair]] = {}
        for number in reversed(range(len(shares))):
            if sent[number].cancel():
                done[number] = verify_pairs(shares[number], self.align, boilerplate)
        try:
            return [pair for number, future in enumerate(sent)
                    for pair in (done[number] if number in done else future.result())]
        except BrokenProcessPool:
            self.close()
            raise

    def _boilerplate(
        self, holders: dict[int, list[str]], batch: _Batch, document: Document | None = None
    ) -> set[int]:
        """The n-grams of ``holders`` (all their documents listed) that are boilerplate:
        held by ``boilerplate_documents`` documents of one source (the scan's rule)."""
        least = self.config.boilerplate_documents
        if least < 2:
            return set()
        ids = sorted({id_ for ids in holders.values() if len(ids) >= least for id_ in ids})
        source_of = {id_: batch.matched[id_].others[id_].source for id_ in ids if id_ in batch.matched}
        if document is not None:
            source_of[document.id] = document.source
        stored = [id_ for id_ in ids if id_ not in source_of]
        if stored:
            source_of.update(self.index.sources_of(stored))
        return boilerplate_ngrams(holders, source_of, least)

    def _profiles(self, ids: Sequence[str], batch: _Batch) -> tuple[dict[str, Profile], dict[str, Document]]:
        """What the candidate rule needs of indexed documents (stored, or in ``batch``),
        and the documents."""
        in_batch = [id_ for id_ in ids if id_ in batch.matched]
        stored = [id_ for id_ in ids if id_ not in batch.matched]
        profiles, documents = {}, {}
        if stored:
            stored_documents, signatures = self.index.documents_with_signatures(stored)
            profiles.update(_profiles_of(stored_documents, signatures, distinct_ngram_counts(signatures)))
            documents.update((document.id, document) for document in stored_documents)
        if in_batch:
            batch_documents = [batch.matched[id_].others[id_] for id_ in in_batch]
            # Their index keys are known: no need to count their n-grams again.
            counts = [len(batch.matched[id_].keys.ngrams) for id_ in in_batch]
            profiles.update(_profiles_of(batch_documents, batch.signatures_of(in_batch), counts))
            documents.update(zip(in_batch, batch_documents))
        return profiles, documents

    # --- reporting -------------------------------------------------------------

    def report_of(self, document_id: str, status: str = "existing") -> ArticleReport:
        """The report of a stored document, from its stored pairs."""
        found = self._documents([document_id])
        if document_id not in found:
            raise NotFound(document_id, "no such document in the store")
        rows = self.store.query(
            "SELECT * FROM pairs WHERE a = $1 OR b = $1 ORDER BY a, b", [document_id]
        ).to_pylist()
        passages = self.store.query(
            "SELECT * FROM passages WHERE a = $1 OR b = $1 ORDER BY a, b, passage", [document_id]
        ).to_pylist()
        others = self._documents([r["b"] if r["a"] == document_id else r["a"] for r in rows])
        others[document_id] = found[document_id]
        by_pair: dict[tuple[str, str], list[dict]] = {}
        for passage in passages:
            by_pair.setdefault((passage["a"], passage["b"]), []).append(passage)
        verified = [_stored_pair(row, by_pair.get((row["a"], row["b"]), []), others) for row in rows]
        return self._report(found[document_id], status, verified, others, self._story_of_document(document_id))

    def _documents(self, ids: Sequence[str]) -> dict[str, Document]:
        """Stored documents among ``ids``, by id: from the index (a store reads a text by
        scanning), or from the store for one committed but not indexed yet."""
        indexed = [id_ for id_ in ids if id_ in self.index]
        found = dict(zip(indexed, self.index.documents_with_signatures(indexed)[0])) if indexed else {}
        rest = [id_ for id_ in ids if id_ not in found]
        return {**found, **(self.store.documents_by_id(rest) if rest else {})}

    def _report(
        self, document: Document, status: str, verified: Sequence[VerifiedPair], texts: dict[str, Document],
        story_id: str | None,
    ) -> ArticleReport:
        matches = []
        for pair in verified:
            other = pair.b if pair.a == document.id else pair.a
            role = "source" if pair.source_id == other else "reprint"
            matches.append(ArchiveMatch(texts[other], role, pair))
        matches.sort(key=lambda m: (-m.coverage_here, m.document.id))
        return ArticleReport(
            document, status, story_id,
            sources=[m for m in matches if m.role == "source"],
            reprints=[m for m in matches if m.role == "reprint"],
        )

    def _story_of_document(self, document_id: str) -> str | None:
        return self.store.story_ids([document_id]).get(document_id)

    def _story_of(self, verified: Sequence[VerifiedPair]) -> str | None:
        """The story a queried document would join: that of its first matched document
        (one look-up for all of them)."""
        matched = [id_ for pair in verified for id_ in (pair.a, pair.b)]
        stories = self.store.story_ids(matched) if matched else {}
        return next((stories[id_] for id_ in matched if id_ in stories), None)


def _frequent(matched: Sequence[_Matched]) -> np.ndarray:
    """The n-grams the ``matched`` documents found frequent enough to mark boilerplate."""
    return np.concatenate([m.frequent for m in matched]) if matched else np.zeros(0, dtype=np.uint64)


def _stored_candidate_config(store: ArchiveStore, wanted: CandidateConfig | None) -> CandidateConfig:
    """The candidate settings the store was built with; a new store records ``wanted``
    (or the defaults). A store opened read-only that has none uses the defaults."""
    rows = store.query("SELECT value FROM settings WHERE key = 'candidates'").to_pylist()
    config = CandidateConfig.stored(rows[0]["value"], store.path) if rows else wanted or CandidateConfig()
    if wanted is not None and wanted != config:
        raise InputError(store.path, f"store was built with other candidate settings ({asdict(config)})")
    if not rows and not store.read_only:
        store.check_settings({"candidates": asdict(config)})
    return config


def _profiles_of(
    documents: Sequence[Document], signatures: Signatures, ngram_counts: Sequence[int]
) -> dict[str, Profile]:
    """The candidate rule's profile of each signed document, by id, given how many
    distinct sampled n-grams each holds (the length of its IndexKeys.ngrams)."""
    return {
        document.id: Profile(document.id, signatures.minhash[n], int(signatures.shingle_counts[n]), ngram_counts[n],
                             document.date, document.source)
        for n, document in enumerate(documents)
    }


def batch_report_json(reports: Sequence[ArticleReport], rejected: Sequence[Rejection]) -> dict:
    """The reports of a batch of articles and the records refused, schema
    ``copytrace.articles/1``."""
    return {
        "schema": BATCH_SCHEMA,
        "articles": [report.to_json() for report in reports],
        "rejected": [rejection.to_json() for rejection in rejected],
    }


def _candidate_table(candidates: Sequence[Candidate], kept: set[tuple[str, str]] | None = None) -> pa.Table:
    """Candidates as the store takes them, with whether each was kept when ``kept`` is given."""
    columns = {
        "a": pa.array([c.a for c in candidates], pa.string()),
        "b": pa.array([c.b for c in candidates], pa.string()),
        "jaccard_estimate": pa.array([c.jaccard_estimate for c in candidates], pa.float32()),
        "containment_estimate": pa.array([c.containment_estimate for c in candidates], pa.float32()),
        "method": pa.array([c.method for c in candidates], pa.string()),
    }
    if kept is not None:
        columns["kept"] = pa.array([(c.a, c.b) in kept for c in candidates], pa.bool_())
    return pa.table(columns)


def _stored_pair(row: dict, own: list[dict], texts: dict[str, Document]) -> VerifiedPair:
    """A stored pair with its passages (``own``, in order), as the scan verified it."""
    a, b = texts[row["a"]], texts[row["b"]]
    return VerifiedPair(
        a=row["a"], b=row["b"], source_id=row["source_id"], confidence=row["confidence"],
        coverage_a=row["coverage_a"], coverage_b=row["coverage_b"], similarity=row["similarity"],
        passages=tuple(
            Passage(p["a_start"], p["a_end"], p["b_start"], p["b_end"], a.text[p["a_start"]:p["a_end"]],
                    b.text[p["b_start"]:p["b_end"]], p["similarity"], p["verbatim_share"], p["region"])
            for p in own
        ),
    )
