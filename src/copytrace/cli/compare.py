"""`copytrace compare A B`: which article is the source, and what the reprint changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from copytrace.candidates.boilerplate import Boilerplate
from copytrace.cli import app, say, shown, stdout
from copytrace.compare import Comparison, compare
from copytrace.compare.edits import Span
from copytrace.errors import InputError
from copytrace.outputs import refuse_inputs
from copytrace.store import open_store
from copytrace.web.report import write_html

SUMMARY_CHARS = 110


@app.command("compare")
def compare_command(
    first: Path = typer.Argument(..., help="An article (.txt, or a .jsonl/.csv/.parquet file with one record)."),
    second: Path = typer.Argument(..., help="The other article."),
    as_json: bool = typer.Option(False, "--json", help="Print the complete comparison as JSON."),
    html: Optional[Path] = typer.Option(None, "--html", help="Also write a side-by-side HTML report to this file."),
    db: Optional[Path] = typer.Option(
        None, "--db", help="A scanned store whose boilerplate (footers, rights lines) marks passages."),
) -> None:
    """Decide which article is the source; show passages, word changes, altered quotations, cuts."""
    if html is not None:
        if not html.name or html.is_dir():  # "" is "."
            raise InputError("--html" if not html.name else str(html), "name the HTML file to write, not a folder")
        refuse_inputs(html, {first: "the first article", second: "the second article",
                             **({db: "the store", f"{db}.wal": "the store's log"} if db is not None else {})})
    boilerplate = Boilerplate()
    if db is not None:
        with open_store(db) as store:
            boilerplate = store.boilerplate()
    comparison = compare(first, second, boilerplate=boilerplate)
    if html is not None:
        write_html(comparison, html)
    if as_json:
        print(json.dumps(comparison.to_json(), indent=2, ensure_ascii=False))
        return
    _print_report(comparison)
    if html is not None:
        say(Text.assemble("\nHTML report written to ", shown(html, "bold")))


def _print_report(c: Comparison) -> None:
    stdout.print(_header(c))
    say(_coverage(c))
    say("")
    source_marks = [(p.source, "red strike") for p in c.edits.changed if p.source]
    source_marks += [(s, "red strike") for s in c.edits.cut]
    reprint_marks = [(p.reprint, "bold yellow") for p in c.edits.changed if p.reprint]
    reprint_marks += [(s, "bold green") for s in c.edits.added]
    for number, passage in enumerate(c.passages, 1):
        kind = ", boilerplate" if c.is_boilerplate(number - 1) else ""
        table = Table(show_header=True, expand=True, title=f"Passage {number}: similarity {passage.similarity:.2f}, "
                      f"verbatim {passage.verbatim_share:.0%}{kind}", title_justify="left")
        table.add_column(shown(f"source · {c.source.id}"), ratio=1)
        table.add_column(shown(f"reprint · {c.reprint.id}"), ratio=1)
        table.add_row(
            _marked(c.source.text, passage.a_start, passage.a_end, source_marks),
            _marked(c.reprint.text, passage.b_start, passage.b_end, reprint_marks),
        )
        stdout.print(table)
    stdout.print(_quotations(c))
    stdout.print(_names(c))
    stdout.print(_cuts(c))


def _header(c: Comparison) -> Panel:
    if not c.passages:  # a source decision would be about nothing: say so, not a confidence
        return Panel(Text.assemble(shown(c.source.id, "bold"), ("  and  ", "dim"), shown(c.reprint.id, "bold"),
                                   ("   share no passage: neither is taken from the other", "bold")),
                     title="copytrace compare", border_style="cyan")
    d = c.decision
    title = Text.assemble(
        ("source ", "dim"), shown(c.source.id, "bold cyan"),
        ("  →  reprint ", "dim"), shown(c.reprint.id, "bold magenta"),
        (f"   confidence {d.confidence:.1%}", "bold"),
    )
    evidence = Table.grid(padding=(0, 2))
    for clue in d.evidence:
        sign = "+" if clue.favours == d.source_id else "−"
        evidence.add_row(Text(f"{sign}{clue.weight:.2f}", "green" if sign == "+" else "red"), shown(clue.kind),
                         shown(clue.detail))
    if not d.evidence:
        evidence.add_row("", "", "no evidence either way: the order is arbitrary")
    return Panel(Group(title, Text(), evidence), title="copytrace compare", border_style="cyan")


def _coverage(c: Comparison) -> Text:
    e = c.edits
    return Text.assemble(
        ("Reprint covered by the source: ", "bold"), f"{e.reprint_coverage:.0%}   ",
        ("Source covered by the reprint: ", "bold"), f"{e.source_coverage:.0%}   ",
        ("Derivation: ", "bold"), f"{c.derivation.value} ({c.meter})   ",
        ("Passages: ", "bold"), str(len(c.passages)),
    )


def _marked(text: str, start: int, end: int, marks: list[tuple[Span, str]]) -> Text:
    """``text[start:end]`` with each mark's span styled (offsets shifted into the slice)."""
    marked = shown(text[start:end], one_line=False)
    for span, style in marks:
        lo, hi = max(span.start, start), min(span.end, end)
        if lo < hi:
            marked.stylize(style, lo - start, hi - start)
    return marked


def _quotations(c: Comparison) -> Panel:
    rows = Table.grid(padding=(0, 1))
    for match in c.quotations.reprint:
        style = {"verbatim": "green", "altered": "bold red", "paraphrased": "yellow"}.get(match.status, "dim")
        rows.add_row(Text(match.status, style), shown(f"«{_short(match.quotation.text)}»"))
        for change in match.changes:
            was = change.source.text if change.source else "∅"
            now = change.reprint.text if change.reprint else "∅"
            rows.add_row("", Text.assemble("  ", shown(was, "red strike"), (" → ", "dim"), shown(now, "bold yellow")))
    for left_out in c.quotations.source:
        rows.add_row(Text(left_out.status, "magenta"), shown(f"“{_short(left_out.quotation.text)}”", "dim"))
    altered = len(c.quotations.altered)
    return Panel(rows, title=f"Quotations ({altered} altered)", border_style="red" if altered else "green")


def _names(c: Comparison) -> Panel:
    def listing(mentions) -> Text:
        return shown(", ".join(f"{m.text} [{m.kind}]" for m in mentions) or "none")

    grid = Table.grid(padding=(0, 2))
    grid.add_row(Text("cut", "bold red"), listing(c.names.cut))
    grid.add_row(Text("added", "bold green"), listing(c.names.added))
    return Panel(grid, title="Names and figures", border_style="yellow")


def _cuts(c: Comparison) -> Panel:
    paragraphs = [s for s in c.edits.cut if s.whole_paragraph]
    rows = Table.grid(padding=(0, 1))
    for span in paragraphs:
        rows.add_row(Text("✂", "red"), shown(_short(span.text)))
    smaller = len(c.edits.cut) - len(paragraphs)
    rows.add_row("", Text(f"and {smaller} shorter cuts; {len(c.edits.added)} spans added by the reprint", "dim"))
    return Panel(rows, title=f"Cut paragraphs ({len(paragraphs)})", border_style="red")


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SUMMARY_CHARS else flat[: SUMMARY_CHARS - 1] + "…"
