"""The live archive's HTTP API: through the ASGI client, then one real uvicorn server
over loopback; the token, body limit and error rules; many readers with one writer;
an add killed in the middle of its transaction."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from copytrace.engine.archive import LiveArchive
from copytrace.faults import FAULT_VARIABLE
from copytrace.store import DuckDBStore
from copytrace.web.app import ServerSettings, create_app
from tests.test_archive import _document, tables, write_jsonl
from tests.test_scan import collection, prose

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "press-release"
RELEASE = (EXAMPLE / "akorda-press-release.txt").read_text(encoding="utf-8")
REPRINT = (EXAMPLE / "reprint.txt").read_text(encoding="utf-8")
JSON = {"accept": "application/json"}


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of the scan tests' collection, less the press release's reprint."""
    db = tmp_path_factory.mktemp("api") / "archive.duckdb"
    with DuckDBStore(db) as store:
        LiveArchive(store).add([_document(r) for r in collection() if r["id"] != "reprint-1"])
    return db


@pytest.fixture
def client(archive_db: Path, tmp_path: Path):
    """A client of a fresh copy of the archive (tests that add must not see each other)."""
    db = tmp_path / "archive.duckdb"
    db.write_bytes(archive_db.read_bytes())
    with TestClient(create_app(ServerSettings(db=db))) as test_client:
        yield test_client


def count_documents(client: TestClient) -> int:
    return client.get("/health").json()["documents"]


def test_health_and_openapi(client):
    health = client.get("/health").json()
    assert health["schema"] == "copytrace.health/1" and health["documents"] == 10
    assert client.get("/docs").status_code == client.get("/redoc").status_code == 404  # CDN scripts: not served
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/articles", "/query", "/compare", "/stories", "/stories/{story_id}", "/articles/{document_id}",
            "/articles/{document_id}/sources", "/articles/{document_id}/reprints", "/health"} <= set(paths)


def test_story_list_is_paged_and_filtered(client):
    everything = client.get("/stories", headers=JSON).json()
    assert everything["schema"] == "copytrace.story_list/1" and everything["total"] == 2
    first = client.get("/stories?per_page=1&page=1").json()
    second = client.get("/stories?per_page=1&page=2").json()
    assert first["pages"] == 2 and first["stories"] + second["stories"] == everything["stories"]
    assert [s["story_id"] for s in client.get("/stories?source=wire").json()["stories"]] == ["akorda"]
    assert [s["story_id"] for s in client.get("/stories?q=Turkmenistan").json()["stories"]] == ["akorda"]
    assert client.get("/stories?from=2024-06-01&to=2024-06-30").json()["total"] == 1
    assert client.get("/stories.json").json() == everything
    assert client.get("/stories?page=0").status_code == 422
    assert client.get("/stories?page=99999999999999999999").status_code == 422  # an offset past 64 bits
    assert client.get("/stories?page=1000000").json()["stories"] == []


def test_story_search_takes_wildcards_and_backslashes_literally(client):
    client.post("/articles", json={"id": "marked", "text": REPRINT.replace("Kazakhstan", "50% off_sale back\\slash", 1),
                                   "date": "2024-05-19"})
    for literal in ["50% off", "off_sale", "back\\slash"]:
        assert [s["story_id"] for s in client.get("/stories", params={"q": literal}).json()["stories"]] == ["akorda"]
    for wildcard in ["50%off", "off_ale", "back_slash"]:
        assert client.get("/stories", params={"q": wildcard}).json()["total"] == 0


# Ids as news feeds have them: URLs, queries, fragments, percent signs, a final .json, a
# path that looks like a page of another article. (Ids of only dots are refused: a
# browser reads /articles/%2E%2E as /.)
ODD_IDS = ["https://news.example.com/2024/05/17/story", "q?x=1", "h#frag", "50%2Fx", "x.json", "a b", "akorda/sources"]


def test_an_article_with_any_id_is_reached_by_the_links_the_pages_give(client):
    from copytrace.web.paths import path_segment

    for n, id_ in enumerate(ODD_IDS):
        added = client.post("/articles", json={"id": id_, "text": REPRINT, "date": f"2024-05-{20 + n}"})
        assert added.status_code == 200, added.text
    for id_ in ODD_IDS:
        page = f"/articles/{path_segment(id_)}"
        html = client.get(page, headers={"accept": "text/html"})
        assert html.status_code == 200 and f'href="{page}.json"' in html.text  # the twin, as requested
        assert client.get(f"{page}.json").json()["document"]["id"] == id_
        assert client.get(page, headers=JSON).json()["document"]["id"] == id_
        sources = client.get(f"{page}/sources", params={"per_page": 1}, headers={"accept": "text/html"})
        listed = client.get(f"{page}/sources.json").json()
        assert sources.status_code == 200 and listed["document_id"] == id_ and listed["total"] > 1
        assert f'href="{page}/sources?per_page=1&amp;page=2"' in sources.text  # the pager, from the path as requested
        pair = client.get(f"/pairs/akorda/{path_segment(id_)}", headers=JSON).json()
        assert {pair["source"]["id"], pair["reprint"]["id"]} == {"akorda", id_}
    story = client.get("/stories/akorda", headers={"accept": "text/html"}).text
    assert all(f'href="/articles/{path_segment(id_)}"' in story for id_ in ODD_IDS)


def test_story_article_and_matches(client):
    story = client.get("/stories/story2-base").json()
    assert story["schema"] == "copytrace.story/1"
    assert {a["document_id"] for a in story["articles"]} == {"story2-base", "story2-copy", "story2-copy-of-copy"}
    assert client.get("/stories/story2-base.json").json() == story
    article = client.get("/articles/story2-copy").json()
    assert article["schema"] == "copytrace.article/1" and article["story_id"] == "story2-base"
    assert [m["document"]["id"] for m in article["sources"]] == ["story2-base"]
    reprints = client.get("/articles/story2-base/reprints?per_page=1").json()
    assert reprints["schema"] == "copytrace.matches/1" and reprints["total"] == 2 and len(reprints["matches"]) == 1
    assert client.get("/articles/story2-copy/sources").json()["matches"][0]["pair"]["schema"] == "copytrace.pair/1"
    assert client.get("/articles/nothing").status_code == 404
    assert client.get("/pairs/akorda/akorda").json() == {
        "error": "/pairs/akorda/akorda: an article is compared with another, not with itself"}
    assert all(client.get(path).headers["vary"] == "Accept" for path in ("/stories", "/articles/nothing"))
    head = client.head("/health")
    assert head.status_code == 200 and head.content == b"" and head.headers["content-type"] == "application/json"
    assert client.get("/stories/nothing").json() == {"error": "nothing: no such story in the store"}


def test_add_then_find_the_article_in_its_story(client):
    added = client.post("/articles", json={"id": "reprint", "text": REPRINT, "date": "2024-05-17"})
    assert added.status_code == 200
    report = added.json()["articles"][0]
    assert report["status"] == "added" and report["story_id"] == "akorda"
    assert [m["document"]["id"] for m in report["sources"]][0] == "akorda"
    assert "reprint" in {a["document_id"] for a in client.get("/stories/akorda").json()["articles"]}
    again = client.post("/articles", json={"articles": [{"id": "reprint", "text": REPRINT}]}).json()
    assert again["articles"][0]["status"] == "existing"
    assert client.post("/articles", json={"id": "reprint", "text": "Other words."}).status_code == 422


def test_query_stores_nothing(client):
    before = count_documents(client)
    report = client.post("/query", json={"text": REPRINT}).json()
    assert report["status"] == "query" and report["sources"][0]["document"]["id"] == "akorda"
    assert report["story_id"] == "akorda"
    assert count_documents(client) == before


def test_compare_two_texts(client):
    comparison = client.post("/compare", json={"a": {"text": RELEASE}, "b": {"text": REPRINT}}).json()
    assert comparison["schema"] == "copytrace.comparison/2"
    assert comparison["source"]["id"] == "a" and comparison["passages"]


def test_bad_requests_get_a_message_and_never_a_trace(client):
    malformed = client.post("/articles", content=b'{"text": ', headers={"content-type": "application/json"})
    assert malformed.status_code == 422
    assert malformed.json()["error"] == "body: malformed JSON at character 9 (Expecting value)"
    missing = client.post("/query", json={"id": "x"})
    assert missing.status_code == 422 and missing.json()["error"] == "text: Field required"
    # An article or a batch: the problems of the form the body takes, not of both.
    assert client.post("/articles", json={"id": "x"}).json()["error"] == "text: Field required"
    batch = client.post("/articles", json={"articles": [{"text": "A text."}, {"id": "y"}]})
    assert batch.json()["error"] == "articles.1.text: Field required"
    empty = client.post("/query", json={"text": "   "})
    assert empty.status_code == 422 and "empty text" in empty.json()["error"]
    for response in (malformed, missing, empty):
        assert "Traceback" not in response.text


def test_an_internal_error_shows_no_trace(archive_db, tmp_path, monkeypatch):
    db = tmp_path / "a.duckdb"
    db.write_bytes(archive_db.read_bytes())
    with TestClient(create_app(ServerSettings(db=db)), raise_server_exceptions=False) as client:
        monkeypatch.setattr(client.app.state.service, "query", lambda document: 1 / 0)
        response = client.post("/query", json={"text": "Some words here."})
    assert response.status_code == 500
    assert response.json() == {"error": "internal error (the server's log has the details)"}


def test_bodies_over_the_limit_get_413(archive_db, tmp_path):
    db = tmp_path / "a.duckdb"
    db.write_bytes(archive_db.read_bytes())
    with TestClient(create_app(ServerSettings(db=db, max_body=1000))) as client:
        declared = client.post("/query", json={"text": "word " * 400})
        streamed = client.post("/query", content=iter([b'{"text": "', b"w" * 2000, b'"}']),
                               headers={"content-type": "application/json"})
        small = client.post("/query", json={"text": "A few words of text."})
    assert declared.status_code == 413 and streamed.status_code == 413
    assert small.status_code == 200


def test_writes_need_the_token_when_one_is_set(archive_db, tmp_path):
    db = tmp_path / "a.duckdb"
    db.write_bytes(archive_db.read_bytes())
    article = {"id": "new", "text": prose(__import__("random").Random(3), 80)}
    with TestClient(create_app(ServerSettings(db=db, token="s3cret"))) as client:
        assert client.post("/articles", json=article).status_code == 401
        assert client.post("/articles", json=article, headers={"authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/stories").status_code == 200  # reads need no token
        assert client.post("/query", json=article).status_code == 200
        assert client.post("/articles", json=article, headers={"authorization": "Bearer s3cret"}).status_code == 200
        assert client.post("/articles", json=article, headers={"x-copytrace-token": "s3cret"}).status_code == 200


def test_article_text_is_data(client):
    payload = '<script>alert(1)</script> "><img src=x onerror=alert(2)> [bold]x[/bold] ' + prose(
        __import__("random").Random(9), 60)
    report = client.post("/articles", json={"id": "\"><b>id", "text": payload, "title": "<i>t</i>"}).json()
    stored = client.get("/articles/\"><b>id").json()
    assert report["articles"][0]["document"]["title"] == stored["document"]["title"] == "<i>t</i>"


def test_many_readers_and_one_writer(client):
    rng = __import__("random").Random(11)
    articles = [{"id": f"live-{n}", "text": prose(rng, 120)} for n in range(24)]
    errors: list[str] = []

    def write() -> None:
        for start in range(0, len(articles), 4):
            response = client.post("/articles", json={"articles": articles[start:start + 4]})
            if response.status_code != 200:
                errors.append(response.text)

    def read() -> None:
        for _ in range(12):
            for path in ("/stories", "/articles/akorda", "/health"):
                if (response := client.get(path)).status_code != 200:
                    errors.append(response.text)
            if client.post("/query", json={"text": REPRINT}).status_code != 200:
                errors.append("query")

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count_documents(client) == 10 + len(articles)


def copytrace_command() -> list[str]:
    return [sys.executable, "-c", "from copytrace.cli import main; main()"]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stderr.read()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s")


def test_real_server_over_loopback(archive_db, tmp_path):
    db = tmp_path / "served.duckdb"
    db.write_bytes(archive_db.read_bytes())
    server = subprocess.Popen([*copytrace_command(), "serve", "--db", str(db), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert select.select([server.stderr], [], [], 120)[0], "the server said nothing in 2 minutes"
        announced = server.stderr.readline()  # the port the system chose, said once it listens
        assert announced.startswith(f"serving {db} at http://127.0.0.1:"), announced
        base = announced.split(" at ")[1].split()[0]
        port = int(base.rsplit(":", 1)[1])
        assert json.loads(Path(f"{db}.serve.json").read_text())["url"] == base
        wait_for(f"{base}/health", server)
        added = httpx.post(f"{base}/articles", json={"id": "reprint", "text": REPRINT}, timeout=30).json()
        assert added["articles"][0]["story_id"] == "akorda"
        assert httpx.get(f"{base}/articles/reprint", timeout=10).json()["sources"][0]["document"]["id"] == "akorda"
        assert httpx.get(f"{base}/stories", timeout=10).headers["content-security-policy"].startswith("default-src")
        blocked = subprocess.run([*copytrace_command(), "add", str(EXAMPLE / "reprint.txt"), "--db", str(db)],
                                 capture_output=True, text=True)
        assert blocked.returncode == 2
        assert f"held by copytrace serve (pid {server.pid}) at http://127.0.0.1:{port}" in blocked.stderr
        assert "Traceback" not in blocked.stderr and len(blocked.stderr.strip().splitlines()) == 1
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert server.returncode == 0, server.stderr.read()  # Ctrl-C is how a server stops, not a failure
    assert not Path(f"{db}.serve.json").exists()
    with DuckDBStore(db, read_only=True) as store:
        assert "reprint" in store.document_ids()


def test_serve_on_a_port_in_use_is_one_line_and_opens_no_store(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*copytrace_command(), "serve", "--db", str(tmp_path / "x.duckdb"), "--port", str(port)],
                                capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == f"error: --port: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert not (tmp_path / "x.duckdb").exists()


def test_serve_on_an_address_this_machine_lacks_is_one_line(tmp_path):
    result = subprocess.run([*copytrace_command(), "serve", "--db", str(tmp_path / "x.duckdb"), "--host", "203.0.113.5"],
                            capture_output=True, text=True, env={**os.environ, "COPYTRACE_TOKEN": "secret"})
    assert result.returncode == 2
    assert result.stderr == "error: --host: cannot listen on 203.0.113.5:8000: Cannot assign requested address\n"


def test_serve_refuses_an_open_address_without_a_token(tmp_path):
    result = subprocess.run([*copytrace_command(), "serve", "--db", str(tmp_path / "x.duckdb"), "--host", "0.0.0.0"],
                            capture_output=True, text=True, env={**os.environ, "COPYTRACE_TOKEN": ""})
    assert result.returncode == 2
    assert "0.0.0.0 is not a loopback address" in result.stderr and "Traceback" not in result.stderr


def test_an_add_killed_in_its_transaction_leaves_the_article_absent_and_a_rerun_completes(tmp_path):
    records = [r for r in collection()]
    first, rest = write_jsonl(tmp_path / "first.jsonl", records[:6]), write_jsonl(tmp_path / "rest.jsonl", records[6:])
    db = tmp_path / "live.duckdb"
    run = lambda path, **env: subprocess.run(  # noqa: E731
        [*copytrace_command(), "add", str(path), "--db", str(db), "--json"],
        capture_output=True, text=True, env={**os.environ, **env},
    )
    assert run(first).returncode == 0
    before = tables(db)
    killed = run(rest, **{FAULT_VARIABLE: "add:SIGKILL"})
    assert killed.returncode == -signal.SIGKILL
    assert tables(db) == before  # the store opens, and holds nothing of the killed batch
    assert run(rest).returncode == 0
    scanned = tmp_path / "scan.duckdb"
    from copytrace.engine import ScanConfig, scan

    scan([tmp_path / "first.jsonl", tmp_path / "rest.jsonl"], scanned, config=ScanConfig(workers=1))
    assert tables(db) == tables(scanned)
    assert json.loads(run(rest).stdout)["articles"][0]["status"] == "existing"
