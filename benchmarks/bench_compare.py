"""Time ``copytrace.compare`` over every pair of the PAN 2013 training corpus.

Each pair is compared in full, as ``copytrace compare`` does: both files read
with the plain-text reader, the source decided, passages aligned, the edit
report, names and figures, quotations and derivation level computed. Pairs are
spread over all cores (``--workers``). In the same run, on the same pairs and
cores, a baseline does what a script without copytrace would: a word-level
``difflib.SequenceMatcher`` diff of the two whole texts, keeping matching
blocks of at least 8 words. The ratio of the two times is the figure to
compare across machines. Both are also scored at the pair level against the
gold: recall is the share of pairs with planted reuse in which anything was
found, precision the share of pairs with findings that have planted reuse
(passage-level accuracy is ``copytrace eval pan``'s job). Many summary pairs
of the corpus have no gold case; they count as pairs without reuse.

    python benchmarks/bench_compare.py --out out/bench-compare

Writes ``results.json`` and ``results.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import time
from pathlib import Path

from copytrace.evaluation.pan import obfuscation_types, read_annotations
from copytrace.evaluation.pan import read_pairs as read_pairs_of_type
from copytrace.parallel import process_pool

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "pan13-text-alignment-train"
BASELINE_MIN_BLOCK = 8


def compare_pair(paths: tuple[str, str]) -> int:
    """Passages found by ``copytrace.compare`` for one (source, suspicious) pair."""
    import copytrace
    from copytrace.ingest import read_document

    source, suspicious = (read_document(Path(path)) for path in paths)
    return len(copytrace.compare(source, suspicious).passages)


def diff_pair(paths: tuple[str, str]) -> int:
    """Matching blocks of at least 8 words found by a whole-text difflib diff."""
    source, suspicious = (Path(path).read_text(encoding="utf-8").split() for path in paths)
    blocks = difflib.SequenceMatcher(None, source, suspicious).get_matching_blocks()
    return sum(block.size >= BASELINE_MIN_BLOCK for block in blocks)


def timed_run(function, pairs: list[tuple[str, str]], reused: list[bool], workers: int) -> dict:
    """Wall time over all pairs, and how well "found any reuse" matches the gold."""
    started = time.perf_counter()
    chunksize = max(1, min(32, len(pairs) // (workers * 8)))
    with process_pool(workers) as pool:
        found = [count > 0 for count in pool.map(function, pairs, chunksize=chunksize)]
    seconds = time.perf_counter() - started
    hits = sum(f and r for f, r in zip(found, reused))
    return {
        "seconds": round(seconds, 2),
        "pairs_per_second": round(len(pairs) / seconds, 1),
        "pair_recall": round(hits / max(1, sum(reused)), 4),
        "pair_precision": round(hits / max(1, sum(found)), 4),
    }


def read_pairs(corpus: Path, limit: int | None) -> tuple[list[tuple[str, str]], list[bool]]:
    """(source, suspicious) paths of the corpus's pairs, and whether the gold has a reuse case in each."""
    pairs = [pair for name in obfuscation_types(corpus) for pair in read_pairs_of_type(corpus, name)][:limit]
    paths = [(str(corpus / "src" / pair.source), str(corpus / "susp" / pair.suspicious)) for pair in pairs]
    return paths, [bool(read_annotations(corpus / pair.obfuscation / pair.xml_name)) for pair in pairs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--limit", type=int, default=None, help="first pairs only")
    parser.add_argument("--no-baseline", action="store_true", help="skip the difflib baseline")
    args = parser.parse_args()
    if not (args.corpus / "pairs").is_file():
        sys.exit(f"{args.corpus}: PAN 2013 training corpus not found (needs 'pairs', 'src', 'susp')")

    pairs, reused = read_pairs(args.corpus, args.limit)
    results = {"pairs": len(pairs), "workers": args.workers, "cpus": os.cpu_count()}
    results["copytrace"] = timed_run(compare_pair, pairs, reused, args.workers)
    print(f"copytrace.compare: {results['copytrace']}", flush=True)
    if not args.no_baseline:
        results["difflib"] = timed_run(diff_pair, pairs, reused, args.workers)
        results["speedup"] = round(results["difflib"]["seconds"] / results["copytrace"]["seconds"], 2)
        print(f"difflib baseline:  {results['difflib']}", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (args.out / "results.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))


def markdown(results: dict) -> str:
    rows = ["| pipeline | seconds | pairs/s | pair recall | pair precision |", "|---|---|---|---|---|"]
    for name in ("copytrace", "difflib"):
        if name in results:
            r = results[name]
            rows.append(
                f"| {name} | {r['seconds']} | {r['pairs_per_second']} | {r['pair_recall']} | {r['pair_precision']} |"
            )
    head = f"{results['pairs']} PAN pairs, {results['workers']} workers on {results['cpus']} CPUs"
    tail = f"\ncopytrace is {results['speedup']}× the difflib baseline's speed.\n" if "speedup" in results else ""
    return head + "\n\n" + "\n".join(rows) + "\n" + tail


if __name__ == "__main__":
    main()
