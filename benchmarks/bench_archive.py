"""The live archive: query latency, add throughput, server start and a load test, with
datasketch's MinHashLSH answering the same queries in the same run.

Generates the English synthetic collection (benchmarks/synthetic.py) of ``--size``
articles plus ``--arrivals`` more; scans the first ``--size`` into a store (or reuses
``--out``/archive.duckdb), then:

* **server start**: ``copytrace serve`` on the store a scan left (with the archive index
  the scan builds) until ``/health`` answers, twice: the first start upgrades a store of
  an older schema; the second is a plain restart;
* **query latency**: ``LiveArchive.query`` (sign, look up, verify, report: the whole
  answer) for ``--queries`` arriving articles of 500 to 700 words, one at a time,
  p50 and p99; beside it, datasketch's ``MinHashLSH.query`` over the same archive
  (candidates only, no verification: the least a near-duplicate index can do),
  for its p50 and p99 and the share of planted sources each finds;
* **add throughput**: the arriving articles added in batches (``LiveArchive.add``, on
  every core, after one untimed batch of 256 that warms both processes as a running
  server is warm) and one per transaction;
* **load test** against the real server on loopback: ``--clients`` concurrent clients for
  ``--seconds``, each posting queries (4 in 5) and single-article adds (1 in 5) of
  arriving articles; every response must be 200, and the store must hold every
  article added afterwards.

Writes ``results.json`` in ``--out``::

    python benchmarks/bench_archive.py --size 100000 --out out/bench-archive-100k
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import write_collection  # noqa: E402

from copytrace.engine import ScanConfig, scan  # noqa: E402
from copytrace.engine.archive import LiveArchive  # noqa: E402
from copytrace.engine.stages import warm_up  # noqa: E402
from copytrace.ingest import Document, read_documents  # noqa: E402
from copytrace.store import DuckDBStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="articles in the archive")
    parser.add_argument("--arrivals", type=int, default=3_000, help="articles arriving after it")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--datasketch-size", type=int, default=20_000,
                        help="archive articles datasketch indexes (its inserts take minutes past that)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--prepare-only", action="store_true",
                        help="generate and scan the archive, then stop (later runs reuse it)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    archive, arrivals, truth = prepare(args)
    if args.prepare_only:
        return
    results = {"size": args.size, "arrivals": len(arrivals)}
    results["server_start"] = server_starts(archive)
    queried = [d for d in arrivals if 500 <= len(d.body.split()) <= 700][: args.queries]
    results["query"] = query_latency(archive, queried, truth)
    results["datasketch_query"] = datasketch_latency(archive, queried, truth, args.datasketch_size)
    half = len(arrivals) // 2
    first_batch = arrivals[half + 300:][:256]
    results["add_batched"], results["add_single"] = add_throughput(
        archive, arrivals[:half], arrivals[half:][:300], first_batch)
    results["load"] = load_test(archive, arrivals, args.clients, args.seconds, args.out)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


def prepare(args: argparse.Namespace) -> tuple[Path, list[Document], dict[str, str]]:
    """The archive's store (scanned once, kept as a pristine copy) and the arriving
    articles; ``truth`` names each arriving derived article's planted parent."""
    collection = args.out / "collection"
    if not (collection / "docs.jsonl").exists():
        write_collection(args.size + args.arrivals, collection)
    archived = split_collection(collection, args.size)
    pristine = args.out / "pristine.duckdb"
    if not pristine.exists():
        started = time.perf_counter()
        scanning = args.out / "scanning.duckdb"
        scan([collection / "archive.jsonl"], scanning, config=ScanConfig())
        if Path(f"{scanning}.index").exists():  # the archive index a scan of a large store builds
            os.replace(f"{scanning}.index", f"{pristine}.index")
        os.replace(scanning, pristine)
        print(f"scanned {args.size:,} articles in {time.perf_counter() - started:.1f} s", flush=True)
    archive = args.out / "archive.duckdb"
    subprocess.run(["rm", "-rf", f"{archive}.index"], check=True)
    subprocess.run(["cp", str(pristine), str(archive)], check=True)
    if Path(f"{pristine}.index").exists():
        subprocess.run(["cp", "-r", f"{pristine}.index", f"{archive}.index"], check=True)
    os.sync()  # the copy's writes are not left to slow the measured reads down (15 GB at 1M articles)
    truth = {}  # arriving article -> its planted parent, where the archive holds it
    for line in (collection / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["b"] in archived:
            truth[row["a"]] = row["b"]
    arrivals = list(read_documents([collection / "arrivals.jsonl"]))
    return archive, arrivals, truth


def split_collection(collection: Path, size: int) -> set[str]:
    """Stream docs.jsonl into archive.jsonl (its first ``size`` lines) and
    arrivals.jsonl (the rest), line by line: at 1M articles the file is 6 GB.
    Returns the archived ids."""
    archived = set()
    with (
        (collection / "docs.jsonl").open(encoding="utf-8") as docs,
        (collection / "archive.jsonl").open("w", encoding="utf-8") as archive,
        (collection / "arrivals.jsonl").open("w", encoding="utf-8") as arrivals,
    ):
        for number, line in enumerate(docs):
            if number < size:
                archive.write(line)
                archived.add(json.loads(line)["id"])
            else:
                arrivals.write(line)
    return archived


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db: Path) -> tuple[subprocess.Popen, str, float]:
    """A real server on ``db``, and the seconds until its /health answered."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "copytrace", "serve", "--db", str(db), "--port", str(port)],
                              stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    while True:
        if server.poll() is not None:
            raise SystemExit(f"server exited: {server.stderr.read()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return server, url, time.perf_counter() - started
        except httpx.HTTPError:
            time.sleep(0.05)


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)
    server.wait(timeout=120)


def server_starts(db: Path) -> dict:
    first, _, first_seconds = start_server(db)
    stop_server(first)
    again, _, again_seconds = start_server(db)
    stop_server(again)
    print(f"server start: {first_seconds:.1f} s (first), {again_seconds:.1f} s (restart)", flush=True)
    return {"first_seconds": round(first_seconds, 2), "restart_seconds": round(again_seconds, 2)}


def percentiles(seconds: list[float]) -> dict:
    values = np.array(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(values, 50)), 2), "p99_ms": round(float(np.percentile(values, 99)), 2),
            "mean_ms": round(float(values.mean()), 2), "slowest_ms": sorted(values.round(1).tolist())[-3:],
            "queries": len(values)}


def query_latency(db: Path, documents: list[Document], truth: dict[str, str]) -> dict:
    """LiveArchive.query for each article, one at a time, after the warm-up a server
    does as it starts (the compiled kernels loaded) and one query."""
    with DuckDBStore(db, read_only=True) as store:
        archive = LiveArchive(store)
        warm_up(archive.align, archive.config)
        archive.query(documents[0])
        seconds, found = [], 0
        for document in documents:
            started = time.perf_counter()
            report = archive.query(document)
            seconds.append(time.perf_counter() - started)
            found += truth.get(document.id) in {m.document.id for m in report.sources + report.reprints}
    planted = sum(document.id in truth for document in documents)
    result = {**percentiles(seconds), "planted_parents": planted, "planted_parents_found": found}
    print(f"copytrace query: {result}", flush=True)
    return result


def datasketch_latency(db: Path, documents: list[Document], truth: dict[str, str], limit: int) -> dict:
    """datasketch MinHashLSH over the archive's first ``limit`` articles (5-word
    shingles, 64 permutations, threshold 0.5, as copytrace's own near-duplicate
    path), queried with each article: its latency and the planted parents it names."""
    from datasketch import MinHash, MinHashLSH

    def signed(text: str) -> MinHash:
        words = text.lower().split()
        minhash = MinHash(num_perm=64, seed=1)
        minhash.update_batch([" ".join(words[i : i + 5]).encode() for i in range(max(len(words) - 4, 1))])
        return minhash

    lsh = MinHashLSH(threshold=0.5, num_perm=64)
    with DuckDBStore(db, read_only=True) as store:
        rows = store.query(f"SELECT id, text FROM documents ORDER BY id LIMIT {int(limit)}").to_pylist()
    started = time.perf_counter()
    for row in rows:
        lsh.insert(row["id"], signed(row["text"]))
    indexed = time.perf_counter() - started
    seconds, found = [], 0
    for document in documents:
        begun = time.perf_counter()
        hits = lsh.query(signed(document.text))
        seconds.append(time.perf_counter() - begun)
        found += truth.get(document.id) in set(hits)
    result = {**percentiles(seconds), "archive_articles": len(rows), "index_seconds": round(indexed, 1),
              "planted_parents_found": found}
    print(f"datasketch query: {result}", flush=True)
    return result


def add_throughput(db: Path, batched: list[Document], single: list[Document], first_batch: list[Document]
                   ) -> tuple[dict, dict]:
    """Articles per second added by LiveArchive.add in its batches, then one at a time,
    on every core, as a running server adds them: its verification workers started and
    one batch (``first_batch``, not timed) added first, which loads the compiled kernels and
    caches of both processes."""
    results = []
    with DuckDBStore(db) as store, LiveArchive(store, workers=None) as archive:
        archive.add(first_batch)
        for documents, batch_size in ((batched, None), (single, 1)):
            started = time.perf_counter()
            archive.add(documents, **({} if batch_size is None else {"batch_size": batch_size}))
            seconds = time.perf_counter() - started
            results.append({"articles": len(documents), "seconds": round(seconds, 2),
                            "articles_per_second": round(len(documents) / seconds, 1)})
            print(f"add ({'batched' if batch_size is None else 'one per transaction'}): {results[-1]}", flush=True)
    return results[0], results[1]


def load_test(db: Path, arrivals: list[Document], clients: int, seconds: float, out: Path) -> dict:
    """``clients`` threads against the real server for ``seconds``: 4 queries for each
    add of a new article (fresh ids); every answer must be 200; afterwards the store
    holds every article added."""
    server, url, _ = start_server(db)
    before = httpx.get(f"{url}/health", timeout=30).json()["documents"]
    deadline = time.monotonic() + seconds
    counts = {"queries": 0, "adds": 0, "errors": 0}
    added: list[str] = []
    lock = threading.Lock()
    errors: list[str] = []

    def client(number: int) -> None:
        rng = random.Random(number)
        with httpx.Client(base_url=url, timeout=120) as http:
            sequence = 0
            while time.monotonic() < deadline:
                document = rng.choice(arrivals)
                body = {"text": document.text, "date": document.date.isoformat() if document.date else None,
                        "source": document.source}
                if rng.random() < 0.2:
                    sequence += 1
                    body["id"] = f"load-{number}-{sequence}"
                    response, kind = http.post("/articles", json=body), "adds"
                else:
                    response, kind = http.post("/query", json=body), "queries"
                with lock:
                    if response.status_code == 200:
                        counts[kind] += 1
                        if kind == "adds":
                            added.append(body["id"])
                    else:
                        counts["errors"] += 1
                        errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    after = httpx.get(f"{url}/health", timeout=30).json()["documents"]
    stop_server(server)
    with DuckDBStore(db, read_only=True) as store:
        stored = set(store.document_ids())
    result = {**counts, "clients": clients, "seconds": round(elapsed, 1),
              "requests_per_second": round((counts["queries"] + counts["adds"]) / elapsed, 1),
              "documents_before": before, "documents_after": after,
              "added_articles_missing": sum(id_ not in stored for id_ in added)}
    (out / "load-errors.txt").write_text("\n".join(errors))
    print(f"load test: {result}", flush=True)
    return result


if __name__ == "__main__":
    main()
