"""The pair page of a :class:`~copytrace.compare.Comparison`: the two texts cut into
stretches (one per aligned passage, and the text between them) and styled segments,
for ``templates/pair.html``.

The same template serves the live pair page (``/pairs/{a}/{b}``, ``POST /compare``)
and the static report of ``copytrace compare --html``, which is one self-contained
file: :func:`render_html` inlines the package's CSS and JavaScript into it and pins
them with a Content-Security-Policy of their hashes, so no other script can run in it.
Autoescaping is on, so article text is always escaped.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from copytrace.compare import SCHEMA, Comparison
from copytrace.errors import InputError
from copytrace.outputs import write_text_replacing
from copytrace.web.templates_env import ENVIRONMENT

STATIC = Path(__file__).parent / "static"
ASSETS = ("viewer.css", "viewer.js")


@dataclass(frozen=True)
class Segment:
    """A stretch of text shown with one CSS class and tooltip; ``flag`` is the number
    (from 1) of the altered quotation that starts here, flagged in the margin."""

    text: str
    css: str
    title: str = ""
    flag: int | None = None


@dataclass(frozen=True)
class Stretch:
    """Text ``[start, end)`` of one side inside aligned passage number ``passage``
    (from 1, in reprint order), or between passages (``None``)."""

    passage: int | None
    start: int
    end: int
    segments: list[Segment]


@dataclass(frozen=True)
class Mark:
    """Text [start, end) to show with a CSS class and tooltip."""

    start: int
    end: int
    css: str
    title: str = ""


def pair_context(comparison: Comparison) -> dict:
    """What ``pair.html`` needs besides the comparison itself."""
    c = comparison
    altered = c.quotations.altered
    source_flags = {(m.source_quotation or m.source).start: n for n, m in enumerate(altered, 1)
                    if m.source_quotation or m.source}
    reprint_flags = {m.quotation.start: n for n, m in enumerate(altered, 1)}
    return {
        "schema": SCHEMA,
        "source_stretches": _stretches(c.source.text, _source_marks(c),
                                       [(p.a_start, p.a_end) for p in c.passages], source_flags),
        "reprint_stretches": _stretches(c.reprint.text, _reprint_marks(c),
                                        [(p.b_start, p.b_end) for p in c.passages], reprint_flags),
    }


def render_html(comparison: Comparison) -> str:
    """The pair page as one self-contained HTML file."""
    css, js = (_asset(name) for name in ASSETS)
    policy = (f"default-src 'none'; style-src 'sha256-{_digest(css)}'; script-src 'sha256-{_digest(js)}'; "
              "base-uri 'none'; form-action 'none'")
    return ENVIRONMENT.get_template("pair.html").render(
        c=comparison, data=comparison.to_json(), standalone=True, inline_css=css, inline_js=js,
        content_security_policy=policy, **pair_context(comparison),
    )


def write_html(comparison: Comparison, path: Path) -> None:
    """Write the report to ``path`` (its folder is created if missing)."""
    try:
        write_text_replacing(path, render_html(comparison))
    except OSError as error:
        raise InputError(str(path), f"cannot write the HTML report: {error.strerror or error}") from error


@cache
def _asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _source_marks(c: Comparison) -> list[Mark]:
    start, end = c.source.body_span
    marks = [Mark(0, start, "outside"), Mark(end, len(c.source.text), "outside")]
    marks += [Mark(s.start, s.end, "cut", "cut by the reprint") for s in c.edits.cut]
    marks += [Mark(p.source.start, p.source.end, "kept") for p in c.edits.kept if p.source]
    marks += [
        Mark(p.source.start, p.source.end, "changed", f"reprint: {p.reprint.text if p.reprint else '(removed)'}")
        for p in c.edits.changed
        if p.source
    ]
    return marks


def _reprint_marks(c: Comparison) -> list[Mark]:
    start, end = c.reprint.body_span
    marks = [Mark(0, start, "outside"), Mark(end, len(c.reprint.text), "outside")]
    marks += [Mark(s.start, s.end, "added", "not in the source") for s in c.edits.added]
    marks += [Mark(p.reprint.start, p.reprint.end, "kept") for p in c.edits.kept if p.reprint]
    marks += [
        Mark(p.reprint.start, p.reprint.end, "changed", f"source: {p.source.text if p.source else '(not there)'}")
        for p in c.edits.changed
        if p.reprint
    ]
    for match in c.quotations.altered:
        marks += [
            Mark(change.reprint.start, change.reprint.end, "changed quote-change",
                  f"quotation altered; source: {change.source.text if change.source else '(not there)'}")
            for change in match.changes
            if change.reprint
        ]
    return marks


def _stretches(text: str, marks: list[Mark], passages: list[tuple[int, int]], flags: dict[int, int]) -> list[Stretch]:
    """``text`` cut into stretches by passage (a later passage shows over an earlier
    one where they overlap), each cut into styled segments, with a segment starting
    at each flagged offset."""
    styled = _Partition(segment_text(text, marks))
    numbered = _Partition(segment_text(text, [Mark(s, e, str(n)) for n, (s, e) in enumerate(passages, 1)]))
    cuts = sorted({*styled.starts, *numbered.starts, *(f for f in flags if 0 <= f < len(text)), len(text)})
    stretches: list[Stretch] = []
    for lo, hi in zip(cuts, cuts[1:]):
        style, number = styled.at(lo), numbered.at(lo)
        passage = None if number.css == "plain" else int(number.css)
        flag = flags.get(lo)
        if not stretches or stretches[-1].passage != passage:
            stretches.append(Stretch(passage, lo, hi, []))
        segments = stretches[-1].segments
        if segments and flag is None and (segments[-1].css, segments[-1].title) == (style.css, style.title):
            segments[-1] = Segment(segments[-1].text + text[lo:hi], style.css, style.title, segments[-1].flag)
        else:
            segments.append(Segment(text[lo:hi], style.css, style.title, flag))
        stretches[-1] = Stretch(passage, stretches[-1].start, hi, segments)
    return stretches


class _Partition:
    """Segments that cut a text, looked up by offset."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self.starts: list[int] = []
        offset = 0
        for segment in segments:
            self.starts.append(offset)
            offset += len(segment.text)

    def at(self, offset: int) -> Segment:
        return self.segments[bisect_right(self.starts, offset) - 1]


def segment_text(text: str, marks: list[Mark]) -> list[Segment]:
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
