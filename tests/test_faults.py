"""Faults with real processes: `copytrace scan` killed (SIGKILL) or interrupted (SIGINT,
sent to its process group as Ctrl-C in a terminal is) at each stage, then run again; a
disk that fills up. After each: the right exit status, no process left behind, and a
rerun that ends with the same tables as a scan that was never stopped.

The scan stops itself at a named point through ``COPYTRACE_FAULT=<point>:<signal>``
(``copytrace.faults.fault_point``), so each fault hits the stage it names.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import copytrace
from copytrace.engine import ScanConfig
from copytrace.engine import local as engine
from copytrace.faults import FAULT_VARIABLE
from tests.test_scan import mutate, prose, results, write_jsonl
from tests.conftest import cli

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux's /proc")

MARKER = "COPYTRACE_FAULT_TEST"  # set in each scan's environment, so its processes can be found
CONSOLE_SCRIPT = Path(sys.executable).with_name("copytrace")


def stories_collection(seed: int = 7) -> list[dict]:
    """24 stories of 4 near-copies (144 candidate pairs: two verification chunks, so
    workers start) with markup-like titles."""
    rng = random.Random(seed)
    records = []
    for story in range(24):
        base = prose(rng, 150)
        for version in range(4):
            records.append({
                "id": f"s{story}-v{version}", "text": base if version == 0 else mutate(rng, base, 0.05),
                "date": f"2024-01-{version + 1:02d}", "title": f"story {story} [/VIDEO] v{version}",
            })
    return records


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("faults") / "docs.jsonl", stories_collection())


@pytest.fixture(scope="module")
def clean(docs, tmp_path_factory) -> dict:
    """The tables of a scan that was never stopped."""
    db = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    copytrace.scan([docs], db, config=ScanConfig(workers=1))
    return results(db)


def command() -> list[str]:
    """The installed console script, or the same entry point through this interpreter."""
    if CONSOLE_SCRIPT.exists():
        return [str(CONSOLE_SCRIPT)]
    return [sys.executable, "-c", "from copytrace.cli import main; main()"]


def run_scan(args: list[str], marker: str, fault: str | None = None, preexec=None) -> subprocess.CompletedProcess:
    """`copytrace scan ARGS` in its own session (a SIGINT to its group reaches no one else)."""
    env = {**os.environ, MARKER: marker, "COLUMNS": "200"}
    env.pop(FAULT_VARIABLE, None)
    if fault:
        env[FAULT_VARIABLE] = fault

    def start() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a background shell ignores it; Python then would too
        if preexec:
            preexec()

    return subprocess.run([*command(), "scan", *args], capture_output=True, text=True, env=env,
                          start_new_session=True, preexec_fn=start, timeout=300)


def live_processes(marker: str) -> list[int]:
    """Processes (not zombies) whose environment holds this run's marker."""
    wanted = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state != "Z" and wanted in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


def assert_no_process_left(marker: str) -> None:
    """Workers die with their parent and the resource tracker when its pipe closes; the
    kernel may take a moment to deliver that, so wait for it (bounded)."""
    deadline = time.monotonic() + 30
    while (left := live_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in left]




@pytest.mark.parametrize(
    "point, signal_name, workers, batch_size",
    [
        ("ingest", "SIGKILL", 1, 20),
        ("ingest", "SIGINT", 2, 20),  # Ctrl-C while workers parse and sign
        ("ingested", "SIGINT", 1, 20),  # all stored, before the checkpoint
        ("candidates", "SIGKILL", 1, 1000),
        ("verify", "SIGKILL", 2, 1000),  # workers busy aligning when their parent dies
        ("verify", "SIGINT", 2, 1000),
        ("stories", "SIGINT", 1, 1000),
    ],
)
def test_stopped_scan_exits_right_leaves_nothing_behind_and_reruns_to_the_same_tables(
    docs, clean, tmp_path, capsys, point, signal_name, workers, batch_size
):
    db = tmp_path / "stopped.duckdb"
    marker = uuid.uuid4().hex
    args = [str(docs), "--db", str(db), "--workers", str(workers), "--batch-size", str(batch_size)]
    stopped = run_scan(args, marker, fault=f"{point}:{signal_name}")
    assert_no_process_left(marker)
    if signal_name == "SIGKILL":
        assert stopped.returncode == -signal.SIGKILL
    else:
        assert stopped.returncode == 130, stopped.stderr
        [line] = stopped.stderr.strip().splitlines()
        assert line.startswith("interrupted while") and "run the same scan again to resume" in line

    status, out, err = cli(capsys, "scan", str(docs), "--db", str(db), "--workers", "1", "--json")
    assert status == 0, err
    summary = json.loads(out)
    assert summary["read"] == summary["stored"] + summary["existing"] == len(stories_collection())
    assert results(db) == clean


def test_ctrl_c_in_the_checkpoint_after_ingest_is_the_interrupted_line(docs, tmp_path, capsys, monkeypatch):
    """DuckDB reports Ctrl-C in a CHECKPOINT as ``RuntimeError: Query interrupted``:
    reproduced here as DuckDB does it (the signal's handler runs, then the query fails)."""

    def interrupted_checkpoint(store) -> None:
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            pass
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(engine.DuckDBStore, "checkpoint", interrupted_checkpoint)
    status, _, err = cli(capsys, "scan", str(docs), "--db", str(tmp_path / "s.duckdb"), "--workers", "1")
    assert status == 130
    [line] = err.strip().splitlines()
    assert line.startswith("interrupted while reading documents: this scan stored 96 documents")


def test_interrupted_scan_raises_scan_interrupted_for_python_callers(docs, tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "_stories", lambda store, tracker: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt, match="interrupted while building stories"):
        copytrace.scan([docs], tmp_path / "s.duckdb", config=ScanConfig(workers=1))


# --- a full disk -------------------------------------------------------------


def many_documents(path: Path, count: int = 400) -> Path:
    rng = random.Random(3)
    words = [f"w{i}" for i in range(5000)]
    return write_jsonl(path, [{"id": f"d{i}", "text": " ".join(rng.choices(words, k=400))} for i in range(count)])


def small_tmpfs(folder: Path) -> bool:
    folder.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(folder)], capture_output=True)
    except OSError:
        return False
    return done.returncode == 0


def file_size_limit(limit: int):
    """For the scan's process: writes past ``limit`` bytes of any file fail (EFBIG)."""
    import resource

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, not the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_commit_the_machine_refuses_is_one_line(docs, tmp_path, capsys, monkeypatch):
    import duckdb

    from copytrace.store import DuckDBStore

    def refused(self, *args, **kwargs):
        raise duckdb.TransactionException(
            'TransactionContext Error: Failed to commit: Cannot open file "x.duckdb.wal": Permission denied')

    monkeypatch.setattr(DuckDBStore, "add_batch", refused)
    status, _, err = cli(capsys, "scan", str(docs), "--db", str(tmp_path / "x.duckdb"), "--workers", "1")
    assert status == 1 and err.strip().splitlines() == [
        'error: TransactionContext Error: Failed to commit: Cannot open file "x.duckdb.wal": Permission denied']


def test_a_full_disk_is_one_line_the_store_still_opens_and_a_rerun_completes(tmp_path, capsys):
    """On a 3 MB tmpfs where the machine lets us mount one (as root), else with a 2 MB
    limit on the size of any file the scan writes."""
    docs = many_documents(tmp_path / "docs.jsonl")
    before = docs.read_bytes()
    disk = tmp_path / "disk"
    mounted = small_tmpfs(disk)
    try:
        db = disk / "s.duckdb"
        marker = uuid.uuid4().hex
        args = [str(docs), "--db", str(db), "--workers", "1", "--batch-size", "100"]
        full = run_scan(args, marker, preexec=None if mounted else file_size_limit(2 * 2**20))
        assert_no_process_left(marker)
        assert full.returncode == 1, full.stderr
        [line] = full.stderr.strip().splitlines()
        assert line.startswith("error: ") and "Traceback" not in full.stderr
        assert ("No space left on device" if mounted else "File too large") in line
        if mounted:
            subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        status, _, err = cli(capsys, "stories", "--db", str(db), "--json")
        assert status == 0, err
        status, out, err = cli(capsys, "scan", *args, "--json")
        assert status == 0, err
        summary = json.loads(out)
        assert summary["read"] == summary["stored"] + summary["existing"] == summary["documents"] == 400
    finally:
        if mounted:
            subprocess.run(["umount", str(disk)], check=False)
    assert docs.read_bytes() == before
