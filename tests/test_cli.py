"""`copytrace compare` from the command line: JSON, HTML, terminal report, bad input."""

from __future__ import annotations

import json
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import copytrace as package
from copytrace import __version__, compare, compare_files
from copytrace.engine import ScanConfig, scan
from copytrace.errors import InputError
from tests.test_scan import collection, prose, write_jsonl
from tests.conftest import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "press-release"
PRESS_RELEASE = str(EXAMPLES / "akorda-press-release.txt")
REPRINT = str(EXAMPLES / "reprint.txt")
SCRIPT = "<script>alert('x')</script>"


def copytrace(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from copytrace.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env={"COLUMNS": "120", "PATH": ""},
    )


def test_compare_json_is_complete_and_versioned() -> None:
    result = copytrace("compare", PRESS_RELEASE, REPRINT, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "copytrace.comparison/2"
    assert data["decision"]["source"] == "akorda-press-release"
    assert {"passages", "edits", "names", "quotations", "derivation"} <= data.keys()


def test_compare_terminal_report() -> None:
    result = copytrace("compare", REPRINT, PRESS_RELEASE)
    assert result.returncode == 0, result.stderr
    assert "akorda-press-release" in result.stdout
    assert "agreement" in result.stdout and "altered" in result.stdout
    assert "Afghanistan" in result.stdout


def test_compare_html_escapes_article_text(tmp_path: Path) -> None:
    base = Path(PRESS_RELEASE).read_text(encoding="utf-8")
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text(f"{SCRIPT}\n\n{base}", encoding="utf-8")
    second.write_text(base[:2500] + f" {SCRIPT} <b>bold</b>", encoding="utf-8")
    out = tmp_path / "report" / "compare.html"
    result = copytrace("compare", str(first), str(second), "--html", str(out))
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert SCRIPT not in html and "<b>bold" not in html
    assert "&lt;script&gt;" in html
    assert "<link" not in html and "src=" not in html  # self-contained
    assert html.count('<div class="text" dir="auto">') == 2  # each text sets its own direction (Arabic, Hebrew)


@pytest.mark.parametrize(
    "name, content",
    [
        ("missing.txt", None),
        ("empty.txt", b""),
        ("binary.txt", b"\x00\xff\xfe binary \x81"),
        ("article.docx", b"some text"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, name: str, content: bytes | None) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = copytrace("compare", str(path), REPRINT)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0]
    assert "Traceback" not in result.stderr


# --- every command: exit status, one-line errors, data shown as text --------------

MARKUP = "[/VIDEO] [bold]x[/bold] [link=file:///etc]l[/link] \u202e\u2067"  # bidi controls reorder a line
HOSTILE = f"{MARKUP} \x1b[2J\x1b[31m\x07\x08\r\x9b[0m"




def assert_shown_as_text(output: str) -> None:
    """The markup is printed as written; no control character reaches the terminal."""
    assert "[/VIDEO]" in output and "[bold]x[/bold]" in output
    assert not any(ord(c) < 32 and c not in "\n" or 0x7F <= ord(c) < 0xA0 or c in "\u202e\u2067" for c in output), \
        repr(output)
    assert "␛[2J" in output


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory) -> tuple[Path, list[dict]]:
    """The scan test collection with markup and bidirectional controls in every field,
    and ANSI escapes and control characters in every field but the id (which may not
    hold them): title, source, url, date-less text lines."""
    records = collection()
    for record in records:
        record.update(id=f"{record['id']}{MARKUP}", title=f"title {HOSTILE}", source=f"src {HOSTILE}",
                      url=f"https://x/{HOSTILE}", text=f"{HOSTILE}\n\n{record['text']}")
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "h.duckdb"
    scan([write_jsonl(folder / "docs.jsonl", records)], db, config=ScanConfig(workers=1))
    return db, records


def test_every_command_shows_data_as_text(hostile_store, tmp_path, capsys):
    db, records = hostile_store
    status, out, err = cli(capsys, "stories", "--db", str(db))
    assert status == 0, err
    assert_shown_as_text(out)
    status, out, err = cli(capsys, "show", records[0]["id"], "--db", str(db))
    assert status == 0, err
    assert_shown_as_text(out)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_jsonl(first, records[:1])
    write_jsonl(second, records[1:2])
    status, out, err = cli(capsys, "compare", str(first), str(second))
    assert status == 0, err
    assert_shown_as_text(out)
    status, out, err = cli(capsys, "show", f"missing{HOSTILE}", "--db", str(db))
    assert status == 2 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("error: missing[/VIDEO]") and "␛[2J" in line and "\x1b" not in line


def test_show_json_is_versioned_and_complete(hostile_store, capsys):
    db, records = hostile_store
    status, out, err = cli(capsys, "show", records[0]["id"], "--db", str(db), "--json")
    assert status == 0, err
    shown = json.loads(out)
    assert shown["schema"] == "copytrace.show/1"
    assert shown["document"]["schema"] == "copytrace.document_view/1"
    assert shown["document"]["document_id"] == records[0]["id"]  # data kept exactly in JSON
    assert {pair["other"] for pair in shown["document"]["pairs"]} == {records[1]["id"], records[2]["id"]}
    assert [node["schema"] for node in shown["story"]] == ["copytrace.tree_node/1"] * 3
    assert all(node["date"] is None or len(node["date"]) == 10 for node in shown["story"])


def test_version_and_flags_shown_as_flags(capsys):
    status, out, _ = cli(capsys, "--version")
    assert (status, out.strip()) == (0, f"copytrace {__version__}")
    for command in ("scan", "stories", "show", "compare"):
        status, out, _ = cli(capsys, command, "--help")
        assert status == 0 and "--json" in out
        assert "<bool>" not in out and "--json " in out


@pytest.mark.parametrize(
    "args, says",
    [
        (["stories", "--limit", "-1"], "--limit"),
        (["stories", "--limit", "many"], "--limit"),
        (["no-such-command"], "no-such-command"),
        (["scan"], "inputs"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(capsys, args, says):
    status, _, err = cli(capsys, *args)
    assert status == 2
    [line] = err.strip().splitlines()
    assert line.startswith("error: ") and says in line


def test_python_compare_refuses_a_file_name_given_as_text():
    with pytest.raises(InputError, match="compare_files"):
        compare(REPRINT, PRESS_RELEASE)
    by_name = compare_files(REPRINT, PRESS_RELEASE)
    assert by_name.source.id == "akorda-press-release" and by_name.passages
    assert by_name.to_json() == compare(Path(REPRINT), Path(PRESS_RELEASE)).to_json()


def test_compare_of_two_texts_that_share_nothing_names_no_source(tmp_path, capsys):
    rng = random.Random(3)
    first, second = tmp_path / "one.txt", tmp_path / "two.txt"
    first.write_text(prose(rng, 200), encoding="utf-8")
    second.write_text(prose(rng, 200), encoding="utf-8")
    status, out, err = cli(capsys, "compare", str(first), str(second))
    assert status == 0, err
    assert "share no passage: neither is taken from the other" in out and "confidence" not in out
    status, _, err = cli(capsys, "compare", str(first), str(second), "--html", str(tmp_path / "report.html"))
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert status == 0 and "They share no passage" in report and "confidence" not in report, err


def test_kernels_go_under_the_temporary_folder_where_neither_numba_folder_can_be_written(monkeypatch, tmp_path):
    from numba.core import config

    monkeypatch.setattr(config, "CACHE_DIR", "")
    monkeypatch.setattr(package, "_writable", lambda folder: False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert package.kernel_cache_folder() == str(tmp_path / f"copytrace-numba-cache-{os.getuid()}")
    assert stat.S_IMODE(os.stat(tmp_path / f"copytrace-numba-cache-{os.getuid()}").st_mode) == 0o700
    # A folder of that name open to others (kernels are pickles) is not used: a new private one is.
    monkeypatch.setattr(config, "CACHE_DIR", "")
    os.chmod(tmp_path / f"copytrace-numba-cache-{os.getuid()}", 0o777)
    chosen = package.kernel_cache_folder()
    assert Path(chosen).parent == tmp_path and Path(chosen).name != f"copytrace-numba-cache-{os.getuid()}"


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv to run as nobody")
def test_a_user_who_can_write_neither_the_install_nor_a_home_runs_copytrace(tmp_path):
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    result = subprocess.run([*nobody, sys.executable, "-m", "copytrace", "--version"], capture_output=True, text=True,
                            env={**os.environ, "HOME": "/nonexistent"}, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("copytrace "), result.stderr


def test_a_piped_line_is_never_wrapped(tmp_path):
    folder = tmp_path / ("a-long-folder-name-" * 8)
    folder.mkdir()
    path = write_jsonl(folder / "docs.jsonl", collection())
    result = subprocess.run([sys.executable, "-c", "from copytrace.cli import main; main()", "scan", str(path),
                             "--db", str(folder / "s.duckdb"), "--workers", "1"],
                            capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("11 documents in ") and str(folder / "s.duckdb") in line
               for line in result.stdout.splitlines())


def test_the_compare_summary_line_is_one_line_when_piped():
    result = copytrace("compare", PRESS_RELEASE, REPRINT)
    assert result.returncode == 0, result.stderr
    assert any("Reprint covered by the source" in line and "Passages: " in line for line in result.stdout.splitlines())


def test_progress_bars_stay_out_of_a_piped_output(tmp_path):
    path = write_jsonl(tmp_path / "docs.jsonl", collection())
    result = subprocess.run([sys.executable, "-c", "from copytrace.cli import main; main()", "scan", str(path),
                             "--db", str(tmp_path / "s.duckdb"), "--workers", "1"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("read ") and result.stderr == ""
    assert not any(mark in result.stdout for mark in "━⠋%")
