"""`copytrace compare` from the command line: JSON, HTML, terminal report, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
