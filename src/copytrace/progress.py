"""Progress bars for long steps (rich), shared by every command that runs one."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn,
    TimeRemainingColumn,
)


def progress_bars() -> Progress:
    """One bar per step: its name, count, share, rate and times; on stderr, and only where
    that is a terminal (rich otherwise prints the bars' last state into a log or a pipe,
    and left a spinner's line there when a run failed)."""
    terminal = Console(stderr=True)
    return Progress(
        SpinnerColumn(), TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
        TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=terminal, disable=not terminal.is_terminal,
    )


class Tracker:
    """Advances one progress bar, with the rate shown; does nothing without bars."""

    def __init__(self, bar: Progress | None, name: str, total: int | None) -> None:
        self.bar = bar
        self.task = bar.add_task(name, total=total, rate="") if bar else None

    def advance(self, n: int) -> None:
        if self.bar is None:
            return
        self.bar.advance(self.task, n)
        speed = self.bar.tasks[self.task].speed
        self.bar.update(self.task, rate=f"{speed:,.0f}/s" if speed else "")

    def done(self) -> None:
        """Mark the step complete at the count reached (its total was an estimate)."""
        if self.bar is not None:
            task = self.bar.tasks[self.task]
            self.bar.update(self.task, total=task.completed)
