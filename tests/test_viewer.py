"""The web viewer in real headless Chromium (Debian's ``chromium``, driven by
Playwright with ``executable_path``; nothing is downloaded): the real server, started
with uvicorn on a loopback port, over a store of the bundled example, a small
collection and an article full of XSS payloads.

Set ``COPYTRACE_SCREENSHOTS=DIR`` to save the seed pair's page and a story page as
``DIR/pair.png`` and ``DIR/story.png`` (the README's pictures: ``docs/images``).
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from copytrace.engine.archive import LiveArchive
from copytrace.ingest import document_from_record
from copytrace.store import DuckDBStore
from tests.test_scan import EXAMPLE, collection, mutate, prose

CHROMIUM = Path(os.environ.get("COPYTRACE_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium tries to reach Google's services.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)")

TOKEN = "viewer-test-token"
PRESS_RELEASE = (EXAMPLE / "akorda-press-release.txt").read_text(encoding="utf-8")
REPRINT = (EXAMPLE / "reprint.txt").read_text(encoding="utf-8")
# Each payload would set window.__xss if the page ran it.
PAYLOADS = [
    "<script>window.__xss = 1</script>",
    "<img src=x onerror=\"window.__xss = 2\">",
    "\"><svg onload='window.__xss = 3'>",
    "' autofocus onfocus='window.__xss = 4",
    "javascript:window.__xss = 5",
]
XSS_TITLE = "Breaking " + PAYLOADS[0] + PAYLOADS[1]
XSS_OUTLET = "<b onmouseover=\"window.__xss = 6\">outlet</b>"


def xss_articles(rng: random.Random) -> list[dict]:
    """An original whose title, outlet, URL and text hold the payloads, and its reprint."""
    body = prose(rng, 300)
    text = f"{PAYLOADS[0]} {body[:600]}\n\n{PAYLOADS[1]} {PAYLOADS[2]}\n\n{body[600:]} {PAYLOADS[3]} {PAYLOADS[4]}"
    return [
        {"id": "xss-original", "text": text, "title": XSS_TITLE, "source": XSS_OUTLET, "url": PAYLOADS[4],
         "date": "2024-08-01"},
        {"id": "xss-reprint", "text": mutate(rng, text, 0.03), "title": PAYLOADS[2], "date": "2024-08-02"},
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The real server (uvicorn, in a thread) on a free loopback port, with a token."""
    import uvicorn

    from copytrace.web.app import ServerSettings, create_app

    db = tmp_path_factory.mktemp("viewer") / "viewer.duckdb"
    records = [*collection(), *xss_articles(random.Random(7))]
    store = DuckDBStore(db)
    LiveArchive(store).add([document_from_record(record, f"record {n}") for n, record in enumerate(records)])
    store.close()
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    app = create_app(ServerSettings(db=db, port=port, token=TOKEN))
    uvicorn_server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uvicorn_server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page (its own profile) that fails the test on any script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(20_000)
    page.set_default_navigation_timeout(60_000)  # a first comparison compiles numba kernels: slow on a busy machine
    yield page
    context.close()
    assert not errors, errors


def api(server: str, path: str) -> dict:
    with urllib.request.urlopen(server + path) as response:
        return json.load(response)


def save_screenshot(page, name: str, selector: str | None = None) -> None:
    """The whole page, or the window scrolled to ``selector`` (an element screenshot would
    reset the columns' scrolling), when COPYTRACE_SCREENSHOTS names a folder."""
    folder = os.environ.get("COPYTRACE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        if selector:
            page.eval_on_selector(selector, "element => window.scrollBy(0, element.getBoundingClientRect().top - 8)")
        page.screenshot(path=str(Path(folder) / name), full_page=selector is None)


def listed_stories(page) -> list[str]:
    return page.locator("table.stories td:first-child a").all_inner_texts()


def test_story_list_filters_by_text_date_and_outlet(page, server):
    page.goto(server + "/stories")
    assert set(listed_stories(page)) == {"akorda", "story2-base", "xss-original"}
    assert page.locator("table.stories tr", has_text="story2-base").locator("td").nth(4).inner_text() == "2"
    page.fill("#q", "Tokayev")
    page.click("form.filters button")
    assert listed_stories(page) == ["akorda"]
    page.fill("#q", "")
    page.fill("#from", "2024-06-01")
    page.fill("#to", "2024-06-30")
    page.click("form.filters button")
    assert listed_stories(page) == ["story2-base"]
    page.goto(server + "/stories?source=wire")
    assert listed_stories(page) == ["akorda"]


@pytest.mark.parametrize("story_id", ["akorda", "story2-base"])
def test_story_tree_and_timeline_show_every_article(page, server, story_id):
    story = api(server, f"/stories/{story_id}.json")
    page.goto(f"{server}/stories/{story_id}")
    drawn = dict(page.eval_on_selector_all("#tree .node", """nodes => nodes.map(node => {
        const branch = node.parentElement.parentElement.closest('li');
        return [node.querySelector('a').textContent, branch ? branch.querySelector(':scope > .node a').textContent : null];
    })"""))
    assert drawn == {article["document_id"]: article["parent_id"] for article in story["articles"]}
    timeline = page.locator("#timeline a").all_inner_texts()
    assert timeline == story["timeline"]
    if story_id == "akorda":
        flagged = page.locator("#altered-quotations .quote", has_text="reprint-1")
        assert "agreement" in flagged.inner_text() and "value" in flagged.inner_text()
        save_screenshot(page, "story.png")


def test_clicking_a_passage_brings_its_twin_into_view(page, server):
    page.goto(server + "/pairs/akorda/reprint-1")
    passages = page.locator('.passage[data-side="reprint"]').count()
    assert passages == len(api(server, "/pairs/akorda/reprint-1.json")["passages"]) > 3
    twin = page.locator("#reprint-p3")
    assert "twin" not in twin.get_attribute("class")
    page.locator("#source-p3 > span").first.click()
    assert "active" in page.locator("#source-p3").get_attribute("class")
    assert "twin" in twin.get_attribute("class")
    assert page.locator(".passage.twin").count() == 1
    assert _in_view(page, "#reprint-p3")
    page.keyboard.press("j")  # the next passage, on the side last clicked
    assert "active" in page.locator("#source-p4").get_attribute("class")
    assert "twin" in page.locator("#reprint-p4").get_attribute("class")
    assert _in_view(page, "#reprint-p4")
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert "twin" in page.locator("#reprint-p2").get_attribute("class")
    page.keyboard.press("Escape")
    assert page.locator(".passage.active, .passage.twin").count() == 0
    page.locator("#reprint-p3 > span").first.click()  # the other way round
    assert "twin" in page.locator("#source-p3").get_attribute("class")
    assert _in_view(page, "#source-p3")
    save_screenshot(page, "pair.png", "#side-by-side")


def _in_view(page, selector: str) -> bool:
    """Whether the element is inside the window and inside its scrolling column."""
    return page.eval_on_selector(selector, """element => {
        const box = element.getBoundingClientRect(), column = element.closest('.text').getBoundingClientRect();
        const top = Math.max(0, column.top), bottom = Math.min(window.innerHeight, column.bottom);
        return box.bottom > top && box.top < bottom;
    }""")


def test_both_altered_quotations_are_flagged_in_the_margin(page, server):
    page.goto(server + "/pairs/akorda/reprint-1")
    flags = page.locator(".doc.reprint a.flag")
    assert flags.count() == 2 and page.locator(".doc.source a.flag").count() == 2
    changes = []
    for flag in flags.all():
        quotation = page.locator(flag.get_attribute("href"))
        changes.append(quotation.locator(".change").inner_text())
        text_box, flag_box = page.locator(".doc.reprint .text").bounding_box(), flag.bounding_box()
        assert flag_box["x"] > text_box["x"] + text_box["width"] * 0.8  # in the right-hand margin
    assert [" ".join(change.split()) for change in changes] == ["Treaty → agreement", "appreciate → value"]
    quoted = page.locator(".doc.reprint .quote-change").all_inner_texts()
    assert quoted == ["agreement", "value"]


def test_compare_page_on_two_pasted_texts(page, server):
    page.goto(server + "/compare")
    page.fill("#a-text", REPRINT)
    page.fill("#a-id", "pasted-reprint")
    page.fill("#b-text", PRESS_RELEASE)
    page.fill("#b-id", "pasted-release")
    with page.expect_navigation():
        page.click("#compare-form button[type=submit]")
    assert " ".join(page.locator("header h1").inner_text().split()).startswith("pasted-release → pasted-reprint")
    assert page.locator(".doc.reprint a.flag").count() == 2
    page.locator("#source-p2 > span").first.click()
    assert "twin" in page.locator("#reprint-p2").get_attribute("class")


def test_add_an_article_through_the_page_and_find_it_in_its_story(page, server):
    base = next(record for record in collection() if record["id"] == "story2-base")
    text = mutate(random.Random(3), base["text"], 0.04)
    page.goto(server + "/add")
    page.fill("#text", text)  # the archive is asked at once, as the text is pasted
    assert "holds its source" in page.locator("#live-result .verdict").inner_text()
    assert "story2-base" in page.locator("#live-result").inner_text()
    fields = {"#id": "desk-copy", "#source": "desk", "#date": "2024-06-04"}
    for selector, value in fields.items():
        page.fill(selector, value)
    with page.expect_navigation():
        page.click("#add-button")  # without the token: refused
    assert page.locator("h1").inner_text().startswith("401")
    page.goto(server + "/add")
    for selector, value in {"#text": text, **fields, "#token": TOKEN}.items():
        page.fill(selector, value)
    with page.expect_navigation():
        page.click("#add-button")
    row = page.locator("tr", has_text="desk-copy")
    assert "added" in row.inner_text()
    with page.expect_navigation():
        row.locator("a[href^='/stories/']").click()
    assert page.locator("#tree a:text-is('desk-copy')").count() == 1
    assert page.locator("#timeline a:text-is('desk-copy')").count() == 1
    assert "desk-copy" in [a["document_id"] for a in api(server, page.url.removeprefix(server) + ".json")["articles"]]


@pytest.mark.parametrize("path", ["/stories", "/stories/xss-original", "/articles/xss-original",
                                  "/articles/xss-reprint", "/pairs/xss-original/xss-reprint"])
def test_xss_payloads_render_as_text(page, server, path):
    page.goto(server + path)
    page.mouse.move(300, 300)
    text = page.inner_text("body")
    shown = PAYLOADS[:1] if path == "/stories" else PAYLOADS[:3]  # the list shows the title only
    for payload in shown:
        assert payload in text
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img, main svg, main script, b").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("[onerror], [onload], [onfocus], [onmouseover]").count() == 0


def test_static_report_runs_the_same_script(page, tmp_path):
    """compare --html: the pair template with the package's CSS and JS inlined."""
    from copytrace.compare import compare
    from copytrace.web.report import write_html

    report = tmp_path / "report.html"
    write_html(compare(PRESS_RELEASE, REPRINT), report)
    page.goto(report.as_uri())
    page.locator("#source-p3 > span").first.click()
    assert "twin" in page.locator("#reprint-p3").get_attribute("class")
    assert page.locator(".doc.reprint a.flag").count() == 2
    assert page.eval_on_selector("a.flag", "flag => getComputedStyle(flag).position") == "absolute"  # CSS applied
