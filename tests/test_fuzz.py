"""Fuzzing the readers and the CLI with hypothesis: JSONL, CSV and text files of random
bytes, encodings, field types, sizes, ids and markup. Whatever the input: exit status 0
or 2, never a traceback, every record accounted for (read = stored + existing +
rejected), and no file changed but the run's own outputs."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copytrace.errors import InputError
from copytrace.ingest import Rejection, read_documents
from copytrace.store import open_store
from tests.conftest import cli

MARKUP = ["[/VIDEO]", "[bold]", "[/]", "\x1b[31m", "\x00", "\r", "\u2028", "\ufeff", "{", '"', ",", "\n", "é", "😀"]
words = st.sampled_from(["the", "minister", "said", "treaty", "signed", "in", "Astana", *MARKUP])
texts = st.lists(words, min_size=0, max_size=60).map(" ".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True), texts,
                    st.sampled_from(["", "2024-05-16", "16 May 2024", "not a date"]))
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=5), scalars, max_size=3))
records = st.fixed_dictionaries(
    {"id": st.one_of(texts, st.none(), st.integers(0, 5), st.just("")), "text": st.one_of(texts, texts, values)},
    optional={"date": values, "title": values, "source": values, "url": values, "extra": values},
)
# Records a reader accepts, so that ids and titles full of markup reach the store and the terminal.
good_records = st.fixed_dictionaries(
    {"id": texts.filter(str.strip), "text": texts.filter(str.strip)}, optional={"title": texts, "source": texts}
)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])


@st.composite
def jsonl_files(draw) -> bytes:
    record_lines = records.map(lambda record: json.dumps(record, allow_nan=True))
    junk_lines = st.one_of(texts, st.binary(max_size=40).map(lambda b: b.decode("latin-1")))
    lines = draw(st.lists(st.one_of(record_lines, record_lines, junk_lines), max_size=8))
    return "\n".join(lines).encode(draw(encodings), errors="replace") + draw(st.sampled_from([b"", b"\n", b"\xff"]))


@st.composite
def csv_files(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(["id", "text", "date", "title", "source", "", "text "]), min_size=0,
                           max_size=5))
    rows = draw(st.lists(st.lists(st.one_of(texts, scalars.map(str)), max_size=6), max_size=6))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(draw(encodings), errors="replace")


@st.composite
def text_files(draw) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    return draw(texts).encode(draw(encodings), errors="replace")


CONTENT = {
    "jsonl": jsonl_files(), "csv": csv_files(), "txt": text_files(),
    "records.jsonl": st.lists(good_records, min_size=1, max_size=5).map(
        lambda rows: "".join(json.dumps(row) + "\n" for row in rows).encode()),
}
KINDS = st.lists(st.sampled_from(sorted(CONTENT)), min_size=1, max_size=3)


def write_inputs(folder: Path, data, kinds: list[str]) -> list[Path]:
    paths = []
    for number, kind in enumerate(kinds):
        path = folder / f"in{number}.{kind}"
        path.write_bytes(data.draw(CONTENT[kind]))
        paths.append(path)
    return paths


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def stored_ids(db: Path) -> list[str]:
    with open_store(db) as store:
        ids = store.query("SELECT id FROM documents ORDER BY id").column("id").to_pylist()
    return sorted(ids, key=lambda id_: "[" not in id_)  # markup-like ones first




FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


@FUZZ
@given(kinds=KINDS, data=st.data())
def test_readers_refuse_with_input_error_or_account_for_every_record(kinds, data):
    with tempfile.TemporaryDirectory() as folder:
        paths = write_inputs(Path(folder), data, kinds)
        before = snapshot(Path(folder))
        try:
            outcomes = list(read_documents(paths, on_error="skip"))
        except InputError as error:
            assert "\n" not in str(error)
        else:
            assert all(isinstance(o, Rejection) or o.text for o in outcomes)
        assert snapshot(Path(folder)) == before


@FUZZ
@given(kinds=KINDS, data=st.data(),
       on_error=st.sampled_from(["skip", "fail"]), twice=st.booleans())
def test_scan_exits_0_or_2_accounts_for_every_record_and_changes_no_input(kinds, data, on_error, twice, capsys):
    with tempfile.TemporaryDirectory() as folder:
        inputs = Path(folder) / "inputs"
        inputs.mkdir()
        paths = write_inputs(inputs, data, kinds)
        before = snapshot(inputs)
        db = Path(folder) / "s.duckdb"
        args = ["scan", *map(str, paths), "--db", str(db), "--on-error", on_error, "--workers", "1", "--json",
                "--rejects", str(Path(folder) / "rejects.jsonl")]
        for _ in range(2 if twice else 1):
            status, out, err = cli(capsys, *args)
            assert status in (0, 2) and "Traceback" not in err
            if status == 0:
                summary = json.loads(out)
                assert summary["read"] == summary["stored"] + summary["existing"] + summary["rejected"]
                shows = [["show", "--db", str(db), "--", id_] for id_ in stored_ids(db)[:2]]
                for command in (["stories", "--db", str(db)], *shows):  # ids and titles as text
                    status, _, err = cli(capsys, *command)
                    assert status == 0, err
            else:
                assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
        assert snapshot(inputs) == before


def test_scan_of_hostile_files_in_a_real_process(tmp_path):
    """The console entry point itself, once, on a mix no reader accepts whole."""
    (tmp_path / "a.jsonl").write_bytes(b'{"id": "[/VIDEO]", "text": "x \\u001b[2J"}\n\xff\xfe\n{"id": 1}\n[1, 2]\n')
    (tmp_path / "b.csv").write_bytes(b"id,text\n[bold],\x00\n\xff,y\n")
    (tmp_path / "c.txt").write_bytes("[/wire] \x1b[31m é".encode("utf-16"))
    before = snapshot(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", "from copytrace.cli import main; main()", "scan", *(str(tmp_path / n) for n in
         ("a.jsonl", "b.csv", "c.txt")), "--db", str(tmp_path / "out" / "s.duckdb"), "--on-error", "skip",
         "--workers", "1", "--json", "--rejects", str(tmp_path / "out" / "rejects.jsonl")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert done.returncode in (0, 2) and "Traceback" not in done.stderr, done.stderr
    if done.returncode == 0:
        summary = json.loads(done.stdout)
        assert summary["read"] == summary["stored"] + summary["existing"] + summary["rejected"] > 0
    assert {k: v for k, v in snapshot(tmp_path).items() if "/out/" not in k} == before
