"""`copytrace scan`, `export`, `stories`, `show`: scan a collection into a store and read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.tree import Tree

from copytrace.cli import Interrupted, app, say, shown, stdout
from copytrace.cli.spark import engine_chosen, spark_scan_command
from copytrace.engine import DEFAULT_DB, ScanConfig, scan as run_scan
from copytrace.engine.local import ScanInterrupted
from copytrace.ingest import FieldMap
from copytrace.ingest.readers import counted
from copytrace.store import open_store
from copytrace.store.export import EXPORT_FORMATS, export_tables
from copytrace.store.queries import document_view, story_summaries, story_tree

DB_OPTION = typer.Option(Path(DEFAULT_DB), "--db", help="DuckDB store file.")
# show --json: {"schema", "document": DocumentView, "story": [TreeNode],
#               "boilerplate": [{"start", "end", "text"}]: the document's boilerplate (docs/boilerplate.md)}
SHOW_SCHEMA = "copytrace.show/1"


@app.command("scan")
def scan(
    # Strings, not Paths: a Path would turn --engine spark's URIs (s3a://bucket/key) into s3a:/bucket/key.
    inputs: list[str] = typer.Argument(..., help="Files or folders (.txt, .jsonl, .csv, .parquet); with --engine spark also URIs (s3a://, hdfs://)."),
    db: Path = DB_OPTION,
    on_error: str = typer.Option("fail", "--on-error", help="fail: stop at the first bad record; skip: reject it."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="JSONL of this run's rejected records (default <db>.rejects.jsonl); replaced only when a record is rejected."),
    fields: Optional[str] = typer.Option(None, "--fields", help="Field map, e.g. id=doc_id,text=body."),
    batch_size: int = typer.Option(1000, "--batch-size", help="Documents per ingest batch (1 to 100,000)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Processes (default: one per core; at most one per core and per 350 MB of free memory)."),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
    engine: str = typer.Option("local", "--engine", help="local, or spark: run on Apache Spark (docs/spark.md)."),
    out: Optional[str] = typer.Option(None, "--out", help="--engine spark: folder or URI for the Parquet dataset of the tables."),
    master: Optional[str] = typer.Option(None, "--master", help="--engine spark: Spark master URL (default: spark-submit's, else local[*])."),
    conf: list[str] = typer.Option([], "--conf", help="--engine spark: a Spark setting KEY=VALUE (repeatable)."),
) -> None:
    """Find every reuse pair in a collection, group them into stories, build source trees."""
    try:
        summary = spark_scan_command(
            inputs, out, master=master, conf=conf, config=ScanConfig(batch_size=batch_size, workers=workers),
            field_map=FieldMap.parse(fields) if fields else None, on_error=on_error,
        ) if engine_chosen(engine, {"--out": out, "--master": master, "--conf": conf}) == "spark" else run_scan(
            inputs, db, config=ScanConfig(batch_size=batch_size, workers=workers),
            field_map=FieldMap.parse(fields) if fields else None,
            on_error=on_error, rejects=rejects, progress=not as_json,
        )
    except ScanInterrupted as interrupted:
        raise Interrupted(str(interrupted)) from None
    if as_json:
        print(json.dumps(summary.to_json(), indent=2))
        return
    say(shown(
        f"read {counted(summary.read, 'record')}: {summary.stored:,} stored, {summary.existing:,} already stored, "
        f"{summary.rejected:,} rejected"
        + (f" (see {summary.rejects_file})" if summary.rejected and summary.rejects_file else "")
    ))
    say(shown(
        f"{counted(summary.documents, 'document')} in {summary.db}; {counted(summary.verified, 'candidate')} "
        f"verified; {counted(summary.pairs, 'reuse pair')} in {counted(summary.stories, 'story', 'stories')}; "
        f"{summary.seconds:.1f} s"
    ))
    say("steps: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in summary.step_seconds.items()))


@app.command("export")
def export(
    db: Path = DB_OPTION,
    format: str = typer.Option("parquet", "--format", help=f"One of {', '.join(EXPORT_FORMATS)}."),
    out: Path = typer.Option(..., "--out", help="Folder for one file per table (created if needed; table files there are replaced)."),
) -> None:
    """Write every table of the store to a folder."""
    with open_store(db) as store:
        written = export_tables(store, out, format)
    for path in written:
        say(shown(path))


@app.command("stories")
def stories(
    db: Path = DB_OPTION,
    limit: int = typer.Option(50, "--limit", min=1, max=1_000_000_000, help="Largest N stories."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List stories: id, size, original, date range."""
    with open_store(db) as store:
        rows = story_summaries(store, limit)
    if as_json:
        print(json.dumps([row.to_json() for row in rows], indent=2, default=str))
        return
    table = Table(title=shown(f"Stories in {db}"))
    for column in ("story", "size", "original", "first date", "last date"):
        table.add_column(column, justify="right" if column == "size" else "left")
    for row in rows:
        table.add_row(shown(row.story_id), str(row.size), shown(row.original_title or row.story_id),
                      str(row.first_date or ""), str(row.last_date or ""))
    stdout.print(table)


@app.command("show")
def show(
    id: str = typer.Argument(..., help="A story id or a document id."),
    db: Path = DB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the document, its pairs and its story tree as JSON."),
) -> None:
    """A story's derivation tree, and a document's reuse pairs."""
    with open_store(db) as store:
        view = document_view(store, id)
        nodes = story_tree(store, view.story_id) if view.story_id else []
        document = store.documents_by_id([view.document_id])[view.document_id]
        boilerplate = [{"start": start, "end": end, "text": document.text[start:end]}
                       for start, end in store.boilerplate().spans(document)]
    if as_json:
        tree = {"schema": SHOW_SCHEMA, "document": view.to_json(), "story": [node.to_json() for node in nodes],
                "boilerplate": boilerplate}
        print(json.dumps(tree, indent=2, ensure_ascii=False))
        return
    if nodes:
        branches: dict[str, Tree] = {}
        tree = Tree(shown(f"story {view.story_id} ({len(nodes)} documents)"))
        for node in nodes:  # ordered by depth, so parents come first
            label = shown(f"{node.document_id}  {node.date or ''}  {node.title or ''}".rstrip(),
                          style="bold" if node.document_id == id else "")
            if node.weight is not None:
                label.append(f"  (weight {node.weight:.2f})")
            branches[node.document_id] = branches.get(node.parent_id, tree).add(label)
        stdout.print(tree)
    if view.pairs:
        table = Table(title=shown(f"Reuse pairs of {id}"))
        for column in ("other", "source", "confidence", "coverage here", "coverage there", "similarity", "passages"):
            table.add_column(column, justify="left" if column in ("other", "source") else "right")
        for pair in view.pairs:
            table.add_row(shown(pair.other), shown(pair.source_id), f"{pair.confidence:.2f}",
                          f"{pair.coverage_here:.2f}", f"{pair.coverage_there:.2f}", f"{pair.similarity:.2f}",
                          str(pair.passages))
        stdout.print(table)
    elif not nodes:
        say(shown(f"{id}: no reuse found"))
    for span in boilerplate:
        say(shown(f"boilerplate at {span['start']}-{span['end']}: {span['text']}", style="dim"))
