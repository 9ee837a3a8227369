"""Spark's candidate step alone (keys, join, candidate rule), timed per stage: its input,
each document's signature and profile columns, is made once by the engine's parse step
and kept as Parquet in ``--documents``, so that runs of two commits can alternate
without parsing again (the whole-scan benchmark cannot tell a change of this step from
the machine's drift: docs/spark.md). Which code runs is whichever ``copytrace`` Python
imports, the Spark workers included (they inherit ``PYTHONPATH``), so another commit is
measured from a worktree:

    python benchmarks/bench_spark_candidates.py --docs out/bench-scan-1m/docs.jsonl \\
        --documents out/spark-candidates-1m/documents.parquet --label HEAD
    git worktree add /tmp/old 03cb589 && PYTHONPATH=/tmp/old/src \\
        python benchmarks/bench_spark_candidates.py ... --label 03cb589

Prints one JSON line: wall seconds, candidates and boilerplate n-grams found, and each
stage's tasks and task seconds (Spark's REST API, as ``bench_spark.py`` reads it); with
``--out``, the whole result as JSON. The step reads its documents from Parquet here, not
from the scan's cache of parsed rows, so its map is cheaper than in a whole scan.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_spark import _rest_metrics  # noqa: E402

STEP = "candidates"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, required=True, help="the collection (JSONL), parsed once")
    parser.add_argument("--documents", type=Path, required=True, help="Parquet of the parsed documents: made if absent")
    parser.add_argument("--label", default="run", help="names the run in its output")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--out", type=Path, help="write the whole result (every stage) here as JSON")
    args = parser.parse_args()

    import copytrace
    from copytrace.engine import ScanConfig
    from copytrace.engine import spark as engine

    spark = engine.spark_session(args.master, {"spark.ui.enabled": "true", "spark.driver.host": "127.0.0.1",
                                               "spark.ui.retainedStages": "5000", "spark.ui.retainedJobs": "5000"})
    config = ScanConfig()
    if not args.documents.exists():
        _write_documents(spark, engine, args.docs, args.documents, config)
    result = {"label": args.label, "copytrace": copytrace.__file__, **_timed_step(spark, engine, args.documents, config)}
    spark.stop()
    stages = [(stage["stage"], stage["tasks"], stage["task_seconds"]) for stage in result["stages"]]
    print(json.dumps({key: result[key] for key in ("label", "copytrace", "wall_seconds", "task_seconds",
                                                   "candidates", "boilerplate")} | {"stages": stages}))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


def _write_documents(spark, engine, docs: Path, documents: Path, config) -> None:
    """The scan's documents (first of each id), as its parse step gives them, with the
    columns the candidate step reads."""
    from copytrace.engine import plan
    from copytrace.ingest.readers import FieldMap

    cached: list = []
    parsed = engine._parsed(spark, [docs], documents.with_suffix(".unused"), FieldMap(), config, cached)
    found, _ = engine._first_of_each_id(parsed, cached)
    columns = dict.fromkeys([*engine._SIGNATURE_COLUMNS, "number", *(name for name, _ in plan.PROFILE_FIELDS)])
    found.select(*columns).write.parquet(str(documents))
    for frame in cached:
        frame.unpersist()


def _timed_step(spark, engine, documents: Path, config) -> dict:
    """The candidate step over ``documents``, as the scan runs it, and its stages."""
    frame = spark.read.parquet(str(documents))
    partitions = engine.document_partitions(frame.count(), engine._shuffle_partitions(spark))
    cached: list = []
    started = time.perf_counter()
    with engine._step(spark, {}, STEP):
        candidates, boilerplate = engine._candidates(frame, partitions, config, cached)
        candidates, boilerplate = engine._kept(candidates, cached), engine._kept(boilerplate, cached)
        found = {"candidates": candidates.count(), "boilerplate": boilerplate.count()}
    wall = time.perf_counter() - started
    metrics = _rest_metrics(spark)
    stages = [stage for stage in metrics["stages"] if stage["step"] == STEP]
    return {"wall_seconds": round(wall, 1), "task_seconds": metrics["steps"][STEP]["task_seconds"],
            "partitions": partitions, **found, "stages": stages}


if __name__ == "__main__":
    main()
