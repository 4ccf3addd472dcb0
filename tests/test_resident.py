"""The resident's first minute, in headless Chromium at a desktop (1280×900) and a phone
(390×844) size: the city's design system, axe-core clean on WCAG 2.1 and 2.2 A/AA, nothing
wider than the screen, search first (a buurt name and Enter reach its summary), a summary
whose sentences are the `area-status` rows, the required pages, and a base map production
can switch on (PDOK BRT-Achtergrondkaart) that the map does not need."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import artifacts, running_server
from tests.test_portal_page import assert_self_hosted, open_page

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
BUURT = "BU05182811"  # Kortenbos
PAGES = {
    "home": "/",
    "area": f"/gebied/{BUURT}",
    "location": "/locatie?x=81000&y=455000&crs=28992",
    "dashboard": "/dashboard",
    "accessibility": "/toegankelijkheid",
    "colophon": "/colofon",
    "privacy": "/privacy",
}
FIRST_VIEW_BUDGET = 300_000  # bytes transferred for the home page's first view
BRT = ("https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/"
       "{z}/{x}/{y}.png")

# Elements whose right edge passes the viewport and that are visible, not inside a
# scrolling (or clipping) box: what makes a page scroll sideways.
TOO_WIDE_JS = """() => {
  const W = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !el.checkVisibility() || r.right <= W + 1) continue;
    let a = el.parentElement, clipped = false;
    while (a && a !== document.body) {
      if (getComputedStyle(a).overflowX !== 'visible') { clipped = true; break; }
      a = a.parentElement;
    }
    if (!clipped) out.push(el.outerHTML.slice(0, 100) + ' → ' + Math.round(r.right) + 'px');
  }
  return {scroll: document.documentElement.scrollWidth, width: W, wide: out.slice(0, 5)};
}"""

# Visible links, buttons and form fields smaller than 24×24 px that are not inline in text.
SMALL_TARGETS_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('a, button, input, select, summary, [role=button]')) {
    if (!el.checkVisibility()) continue;
    const r = el.getBoundingClientRect();
    if (!r.width) continue;
    const inline = getComputedStyle(el).display === 'inline';
    if (!inline && (r.width < 24 || r.height < 24)) out.push(el.outerHTML.slice(0, 80));
  }
  return out.slice(0, 5);
}"""


def _open(browser, server: str, path: str, size: str):
    return open_page(browser, server + path, path, SIZES[size])


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_pages_are_accessible_and_fit_the_screen(browser, server, name, size):
    page, seen = _open(browser, server, PAGES[name], size)
    if name == "home":
        page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
    # the city's design system, self-hosted: its tokens and component CSS are in force
    sheets = page.eval_on_selector_all("link[rel=stylesheet]", "ls => ls.map(l => l.href)")
    assert any("@gemeente-denhaag/design-tokens-components" in s for s in sheets)
    assert any("@gemeente-denhaag/components-css" in s for s in sheets)
    assert page.evaluate("() => getComputedStyle(document.documentElement)"
                         ".getPropertyValue('--denhaag-color-green-3').trim()") != ""
    assert "bootstrap" not in " ".join(sheets)
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    (artifacts() / f"axe-resident-{name}-{size}.json").write_text(
        json.dumps(result.response["violations"], indent=1))
    assert result.violations_count == 0, result.generate_report()
    fit = page.evaluate(TOO_WIDE_JS)
    assert fit["scroll"] <= fit["width"] and fit["wide"] == [], fit
    assert page.evaluate(SMALL_TARGETS_JS) == []
    page.screenshot(path=artifacts() / f"{name}-{size}.png", full_page=False)
    page.screenshot(path=artifacts() / f"{name}-{size}-full.png", full_page=True)
    assert_self_hosted(seen, server)
    page.close()


def test_home_first_screen_holds_search_and_map_within_the_transfer_budget(browser, server):
    page, _ = _open(browser, server, "/", "desktop")
    page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
    height = SIZES["desktop"][1]
    search = page.locator("#q").bounding_box()
    map_box = page.locator(".map-wrap").bounding_box()
    assert search["y"] + search["height"] <= height
    assert map_box["y"] + 0.5 * map_box["height"] <= height  # most of the map is in view
    sent = page.evaluate("""() => performance.getEntriesByType('navigation')
        .concat(performance.getEntriesByType('resource'))
        .reduce((n, e) => n + e.transferSize, 0)""")
    assert 0 < sent <= FIRST_VIEW_BUDGET, f"{sent} bytes for the first view"
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_buurt_name_and_enter_reach_its_summary(browser, server, size):
    """From `/`, two actions: type the name, press Enter (the geocoder is off here)."""
    page, _ = _open(browser, server, "/", size)
    page.locator("#q").press_sequentially("Kortenbos")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/gebied/{BUURT}")
    assert "Kortenbos" in page.inner_text("h1")
    assert page.locator(".glance .card").count() >= 3
    assert page.locator(".glance").bounding_box()["y"] < SIZES[size][1]  # in the first view
    page.close()


def _latest_area_status(http: httpx.Client, code: str) -> dict[str, dict]:
    items = http.get("/ogc/collections/area-status/items",
                     params={"f": "json", "area_code": code, "limit": 10000}).json()
    latest: dict[str, dict] = {}
    for f in items["features"]:
        p = f["properties"]
        if p["indicator"] not in latest or p["year"] > latest[p["indicator"]]["year"]:
            latest[p["indicator"]] = p
    return latest


def test_the_area_summary_says_what_the_area_status_rows_say(browser, server, http, conn):
    rows = _latest_area_status(http, BUURT)
    comparators = dict(conn.execute("SELECT iri, comparator FROM monitor.norm").fetchall())
    page, _ = _open(browser, server, f"/gebied/{BUURT}", "desktop")
    cards = page.eval_on_selector_all(".glance .card", """cs => cs.map(c => ({
        theme: c.querySelector('h3').textContent.trim(),
        topics: Array.from(c.querySelectorAll('.topic')).map(t => ({
            indicator: t.dataset.indicator, year: Number(t.dataset.year),
            value: t.querySelector('.value').textContent.trim(),
            badge: t.querySelector('.verdict .badge').className,
            sentence: t.querySelector('.sentence').textContent.replace(/\\s+/g, ' ').trim()}))}))""")
    # one card per theme, every theme of the area's rows, every topic of the rows
    assert sorted(c["theme"] for c in cards) == sorted({r["theme_label_nl"] for r in rows.values()})
    topics = {t["indicator"]: (c["theme"], t) for c in cards for t in c["topics"]}
    assert set(topics) == set(rows)
    for code, (theme, t) in topics.items():
        r = rows[code]
        assert theme == r["theme_label_nl"]
        assert t["year"] == r["year"]
        shown = "–" if r["value"] is None else f"{r['value']:.2f} {r['unit']}"
        assert t["value"] == shown, code
        assert f"badge-{r['status']}" in t["badge"].split(), code
        if r["status_norm_nl"] and r["status_norm_threshold"] is not None \
                and r["status_margin"] is not None:
            # the governing norm in the sentence, on the side its margin says
            lower_is_better = comparators[r["status_norm_iri"]] in ("le", "lt")
            side = "onder" if (r["status_margin"] >= 0) == lower_is_better else "boven"
            short = r["status_norm_nl"].split(" (")[0]
            threshold = f"{r['status_norm_threshold']:g}"
            assert f"{side} de {short} van {threshold}" in t["sentence"], (code, t["sentence"])
    page.close()


def test_the_location_check_opens_with_the_verdict(browser, server, http):
    report = http.get("/api/location", params={"x": 81000, "y": 455000, "crs": 28992}).json()
    page, _ = _open(browser, server, "/locatie?x=81000&y=455000&crs=28992", "desktop")
    order = page.eval_on_selector_all("#verdict, #applicable",
                                      "els => els.map(e => e.id)")
    assert order == ["verdict", "applicable"]
    rows = page.eval_on_selector_all("#verdict tbody tr", """rs => rs.map(r => ({
        code: r.dataset.indicator, cells: Array.from(r.children).map(c => c.textContent.trim())}))""")
    assert [r["code"] for r in rows] == [i["code"] for i in report["indicators"]]
    for row, ind in zip(rows, report["indicators"], strict=True):
        governing = ind["governing"]
        if governing:
            assert governing["label_nl"] in row["cells"][2]
            assert row["cells"][3] == f"{governing['margin']:+.2f}"
    assert page.locator("#applicable").get_attribute("open") is None  # folded
    page.close()


def test_base_map_can_be_switched_on_and_the_map_draws_without_it(browser, loaded_db):
    """PDOK's BRT-Achtergrondkaart as `tile_layer` (here through OM_TILE_LAYER): the map asks
    PDOK for tiles and shows Kadaster's attribution; with PDOK unreachable (no internet) the
    city's areas still draw."""
    layer = {"url": BRT, "max_zoom": 19,
             "attribution": 'Kaartgegevens &copy; <a href="https://www.kadaster.nl">Kadaster</a>'}
    with running_server(loaded_db, "server-brt.log", OM_TILE_LAYER=json.dumps(layer)) as base:
        policy = httpx.get(base + "/").headers["content-security-policy"]
        assert re.search(r"img-src [^;]*https://service\.pdok\.nl", policy)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        asked = []
        page.route("https://service.pdok.nl/**",
                   lambda route: (asked.append(route.request.url), route.abort()))
        page.goto(base + "/?indicator=no2_annual_mean", wait_until="networkidle")
        page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
        assert asked and all(re.search(r"/EPSG:3857/\d+/\d+/\d+\.png$", u) for u in asked)
        assert "Kadaster" in page.inner_text(".leaflet-control-attribution")
        assert page.get_attribute(".folium-map", "data-features") == "44"
        page.screenshot(path=artifacts() / "home-brt-offline.png")
        page.close()


def test_on_a_phone_one_finger_taps_the_map_for_a_location_check(browser, server):
    """Touch, not a mouse: a tap on the map opens the location check of that point."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                  is_mobile=True)
    page = context.new_page()
    page.goto(server + "/?indicator=no2_annual_mean", wait_until="networkidle")
    page.wait_for_selector(".folium-map[data-ready='true']", timeout=30_000)
    page.locator(".folium-map").scroll_into_view_if_needed()
    box = page.locator(".folium-map").bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".location-popup a", timeout=30_000)
    assert "/locatie?x=" in page.get_attribute(".location-popup a", "href")
    page.screenshot(path=artifacts() / "home-phone-tap.png")
    context.close()
