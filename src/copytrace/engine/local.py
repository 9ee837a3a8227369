"""The local engine: runs the stages of :mod:`copytrace.engine.stages` over a
collection on one machine, streaming into a store.

1. **ingest**: read records in batches; worker processes parse and sign each
   batch (:func:`copytrace.engine.stages.parse_and_sign`) while this process
   accounts for the records in read order and stores each batch of new documents
   with its signatures in one transaction. Only ids and text hashes stay in
   memory; texts leave memory with their batch.
2. **candidates**: the signatures of every stored document (old and new) are
   joined at once, so new documents are linked to those of earlier scans;
   candidates not stored yet are added.
3. **verify**: the documents of candidates not verified yet are copied once
   into a spill file (:mod:`copytrace.store.spill`); chunks of pairs are aligned
   on all cores, each worker reading its documents from the spill and sending
   back the store's rows of the pairs it kept; rows are stored every
   :data:`STORE_EVERY` pairs in one transaction.
4. **stories**: stories and derivation trees are rebuilt from all verified pairs,
   so an original that arrives after its reprints re-roots its story.

Every stage resumes from what the store holds, so a scan interrupted and run
again finishes the work without doing any of it twice.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from itertools import chain, islice
from pathlib import Path

import duckdb
import numpy as np
from rich.progress import Progress

from copytrace.align import DEFAULT_CONFIG, AlignConfig
from copytrace.candidates import CandidateConfig, boilerplate_table, pairs_from_signatures
from copytrace.candidates.boilerplate import Boilerplate, held_by_document
from copytrace.engine.stages import DocumentRow, parse_and_sign, verify_pairs
from copytrace.errors import InputError
from copytrace.faults import fault_point
from copytrace.ingest import FieldMap, Rejection
from copytrace.ingest.readers import (
    OnError, Read, accept_records, check_on_error, read_unparsed, recorded_inputs, rejection,
)
from copytrace.ingest.rejects import RejectsFile
from copytrace.outputs import refuse_inputs
from copytrace.parallel import bounded_map, process_pool, worker_count
from copytrace.progress import Tracker, progress_bars
from copytrace.provenance.stories import build_stories, component_roots
from copytrace.store import DuckDBStore, Store
from copytrace.store.archive_index import ArchiveIndex
from copytrace.store.records import SignedBatch, VerifiedRows
from copytrace.store.spill import DocumentSpill, read_spilled

SUMMARY_SCHEMA = "copytrace.scan/1"
DEFAULT_DB = "copytrace.duckdb"
_STAGE_WORDS = {"ingest": "reading documents", "candidates": "finding candidates",
                "verify": "verifying candidates", "stories": "building stories", "done": "finishing"}
# A batch is parsed in a worker while others wait (2 x workers in flight), so its size
# only costs memory past a point; a typo of a few zeros should not take the machine.
MAX_BATCH_SIZE = 100_000
VERIFY_CHUNK = 128  # pairs per task sent to a worker process
# Verified pairs per store transaction. Each transaction's update joins its keys with the
# whole candidates table and commits the log, so fewer, larger ones leave the workers
# more of the machine (100,000 articles: storing took 6.4 s of this process's time in
# transactions of 2,048 pairs, 2.8 s in transactions of 8,192 with plain inserts).
STORE_EVERY = 8192


@dataclass(frozen=True)
class ScanSummary:
    """What a scan did. ``read = stored + existing + rejected``: ``stored`` documents are
    new, ``existing`` ones were already in the store with the same text (a rerun).
    ``step_seconds``: wall seconds of each step of the engine, in the order run."""

    db: str
    run_id: int
    read: int
    stored: int
    existing: int
    rejected: int
    documents: int
    candidates_added: int
    verified: int
    pairs: int
    stories: int
    rejects_file: str | None
    seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.scan/1``."""
        return {"schema": SUMMARY_SCHEMA, **asdict(self)}


@dataclass(frozen=True)
class ScanConfig:
    """Engine settings. ``batch_size``: documents per ingest batch (1 to
    :data:`MAX_BATCH_SIZE`); ``workers``: processes for signing and verifying (None: one
    per core), bounded by :func:`copytrace.parallel.worker_count`. Results do not
    depend on either."""

    batch_size: int = 1000
    workers: int | None = None
    candidates: CandidateConfig = CandidateConfig()
    align: AlignConfig = DEFAULT_CONFIG


class ScanInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a scan. The store holds what was written before (each write is one
    transaction) and the same scan run again resumes; the message says what was kept."""


def scan(
    paths: Sequence[str | Path],
    db: str | Path = DEFAULT_DB,
    *,
    config: ScanConfig = ScanConfig(),
    field_map: FieldMap | None = None,
    on_error: OnError = "fail",
    rejects: str | Path | None = None,
    progress: bool = False,
) -> ScanSummary:
    """Scan ``paths`` into the store ``db``: every reuse pair, stories, source trees.

    With ``on_error="skip"`` bad records are written to ``rejects`` (JSONL, this run's
    rejects; default ``<db>.rejects.jsonl``, see :class:`RejectsFile`) and to the rejects
    table instead of stopping the scan. The store and the rejects file are never read as
    inputs: given as one, they are refused; inside a folder given, they are passed by. Ctrl-C raises :class:`ScanInterrupted`, whatever the scan was
    doing (DuckDB reports it as its own errors).
    """
    started = dt.datetime.now()
    with _sigint_noted() as interrupted:
        try:
            return _scan(paths, db, config=config, field_map=field_map, on_error=on_error,
                         rejects=rejects, progress=progress)
        except BaseException as error:
            if isinstance(error, (KeyboardInterrupt, duckdb.InterruptException)) or interrupted():
                raise ScanInterrupted(_what_was_kept(db, started)) from error
            raise


@contextmanager
def _sigint_noted() -> Iterator[Callable[[], bool]]:
    """Whether SIGINT arrived inside the block: a query or checkpoint that Ctrl-C stops
    fails with DuckDB's errors (``RuntimeError: Query interrupted``), not KeyboardInterrupt.
    Python's own handler still raises KeyboardInterrupt; other handlers are left alone."""
    seen: list[int] = []

    def note(signum: int, frame: object) -> None:
        seen.append(signum)
        signal.default_int_handler(signum, frame)

    own_handler = threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    previous = signal.signal(signal.SIGINT, note) if own_handler else None
    try:
        yield lambda: bool(seen)
    finally:
        if own_handler:
            signal.signal(signal.SIGINT, previous)


def _what_was_kept(db: str | Path, started: dt.datetime) -> str:
    """One line for an interrupted scan: its stage, what it stored, how to resume."""
    resume = "run the same scan again to resume"
    if str(db) == ":memory:" or not Path(db).exists():
        return f"interrupted; nothing was stored; {resume}"
    try:
        with DuckDBStore(db, read_only=True) as store:
            run = store.query("SELECT run_id, stage FROM runs WHERE started_at >= ? ORDER BY run_id DESC LIMIT 1",
                              [started]).to_pylist()
            if not run:
                return f"interrupted before the scan started; nothing was stored; {resume}"
            [counts] = store.query(
                "SELECT (SELECT count(*) FROM documents WHERE run_id = ?) AS stored, "
                "(SELECT count(*) FROM documents) AS documents, "
                "(SELECT count(*) FROM candidates WHERE verified) AS verified, "
                "(SELECT count(*) FROM candidates) AS candidates", [run[0]["run_id"]]).to_pylist()
    except (duckdb.Error, InputError) as error:
        return f"interrupted; the store could not be read back ({error}); {resume}"
    verified = (f" and {counts['verified']:,} of {counts['candidates']:,} candidates are verified"
                if counts["candidates"] else "")
    return (f"interrupted while {_STAGE_WORDS.get(run[0]['stage'], run[0]['stage'])}: this scan stored "
            f"{counts['stored']:,} documents ({counts['documents']:,} in {db}){verified}; {resume}")


def _scan(
    paths: Sequence[str | Path],
    db: str | Path,
    *,
    config: ScanConfig,
    field_map: FieldMap | None,
    on_error: OnError,
    rejects: str | Path | None,
    progress: bool,
) -> ScanSummary:
    if not 1 <= config.batch_size <= MAX_BATCH_SIZE:
        raise InputError("batch size", f"must be between 1 and {MAX_BATCH_SIZE:,}, not {config.batch_size}")
    started = dt.datetime.now()
    workers = worker_count(config.workers)
    check_on_error(on_error)
    rejects_path = Path(rejects) if rejects else Path(f"{db}.rejects.jsonl")
    unparsed = read_unparsed(paths, field_map, _outputs(db, rejects_path))
    rejects_output = RejectsFile(rejects_path) if on_error == "skip" else nullcontext()
    bars = progress_bars() if progress else nullcontext(None)
    steps: dict[str, float] = {}
    with DuckDBStore(db) as store, bars as bar:
        store.check_settings({"candidates": asdict(config.candidates)})
        run_id = store.start_run(recorded_inputs(paths))
        with timed_step(steps, "ingest"), rejects_output as rejects_file, store.bulk_writes():
            reads = _parsed_and_signed(unparsed, config, workers)
            counts = _ingest(store, reads, on_error, run_id, rejects_file, Tracker(bar, "read", None))
        store.update_run(run_id, stage="candidates", **counts)
        with timed_step(steps, "candidates"):
            added = _candidates(store, config.candidates)
        store.update_run(run_id, stage="verify", candidates=added)
        with timed_step(steps, "verify"):
            verified = _verify(store, config.align, workers, bar)
        store.update_run(run_id, stage="stories", verified=verified)
        with timed_step(steps, "stories"):
            stories = _stories(store, Tracker(bar, "stories", None))
        pairs = store.query("SELECT count(*) AS n FROM pairs").column("n")[0].as_py()
        documents = store.query("SELECT count(*) AS n FROM documents").column("n")[0].as_py()
        store.update_run(run_id, stage="done", finished_at=dt.datetime.now(), pairs=pairs, stories=stories)
        with timed_step(steps, "index"):
            _archive_index(store, config.candidates, bar, documents)
    return ScanSummary(
        db=str(db), run_id=run_id, **counts, documents=documents, candidates_added=added,
        verified=verified, pairs=pairs, stories=stories,
        rejects_file=str(rejects_path) if rejects_file and rejects_file.written else None,
        seconds=(dt.datetime.now() - started).total_seconds(), step_seconds=steps,
    )


@contextmanager
def timed_step(seconds: dict[str, float], name: str) -> Iterator[None]:
    """Record the wall seconds the block takes as ``seconds[name]`` (a summary's
    ``step_seconds``), whether or not it raises."""
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds[name] = round(time.perf_counter() - started, 3)


def _archive_index(store: DuckDBStore, config: CandidateConfig, bar: Progress | None, documents: int) -> None:
    """Build the live archive's index of the store now where its first opening would
    (:meth:`ArchiveIndex.prepare`: a large store), so that ``serve`` and ``add`` start
    without building it; its progress bar shows only when it does."""
    trackers: list[Tracker] = []

    def advance(rows: int) -> None:
        if not trackers:
            trackers.append(Tracker(bar, "index", documents))
        trackers[0].advance(rows)

    ArchiveIndex.prepare(store, config, advance)
    for tracker in trackers:
        tracker.done()


def _outputs(db: str | Path, rejects: Path) -> dict[str, str]:
    """The files a scan writes, each with what it is; the rejects file may not be one of the others."""
    outputs = {} if str(db) == ":memory:" else {
        str(db): "the store", f"{db}.wal": "the store's log", f"{db}.tmp": "the store's scratch folder",
    }
    refuse_inputs(rejects, {path: f"{what} of this run" for path, what in outputs.items()})
    return {**outputs, str(rejects): "the rejects file"}


def _parsed_and_signed(
    unparsed: Iterator[Read], config: ScanConfig, workers: int
) -> Iterator[tuple[list[Read], SignedBatch]]:
    """Batches of records, parsed and signed on ``workers`` processes, in read order:
    each record with its outcome (why it was refused, or its document's row)."""
    jobs = ((batch, batch) for batch in _batches(unparsed, config.batch_size))
    for reads, (outcomes, signed) in _map_in_workers(parse_and_sign, jobs, config.candidates, workers, ordered=True):
        yield [read._replace(outcome=outcome) for read, outcome in zip(reads, outcomes)], signed


def _ingest(
    store: Store,
    batches: Iterable[tuple[list[Read], SignedBatch]],
    on_error: OnError,
    run_id: int,
    rejects_file: RejectsFile | None,
    tracker: Tracker,
) -> dict[str, int]:
    """Store new documents batch by batch; count every record read. Each batch is stored
    in a thread while the next is accounted for (DuckDB works without the GIL); one
    batch at most is in flight, so memory stays at a few batches. A bad record that
    stops the run (``on_error="fail"``) says how many documents were stored before it."""
    known = store.known_documents()
    seen_ids: set[str] = set()
    counts = {"read": 0, "stored": 0, "existing": 0, "rejected": 0}
    with ThreadPoolExecutor(1) as writer:
        storing: Future | None = None
        try:
            for reads, signed in batches:
                records = zip(reads, accept_records(reads, on_error, seen_ids))  # one outcome per record read
                new, rejected = _classified(records, known, counts, rejects_file is not None)
                if storing is not None:
                    storing.result()
                    fault_point("ingest")
                storing = writer.submit(store.add_batch, signed.take([row.row for row in new]), rejected, run_id)
                known.update((row.id, row.text_hash) for row in new)
                for refused in rejected:
                    rejects_file.write(refused)
                counts["read"] += len(reads)
                counts["stored"] += len(new)
                counts["rejected"] += len(rejected)
                tracker.advance(len(reads))
        except InputError as stop:  # a bad record under on_error="fail"
            if storing is not None:
                storing.result()  # the batch before it is stored (or its failure raised) before it is counted
            raise _stopped(stop, counts["stored"]) from None
        if storing is not None:
            storing.result()
    fault_point("ingested")
    tracker.done()
    return counts


def _stopped(stop: InputError, stored: int) -> InputError:
    """The error of a bad record that stopped a scan, saying what the batches before it stored."""
    if not stored:
        return stop
    return InputError(stop.where, f"{stop.reason} (the scan stopped here; the {stored:,} new documents of the "
                                  "batches before it are stored: run it again with --on-error skip to pass bad "
                                  "records by)")


def _classified(
    records: Iterable[tuple[Read, DocumentRow | Rejection]], known: dict[str, str], counts: dict[str, int], skip: bool
) -> tuple[list[DocumentRow], list[Rejection]]:
    """A batch's new documents and rejected records, from each record read and its
    outcome; documents already stored with the same text are counted as ``existing``. A
    known id with another text is rejected where it was read (or, without ``skip``,
    stops the scan naming that place)."""
    new: list[DocumentRow] = []
    rejected: list[Rejection] = []
    for read, record in records:
        if isinstance(record, Rejection):
            rejected.append(record)
        elif record.id not in known:
            new.append(record)
        elif known[record.id] == record.text_hash:
            counts["existing"] += 1
        else:
            reason = f"id '{record.id}' is already in the store with a different text"
            if not skip:
                raise InputError(read.where, reason)
            rejected.append(rejection(read, reason))
    return new, rejected


def _batches(records: Iterator, size: int) -> Iterator[list]:
    while batch := list(islice(records, size)):
        yield batch


def _candidates(store: Store, config: CandidateConfig) -> int:
    """Candidates among all stored documents; the number not stored before."""
    fault_point("candidates")
    ids, dates, sources, signatures = store.signatures()
    if not ids:
        return 0
    found = pairs_from_signatures(signatures, config, dates, sources)
    del signatures
    store.replace_boilerplate(boilerplate_table(found.boilerplate, sources))
    return store.add_candidates(replace(found, ids=tuple(ids)).to_arrow())


def _verify(store: Store, config: AlignConfig, workers: int, bar: Progress | None) -> int:
    """Align every unverified candidate on ``workers`` processes, with the boilerplate
    the candidate step stored; store the results every :data:`STORE_EVERY` pairs, each
    time in one transaction."""
    pending = _grouped_by_component(store.unverified_candidates())
    if not pending:
        return 0
    tracker = Tracker(bar, "verify", len(pending))
    chunks = [pending[i:i + VERIFY_CHUNK] for i in range(0, len(pending), VERIFY_CHUNK)]
    boilerplate = store.boilerplate()
    held = held_by_document(store.fingerprints(), boilerplate.ngrams, {id_ for pair in pending for id_ in pair}
                            ) if len(boilerplate.ngrams) else {}
    with DocumentSpill(_scratch_folder(store)) as spill:
        spill.write(store.documents_to_verify())
        jobs = ((chunk, _verify_job(chunk, spill, held)) for chunk in chunks)
        checked: list[tuple[str, str]] = []
        kept: list[VerifiedRows] = []
        settings = (config, boilerplate)
        for chunk, rows in _map_in_workers(_verify_spilled, jobs, settings, workers, ordered=False):
            fault_point("verify")
            checked += chunk
            kept.append(rows)
            if len(checked) >= STORE_EVERY:
                store.add_verified(checked, VerifiedRows.concatenate(kept))
                checked, kept = [], []
            tracker.advance(len(chunk))
        if checked:
            store.add_verified(checked, VerifiedRows.concatenate(kept))
    tracker.done()
    return len(pending)


def _scratch_folder(store: Store) -> str | None:
    """Beside the store file (its disk has room for the texts); the system's for a store in memory."""
    return None if store.path == ":memory:" else str(Path(store.path).resolve().parent)


def _verify_job(chunk: list[tuple[str, str]], spill: DocumentSpill, held: dict[str, np.ndarray]) -> tuple:
    """What a worker needs to verify ``chunk``: the spill file, where the pairs' documents
    are in it, and the boilerplate fingerprints those documents hold (:attr:`Boilerplate.held`)."""
    ids = [id_ for pair in chunk for id_ in pair]
    return spill.path, [spill.locate(id_) for id_ in ids], {id_: held[id_] for id_ in ids if id_ in held}


def _verify_spilled(job: tuple, settings: tuple[AlignConfig, Boilerplate]) -> VerifiedRows:
    """:func:`verify_pairs` over a chunk's pairs, read from the spill file by the worker;
    the store's rows of the pairs kept."""
    path, locations, held = job
    config, boilerplate = settings
    documents = read_spilled(path, locations)
    return VerifiedRows.of(verify_pairs(list(zip(documents[::2], documents[1::2])), config, boilerplate.knowing(held)))


def _grouped_by_component(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pairs ordered by connected component of the candidate graph, then by id, so
    that a chunk holds the pairs of a few stories and each worker prepares an article
    once for all its pairs (the aligner caches prepared texts)."""
    roots = component_roots(pairs)
    return sorted(pairs, key=lambda pair: (roots[pair[0]], pair))


def _map_in_workers(
    function: Callable, jobs: Iterator[tuple[object, object]], settings: object, workers: int, ordered: bool
) -> Iterator[tuple[object, object]]:
    """``(key, function(job, settings))`` for each ``(key, job)``, on ``workers`` processes
    with at most ``2 × workers`` jobs in flight: in job order, or each as soon as it is
    done (a slow job then holds back none of the others). An input of one job runs here:
    starting workers would cost more than they save."""
    first = list(islice(jobs, 2))
    if workers <= 1 or len(first) < 2:
        yield from ((key, function(job, settings)) for key, job in chain(first, jobs))
        return
    with process_pool(workers) as pool:
        calls = ((key, (job, settings)) for key, job in chain(first, jobs))
        yield from bounded_map(pool, function, calls, 2 * workers, ordered)


def _stories(store: Store, tracker: Tracker) -> int:
    """Rebuild every story from all verified pairs; how many there are. The forest is
    let go here: at 1M articles it is hundreds of MB that the index step would hold too."""
    edges, dates = store.pair_graph()
    forest = build_stories(edges, dates)
    fault_point("stories")
    store.replace_stories(forest)
    tracker.advance(len(edges))
    tracker.done()
    return len({node.story_id for node in forest.nodes})
