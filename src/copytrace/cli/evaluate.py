"""`copytrace eval`: accuracy on the PAN and Clough-Stevenson reference corpora."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from copytrace.cli import app, say, shown, stdout
from copytrace.evaluation.derivation import LEVELS, evaluate_derivation
from copytrace.evaluation.pan import run_pan

eval_app = typer.Typer(help="Measure accuracy on reference corpora.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("pan")
def pan(
    corpus: Path = typer.Argument(..., help="PAN text-alignment corpus folder (with pairs, src/, susp/)."),
    out: Path = typer.Option(..., "--out", help="Folder for the detection XML files."),
    types: Optional[str] = typer.Option(None, "--types", help="Obfuscation types, e.g. 02,03."),
    limit: Optional[int] = typer.Option(None, "--limit", help="First N pairs of each type."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Processes (default: all cores)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Align every pair, write PAN detections, print precision, recall, granularity, plagdet."""
    wanted = [t.strip() for t in types.split(",") if t.strip()] if types else None
    report = run_pan(corpus, out, types=wanted, limit=limit, workers=workers)
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
        return
    table = Table(title=shown(f"PAN text alignment: {corpus}"))
    for column in ("type", "pairs", "cases", "detections", "precision", "recall",
                   "granularity", "plagdet", "align s"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for row in (*report.rows, report.overall):
        s = row.scores
        table.add_row(
            row.name, str(row.pairs), str(s.cases), str(s.detections), f"{s.precision:.3f}",
            f"{s.recall:.3f}", f"{s.granularity:.3f}", f"{s.plagdet:.3f}", f"{row.align_seconds:.1f}",
        )
    stdout.print(table)
    say(shown(
        f"{report.elapsed_seconds:.1f} s on {report.workers} workers; "
        f"detections in {report.detections_dir}"
    ))


@eval_app.command("derivation")
def derivation(
    corpus: Path = typer.Argument(..., help="Clough-Stevenson short-answer corpus folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Predict each answer's derivation level; print accuracy, macro-F1, confusion matrices."""
    report = evaluate_derivation(corpus)
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
        return
    for scores in report.evaluations:
        table = Table(
            title=(
                f"{scores.name}: {scores.answers} answers, accuracy {scores.accuracy:.3f}, "
                f"macro-F1 {scores.macro_f1:.3f}, derived-vs-not F1 {scores.derived_f1:.3f}"
            )
        )
        table.add_column("gold \\ predicted")
        for level in LEVELS:
            table.add_column(level.value, justify="right")
        for level, row in zip(LEVELS, scores.confusion):
            table.add_row(level.value, *map(str, row))
        stdout.print(table)
