"""Where the Spark engine's candidate step spends its Python time, without Spark: the
key blocks of a scan store's signatures (``plan.key_blocks``, batches of 10,000
documents, as Arrow hands them to a map), then each join partition's join
(``plan.join_blocks``), in one process under cProfile. cProfile charges each Python call,
so it overstates code of many numpy calls against one compiled call: compare two
versions with ``--no-profile`` (at 1M the old numpy join looked 17% slower profiled and
was as fast unprofiled: docs/spark.md).

    python benchmarks/profile_spark_join.py out/bench-spark-100k/local.duckdb --partitions 8
    python benchmarks/profile_spark_join.py out/bench-spark-1m/local.duckdb --partitions 50 --no-profile --first 6

Prints the seconds of each half, the rows they give and the functions that took the
most time; what it leaves out is Spark's own work (the shuffle, Arrow between the JVM
and Python).
"""

from __future__ import annotations

import argparse
import cProfile
import contextlib
import pstats
import time
from collections import defaultdict

import duckdb
import numpy as np
import pyarrow as pa

from copytrace.candidates import CandidateConfig, source_names
from copytrace.engine import plan
from copytrace.store.schema import SCHEMAS

ARROW_BATCH_ROWS = 10_000  # spark.sql.execution.arrow.maxRecordsPerBatch's default


def signed_documents(db: str) -> pa.Table:
    """The store's signature columns with each document's source and a number (id order)."""
    columns = ", ".join(f"s.{name}" for name in SCHEMAS["signatures"].names)
    with duckdb.connect(db, read_only=True) as connection:
        table = connection.sql(f"SELECT {columns}, d.source FROM signatures s JOIN documents d USING (id) "
                               "ORDER BY d.id").to_arrow_table()
    return table.append_column("number", pa.array(np.arange(table.num_rows, dtype=np.int64)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--partitions", type=int, default=8, help="join partitions (Spark's at 100k: 8)")
    parser.add_argument("--top", type=int, default=15, help="functions listed for each half")
    parser.add_argument("--no-profile", action="store_true", help="time only")
    parser.add_argument("--first", type=int, help="join only the first FIRST partitions")
    args = parser.parse_args()
    documents, config = signed_documents(args.db), CandidateConfig()
    sources = source_names(documents.column("source").to_pylist())
    routes = np.arange(args.partitions, dtype=np.int32)
    batches = documents.to_batches(max_chunksize=ARROW_BATCH_ROWS)
    list(plan.key_blocks(batches[:1], config, sources, routes))  # loads the compiled kernels
    keys_profile, join_profile = cProfile.Profile(), cProfile.Profile()
    profiled = contextlib.nullcontext if args.no_profile else lambda profile: profile
    start = time.perf_counter()
    with profiled(keys_profile):
        blocks = pa.Table.from_batches(list(plan.key_blocks(batches, config, sources, routes)), schema=plan.KEY_BLOCK)
    keyed = time.perf_counter()
    by_route = defaultdict(list)
    for route, block in zip(blocks.column("route").to_pylist(), blocks.column("keys").to_pylist()):
        by_route[route].append(block)
    rows = 0
    with profiled(join_profile):
        for route, held in sorted(by_route.items())[: args.first]:
            task = pa.RecordBatch.from_arrays([pa.array([route] * len(held), pa.int32()), pa.array(held, pa.binary())],
                                              schema=plan.KEY_BLOCK)
            rows += sum(batch.num_rows for batch in plan.join_blocks([task], config, sources))
    joined = time.perf_counter()
    print(f"key blocks: {keyed - start:.1f} s, {blocks.num_rows} blocks; join: {joined - keyed:.1f} s, {rows} rows")
    for profile in () if args.no_profile else (keys_profile, join_profile):
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
