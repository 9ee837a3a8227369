"""`copytrace add` and `copytrace query`: match articles against a store as they arrive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from copytrace.cli import app, say, shown, stdout
from copytrace.engine import DEFAULT_DB
from copytrace.engine.archive import ArticleReport, LiveArchive, batch_report_json
from copytrace.errors import InputError
from copytrace.ingest import Document, FieldMap, Rejection, read_documents
from copytrace.ingest.readers import counted, recorded_inputs
from copytrace.store import DuckDBStore

DB_OPTION = typer.Option(Path(DEFAULT_DB), "--db", help="DuckDB store file (created if missing).")
FIELDS_OPTION = typer.Option(None, "--fields", help="Field map, e.g. id=doc_id,text=body.")
JSON_OPTION = typer.Option(False, "--json", help="Print copytrace.article/1 reports as JSON.")


@app.command("add")
def add(
    inputs: list[Path] = typer.Argument(..., help="Files or folders (.txt, .jsonl, .csv, .parquet)."),
    db: Path = DB_OPTION,
    fields: Optional[str] = FIELDS_OPTION,
    on_error: str = typer.Option("fail", "--on-error", help="fail: stop at the first bad record; skip: report it."),
    as_json: bool = JSON_OPTION,
    workers: Optional[int] = typer.Option(
        None, "--workers", help="Processes to run on (default: one per core; the others verify large batches' candidates)."),
) -> None:
    """Add articles to a store: match each against the archive, store it, update its story."""
    places: dict[str, str] = {}
    documents, rejected = _read(inputs, fields, on_error, places)
    with DuckDBStore(db) as store, LiveArchive(store, workers=workers) as archive:
        documents = _without_conflicts(archive, documents, places, on_error, rejected)
        reports = archive.add(documents, run_inputs=recorded_inputs(inputs), rejected=rejected)
    _print(reports, rejected, as_json, stored=True)


@app.command("query")
def query(
    inputs: list[Path] = typer.Argument(..., help="Files or folders (.txt, .jsonl, .csv, .parquet)."),
    db: Path = typer.Option(Path(DEFAULT_DB), "--db", help="DuckDB store file."),
    fields: Optional[str] = FIELDS_OPTION,
    on_error: str = typer.Option("fail", "--on-error", help="fail: stop at the first bad record; skip: report it."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The sources and reprints a store holds for articles, without storing them."""
    places: dict[str, str] = {}
    documents, rejected = _read(inputs, fields, on_error, places)
    with DuckDBStore(db, read_only=True) as store:
        archive = LiveArchive(store)
        documents = _without_conflicts(archive, documents, places, on_error, rejected)
        reports = [archive.query(document) for document in documents]
    _print(reports, rejected, as_json, stored=False)


def _without_conflicts(archive: LiveArchive, documents: list[Document], places: dict[str, str], on_error: str,
                       rejected: list[Rejection]) -> list[Document]:
    """``documents`` less those whose id is stored with another text: refused where they
    were read, as scan refuses them (added to ``rejected``, or the first stops the run)."""
    documents, conflicts = archive.without_conflicts(documents, places)
    if conflicts and on_error == "fail":
        raise InputError(conflicts[0].where, conflicts[0].reason)
    rejected += conflicts
    return documents


def _read(inputs: list[Path], fields: str | None, on_error: str, places: dict[str, str] | None = None
          ) -> tuple[list, list[Rejection]]:
    """The documents of ``inputs`` and the records refused (with ``--on-error skip``);
    ``places`` gets where each document was read."""
    records = list(read_documents(inputs, FieldMap.parse(fields) if fields else None, on_error, places))
    return [r for r in records if not isinstance(r, Rejection)], [r for r in records if isinstance(r, Rejection)]


def _print(reports: list[ArticleReport], rejected: list[Rejection], as_json: bool, stored: bool) -> None:
    """The reports, then one line counting them: what ``add`` stored (``stored``), or what ``query`` matched."""
    if as_json:
        print(json.dumps(batch_report_json(reports, rejected), indent=2, ensure_ascii=False))
        return
    for report in reports:
        _print_report(report)
    for rejection in rejected:
        say(shown(f"rejected {rejection.where}: {rejection.reason}"))
    counts = {status: sum(report.status == status for report in reports) for status in ("added", "existing")}
    done = f"{counts['added']:,} added, {counts['existing']:,} already stored" if stored else f"{len(reports):,} matched"
    read = len(reports) + len(rejected)
    say(shown(f"read {counted(read, 'record')}: {done}, {len(rejected):,} rejected"))


def _print_report(report: ArticleReport) -> None:
    story = f"story {report.story_id}" if report.story_id else "no story"
    say(shown(f"{report.document.id}: {report.status}; {story}", style="bold"))
    if not report.sources and not report.reprints:
        say(shown("  no shared passages in the archive"))
        return
    table = Table(show_header=True, box=None, padding=(0, 2))
    for column in ("role", "document", "date", "outlet", "coverage here", "coverage there", "confidence"):
        table.add_column(column, justify="right" if column.startswith(("coverage", "confidence")) else "left")
    for match in [*report.sources, *report.reprints]:
        other = match.document
        table.add_row(
            match.role, shown(other.id), shown(other.date or ""), shown(other.source or ""),
            f"{match.coverage_here:.2f}", f"{match.coverage_there:.2f}", f"{match.pair.confidence:.2f}",
        )
    stdout.print(table)
