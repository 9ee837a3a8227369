"""Self-contained HTML report of a :class:`~copytrace.compare.Comparison`.

The template (``templates/compare.html``) has inline CSS and no external
resources; autoescaping is on, so article text is always escaped. This module
only cuts each text into segments by the spans the comparison reports.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from copytrace.compare import SCHEMA, Comparison
from copytrace.errors import InputError

_ENVIRONMENT = Environment(
    loader=PackageLoader("copytrace.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Segment:
    """A stretch of text shown with one CSS class and tooltip."""

    text: str
    css: str
    title: str = ""


@dataclass(frozen=True)
class _Mark:
    start: int
    end: int
    css: str
    title: str = ""


def render_html(comparison: Comparison) -> str:
    """The report as one HTML page."""
    return _ENVIRONMENT.get_template("compare.html").render(
        c=comparison,
        schema=SCHEMA,
        source_segments=_segments(comparison.source.text, _source_marks(comparison)),
        reprint_segments=_segments(comparison.reprint.text, _reprint_marks(comparison)),
    )


def write_html(comparison: Comparison, path: Path) -> None:
    """Write the report to ``path`` (its folder is created if missing)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_html(comparison), encoding="utf-8")
    except OSError as error:
        raise InputError(str(path), f"cannot write the HTML report: {error.strerror or error}") from error


def _source_marks(c: Comparison) -> list[_Mark]:
    start, end = c.source.body_span
    marks = [_Mark(0, start, "outside"), _Mark(end, len(c.source.text), "outside")]
    marks += [_Mark(s.start, s.end, "cut", "cut by the reprint") for s in c.edits.cut]
    marks += [_Mark(p.source.start, p.source.end, "kept") for p in c.edits.kept if p.source]
    marks += [
        _Mark(p.source.start, p.source.end, "changed", f"reprint: {p.reprint.text if p.reprint else '(removed)'}")
        for p in c.edits.changed
        if p.source
    ]
    return marks


def _reprint_marks(c: Comparison) -> list[_Mark]:
    start, end = c.reprint.body_span
    marks = [_Mark(0, start, "outside"), _Mark(end, len(c.reprint.text), "outside")]
    marks += [_Mark(s.start, s.end, "added", "not in the source") for s in c.edits.added]
    marks += [_Mark(p.reprint.start, p.reprint.end, "kept") for p in c.edits.kept if p.reprint]
    marks += [
        _Mark(p.reprint.start, p.reprint.end, "changed", f"source: {p.source.text if p.source else '(not there)'}")
        for p in c.edits.changed
        if p.reprint
    ]
    for match in c.quotations.altered:
        marks += [
            _Mark(change.reprint.start, change.reprint.end, "changed quote-change",
                  f"quotation altered; source: {change.source.text if change.source else '(not there)'}")
            for change in match.changes
            if change.reprint
        ]
    return marks


def _segments(text: str, marks: list[_Mark]) -> list[Segment]:
    """Cut ``text`` at every mark boundary; where marks overlap, the later one shows.

    A sweep over the boundaries with a heap of the marks open there (latest on
    top, closed ones dropped when they surface): linear in the text and the marks
    up to a log factor, so long articles with thousands of edits render quickly.
    """
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    opening: dict[int, list[int]] = defaultdict(list)
    for index, mark in enumerate(marks):
        opening[mark.start].append(index)
    open_marks: list[int] = []  # negated indices: the latest mark is the smallest
    runs: list[tuple[str, str, list[str]]] = []
    for lo, hi in zip(cuts, cuts[1:]):
        for index in opening.get(lo, ()):
            heapq.heappush(open_marks, -index)
        while open_marks and marks[-open_marks[0]].end <= lo:
            heapq.heappop(open_marks)
        css, title = (marks[-open_marks[0]].css, marks[-open_marks[0]].title) if open_marks else ("plain", "")
        if runs and runs[-1][:2] == (css, title):
            runs[-1][2].append(text[lo:hi])
        else:
            runs.append((css, title, [text[lo:hi]]))
    return [Segment("".join(pieces), css, title) for css, title, pieces in runs]
