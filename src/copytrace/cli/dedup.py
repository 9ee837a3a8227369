"""`copytrace dedup`: a scanned collection without its near-duplicates (docs/dedup.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import duckdb
import typer

from copytrace.cli import Interrupted, app, say, shown
from copytrace.dedup import DEFAULT_THRESHOLD, MEASURES, dedup as run_dedup
from copytrace.engine import DEFAULT_DB



@app.command("dedup")
def dedup(
    db: Path = typer.Option(Path(DEFAULT_DB), "--db", help="A store (copytrace scan) or the --out folder of copytrace scan --engine spark."),
    out: Path = typer.Option(..., "--out", help="The collection without its near-duplicates: a .jsonl or .parquet file (replaced when done)."),
    dropped: Optional[Path] = typer.Option(None, "--dropped", help="The dropped documents: id, duplicate_of, score (.jsonl or .parquet; default <out stem>.dropped<suffix> beside --out)."),
    threshold: float = typer.Option(DEFAULT_THRESHOLD, "--threshold", help="Drop a document whose score with a kept one is at least this (above 0, at most 1)."),
    measure: str = typer.Option("jaccard", "--measure", help=f"Score of a pair: {' or '.join(MEASURES)} (docs/dedup.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Write the collection less its near-duplicates, keeping the original of each, and the list of those dropped."""
    try:
        summary = run_dedup(db, out, dropped=dropped, threshold=threshold, measure=measure, progress=not as_json)
    except (KeyboardInterrupt, duckdb.InterruptException):
        raise Interrupted("interrupted; nothing was written (the outputs are replaced only when a run ends)") from None
    if as_json:
        print(json.dumps(summary.to_json(), indent=2))
        return
    say(shown(
        f"read {summary.read:,} documents: kept {summary.kept:,}, dropped {summary.dropped:,} near-duplicates "
        f"of {summary.clusters:,} kept ones ({summary.measure} >= {summary.threshold}); {summary.seconds:.1f} s"))
    say(shown(f"kept: {summary.out}; dropped: {summary.dropped_file}"))
