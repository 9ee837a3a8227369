"""The local engine against the Spark engine on one collection, in one run: wall time
and peak memory of each, Spark's time, shuffle read and write per plan step and per
stage, and a row-by-row identity check of every table.

The local engine scans into a DuckDB store with ``--workers`` processes; the Spark
engine scans the same file in ``--master`` (``local[2]`` by default) into a Parquet
dataset, which is imported into a second store (``copytrace import-parquet``). Peak
memory is the resident memory of this process and all its descendants, sampled every
0.2 s: the spawned workers of the local engine; Spark's JVM (driver and executor in
local mode) and its Python workers. Spark's numbers come from its REST API
(``/api/v1/applications/<id>/stages`` and ``/jobs``), each job described by the plan
step that started it (``copytrace: verify``). Two tables are identical when each
holds every row of the other as often (DuckDB ``EXCEPT ALL`` both ways), clock times
left out. Per core, Spark's task seconds (summed over stages) are set against the
local engine's CPU seconds (this process and its workers). Writes ``results.json`` in
``--out``.

    flock /work/notes/bench.lock python benchmarks/bench_spark.py \\
        --docs out/bench-scan-100k-v2/docs.jsonl --out out/bench-spark-100k
    python benchmarks/bench_spark.py --size 10000 --out out/bench-spark-10k   # writes the collection
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scan import MemorySampler, cpu_seconds_since  # noqa: E402

SKEW_CHECKED_SECONDS = 10  # stages with this many task seconds get their tasks' run time quantiles
CLOCK_COLUMNS = {"documents": ["ingested_at"], "runs": ["started_at", "finished_at"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=Path, help="a collection's docs.jsonl (read only); else one is written")
    parser.add_argument("--size", type=int, default=10000, help="articles of the collection written without --docs")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--workers", type=int, default=2, help="processes of the local engine")
    parser.add_argument("--conf", action="append", default=[], help="a Spark setting KEY=VALUE (repeatable)")
    parser.add_argument("--reuse-local", action="store_true",
                        help="keep the local engine's store and numbers of an earlier run in --out on the same --docs")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    docs = args.docs or _written_collection(args.size, args.out)
    results = {"docs": str(docs), "load_before": _load(), "master": args.master, "local_workers": args.workers}
    results["local"] = _earlier_local_run(args.out, docs) if args.reuse_local else \
        _local_run(docs, args.out / "local.duckdb", args.workers)
    _write(args.out, results)  # a run stopped during Spark's keeps the local engine's numbers
    results["spark"] = _spark_run(docs, args.out, args.master, dict(setting.split("=", 1) for setting in args.conf))
    results["load_after"] = _load()
    results["identical"] = _identical(args.out / "local.duckdb", args.out / "spark.duckdb")
    results["all_identical"] = all(table["identical"] for table in results["identical"].values())
    results["spark_over_local"] = round(results["spark"]["seconds"] / results["local"]["seconds"], 2)
    spark_task_seconds = sum(step["task_seconds"] for step in results["spark"]["steps"].values())
    results["spark_task_seconds_over_local_cpu_seconds"] = round(spark_task_seconds / results["local"]["cpu_seconds"], 2)
    _write(args.out, results)
    shown = {**results, "spark": {key: value for key, value in results["spark"].items() if key != "stages"}}
    print(json.dumps(shown, indent=2))


def _write(out: Path, results: dict) -> None:
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")


def _written_collection(size: int, out: Path) -> Path:
    from synthetic import write_collection

    return write_collection(size, out / "collection")[0]


def _load() -> str:
    return Path("/proc/loadavg").read_text().strip()


def _earlier_local_run(out: Path, docs: Path) -> dict:
    """The local engine's numbers of the last run in ``out``, marked as reused; refused
    unless that run scanned the same collection."""
    earlier = json.loads((out / "results.json").read_text())
    if earlier.get("docs") != str(docs) or "local" not in earlier or not (out / "local.duckdb").exists():
        raise SystemExit(f"{out}: no local run of {docs} to reuse")
    return {**earlier["local"], "reused_from_load": earlier["load_before"]}


def _local_run(docs: Path, db: Path, workers: int) -> dict:
    import copytrace
    from copytrace.engine import ScanConfig

    for stale in (db, Path(f"{db}.wal")):
        stale.unlink(missing_ok=True)
    started, times = time.perf_counter(), os.times()
    with MemorySampler() as memory:
        summary = copytrace.scan([docs], db, config=ScanConfig(workers=workers))
    return {"seconds": round(time.perf_counter() - started, 1), "cpu_seconds": cpu_seconds_since(times),
            "peak_rss_mb": round(memory.peak_mb),
            "documents": summary.documents, "pairs": summary.pairs, "stories": summary.stories}


def _spark_run(docs: Path, out: Path, master: str, conf: dict[str, str]) -> dict:
    from copytrace.engine import ScanConfig
    from copytrace.engine.spark import spark_scan, spark_session
    from copytrace.store.parquet_import import import_parquet

    dataset, db = out / "spark.parquet", out / "spark.duckdb"
    shutil.rmtree(dataset, ignore_errors=True)
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    with MemorySampler() as memory:
        spark = spark_session(master, {"spark.ui.enabled": "true", "spark.driver.host": "127.0.0.1",
                                       "spark.ui.retainedStages": "5000", "spark.ui.retainedJobs": "5000", **conf})
        session_ready = time.perf_counter()
        summary = spark_scan([docs], dataset, spark=spark, config=ScanConfig())
        scanned = time.perf_counter()
        metrics = _rest_metrics(spark)
        spark.stop()
    import_started = time.perf_counter()
    import_parquet(dataset, db)
    return {
        "seconds": round(scanned - started, 1), "session_start_seconds": round(session_ready - started, 1),
        "scan_seconds": round(scanned - session_ready, 1), "import_seconds": round(time.perf_counter() - import_started, 1),
        "peak_rss_mb": round(memory.peak_mb), "documents": summary.documents, "pairs": summary.pairs,
        "stories": summary.stories, "dataset_mb": round(_size(dataset) / 2**20, 1), **metrics,
    }


def _rest_metrics(spark) -> dict:
    """Per plan step: wall time (first job submitted to last completed), task time and
    shuffle read/write in MB; and every stage with its own."""
    base = f"{spark.sparkContext.uiWebUrl}/api/v1/applications/{spark.sparkContext.applicationId}"
    jobs = _get(f"{base}/jobs")
    stages = _get(f"{base}/stages")
    step_of_stage = {}
    steps: dict[str, dict] = defaultdict(lambda: {"jobs": 0, "first": None, "last": None})
    for job in jobs:
        step = (job.get("description") or job.get("name", "")).removeprefix("copytrace: ")
        entry = steps[step]
        entry["jobs"] += 1
        entry["first"] = min(filter(None, [entry["first"], job.get("submissionTime")]))
        entry["last"] = max(filter(None, [entry["last"], job.get("completionTime")]))
        for stage in job.get("stageIds", []):
            step_of_stage[stage] = step
    per_step: dict[str, dict] = {}
    stage_rows = []
    for stage in stages:
        if stage.get("status") != "COMPLETE":
            continue  # skipped stages (their shuffle output was reused) did no work
        step = step_of_stage.get(stage["stageId"], "?")
        row = {"stage": stage["stageId"], "step": step, "tasks": stage["numTasks"], "task_seconds": round(stage["executorRunTime"] / 1000, 1),
               "input_mb": _mb(stage["inputBytes"]), "shuffle_read_mb": _mb(stage["shuffleReadBytes"]),
               "shuffle_write_mb": _mb(stage["shuffleWriteBytes"]), "spill_mb": _mb(stage["diskBytesSpilled"]),
               "peak_execution_memory_mb": _mb(stage.get("peakExecutionMemory", 0))}
        if stage.get("submissionTime") and stage.get("completionTime"):
            row["wall_seconds"] = round(_seconds(stage["completionTime"]) - _seconds(stage["submissionTime"]), 1)
        if row["task_seconds"] >= SKEW_CHECKED_SECONDS:
            row["task_run_seconds_quantiles"] = _task_quantiles(base, stage)
        stage_rows.append(row)
        total = per_step.setdefault(step, {"task_seconds": 0.0, "shuffle_read_mb": 0.0, "shuffle_write_mb": 0.0,
                                            "spill_mb": 0.0, "stages": 0})
        for key in ("task_seconds", "shuffle_read_mb", "shuffle_write_mb", "spill_mb"):
            total[key] = round(total[key] + row[key], 1)
        total["stages"] += 1
    for step, entry in steps.items():
        if step in per_step and entry["first"] and entry["last"]:
            per_step[step]["wall_seconds"] = round(_seconds(entry["last"]) - _seconds(entry["first"]), 1)
    return {"steps": per_step, "stages": sorted(stage_rows, key=lambda row: row["stage"])}


def _task_quantiles(base: str, stage: dict) -> dict:
    """Run time of the stage's tasks at quantiles 0, 0.5, 0.9 and 1: a maximum far above
    the median is a skewed stage, whose last tasks leave cores idle."""
    summary = _get(f"{base}/stages/{stage['stageId']}/{stage['attemptId']}/taskSummary?quantiles=0,0.5,0.9,1")
    return dict(zip(("min", "median", "p90", "max"), (round(ms / 1000, 1) for ms in summary["executorRunTime"])))


def _get(url: str):
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)


def _seconds(timestamp: str) -> float:
    """Seconds of a REST API time (``2024-01-01T10:00:00.123GMT``)."""
    from datetime import datetime

    return datetime.strptime(timestamp.replace("GMT", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def _mb(size: int) -> float:
    return round(size / 2**20, 1)


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _identical(local: Path, spark: Path) -> dict:
    """For every table: rows in each store, and whether each holds the other's rows."""
    import duckdb

    from copytrace.store.schema import TABLES

    con = duckdb.connect()
    # EXCEPT ALL of two 1M-article documents tables (5 GB of texts) took 18 GB under
    # DuckDB's default limit (80% of memory) and the process was killed: bound it, spill.
    con.execute("SET memory_limit = '4GB'")
    con.execute(f"SET temp_directory = '{spark.parent / 'identity.tmp'}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"ATTACH '{local}' AS local (READ_ONLY)")
    con.execute(f"ATTACH '{spark}' AS spark (READ_ONLY)")
    found = {}
    for name in TABLES:
        dropped = CLOCK_COLUMNS.get(name)
        columns = f"* EXCLUDE ({', '.join(dropped)})" if dropped else "*"
        counts = [con.execute(f"SELECT count(*) FROM {db}.{name}").fetchone()[0] for db in ("local", "spark")]
        missing = [con.execute(f"SELECT count(*) FROM (SELECT {columns} FROM {a}.{name} EXCEPT ALL "
                               f"SELECT {columns} FROM {b}.{name})").fetchone()[0]
                   for a, b in (("local", "spark"), ("spark", "local"))]
        found[name] = {"local_rows": counts[0], "spark_rows": counts[1], "identical": counts[0] == counts[1] and missing == [0, 0]}
    return found


if __name__ == "__main__":
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    main()
