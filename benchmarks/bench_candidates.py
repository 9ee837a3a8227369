"""Candidate generation, side by side: copytrace, datasketch MinHashLSH, rensa MinHashLSH.

One run generates (or reuses) a synthetic collection (benchmarks/synthetic.py),
runs each pipeline in its own process so that its peak memory is its own, and
reports docs/s, recall and precision of the planted pairs (overall and for pairs
with at least 30% containment) and peak RSS. Every pipeline streams the JSONL
through the same reader, pyarrow's (reading and parsing are part of its time), and
holds no text once it has used it, so memory measures what the pipeline itself
keeps. copytrace takes the record batches as they are
(:func:`copytrace.candidates.find_candidates_in_arrow`); the baselines take each
row's id and text as Python strings, which is how those libraries take text.

    python benchmarks/bench_candidates.py --size 10000 --out out/bench-10k

Each pipeline runs ``--repeat`` times (default 3) and the run of median time is
reported, with the times of all runs in results.json.

The baselines are the straightforward pipelines one would write with each
library: lower-cased whitespace words, word 3-gram shingles, 128 permutations,
LSH at Jaccard threshold 0.5, one query per document. datasketch is slow, so
past --datasketch-limit documents it runs on the first documents only: its
rate is measured there and its recall and precision count the planted pairs
inside that prefix (the output says so).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.json

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

BASELINE_PERMUTATIONS = 128
BASELINE_THRESHOLD = 0.5
BASELINE_NGRAM = 3


def read_batches(path: Path, limit: int | None, seen: list[str]) -> Iterator[pa.RecordBatch]:
    """The JSONL collection as pyarrow streams it, in blocks of about 16 MB, up to
    ``limit`` rows; the ids read are appended to ``seen``."""
    reader = pyarrow.json.open_json(path, read_options=pyarrow.json.ReadOptions(block_size=16 << 20))
    for batch in reader:
        if limit is not None:
            batch = batch.slice(0, limit - len(seen))
        seen += batch.column("id").to_pylist()
        yield batch
        if limit is not None and len(seen) >= limit:
            return


def rows(batches: Iterable[pa.RecordBatch]) -> Iterator[tuple[str, str]]:
    """Each row's id and text as Python strings."""
    for batch in batches:
        yield from zip(batch.column("id").to_pylist(), batch.column("text").to_pylist())


def baseline_shingles(text: str) -> list[str]:
    words = text.lower().split()
    return list({" ".join(words[i : i + BASELINE_NGRAM]) for i in range(max(1, len(words) - BASELINE_NGRAM + 1))})


def run_copytrace(batches: Iterable[pa.RecordBatch]) -> set[tuple[str, str]]:
    from copytrace.candidates import CandidateConfig, find_candidates_in_arrow

    pairs = find_candidates_in_arrow(batches, CandidateConfig())
    ids = pairs.ids
    return {(ids[a], ids[b]) for a, b in zip(pairs.a.tolist(), pairs.b.tolist())}


def run_datasketch(batches: Iterable[pa.RecordBatch]) -> set[tuple[str, str]]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=BASELINE_THRESHOLD, num_perm=BASELINE_PERMUTATIONS)
    signatures = {}
    for id_, text in rows(batches):
        m = MinHash(num_perm=BASELINE_PERMUTATIONS)
        m.update_batch([s.encode("utf-8") for s in baseline_shingles(text)])
        lsh.insert(id_, m)
        signatures[id_] = m
    return _query_all(signatures, lsh.query)


def run_rensa(batches: Iterable[pa.RecordBatch]) -> set[tuple[str, str]]:
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=BASELINE_THRESHOLD, num_perm=BASELINE_PERMUTATIONS, num_bands=16)
    signatures, ids = {}, []
    for key, (id_, text) in enumerate(rows(batches)):
        m = RMinHash(num_perm=BASELINE_PERMUTATIONS, seed=42)
        m.update(baseline_shingles(text))
        lsh.insert(key, m)
        signatures[key] = m
        ids.append(id_)
    return {(ids[min(a, b)], ids[max(a, b)]) for a, b in _query_all(signatures, lsh.query)}


def _query_all(signatures: dict, query) -> set:
    pairs = set()
    for key, m in signatures.items():
        for other in query(m):
            if other != key:
                pairs.add((min(key, other), max(key, other)))
    return pairs


PIPELINES = {"copytrace": run_copytrace, "datasketch": run_datasketch, "rensa": run_rensa}


def measure(pipeline: str, docs: Path, truth: Path, limit: int | None) -> dict:
    """Run one pipeline in this process and score it against the planted pairs."""
    seen: list[str] = []
    start = time.perf_counter()
    candidates = PIPELINES[pipeline](read_batches(docs, limit, seen))
    seconds = time.perf_counter() - start
    scores = score(candidates, truth, set(seen))
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "pipeline": pipeline,
        "documents": len(seen),
        "seconds": round(seconds, 2),
        "docs_per_second": round(len(seen) / seconds, 1),
        "peak_rss_mb": round(peak_self, 1),
        "candidates": len(candidates),
        **scores,
    }


def score(candidates: set[tuple[str, str]], truth: Path, present: set[str]) -> dict:
    """Recall of planted pairs (all, and containment >= 0.3) and precision: a candidate is
    right when both articles belong to one planted lineage."""
    planted = [json.loads(line) for line in truth.open(encoding="utf-8")]
    planted = [p for p in planted if p["a"] in present and p["b"] in present]
    root = {p["a"]: p["root"] for p in planted} | {p["b"]: p["root"] for p in planted}
    for p in planted:
        root.setdefault(p["root"], p["root"])

    def found(p: dict) -> bool:
        return (min(p["a"], p["b"]), max(p["a"], p["b"])) in candidates

    strong = [p for p in planted if p["containment"] >= 0.3]
    right = sum(1 for a, b in candidates if a in root and root[a] == root.get(b))
    strong_pairs = {(min(p["a"], p["b"]), max(p["a"], p["b"])) for p in strong}
    return {
        "planted_pairs": len(planted),
        "recall": round(sum(map(found, planted)) / max(len(planted), 1), 4),
        "recall_containment_30": round(sum(map(found, strong)) / max(len(strong), 1), 4),
        "precision": round(right / max(len(candidates), 1), 4),
        "candidates_among_planted_30": len(candidates & strong_pairs),
        "recall_by_kind": {
            kind: round(sum(found(p) for p in planted if p["kind"] == kind) / sum(p["kind"] == kind for p in planted), 4)
            for kind in sorted({p["kind"] for p in planted})
        },
    }


def in_subprocess(pipeline: str, docs: Path, truth: Path, limit: int | None) -> dict:
    command = [sys.executable, __file__, "--measure", pipeline, "--docs", str(docs), "--truth", str(truth)]
    if limit is not None:
        command += ["--limit", str(limit)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def median_run(runs: list[dict]) -> dict:
    """The run of median time (every run finds the same pairs), with the times of all
    and the highest peak memory: machines are noisy, one run can be off by 15%."""
    ordered = sorted(runs, key=lambda run: run["seconds"])
    return {**ordered[len(ordered) // 2], "runs_seconds": [run["seconds"] for run in runs], "peak_rss_mb": max(run["peak_rss_mb"] for run in runs)}


def markdown(results: list[dict], size: int) -> str:
    datasketch = next((r for r in results if r["pipeline"] == "datasketch"), None)
    runs = len(results[0]["runs_seconds"])
    lines = [
        f"Collection: {size:,} synthetic articles (benchmarks/synthetic.py, seed 13); "
        + ("each pipeline run once." if runs == 1 else f"each pipeline run {runs} times, the median run shown."),
        "",
        "| pipeline | docs | docs/s (JSONL to pairs) | × datasketch | recall | recall (containment ≥ 0.3) | precision | candidates | seconds | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = f"{r['docs_per_second'] / datasketch['docs_per_second']:.1f}" if datasketch else "–"
        lines.append(
            f"| {r['pipeline']} | {r['documents']:,} | {r['docs_per_second']:,.0f} | {ratio} | {r['recall']:.4f} | "
            f"{r['recall_containment_30']:.4f} | {r['precision']:.4f} | {r['candidates']:,} | "
            f"{r['seconds']:.1f} | {r['peak_rss_mb']:.0f} |"
        )
    if datasketch and datasketch["documents"] < size:
        lines += ["", f"datasketch ran on the first {datasketch['documents']:,} articles only; its rate is measured there and its recall and precision count the planted pairs within them."]
    lines += ["", "Recall by kind of planted reuse:", "", "| pipeline | " + " | ".join(sorted(results[0]["recall_by_kind"])) + " |", "|---|" + "---:|" * len(results[0]["recall_by_kind"])]
    for r in results:
        lines.append(f"| {r['pipeline']} | " + " | ".join(f"{v:.3f}" for _, v in sorted(r["recall_by_kind"].items())) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark candidate generation against datasketch and rensa.")
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--out", type=Path, default=None, help="folder for the collection and results (default out/bench-SIZE)")
    parser.add_argument("--datasketch-limit", type=int, default=20000)
    parser.add_argument("--pipelines", default="copytrace,datasketch,rensa")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each pipeline; the median run is reported")
    parser.add_argument("--measure", choices=sorted(PIPELINES), help=argparse.SUPPRESS)
    parser.add_argument("--docs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--truth", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.docs, args.truth, args.limit)))
        return
    from synthetic import write_collection

    out = args.out or ROOT / "out" / f"bench-{args.size}"
    docs, truth = out / "docs.jsonl", out / "truth.jsonl"
    if not docs.exists() or not truth.exists():
        write_collection(args.size, out)
    results = []
    for pipeline in args.pipelines.split(","):
        limit = min(args.size, args.datasketch_limit) if pipeline == "datasketch" else None
        results.append(median_run([in_subprocess(pipeline, docs, truth, limit) for _ in range(args.repeat)]))
        print(json.dumps(results[-1]), file=sys.stderr)
    (out / "results.json").write_text(json.dumps({"schema": "copytrace.bench-candidates/1", "size": args.size, "results": results}, indent=2))
    table = markdown(results, args.size)
    (out / "results.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
