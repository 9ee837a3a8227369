"""End-to-end scan benchmark: time, peak memory, planted-pair recall by kind, precision,
and how often the derivation trees name the planted parent and original.

Generates (or reuses) a collection with benchmarks/synthetic.py: the English one
(real prose from the PAN 2013 sources with planted reprints, edits, partial and
snippet quotes, chains and per-outlet boilerplate) or, with ``--collection
multilingual``, the SemEval-2022 Task 8 texts with planted reuse in each of
their 10 languages. Runs ``copytrace.scan`` into a fresh DuckDB store and
compares the store with the truth:

* recall: planted (derived, parent) pairs found among the verified pairs, in all
  and by kind;
* precision: verified pairs that are planted or whose two documents share planted
  text (a reprint and its grandparent, two reprints of one source); the others are
  false pairs, counted apart when every passage found lies in the boilerplate (footers,
  wire lines) of both documents: outlets' footers share their wording, not their names;
* parent accuracy: derived documents whose tree parent is the planted parent, among
  those whose parent can be decided: not when the derived document is identical to
  its parent and dated the same day, nor when another document with the body of the
  parent or of the derived document itself (an identical copy) is dated no later
  than the derived document, since no text evidence tells identical copies apart;
  also among those whose planted pair was found (the others cannot be right);
* original accuracy: derived documents whose story original is the lineage's root
  (also among those whose planted pair was found);
* tree edges whose parent is dated after its child (none is allowed).

For the multilingual collection each measure is also given per language. Writes
``results.json`` in ``--out``.

    python benchmarks/bench_scan.py --size 10000 --out out/bench-scan-10k
    python benchmarks/bench_scan.py --collection multilingual --out out/bench-scan-multilingual
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
from collections import Counter
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def cpu_seconds_since(before: os.times_result) -> float:
    """CPU seconds of this process and its finished children (the scan's worker
    processes) since ``before``."""
    now = os.times()
    return round(sum(getattr(now, field) - getattr(before, field)
                     for field in ("user", "system", "children_user", "children_system")), 1)


class MemorySampler:
    """Peak resident memory of this process and all its descendants together, sampled
    from /proc every 0.2 s (ru_maxrss of children is no use: a spawned worker counts the
    parent's pages it held between fork and exec). Shared library pages count once per
    process, so the sum errs high."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.peak_mb = interval, 0.0
        self.samples: list[tuple[float, float, float]] = []  # (perf_counter, main MB, all MB)
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
            tree = _process_tree(os.getpid())
            total = sum(map(_rss_mb, tree))
            self.samples.append((time.perf_counter(), _rss_mb(tree[0]), total))
            self.peak_mb = max(self.peak_mb, total)

    def peaks_by_step(self, started: float, step_seconds: dict[str, float]) -> dict[str, list[int]]:
        """[main, all processes] peak MB of each step, the steps taken to run one after the
        other from ``started`` (the gaps between them, a few store queries, go to the next)."""
        peaks, end = {}, started
        for step, seconds in step_seconds.items():
            begin, end = end, end + seconds
            inside = [(main, total) for at, main, total in self.samples if begin <= at < end] or [(0.0, 0.0)]
            peaks[step] = [round(max(main for main, _ in inside)), round(max(total for _, total in inside))]
        return peaks


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
    parser.add_argument("--collection", choices=["english", "multilingual"], default="english")
    parser.add_argument("--size", type=int, default=10000, help="articles of the English collection")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    from synthetic import SEMEVAL, write_collection, write_multilingual

    import copytrace
    from copytrace.engine import ScanConfig

    if args.collection == "multilingual" and not SEMEVAL.is_file():
        sys.exit(f"bench_scan: skipped, the multilingual collection needs {SEMEVAL} (../shared/data)")
    docs, truth_path, content_path = (args.out / name for name in ("docs.jsonl", "truth.jsonl", "content.jsonl"))
    if not all(path.exists() for path in (docs, truth_path, content_path)) or _stale(content_path):
        if args.collection == "multilingual":
            write_multilingual(args.out, args.seed)
        else:
            write_collection(args.size, args.out, args.seed)
    db = args.out / "scan.duckdb"
    db.unlink(missing_ok=True)
    started, times = time.perf_counter(), os.times()
    with MemorySampler() as memory:
        summary = copytrace.scan(
            [docs], db, config=ScanConfig(batch_size=args.batch_size, workers=args.workers), progress=True
        )
    seconds = time.perf_counter() - started
    peak_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    report = {
        "collection": args.collection,
        "documents": summary.documents,
        "seconds": round(seconds, 1),
        "cpu_seconds": cpu_seconds_since(times),
        "step_seconds": summary.step_seconds,
        "peak_rss_by_step_mb": memory.peaks_by_step(started, summary.step_seconds),
        "docs_per_second": round(summary.documents / seconds, 1),
        "candidates": summary.candidates_added,
        "pairs": summary.pairs,
        "stories": summary.stories,
        "peak_rss_main_mb": round(peak_main),
        "peak_rss_total_mb": round(memory.peak_mb),
        "workers": args.workers or "all cores",
    }
    report |= score(db, truth_path, content_path, by_language=args.collection == "multilingual")
    (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


def score(db: Path, truth_path: Path, content_path: Path, by_language: bool = False) -> dict:
    """Recall, precision, parent and original accuracy of the store ``db`` against the
    planted truth (overall, and per language when asked)."""
    import copytrace

    truth = [json.loads(line) for line in truth_path.read_text(encoding="utf-8").splitlines()]
    planted = {_key(t) for t in truth}
    root = {t["a"]: t["root"] for t in truth}
    with copytrace.open_store(db) as store:
        pairs = store.query("SELECT a, b FROM pairs")
        found = set(zip(pairs.column("a").to_pylist(), pairs.column("b").to_pylist()))
        stories = store.query("SELECT document_id, parent_id, story_id FROM stories")
        parent_and_story = zip(stories.column("parent_id").to_pylist(), stories.column("story_id").to_pylist())
        tree = dict(zip(stories.column("document_id").to_pylist(), parent_and_story))
        del pairs, stories
        first_passage = store.query(
            "SELECT a, b, min(a_start) AS a_first, min(b_start) AS b_first FROM passages GROUP BY a, b"
        )
        inversions = store.query(
            "SELECT count(*) AS n FROM stories s JOIN documents c ON c.id = s.document_id "
            "JOIN documents p ON p.id = s.parent_id WHERE p.date > c.date"
        ).column("n")[0].as_py()
    unplanted = [pair for pair in found if pair not in planted]
    content = _content_of({d for pair in unplanted for d in pair}, content_path)
    false_pairs = [
        (a, b) for a, b in unplanted if root.get(a, a) != root.get(b, b) or not _share_text(content[a], content[b])
    ]
    on_boilerplate = _on_boilerplate(set(false_pairs), first_passage, content)
    undecidable = _undecidable(truth)

    def parent_right(t: dict) -> bool:
        return tree.get(t["a"], (None, None))[0] == t["b"]

    def original_right(t: dict) -> bool:
        return tree.get(t["a"], (None, None))[1] == t["root"]

    def measures(records: list[dict], pairs_found: int, false: list[tuple[str, str]]) -> dict:
        decidable = [t for t in records if t["a"] not in undecidable]
        found_decidable = [t for t in decidable if _key(t) in found]
        return {
            "planted_pairs": len(records),
            "recall": _share(records, lambda t: _key(t) in found),
            "recall_by_kind": _by_kind(records, lambda t: _key(t) in found),
            "precision": round(1 - len(false) / max(pairs_found, 1), 4),
            "false_pairs": len(false),
            "false_pairs_on_boilerplate": sum(pair in on_boilerplate for pair in false),
            "decidable_parents": len(decidable),
            "parent_accuracy": _share(decidable, parent_right),
            "parent_accuracy_by_kind": _by_kind(decidable, parent_right),
            "parent_accuracy_found": _share(found_decidable, parent_right),
            "original_accuracy": _share(records, original_right),
            "original_accuracy_found": _share([t for t in records if _key(t) in found], original_right),
        }

    result = measures(truth, len(found), false_pairs) | {"tree_date_inversions": inversions}
    if by_language:
        language = {t["a"]: t["lang"] for t in truth} | {d: c["lang"] for d, c in content.items()}

        def in_language(lang: str, pair: tuple[str, str]) -> bool:
            return language.get(pair[0]) == lang or language.get(pair[1]) == lang

        result["by_language"] = {
            lang: measures(
                [t for t in truth if t["lang"] == lang],
                sum(in_language(lang, pair) for pair in found),
                [pair for pair in false_pairs if in_language(lang, pair)],
            )
            for lang in sorted({t["lang"] for t in truth})
        }
    return result


def _stale(content_path: Path) -> bool:
    """Whether a collection kept in ``--out`` was written by an older benchmarks/synthetic.py,
    whose content.jsonl lacks the fields scoring reads: it is written again."""
    with content_path.open(encoding="utf-8") as lines:
        first = lines.readline()
    return bool(first) and "body_chars" not in json.loads(first)


def _on_boilerplate(false_pairs: set[tuple[str, str]], first_passage, content: dict[str, dict]) -> set[tuple[str, str]]:
    """The false pairs whose passages all start in the boilerplate of both documents
    (``first_passage``: each pair's first passage start on either side)."""
    columns = (first_passage.column(name).to_pylist() for name in ("a", "b", "a_first", "b_first"))
    return {
        (a, b) for a, b, a_first, b_first in zip(*columns)
        if (a, b) in false_pairs and a_first >= content[a]["body_chars"] and b_first >= content[b]["body_chars"]
    }


def _key(record: dict) -> tuple[str, str]:
    return tuple(sorted((record["a"], record["b"])))


def _by_kind(records: list[dict], right) -> dict[str, float | None]:
    return {kind: _share([t for t in records if t["kind"] == kind], right) for kind in sorted({t["kind"] for t in records})}


def _share(records: list, right) -> float | None:
    return round(sum(map(right, records)) / len(records), 4) if records else None


def _content_of(ids: set[str], content_path: Path) -> dict[str, dict]:
    """The content records (planted sentences, boilerplate) of ``ids``, streamed."""
    content = {}
    with content_path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["id"] in ids:
                content[record.pop("id")] = record
    return content


def _share_text(x: dict, y: dict) -> bool:
    """Do two documents hold a planted sentence in common (their id ranges meet)?"""
    return any(a < d and c < b for a, b in x["sentences"] for c, d in y["sentences"])


def _undecidable(truth: list[dict]) -> set[str]:
    """Derived documents whose parent cannot be decided: identical to their parent and
    dated the same day, or another document with the parent's body or their own (an
    identical copy) is dated no later than they are."""
    body_of: dict[str, str] = {}
    dates: dict[str, str] = {}
    for t in truth:
        body_of[t["a"]], body_of[t["b"]] = t["a_body"], t["b_body"]
        dates[t["a"]], dates[t["b"]] = t["date"], t["parent_date"]
    copies: dict[str, list[str]] = {}  # body -> documents with it, for bodies held by several
    repeated = {body for body, count in Counter(body_of.values()).items() if count > 1}
    for document, body in body_of.items():
        if body in repeated:
            copies.setdefault(body, []).append(document)
    return {
        t["a"]
        for t in truth
        if (t["a_body"] == t["b_body"] and t["date"] == t["parent_date"])
        or any(
            q not in (t["a"], t["b"]) and dates[q] <= t["date"]
            for body in (t["a_body"], t["b_body"])
            for q in copies.get(body, ())
        )
    }


if __name__ == "__main__":
    main()
