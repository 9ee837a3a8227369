"""Where verification spends its time: the candidate pairs of a scan store verified as a
scan's worker verifies them (chunks of pairs in the engine's order, their texts read from
a spill file, in a fresh worker process of its own), under cProfile.

    python benchmarks/profile_verify.py out/bench-scan-10k/scan.duckdb --pairs 3000

Prints wall and CPU seconds, pairs per CPU-second, an MD5 of the rows kept (to check
that a faster aligner gives the same results) and the functions that took the most
time. The worker is a fresh process because the state of malloc's heap matters: the
same pairs aligned in a process that had loaded the whole store spent a quarter of their
time in glibc's ``_int_malloc``, and a scan's workers spend a few percent there.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from copytrace.align import DEFAULT_CONFIG
from copytrace.align import _prepare as align_prepare
from copytrace.candidates.boilerplate import held_by_document
from copytrace.engine.local import VERIFY_CHUNK, _grouped_by_component, _verify_job, _verify_spilled
from copytrace.parallel import process_pool
from copytrace.store import DuckDBStore
from copytrace.store.spill import DocumentSpill


def spilled_jobs(db: str, limit: int | None, spill: DocumentSpill) -> tuple[list[tuple], tuple]:
    """The store's candidate pairs as the engine's verify jobs (``engine.local._verify``),
    grouped by story, their texts written to ``spill`` (read from a copy of the store with
    every candidate marked unverified), and the settings the jobs are verified with."""
    with tempfile.TemporaryDirectory() as folder:
        copy = shutil.copy(db, Path(folder) / "store.duckdb")
        with DuckDBStore(copy) as store:
            store.connection.execute("UPDATE candidates SET verified = false")
            pending = _grouped_by_component(store.unverified_candidates())[:limit]
            spill.write(store.documents_to_verify())
            boilerplate = store.boilerplate()
            held = held_by_document(store.fingerprints(), boilerplate.ngrams, {id_ for pair in pending for id_ in pair})
    chunks = [pending[i:i + VERIFY_CHUNK] for i in range(0, len(pending), VERIFY_CHUNK)]
    return [_verify_job(chunk, spill, held) for chunk in chunks], (DEFAULT_CONFIG, boilerplate)


def verify_profiled(jobs: list[tuple], settings: tuple, profiled: bool, stats_path: str
                    ) -> tuple[float, float, int, str]:
    """In a worker: every job verified (the first once more beforehand, to load the
    compiled kernels, untimed, its prepared texts then forgotten); wall seconds, CPU
    seconds of this process (which leave out time it waited), pairs kept and the MD5 of
    their rows."""
    _verify_spilled(jobs[0], settings)
    align_prepare.cache_clear()
    profile, seconds, cpu_seconds, kept, digest = cProfile.Profile(), 0.0, 0.0, 0, hashlib.md5()
    for job in jobs:
        if profiled:
            profile.enable()
        started, cpu_started = time.perf_counter(), time.process_time()
        rows = _verify_spilled(job, settings)
        seconds += time.perf_counter() - started
        cpu_seconds += time.process_time() - cpu_started
        profile.disable()
        kept += rows.pairs.num_rows
        for table in (rows.pairs, rows.passages):
            digest.update(repr(table.to_pydict()).encode())
    profile.dump_stats(stats_path)
    return seconds, cpu_seconds, kept, digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--pairs", type=int, default=None, help="the first N pairs only")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime or cumulative")
    parser.add_argument("--no-profile", action="store_true", help="time only (cProfile slows Python code)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, DocumentSpill(folder) as spill:
        jobs, settings = spilled_jobs(args.db, args.pairs, spill)
        if not jobs:
            raise SystemExit(f"{args.db}: no candidate pairs to verify")
        stats_path = str(Path(folder) / "verify.prof")
        with process_pool(1) as pool:  # one native thread, as a scan's workers
            seconds, cpu_seconds, kept, digest = pool.submit(
                verify_profiled, jobs, settings, not args.no_profile, stats_path).result()
        pairs = sum(len(locations) for _, locations, _ in jobs) // 2
        print(f"{pairs} pairs, {kept} kept, {seconds:.1f} s, {cpu_seconds:.1f} CPU-s, "
              f"{pairs / cpu_seconds:.0f} pairs per CPU-s, md5 {digest}")
        if not args.no_profile:
            pstats.Stats(stats_path).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
