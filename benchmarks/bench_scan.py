"""End-to-end scan benchmark: time, peak memory, planted-pair recall and precision,
and how often the derivation trees name the planted parent and original.

Generates (or reuses) a synthetic collection with benchmarks/synthetic.py (real
prose from the PAN 2013 sources, planted reprints, partial quotes and chains with
known lineage), runs ``copytrace.scan`` into a fresh DuckDB store and compares the
store with the truth:

* recall: planted (derived, parent) pairs found among the verified pairs;
* precision: verified pairs whose two documents belong to one planted lineage
  (a reprint and its grandparent, or two reprints of one source, are true reuse);
* parent accuracy: derived documents whose tree parent is the planted parent;
* original accuracy: derived documents whose story original is the lineage's root.

    python benchmarks/bench_scan.py --size 10000 --out out/bench-scan-10k
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    from synthetic import write_collection

    import copytrace
    from copytrace.engine import ScanConfig

    docs, truth_path = args.out / "docs.jsonl", args.out / "truth.jsonl"
    if not docs.exists() or not truth_path.exists():
        write_collection(args.size, args.out, args.seed)
    db = args.out / "scan.duckdb"
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    summary = copytrace.scan(
        [docs], db, config=ScanConfig(batch_size=args.batch_size, workers=args.workers), progress=True
    )
    seconds = time.perf_counter() - started
    peak_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    truth = [json.loads(line) for line in truth_path.read_text(encoding="utf-8").splitlines()]
    planted = {tuple(sorted((t["a"], t["b"]))) for t in truth}
    root = {t["a"]: t["root"] for t in truth}
    with copytrace.open_store(db) as store:
        found = {(p["a"], p["b"]) for p in store.pairs().select(["a", "b"]).to_pylist()}
        nodes = {n["document_id"]: n for n in store.stories().to_pylist()}
    same_lineage = sum(root.get(a, a) == root.get(b, b) for a, b in found)
    parent_right = sum(nodes.get(t["a"], {}).get("parent_id") == t["b"] for t in truth)
    original_right = sum(nodes.get(t["a"], {}).get("story_id") == t["root"] for t in truth)
    report = {
        "documents": summary.documents,
        "seconds": round(seconds, 1),
        "docs_per_second": round(summary.documents / seconds, 1),
        "candidates": summary.candidates_added,
        "pairs": summary.pairs,
        "stories": summary.stories,
        "planted_pairs": len(planted),
        "recall": round(len(planted & found) / max(len(planted), 1), 4),
        "precision": round(same_lineage / max(len(found), 1), 4),
        "parent_accuracy": round(parent_right / max(len(truth), 1), 4),
        "original_accuracy": round(original_right / max(len(truth), 1), 4),
        "peak_rss_main_mb": round(peak_main),
        "peak_rss_worker_mb": round(peak_worker),
        "workers": args.workers or "all cores",
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
