"""A run's outputs (the store, the rejects file, exports) never destroy or read its
inputs; mistakes about them, and about --workers and --batch-size, are one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from copytrace import parallel
from copytrace.cli import main

GOOD = {"id": "good", "text": "The council met on Tuesday and approved the budget after a long debate."}


def cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the console script in this process: exit status, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["copytrace", *args])
    code = 0
    try:
        main()
    except SystemExit as exit:
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(result: tuple[int, str, str], *words: str) -> None:
    code, _, err = result
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0]


def mixed_jsonl(path: Path, bad_lines: int = 2) -> Path:
    path.write_text(json.dumps(GOOD) + "\n" + "{not json\n" * bad_lines, encoding="utf-8")
    return path


# --- an output is never an input ----------------------------------------------------


def test_rejects_onto_an_input_is_refused_and_the_input_kept(tmp_path, monkeypatch, capsys):
    source = mixed_jsonl(tmp_path / "v.jsonl")
    before = source.read_bytes()
    result = cli(monkeypatch, capsys, "scan", str(source), "--db", str(tmp_path / "v.duckdb"),
                 "--on-error", "skip", "--rejects", str(source), "--workers", "1")
    assert_one_line_error(result, "v.jsonl", "rejects")
    assert source.read_bytes() == before


def test_default_rejects_path_as_an_input_is_refused_and_kept(tmp_path, monkeypatch, capsys):
    db = tmp_path / "x.duckdb"
    source = mixed_jsonl(tmp_path / "x.duckdb.rejects.jsonl")
    before = source.read_bytes()
    result = cli(monkeypatch, capsys, "scan", str(source), "--db", str(db), "--on-error", "skip", "--workers", "1")
    assert_one_line_error(result, "x.duckdb.rejects.jsonl")
    assert source.read_bytes() == before


def test_rejects_onto_the_store_is_refused(tmp_path, monkeypatch, capsys):
    db = tmp_path / "x.duckdb"
    result = cli(monkeypatch, capsys, "scan", str(mixed_jsonl(tmp_path / "in.jsonl")), "--db", str(db),
                 "--on-error", "skip", "--rejects", str(db), "--workers", "1")
    assert_one_line_error(result, "x.duckdb")


def test_a_folder_walk_skips_the_runs_own_outputs(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    mixed_jsonl(news / "a.jsonl", bad_lines=2000)
    command = [sys.executable, "-c", "from copytrace.cli import main; main()", "scan", ".", "--on-error", "skip",
               "--workers", "1", "--batch-size", "10", "--json"]
    # The default store and rejects file land in the folder scanned. Before the fix the run
    # read its own rejects file while writing it, and never ended: hence a subprocess.
    for run in range(2):
        result = subprocess.run(command, cwd=news, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert (summary["read"], summary["rejected"]) == (2001, 2000)
    assert {path.name for path in news.iterdir()} == {"a.jsonl", "copytrace.duckdb", "copytrace.duckdb.rejects.jsonl"}
    assert len((news / "copytrace.duckdb.rejects.jsonl").read_text().splitlines()) == 2000


def test_rejects_file_is_kept_when_nothing_is_rejected_and_replaced_when_something_is(tmp_path, monkeypatch, capsys):
    rejects = tmp_path / "rejects.jsonl"
    rejects.write_text("an earlier run's rejects\n", encoding="utf-8")
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    db = str(tmp_path / "s.duckdb")
    code, out, err = cli(monkeypatch, capsys, "scan", str(good), "--db", db, "--on-error", "skip",
                         "--rejects", str(rejects), "--workers", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["rejects_file"] is None
    assert rejects.read_text() == "an earlier run's rejects\n"
    code, out, err = cli(monkeypatch, capsys, "scan", str(mixed_jsonl(tmp_path / "bad.jsonl")), "--db", db,
                         "--on-error", "skip", "--rejects", str(rejects), "--workers", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["rejects_file"] == str(rejects)
    written = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [r["where"] for r in written] == [f"{tmp_path / 'bad.jsonl'}:{n}" for n in (2, 3)]
    assert not [path for path in tmp_path.iterdir() if path.name.endswith(".tmp")]


# --- where outputs go: one line, not a traceback ------------------------------------------


def rejects_targets(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    return {
        "missing folder": str(tmp_path / "missing" / "rejects.jsonl"),
        "a folder": str(tmp_path / "a-folder"),
        "under a file": str(tmp_path / "a-file" / "rejects.jsonl"),
        # Tests run as root, for whom a read-only folder is writable; /proc is not.
        "unwritable folder": "/proc/rejects.jsonl",
    }


@pytest.mark.parametrize("case", ["missing folder", "a folder", "under a file", "unwritable folder"])
def test_rejects_into_a_bad_place_is_one_line(tmp_path, monkeypatch, capsys, case):
    target = rejects_targets(tmp_path)[case]
    db = tmp_path / "s.duckdb"
    result = cli(monkeypatch, capsys, "scan", str(mixed_jsonl(tmp_path / "in.jsonl")), "--db", str(db),
                 "--on-error", "skip", "--rejects", target, "--workers", "1")
    assert_one_line_error(result, target)
    assert not db.exists()  # refused before any work


@pytest.mark.parametrize("content", [b"", b'{"id": "1", "text": "not a store"}\n', b"x" * 100])
def test_db_that_is_not_a_duckdb_file_is_refused_and_kept(tmp_path, monkeypatch, capsys, content):
    (tmp_path / "a.txt").write_text(GOOD["text"], encoding="utf-8")
    same = tmp_path / "same.jsonl"
    same.write_bytes(content)
    result = cli(monkeypatch, capsys, "scan", str(tmp_path / "a.txt"), "--db", str(same), "--workers", "1")
    assert_one_line_error(result, "same.jsonl", "not a DuckDB database")
    assert same.read_bytes() == content
    for command in (["stories"], ["show", "x"], ["export", "--out", str(tmp_path / "out")]):
        assert_one_line_error(cli(monkeypatch, capsys, *command, "--db", str(same)), "same.jsonl")


def test_db_that_is_a_folder_is_refused(tmp_path, monkeypatch, capsys):
    (tmp_path / "a.txt").write_text(GOOD["text"], encoding="utf-8")
    result = cli(monkeypatch, capsys, "scan", str(tmp_path / "a.txt"), "--db", str(tmp_path), "--workers", "1")
    assert_one_line_error(result, str(tmp_path))


@pytest.fixture
def store(tmp_path, monkeypatch, capsys) -> Path:
    (tmp_path / "a.txt").write_text(GOOD["text"], encoding="utf-8")
    db = tmp_path / "s.duckdb"
    code, _, err = cli(monkeypatch, capsys, "scan", str(tmp_path / "a.txt"), "--db", str(db), "--workers", "1")
    assert code == 0, err
    return db


def test_export_onto_a_file_or_an_unwritable_place_is_one_line(store, tmp_path, monkeypatch, capsys):
    existing = tmp_path / "a.txt"
    for out in (existing, existing / "sub", Path("/proc/copytrace-export")):
        result = cli(monkeypatch, capsys, "export", "--db", str(store), "--out", str(out))
        assert_one_line_error(result, str(out))
    assert existing.read_text(encoding="utf-8") == GOOD["text"]


# --- workers and batch size ---------------------------------------------------------------


@pytest.mark.parametrize("option, value", [("--workers", "0"), ("--workers", "-1"), ("--batch-size", "0"),
                                           ("--batch-size", "-5"), ("--batch-size", "100000000")])
def test_workers_and_batch_size_are_checked(tmp_path, monkeypatch, capsys, option, value):
    (tmp_path / "a.txt").write_text(GOOD["text"], encoding="utf-8")
    db = tmp_path / "s.duckdb"
    result = cli(monkeypatch, capsys, "scan", str(tmp_path / "a.txt"), "--db", str(db), option, value)
    assert_one_line_error(result, option.strip("-").replace("-", " "), value)
    assert not db.exists()


def test_workers_are_bounded_by_cores_and_memory(monkeypatch):
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    monkeypatch.setattr(parallel, "available_memory", lambda: 64 * 2**30)
    assert [parallel.worker_count(n) for n in (None, 1, 2, 8)] == [2, 1, 2, 2]
    monkeypatch.setattr(parallel, "available_memory", lambda: 500 * 2**20)  # room for one worker
    assert [parallel.worker_count(n) for n in (None, 1, 8)] == [1, 1, 1]
    monkeypatch.setattr(parallel, "available_memory", lambda: 0)
    assert parallel.worker_count(8) == 1  # always at least one


def test_available_cores_and_memory_are_read_from_this_machine():
    assert 1 <= parallel.available_cores() <= (os.cpu_count() or 1)
    assert parallel.available_memory() > 0


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "press-release"


@pytest.mark.parametrize("target", ["second", "link to second", "store", "store's log"])
def test_compare_html_onto_an_input_or_the_store_is_refused_and_the_input_kept(tmp_path, monkeypatch, capsys, target):
    first, second = tmp_path / "release.txt", tmp_path / "reprint.txt"
    first.write_bytes((EXAMPLE / "akorda-press-release.txt").read_bytes())
    second.write_bytes((EXAMPLE / "reprint.txt").read_bytes())
    db = tmp_path / "news.duckdb"
    assert cli(monkeypatch, capsys, "scan", str(first), "--db", str(db))[0] == 0
    (tmp_path / "link.html").symlink_to(second)
    html = {"second": second, "link to second": tmp_path / "link.html", "store": db,
            "store's log": tmp_path / "news.duckdb.wal"}[target]
    before = {path: path.read_bytes() for path in (first, second, db)}
    result = cli(monkeypatch, capsys, "compare", str(first), str(second), "--db", str(db), "--html", str(html))
    assert_one_line_error(result, str(html), "write the output elsewhere")
    assert {path: path.read_bytes() for path in (first, second, db)} == before


def test_compare_html_replaces_a_link_instead_of_writing_through_it(tmp_path, monkeypatch, capsys):
    kept = tmp_path / "kept.html"
    kept.write_text("not an input, but not to be written through either")
    (tmp_path / "report.html").symlink_to(kept)
    result = cli(monkeypatch, capsys, "compare", str(EXAMPLE / "akorda-press-release.txt"), str(EXAMPLE / "reprint.txt"),
                 "--html", str(tmp_path / "report.html"))
    assert result[0] == 0 and kept.read_text() == "not an input, but not to be written through either"
    assert not (tmp_path / "report.html").is_symlink() and "<html" in (tmp_path / "report.html").read_text()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kept.html", "report.html"]  # no temporary left
    umask = os.umask(0o022)
    os.umask(umask)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o666 & ~umask  # as open() makes a file


def test_pan_detections_inside_the_corpus_are_refused(tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "pan"
    (corpus / "02-no-obfuscation").mkdir(parents=True)
    assert_one_line_error(cli(monkeypatch, capsys, "eval", "pan", str(corpus), "--out", str(corpus)),
                          "is the corpus; write the output elsewhere")
    assert_one_line_error(cli(monkeypatch, capsys, "eval", "pan", str(corpus), "--out", str(corpus / "out")),
                          "is inside the corpus")
    trap = tmp_path / "trap"  # an --out outside the corpus, holding a link into it
    trap.mkdir()
    (trap / "02-no-obfuscation").symlink_to(corpus / "02-no-obfuscation")
    for pairs in (corpus / "pairs", corpus / "02-no-obfuscation" / "pairs"):
        pairs.write_text("suspicious-document00001.txt source-document00001.txt\n")
    gold = corpus / "02-no-obfuscation" / "suspicious-document00001-source-document00001.xml"
    gold.write_text('<document reference="suspicious-document00001.txt"></document>\n')
    for folder, name in (("susp", "suspicious-document00001.txt"), ("src", "source-document00001.txt")):
        (corpus / folder).mkdir()
        (corpus / folder / name).write_text("A text of a few words.")
    before = gold.read_bytes()
    assert_one_line_error(cli(monkeypatch, capsys, "eval", "pan", str(corpus), "--out", str(trap), "--workers", "1"),
                          "is inside the corpus")
    assert gold.read_bytes() == before
    (tmp_path / "file").write_text("a file")
    assert_one_line_error(cli(monkeypatch, capsys, "eval", "pan", str(corpus), "--out", str(tmp_path / "file")),
                          "is a file; give a folder")


def test_a_stories_limit_past_any_store_is_one_line(tmp_path, monkeypatch, capsys):
    result = cli(monkeypatch, capsys, "stories", "--db", str(tmp_path / "x.duckdb"), "--limit", "99999999999999999999")
    assert_one_line_error(result, "--limit")


@pytest.mark.parametrize("tables", [["CREATE TABLE sales (x INTEGER)"],
                                    ["CREATE SCHEMA s", "CREATE TABLE s.sales (x INTEGER)"],
                                    ["CREATE TABLE sales (x INTEGER)", "CREATE TABLE settings (key VARCHAR, value VARCHAR)"]])
@pytest.mark.parametrize("command", [["scan", "GOOD"], ["stories"], ["export", "--format", "jsonl", "--out", "OUT"]])
def test_a_duckdb_database_that_is_not_a_store_is_refused_untouched(tmp_path, monkeypatch, capsys, command, tables):
    import duckdb

    db = tmp_path / "sales.duckdb"
    with duckdb.connect(str(db)) as connection:
        for statement in tables:
            connection.execute(statement)
    before = db.read_bytes()
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    args = [str(good) if arg == "GOOD" else str(tmp_path / "out") if arg == "OUT" else arg for arg in command]
    result = cli(monkeypatch, capsys, *args, "--db", str(db))
    assert_one_line_error(result, str(db), "is a DuckDB database but not a copytrace store (its tables: ")
    assert db.read_bytes() == before


def test_an_empty_duckdb_database_is_no_store_to_read(tmp_path, monkeypatch, capsys):
    import duckdb

    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    result = cli(monkeypatch, capsys, "stories", "--db", str(tmp_path / "empty.duckdb"))
    assert_one_line_error(result, "holds no copytrace store yet; run copytrace scan first")


@pytest.mark.parametrize("option, value", [("--out", "out"), ("--master", "local[2]"), ("--conf", "a=b")])
def test_a_spark_option_with_the_local_engine_is_refused_not_ignored(tmp_path, monkeypatch, capsys, option, value):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    result = cli(monkeypatch, capsys, "scan", str(good), "--db", str(tmp_path / "x.duckdb"), option, value)
    assert_one_line_error(result, f"{option}: is an option of --engine spark")
    assert not (tmp_path / "x.duckdb").exists()


def test_dedup_and_export_never_replace_the_files_the_store_was_scanned_from(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # inputs given relative to where the scan ran
    Path("news.jsonl").write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    Path("documents.jsonl").write_text(json.dumps({**GOOD, "id": "other"}) + "\n", encoding="utf-8")
    before = {path: path.read_bytes() for path in (Path("news.jsonl"), Path("documents.jsonl"))}
    assert cli(monkeypatch, capsys, "scan", "news.jsonl", "documents.jsonl", "--db", "news.duckdb")[0] == 0
    assert_one_line_error(cli(monkeypatch, capsys, "dedup", "--db", "news.duckdb", "--out", "news.jsonl"),
                          "news.jsonl: is an input the store was scanned from")
    assert_one_line_error(cli(monkeypatch, capsys, "export", "--db", "news.duckdb", "--format", "jsonl", "--out", "."),
                          "documents.jsonl: is an input the store was scanned from")
    assert {path: path.read_bytes() for path in before} == before
    # A folder given to a scan refuses new files under it ("." would refuse every output),
    # not the article files already there.
    assert cli(monkeypatch, capsys, "scan", ".", "--db", "folder.duckdb")[0] == 0
    assert cli(monkeypatch, capsys, "export", "--db", "folder.duckdb", "--out", "exported")[0] == 0
    assert_one_line_error(cli(monkeypatch, capsys, "export", "--db", "folder.duckdb", "--format", "jsonl",
                              "--out", "."), f"documents.jsonl: is a file inside {tmp_path}, which the store was scanned from")
    for _ in range(2):  # files written after the scan are no input of it: the same export runs again
        assert cli(monkeypatch, capsys, "export", "--db", "folder.duckdb", "--format", "jsonl", "--out", "again")[0] == 0
    # Inputs are recorded absolute: a command run from another folder knows them too.
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert_one_line_error(cli(monkeypatch, capsys, "dedup", "--db", "../news.duckdb", "--out", "../news.jsonl"),
                          "../news.jsonl: is an input the store was scanned from")
    assert {path: (tmp_path / path).read_bytes() for path in before} == before


def test_export_onto_the_store_itself_is_refused(tmp_path, monkeypatch, capsys):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    db = tmp_path / "out" / "documents.jsonl"  # a store named as the export would name a table
    db.parent.mkdir()
    assert cli(monkeypatch, capsys, "scan", str(good), "--db", str(db))[0] == 0
    assert_one_line_error(cli(monkeypatch, capsys, "export", "--db", str(db), "--format", "jsonl",
                              "--out", str(tmp_path / "out")), "is the store; write the output elsewhere")


def test_an_export_that_cannot_write_one_table_writes_none(tmp_path, monkeypatch, capsys):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    db = tmp_path / "news.duckdb"
    assert cli(monkeypatch, capsys, "scan", str(good), "--db", str(db))[0] == 0
    out = tmp_path / "out"
    (out / "pairs.csv").mkdir(parents=True)  # a folder where a table's file would go
    (out / "documents.csv").write_text("an earlier export")
    assert_one_line_error(cli(monkeypatch, capsys, "export", "--db", str(db), "--format", "csv", "--out", str(out)),
                          "pairs.csv: is a folder")
    assert sorted(path.name for path in out.iterdir()) == ["documents.csv", "pairs.csv"]
    assert (out / "documents.csv").read_text() == "an earlier export"


def test_an_empty_or_folder_output_name_is_one_line(tmp_path, monkeypatch, capsys):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(GOOD["text"], encoding="utf-8")
    second.write_text(GOOD["text"], encoding="utf-8")
    for html, where in (("", "--html"), (str(tmp_path), str(tmp_path))):
        assert_one_line_error(cli(monkeypatch, capsys, "compare", str(first), str(second), "--html", html),
                              f"{where}: name the HTML file to write, not a folder")
    assert_one_line_error(cli(monkeypatch, capsys, "eval", "pan", str(tmp_path), "--out", str(tmp_path.parent / "det"),
                              "--workers", "0"),
                          "workers: must be at least 1, not 0")


def test_query_counts_what_it_matched_even_when_nothing(tmp_path, monkeypatch, capsys):
    db = tmp_path / "s.duckdb"
    assert cli(monkeypatch, capsys, "add", str(mixed_jsonl(tmp_path / "a.jsonl", bad_lines=0)), "--db", str(db))[0] == 0
    (tmp_path / "none.jsonl").write_text("\n", encoding="utf-8")
    code, out, _ = cli(monkeypatch, capsys, "query", str(tmp_path / "none.jsonl"), "--db", str(db))
    assert code == 0 and out.strip().splitlines()[-1] == "read 0 records: 0 matched, 0 rejected"
