"""`copytrace dedup` beside a datasketch MinHashLSH dedup at the same thresholds, on a
synthetic collection scanned by bench_scan.py (its folder holds scan.duckdb, docs.jsonl
and truth.jsonl).

For each threshold: how many articles each drops, the share of each planted kind of
copy dropped, and how many dropped articles are not planted copies at all. datasketch
runs the usual recipe: MinHash (128 permutations) of each article's lowercased word
5-grams, articles taken by date then id, each dropped when the LSH index holds one whose
estimated Jaccard is at least the threshold, else inserted.

    python benchmarks/bench_dedup.py out/bench-scan-10k-v2 --out out/bench-dedup-10k
    python benchmarks/bench_dedup.py out/bench-scan-10k-v2 --measure containment --thresholds 0.8 --out out/bench-dedup-10k-containment
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import regex
from datasketch import MinHash, MinHashLSH

from copytrace.dedup import dedup

SHINGLE_WORDS = 5
NUM_PERM = 128
_WORD = regex.compile(r"\w+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scan", type=Path, help="a bench_scan.py --out folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--measure", default="jaccard", help="copytrace's measure (datasketch's is Jaccard)")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.7, 0.8, 0.9])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    truth = {row["a"]: row["kind"] for row in _jsonl(args.scan / "truth.jsonl")}
    started = time.perf_counter()
    signatures = _signatures(args.scan / "docs.jsonl")
    signing_seconds = time.perf_counter() - started
    results = []
    for threshold in args.thresholds:
        started = time.perf_counter()
        summary = dedup(args.scan / "scan.duckdb", args.out / f"kept-{threshold}.parquet", threshold=threshold,
                        measure=args.measure)
        copytrace_dropped = [row["id"] for row in _dropped(args.out / f"kept-{threshold}.dropped.parquet")]
        copytrace_seconds = time.perf_counter() - started
        started = time.perf_counter()
        datasketch_dropped = _datasketch_dedup(signatures, threshold)
        results.append({
            "threshold": threshold,
            "copytrace": _scored(copytrace_dropped, truth, copytrace_seconds, summary.read),
            "datasketch": _scored(datasketch_dropped, truth, time.perf_counter() - started + signing_seconds,
                                  len(signatures)),
        })
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(_table(results, sorted(set(truth.values()))))


def _jsonl(path: Path):
    with path.open(encoding="utf-8") as lines:
        yield from (json.loads(line) for line in lines)


def _dropped(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def _signatures(docs: Path) -> list[tuple[tuple[str, str], MinHash]]:
    """Each article's (date, id) and the MinHash of its word 5-grams, in that order."""
    signed = []
    for record in _jsonl(docs):
        words = _WORD.findall(record["text"].lower())
        shingles = {" ".join(words[i:i + SHINGLE_WORDS]).encode() for i in range(max(len(words) - SHINGLE_WORDS + 1, 1))}
        minhash = MinHash(num_perm=NUM_PERM)
        minhash.update_batch(list(shingles))
        signed.append(((record.get("date") or "9999", record["id"]), minhash))
    return sorted(signed, key=lambda item: item[0])


def _datasketch_dedup(signatures: list[tuple[tuple[str, str], MinHash]], threshold: float) -> list[str]:
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    kept: dict[str, MinHash] = {}
    dropped = []
    for (_, id_), minhash in signatures:
        if any(kept[other].jaccard(minhash) >= threshold for other in lsh.query(minhash)):
            dropped.append(id_)
        else:
            lsh.insert(id_, minhash)
            kept[id_] = minhash
    return dropped


def _scored(dropped: list[str], truth: dict[str, str], seconds: float, documents: int) -> dict:
    kinds = Counter(truth.values())
    dropped_kinds = Counter(truth[id_] for id_ in dropped if id_ in truth)
    return {
        "documents": documents, "dropped": len(dropped), "seconds": round(seconds, 2),
        "not_planted_copies": sum(id_ not in truth for id_ in dropped),
        "dropped_share_by_kind": {kind: round(dropped_kinds[kind] / kinds[kind], 3) for kind in sorted(kinds)},
    }


def _table(results: list[dict], kinds: list[str]) -> str:
    lines = ["| threshold | method | dropped | not planted copies | " + " | ".join(kinds) + " |",
             "|---" * (4 + len(kinds)) + "|"]
    for result in results:
        for method in ("copytrace", "datasketch"):
            scored = result[method]
            shares = " | ".join(f"{scored['dropped_share_by_kind'][kind]:.3f}" for kind in kinds)
            lines.append(f"| {result['threshold']} | {method} | {scored['dropped']:,} | "
                         f"{scored['not_planted_copies']:,} | {shares} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
