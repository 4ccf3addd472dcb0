"""The portal page in headless Chromium: self-hosted, no errors, buurten coloured by status."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from portal.web.map import STATUS
from tests.conftest import artifacts

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make test` installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        yield b
        b.close()


def open_page(browser, url: str, name: str):
    """Load a page and record every request, failure and console error."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = {"requests": [], "failed": [], "errors": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("requestfailed", lambda r: seen["failed"].append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and seen["failed"].append(f"{r.url} {r.status}"))
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(url, wait_until="networkidle")
    return page, seen


def assert_self_hosted(seen: dict, server: str):
    host = urlsplit(server).netloc
    outside = [u for u in seen["requests"] if not u.startswith("data:") and urlsplit(u).netloc != host]
    assert outside == [], f"requests to outside hosts: {outside}"
    assert seen["failed"] == [], seen["failed"]
    assert seen["errors"] == [], seen["errors"]


def test_home_page_shows_coloured_buurten(browser, server):
    page, seen = open_page(browser, f"{server}/", "home")
    page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
    assert page.get_attribute(".folium-map", "data-features") == "114"
    fills = page.eval_on_selector_all("path.leaflet-interactive",
                                      "els => els.map(e => e.getAttribute('fill'))")
    assert len(fills) == 114
    palette = {s["colour"].lower() for s in STATUS.values()}
    assert {f.lower() for f in fills} <= palette
    # demo is labelled on the page, and the legend uses words, not colour alone
    assert "DEMO" in page.inner_text(".demo")
    legend = page.inner_text(".legend")
    assert all(s["nl"] in legend for s in STATUS.values())
    # the tooltip names area, value, norm and status
    page.hover("path.leaflet-interactive >> nth=0")
    tip = page.inner_text(".leaflet-tooltip")
    assert "µg/m³" in tip and "Norm:" in tip
    assert any(s["nl"] in tip for s in STATUS.values())
    page.screenshot(path=artifacts() / "home.png", full_page=True)
    assert_self_hosted(seen, server)


def test_english_page(browser, server):
    page, seen = open_page(browser, f"{server}/?lang=en", "home-en")
    page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
    assert page.get_attribute("html", "lang") == "en"
    assert "DEMO DATA" in page.inner_text(".demo")
    assert_self_hosted(seen, server)


@pytest.mark.parametrize("path", ["/ogc?f=html", "/ogc/collections?f=html",
                                  "/ogc/collections/buurten?f=html",
                                  "/ogc/collections/buurten/items?f=html&limit=20",
                                  "/ogc/collections/buurten/items/BU05180170?f=html"])
def test_ogc_html_pages_are_self_hosted(browser, server, path):
    page, seen = open_page(browser, f"{server}{path}", "ogc")
    assert page.title()
    assert_self_hosted(seen, server)
