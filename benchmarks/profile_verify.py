"""Where verification spends its time: one process aligns the candidate pairs of a scan
store, in the order the engine takes them, under cProfile.

    python benchmarks/profile_verify.py out/bench-scan-10k/scan.duckdb --pairs 3000

Prints pairs/s, an MD5 of the verified pairs' JSON (to check that a faster aligner gives
the same results) and the functions that took the most time.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from copytrace.candidates.boilerplate import Boilerplate, held_by_document
from copytrace.engine.local import _grouped_by_component
from copytrace.engine.stages import verify_pairs
from copytrace.parallel import one_native_thread
from copytrace.store import DuckDBStore


def load_pairs(db: str, limit: int | None) -> tuple[list, Boilerplate]:
    """The store's candidate pairs as document pairs, grouped by story as the engine groups
    them (read from a copy of the store with every candidate marked unverified), and the
    boilerplate the scan verified them with, knowing the fingerprints each document holds
    as the scan's workers do (``engine.local._verify``)."""
    with tempfile.TemporaryDirectory() as folder:
        copy = shutil.copy(db, Path(folder) / "store.duckdb")
        with DuckDBStore(copy) as store:
            store.connection.execute("UPDATE candidates SET verified = false")
            pending = _grouped_by_component(store.unverified_candidates())[:limit]
            documents = {document.id: document for document in store.documents_to_verify()}
            boilerplate = store.boilerplate()
            wanted = {id_ for pair in pending for id_ in pair}
            boilerplate = boilerplate.knowing(held_by_document(store.fingerprints(), boilerplate.ngrams, wanted))
    return [(documents[a], documents[b]) for a, b in pending], boilerplate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--pairs", type=int, default=None, help="the first N pairs only")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime or cumulative")
    parser.add_argument("--no-profile", action="store_true", help="time only (cProfile slows Python code)")
    args = parser.parse_args()
    one_native_thread()  # as in a scan's workers
    pairs, boilerplate = load_pairs(args.db, args.pairs)
    verify_pairs(pairs[:20], boilerplate=boilerplate)  # loads the compiled kernels
    profile = cProfile.Profile()
    start = time.perf_counter()
    if not args.no_profile:
        profile.enable()
    kept = verify_pairs(pairs, boilerplate=boilerplate)
    profile.disable()
    seconds = time.perf_counter() - start
    digest = hashlib.md5(json.dumps([pair.to_json() for pair in kept]).encode()).hexdigest()
    print(f"{len(pairs)} pairs, {len(kept)} kept, {seconds:.1f} s, {len(pairs) / seconds:.0f} pairs/s, md5 {digest}")
    if not args.no_profile:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
