"""The viewer without a browser: pages and their JSON twins through the ASGI client,
form posts, error pages, the static report, and how each text is cut into segments."""

import asyncio
import base64
import hashlib
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from copytrace.compare import compare
from copytrace.engine.archive import LiveArchive
from copytrace.ingest import document_from_record
from copytrace.store import DuckDBStore
from copytrace.web.app import ServerSettings, create_app
from copytrace.web.filters import external_url
from copytrace.web.paths import path_segment
from copytrace.web.report import STATIC, Mark, Segment, pair_context, render_html, segment_text
from copytrace.web.views.articles import article_segments
from tests.test_scan import EXAMPLE, collection


def test_later_marks_show_over_earlier_ones_and_equal_neighbours_merge():
    text = "abcdefghij"
    marks = [Mark(0, 10, "kept"), Mark(2, 5, "changed", "was X"), Mark(5, 7, "kept")]
    assert segment_text(text, marks) == [
        Segment("ab", "kept"),
        Segment("cde", "changed", "was X"),
        Segment("fghij", "kept"),
    ]
    assert segment_text("xyz", []) == [Segment("xyz", "plain")]


STYLES = ["kept", "cut", "changed"]


@given(
    st.text(min_size=0, max_size=60),
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60), st.sampled_from(STYLES)), max_size=12),
)
def test_each_character_shows_the_last_mark_covering_it(text, raw_marks):
    marks = [Mark(min(a, b, len(text)), min(max(a, b), len(text)), css) for a, b, css in raw_marks]
    segments = segment_text(text, marks)
    assert "".join(s.text for s in segments) == text
    shown = [s.css for s in segments for _ in s.text]
    expected = [next((m.css for m in reversed(marks) if m.start <= i < m.end), "plain") for i in range(len(text))]
    assert shown == expected
    assert all(a.css != b.css for a, b in zip(segments, segments[1:]))


# --- the viewer's pages, through the ASGI client ------------------------------



HTML = {"accept": "text/html,application/xhtml+xml"}
PRESS_RELEASE = (EXAMPLE / "akorda-press-release.txt").read_text(encoding="utf-8")
REPRINT = (EXAMPLE / "reprint.txt").read_text(encoding="utf-8")
PAGES = ["/stories", "/stories?q=Tokayev&from=&to=&source=", "/stories/akorda", "/articles/reprint-1",
         "/articles/akorda/reprints", "/articles/reprint-1/sources", "/pairs/akorda/reprint-1", "/compare", "/add"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("web") / "web.duckdb"
    store = DuckDBStore(db)
    LiveArchive(store).add([document_from_record(record, "record") for record in collection()])
    store.close()
    with TestClient(create_app(ServerSettings(db=db, token="secret"))) as test_client:
        yield test_client


def json_twin(path: str) -> str:
    route, _, query = path.partition("?")
    return f"{route}.json" + (f"?{query}" if query else "")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_html_for_a_browser_and_has_a_json_twin(client, path):
    page = client.get(path, headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<link rel="stylesheet" href="/static/viewer.css">' in page.text and "<style" not in page.text
    assert " style=" not in page.text and "<script>" not in page.text  # the CSP forbids inline style and script
    twin = client.get(json_twin(path))
    assert twin.status_code == 200 and twin.headers["content-type"] == "application/json"
    assert client.get(path).json() == twin.json() == client.get(json_twin(path), headers=HTML).json()
    assert twin.json()["schema"].startswith("copytrace.")


def test_the_story_list_form_sends_empty_filters_that_filter_nothing(client):
    assert client.get("/stories.json?from=&to=&q=&source=").json() == client.get("/stories.json").json()
    assert client.get("/stories.json?from=not-a-date").status_code == 422


def test_forms_post_the_same_bodies_as_json(client):
    posted = {"text": REPRINT, "id": "pasted", "source": "desk"}
    as_json = client.post("/query", json=posted).json()
    as_form = client.post("/query", data={**posted, "title": "", "date": ""}).json()
    assert as_form == as_json and as_json["schema"] == "copytrace.article/1"
    pair = {"a": {"text": PRESS_RELEASE, "id": "release"}, "b": {"text": REPRINT, "id": "reprint"}}
    as_json = client.post("/compare", json=pair).json()
    as_form = client.post("/compare", data={"a.text": PRESS_RELEASE, "a.id": "release", "b.text": REPRINT,
                                            "b.id": "reprint"}).json()
    uploaded = client.post("/compare", data={"a.text": PRESS_RELEASE, "a.id": "release"},
                           files={"b.file": ("reprint.txt", REPRINT.encode(), "text/plain")}).json()
    assert as_form == as_json == uploaded and as_json["decision"]["source"] == "release"
    page = client.post("/compare", data={"a.text": PRESS_RELEASE, "b.text": REPRINT}, headers=HTML)
    assert page.headers["content-type"].startswith("text/html") and 'class="flag"' in page.text


def test_a_form_upload_must_be_utf8(client):
    answer = client.post("/compare", data={"a.text": PRESS_RELEASE}, files={"b.file": ("bad.txt", b"\xff\xfe\x00x")})
    assert answer.status_code == 422 and answer.json() == {"error": "bad.txt: is not UTF-8 text"}


def test_adding_from_a_form_needs_the_token_field(client):
    article = {"text": REPRINT + " One more sentence for a new text.", "id": "form-added"}
    refused = client.post("/articles", data=article, headers=HTML)
    assert refused.status_code == 401 and "needs its token" in refused.text and "<h1>401" in refused.text
    added = client.post("/articles", data={**article, "token": "secret"}, headers=HTML)
    assert added.status_code == 200 and 'href="/stories/akorda"' in added.text
    assert client.get("/articles/form-added.json").json()["story_id"] == "akorda"


def test_errors_are_pages_for_a_browser_and_json_otherwise(client):
    page = client.get("/stories/<script>x", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "&lt;script&gt;x: no such story" in page.text and "<script>x" not in page.text
    assert client.get("/stories/<script>x").json() == {"error": "<script>x: no such story in the store"}
    invalid = client.post("/compare", data={"a.text": "only one"}, headers=HTML)
    assert invalid.status_code == 422 and "b: Field required" in invalid.text


def test_the_static_report_inlines_the_packages_css_and_js_pinned_by_their_hashes():
    html = render_html(compare(PRESS_RELEASE, REPRINT))
    policy = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    for name, kind, tag in [("viewer.css", "style-src", "style"), ("viewer.js", "script-src", "script")]:
        content = (STATIC / name).read_text(encoding="utf-8")
        assert f"<{tag}>{content}</{tag}>" in html
        digest = base64.b64encode(hashlib.sha256(content.encode()).digest()).decode()
        assert f"{kind} 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy and "<link" not in html and "src=" not in html


def test_each_passage_is_one_stretch_of_each_text_and_altered_quotations_are_flagged():
    c = compare(PRESS_RELEASE, REPRINT)
    context = pair_context(c)
    for side, text, span_of in [("source", c.source.text, lambda p: (p.a_start, p.a_end)),
                                ("reprint", c.reprint.text, lambda p: (p.b_start, p.b_end))]:
        stretches = context[f"{side}_stretches"]
        assert "".join(s.text for stretch in stretches for s in stretch.segments) == text
        assert all(stretch.end == following.start for stretch, following in zip(stretches, stretches[1:]))
        spans = {stretch.passage: (stretch.start, stretch.end) for stretch in stretches if stretch.passage}
        assert spans == {n: span_of(p) for n, p in enumerate(c.passages, 1)}
        flags = [s.flag for stretch in stretches for s in stretch.segments if s.flag]
        assert flags == [1, 2]
    reprint_flagged = [stretch.start + sum(len(s.text) for s in stretch.segments[:i])
                       for stretch in context["reprint_stretches"] for i, s in enumerate(stretch.segments) if s.flag]
    assert reprint_flagged == [m.quotation.start for m in c.quotations.altered]


def test_urls_from_data_are_linked_only_when_http_and_ids_are_quoted():
    assert external_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for url in ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>", "vbscript:x", "//evil",
                "http:no-host", None, ""]:
        assert external_url(url) is None
    assert path_segment("a/b?c#d e") == "a%2Fb%3Fc%23d%20e"
    assert path_segment("x.json") == "x%2Ejson" and path_segment("a.b") == "a.b"


def test_routing_keeps_encoded_slashes_dots_and_percents_in_their_segment():
    from copytrace.web.paths import path_id, routed_path, segment_id

    assert routed_path("/articles/a%2fb%2Ejson%25%C3%A9%20c.json") == "/articles/a%2Fb%2Ejson%25é c.json"
    assert path_id("a%2Fb%2Ejson%25é c.json") == "a/b.json%é c" and segment_id("x%2Ejson") == "x.json"


def test_without_a_raw_path_a_percent_in_a_decoded_path_is_not_decoded_again():
    from copytrace.web.paths import KeepEncodedSeparators, path_id

    routed = {}

    async def application(scope, receive, send):
        routed.update(scope)

    asyncio.run(KeepEncodedSeparators(application)({"type": "http", "path": "/articles/a%41 x"}, None, None))
    assert routed["path"] == "/articles/a%2541 x" and path_id(routed["path"].rsplit("/", 1)[1]) == "a%41 x"


def test_the_article_page_marks_boilerplate(client):
    report = client.app.state.service.report("reprint-1")
    assert {s.css for s in article_segments(report)} == {"plain", "reused"}
    marked = article_segments(report, [(0, 10), (40, 50)])
    assert [(s.css, s.text) for s in marked[:1]] == [("boilerplate", report.document.text[:10])]
    assert "boilerplate" in {s.css for s in marked if report.document.text[40:50] in s.text}


def test_a_story_page_checks_the_quotations_of_its_first_edges_and_says_so(client, monkeypatch):
    from copytrace.web.views import stories

    page = client.get("/stories/akorda", headers=HTML).text
    assert "altered 2 quotations of akorda" in page and "Treaty" in page and "reprints (in tree order) are checked" not in page
    monkeypatch.setattr(stories, "QUOTATION_CHECK_EDGES", 1)
    edges = sum(a["parent_id"] is not None for a in client.get("/stories/akorda.json").json()["articles"])
    assert f"the first 1 of {edges} reprints" in client.get("/stories/akorda", headers=HTML).text
