"""The portal pages in headless Chromium: self-hosted, no errors, axe-clean, areas coloured."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from portal.web.i18n import Messages
from portal.web.status import STATUS, translated
from tests.conftest import artifacts

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def open_page(browser, url: str, name: str, size: tuple[int, int] = (1280, 900)):
    """Load a page and record every request, failure and console error."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
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


def check_axe(page, name: str) -> None:
    """axe-core, WCAG 2.1 A + AA rules: zero violations; the report is kept as an artefact."""
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    (artifacts() / f"axe-{name}.json").write_text(json.dumps(result.response["violations"],
                                                             indent=1))
    assert result.violations_count == 0, result.generate_report()


def test_home_page_shows_coloured_areas(browser, server):
    page, seen = open_page(browser, f"{server}/?indicator=no2_annual_mean", "home")
    page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
    # zoomed out: the 44 wijken, drawn from vector tiles (a wijk may lie on several tiles)
    assert page.get_attribute(".folium-map", "data-level") == "wijk"
    assert page.get_attribute(".folium-map", "data-features") == "44"
    codes = page.get_attribute(".folium-map", "data-codes").split()
    assert len(codes) == 44 and all(c.startswith("WK0518") for c in codes)
    fills = page.eval_on_selector_all("path.leaflet-interactive",
                                      "els => els.map(e => e.getAttribute('fill'))")
    assert len(fills) >= 44
    tiles = [u for u in seen["requests"]
             if "/ogc/collections/area-status/tiles/WebMercatorQuad/" in u]
    assert tiles and all("level=wijk" in u and "year=" in u for u in tiles)
    palette = {s["colour"].lower() for s in STATUS.values()}
    dutch = translated(STATUS, Messages(), "nl")
    assert {f.lower() for f in fills} <= palette
    # demo is labelled on the page, and the legend uses words, not colour alone
    assert "DEMO" in page.inner_text(".demo")
    legend = page.inner_text(".legend")
    assert all(s["label"] in legend for s in dutch.values())
    # the tooltip names area, value, norm and status
    box = page.locator(".folium-map").bounding_box()  # the middle of the map: a wijk
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".leaflet-tooltip", timeout=10_000)
    tip = page.inner_text(".leaflet-tooltip")
    assert "µg/m³" in tip and "Norm:" in tip
    assert any(s["label"] in tip for s in dutch.values())
    check_axe(page, "home")
    page.screenshot(path=artifacts() / "home.png", full_page=True)
    page.evaluate("() => window.OM.map.setZoom(14)")
    page.wait_for_selector(".folium-map[data-level='buurt'][data-ready='true']", timeout=30_000)
    # zoomed in: the buurten in view (only their tiles are fetched)
    codes = page.get_attribute(".folium-map", "data-codes").split()
    assert 0 < len(codes) < 114 and all(c.startswith("BU0518") for c in codes)
    assert_self_hosted(seen, server)


def _tile_zooms(seen: dict) -> set[int]:
    """The zooms of the tiles fetched, each tile fetched once."""
    tiles = [u for u in seen["requests"] if "/tiles/WebMercatorQuad/" in u]
    assert len(tiles) == len(set(tiles)), "a tile was fetched twice"
    return {int(u.split("/tiles/WebMercatorQuad/")[1].split("/")[0]) for u in tiles}


def test_map_opens_in_one_step_at_the_link_or_over_the_city(browser, server):
    """A shared link (?view=lat,lon,zoom) opens where it was, the plain page over the city's
    bounds, and either way only the tiles of that one view are fetched (a map that first
    opened elsewhere and then moved fetched two zooms, and an animated fit could undo the
    link's view)."""
    phone = (390, 844)  # the city fits at a zoom other than the map's first (12)
    page, seen = open_page(browser, f"{server}/?view=52.06934,4.30170,14", "view", phone)
    page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
    view = page.evaluate("() => [OM.map.getCenter().lat, OM.map.getCenter().lng,"
                         " OM.map.getZoom()]")
    assert view == pytest.approx([52.06934, 4.30170, 14], abs=1e-5)
    assert page.get_attribute(".folium-map", "data-level") == "buurt"
    assert _tile_zooms(seen) == {14}
    page.close()
    page, seen = open_page(browser, f"{server}/", "fit", phone)
    page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
    inside = page.evaluate("() => OM.map.getBounds().contains(L.latLngBounds("
                           "[[52.03, 4.20], [52.11, 4.38]]))")  # within Den Haag's extent
    zoom = page.evaluate("() => OM.map.getZoom()")
    assert inside and zoom < 12
    assert _tile_zooms(seen) == {zoom}
    assert_self_hosted(seen, server)


def test_theme_switch_recolours_the_map(browser, server):
    page, seen = open_page(browser, f"{server}/?indicator=no2_annual_mean", "switch")
    page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
    fills = "els => els.map(e => e.getAttribute('fill')).join(',')"
    before = page.eval_on_selector_all("path.leaflet-interactive", fills)
    options = page.eval_on_selector_all("#indicator option", "os => os.map(o => o.value)")
    other = next(o for o in options if o != "no2_annual_mean")
    page.select_option("#indicator", other)
    page.wait_for_selector(f".folium-map[data-indicator='{other}'][data-ready='true']",
                           timeout=30_000)
    after = page.eval_on_selector_all("path.leaflet-interactive", fills)
    assert after != before
    assert other in page.url  # the view is a link
    assert_self_hosted(seen, server)


def test_click_gives_location_report(browser, server):
    page, seen = open_page(browser, f"{server}/?indicator=no2_annual_mean", "click")
    page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".location-popup a", timeout=30_000)
    text = page.inner_text(".location-popup")
    assert "Buurt:" in text and "Wijk:" in text and "µg/m³" in text
    href = page.get_attribute(".location-popup a", "href")
    assert "/locatie?x=" in href
    page.screenshot(path=artifacts() / "home-click.png")
    assert_self_hosted(seen, server)


@pytest.mark.parametrize("name,path", [
    ("area-wijk", "/gebied/WK051828"),
    ("area-buurt", "/gebied/BU05182811?lang=en"),
    ("dashboard", "/dashboard"),
    ("dashboard-buurt", "/dashboard?level=buurt&lang=en"),
    ("location", "/locatie?x=81000&y=455000&crs=28992"),
    ("location-empty", "/locatie"),
    ("search", "/zoek?q=buurt"),
])
def test_pages_are_accessible(browser, server, name, path):
    page, seen = open_page(browser, f"{server}{path}", name)
    assert page.title()
    check_axe(page, name)
    page.screenshot(path=artifacts() / f"{name}.png", full_page=True)
    assert_self_hosted(seen, server)


def test_location_page_reports_bad_input(browser, server):
    page = browser.new_page()
    resp = page.goto(f"{server}/locatie?x=abc&y=455000")
    assert resp.status == 400
    assert "niet te lezen" in page.inner_text("#location-error")
    resp = page.goto(f"{server}/locatie?x=95000&y=455000&lang=en")
    assert resp.status == 400
    assert "outside the municipality" in page.inner_text("#location-error")
    check_axe(page, "location-error")
    page.screenshot(path=artifacts() / "location-error.png", full_page=True)


def test_location_page_is_printable(browser, server):
    page, seen = open_page(browser, f"{server}/locatie?x=81000&y=455000", "print")
    assert page.inner_text("#permalink").endswith("/locatie?x=81000&y=455000&crs=28992")
    page.emulate_media(media="print")
    assert not page.is_visible("header.site nav")
    assert page.is_visible("#report")
    page.screenshot(path=artifacts() / "location-print.png", full_page=True)
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


def test_zones_layer_can_be_switched_on(browser, server):
    page, seen = open_page(browser, f"{server}/", "home-zones")
    page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
    before = page.locator("path.leaflet-interactive").count()
    page.check("#zones-toggle")
    page.wait_for_selector(".folium-map[data-zones]", timeout=30_000)
    assert int(page.get_attribute(".folium-map", "data-zones")) >= 5
    assert page.locator("path.leaflet-interactive").count() > before
    page.uncheck("#zones-toggle")
    page.wait_for_function(f"document.querySelectorAll('path.leaflet-interactive').length"
                           f" === {before}")
    assert_self_hosted(seen, server)
