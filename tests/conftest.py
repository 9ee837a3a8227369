"""Shared test helpers: the reference data in ../shared/data, skipped when absent."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import numba
import pytest

from copytrace.cli import main

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def python_ctrl_c_handler() -> None:
    """Each test starts with Python's own Ctrl-C handler, as a command run from a shell
    does: a SparkContext (and uvicorn) install their own and keep it after they stop, and
    the interrupted-scan tests (tests/test_faults.py) need Python's."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


def require_data(subpath: str) -> Path:
    """The path of ``subpath`` under the reference data, or skip the test."""
    path = DATA / subpath
    if not path.exists():
        pytest.skip(f"reference data not available: {path} is missing")
    return path


@pytest.fixture
def numba_thread_counts() -> Iterator[Iterator[int]]:
    """Iterate to run under one thread, then under every thread numba may use; the
    thread count in force before the test is restored after it."""
    before = numba.get_num_threads()

    def counts() -> Iterator[int]:
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            yield threads

    yield counts()
    numba.set_num_threads(before)


def cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """`copytrace ARGS` in this process (a rerun costs no start-up): exit status,
    stdout, stderr."""
    argv, sys.argv = sys.argv, ["copytrace", *args]
    try:
        main()
        status = 0
    except SystemExit as exit:
        status = exit.code
    finally:
        sys.argv = argv
    out, err = capsys.readouterr()
    return status, out, err
