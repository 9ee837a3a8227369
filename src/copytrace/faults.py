"""Fault injection for the tests that stop real processes (tests/test_faults.py,
tests/test_api.py): named points in the scan and the live archive where a run sends
itself a signal, so that a test hits the stage it names, not a moment it guessed."""

from __future__ import annotations

import os
import signal

FAULT_VARIABLE = "COPYTRACE_FAULT"


def fault_point(point: str) -> None:
    """With ``COPYTRACE_FAULT=<point>:<signal>`` in the environment (``verify:SIGKILL``),
    send that signal at this point: the scan's ingest, ingested, candidates, verify and
    stories, the live archive's add (inside a batch's transaction). SIGINT goes to the
    process group, as Ctrl-C in a terminal does, any other signal to this process alone.
    Without the variable (every real run) this does nothing."""
    wanted, _, name = os.environ.get(FAULT_VARIABLE, "").partition(":")
    if wanted != point:
        return
    number = signal.Signals[name]
    if number == signal.SIGINT:
        os.killpg(os.getpgrp(), number)
    else:
        os.kill(os.getpid(), number)
