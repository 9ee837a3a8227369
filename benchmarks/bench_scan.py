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
import os
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


class MemorySampler:
    """Peak resident memory of this process and all its descendants together, sampled
    from /proc every 0.2 s (ru_maxrss of children is no use: a spawned worker counts the
    parent's pages it held between fork and exec). Shared library pages count once per
    process, so the sum errs high."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.peak_mb = interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, sum(map(_rss_mb, _process_tree(os.getpid()))))


def _process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, pending = [], [pid]
    while pending:
        tree.append(pending.pop())
        pending += children.get(tree[-1], [])
    return tree


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    kilobytes = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")), "0")
    return int(kilobytes) / 1024


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
    with MemorySampler() as memory:
        summary = copytrace.scan(
            [docs], db, config=ScanConfig(batch_size=args.batch_size, workers=args.workers), progress=True
        )
    seconds = time.perf_counter() - started
    peak_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

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
        "peak_rss_total_mb": round(memory.peak_mb),
        "workers": args.workers or "all cores",
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
