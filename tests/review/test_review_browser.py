"""End to end in headless Chromium: an analyst reviews segments by keyboard; the decisions land in the workspace."""

import os
import threading
import time
from pathlib import Path

import pytest

from tests.review.review_data import key_of

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = [
    pytest.mark.browser,
    # Skipped on a developer machine without chromium; in CI (CI=true) a missing browser fails instead of skipping.
    pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                       reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"),
]

TOP = "Eerlijk gezegd had de baas er weinig tijd voor vrijgemaakt."
SECOND = "I finally used the demolition inventory on my own site last week."
THIRD = "Zonder de monteurs had dat protocol nergens op geslagen."
FOURTH = "Shall we start with a round of what everyone learned since last time?"


@pytest.fixture
def server(coded_ws_path):
    from lccode.review.app import make_server

    srv, sock, url = make_server(coded_ws_path)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield url
    srv.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def page():
    import playwright.sync_api as playwright
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 900})
        pg.set_default_timeout(15000)
        yield pg
        browser.close()


def screenshot_dir(tmp_path) -> Path:
    d = Path(os.environ.get("LCCODE_SCREENSHOT_DIR") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


def focus_text(pg) -> str:
    return pg.locator("blockquote.focus").inner_text().split("\n")[-1].strip()


def go(pg, key):
    """Press a key that leaves the page, and wait until the next page has loaded."""
    with pg.expect_navigation(wait_until="load"):
        pg.keyboard.press(key)


def test_review_by_keyboard(server, page, coded_ws_path, tmp_path):
    from lccode.workspace import Workspace

    pg = page
    pg.goto(server)
    pg.fill("#name", "Femke")
    go(pg, "Enter")
    assert focus_text(pg) == TOP
    assert "0 of 11 reviewed by you" in pg.inner_text(".counts")
    pg.screenshot(path=str(screenshot_dir(tmp_path) / "review-segment.png"), full_page=True)

    # 1. Segment one: the proposal is ticked; add a code by typing its Dutch name, then save with Enter.
    pg.keyboard.press("/")
    pg.keyboard.type("tijd of ruimte")
    pg.keyboard.press("Enter")
    pg.keyboard.press("Escape")
    assert "Geen tijd of ruimte om te leren" in pg.inner_text("#chosen-list")
    go(pg, "Enter")
    assert focus_text(pg) == SECOND and pg.locator(".toast").is_visible()

    # 2. Segment two: untick the first suggestion (key 1: out_learning, 58%), keep the second, save.
    pg.keyboard.press("1")
    assert pg.locator(".suggest .code-row").nth(0).get_attribute("class").split().count("on") == 0
    go(pg, "Enter")
    assert focus_text(pg) == THIRD

    # 3. Segment three: no code applies.
    go(pg, "n")
    assert focus_text(pg) == FOURTH

    # 4. Segment four: unsure; the help overlay opens and closes by keyboard first.
    pg.keyboard.press("?")
    assert pg.locator("#help").is_visible()
    pg.keyboard.press("Escape")
    assert not pg.locator("#help").is_visible()
    go(pg, "u")
    assert "4 of 11 reviewed by you" in pg.inner_text(".counts")

    # Back (B) to the last one, accept the model's suggestion instead (Y).
    go(pg, "b")
    assert focus_text(pg) == FOURTH
    go(pg, "y")
    assert "4 of 11 reviewed by you" in pg.inner_text(".counts")

    # The transcript view (T) shows the coded spans.
    go(pg, "t")
    assert pg.locator(".seg.coded.analyst").count() >= 1
    pg.screenshot(path=str(screenshot_dir(tmp_path) / "review-transcript.png"), full_page=True)

    ws = Workspace.open(coded_ws_path)
    rows = ws.decisions()
    got = [(d.segment_key, d.status, list(d.codes)) for d in rows]
    assert got == [
        (key_of(ws, TOP), "coded", ["bd_parent_support", "bd_time_pressure"]),
        (key_of(ws, SECOND), "coded", ["sf_practice_link"]),  # key 1 unticked out_learning (58%)
        (key_of(ws, THIRD), "coded", []),
        (key_of(ws, FOURTH), "unsure", ["fm_structuring"]),
        (key_of(ws, FOURTH), "coded", ["fm_structuring"]),
    ]
    assert {(d.source, d.analyst) for d in rows} == {("web", "Femke")} and all(d.model_id for d in rows)
    ws.close()


def test_definitions_and_all_codes_by_keyboard(server, page, tmp_path):
    pg = page
    pg.goto(server)
    pg.fill("#name", "Femke")
    go(pg, "Enter")
    assert not pg.locator(".suggest .def").first.is_visible()
    pg.keyboard.press("d")
    assert pg.locator(".suggest .def").first.is_visible()
    assert "organisatie" in pg.locator(".suggest .def").first.inner_text()
    pg.hover(".suggest .code-row >> nth=0")
    assert "Geen draagvlak" in pg.inner_text("#defbox")
    pg.keyboard.press("c")
    assert pg.locator("#allcodes .group").first.is_visible()
    # a code ticked in the full list shows up as ticked in the suggestions and in "your coding"
    pg.click("#allcodes label[for='c-sf_reciprocity']")
    assert "Wederkerigheid" in pg.inner_text("#chosen-list")
    pg.screenshot(path=str(screenshot_dir(tmp_path) / "review-all-codes.png"), full_page=True)
