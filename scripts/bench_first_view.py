"""What a resident's first view costs (issue: the resident's first minute): bytes transferred
and time until the map is drawn, for the pages residents open, at a desktop (1280×900) and a
phone (390×844) size, in headless Chromium with an empty cache.

    .venv/bin/python scripts/bench_first_view.py [--runs 3]

Uses the loaded database of DATABASE_URL (or the private cluster's: `portal up` once) and
starts the app on a free loopback port. Per page and size: bytes on the wire (the browser's
transferSize of the document and every resource, gzip as served), the share of that taken
by the design system's CSS, and the median time to `load` (home: until the map is drawn) as
a ratio to the plain colophon page measured in the same run (the baseline). The budget for
the home page is 300 kB.

With `--national` (after `portal demo --scale nl` and its ingest and compute, README
"National scale set"): the home page of the national set against the Den Haag set, same
run, same browser — time until the map is drawn (median; goal ≤ 1.5× Den Haag) and bytes
of the first view (goal ≤ 300 kB). The map fetches only the vector tiles in view, so the
country costs what the city costs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time

from benchlib import REPO, start_server
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(REPO))

from portal.db.connect import database_url
from portal.settings import get_settings

BUDGET = 300_000
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
PAGES = {"colophon (baseline)": "/colofon", "home": "/", "area": "/gebied/BU05182811",
         "location": "/locatie?x=81000&y=455000&crs=28992", "dashboard": "/dashboard"}
TRANSFER_JS = """() => {
  const all = performance.getEntriesByType('navigation')
      .concat(performance.getEntriesByType('resource'));
  const sum = f => all.filter(f).reduce((n, e) => n + e.transferSize, 0);
  return {total: sum(() => true), design: sum(e => e.name.includes('@gemeente-denhaag')),
          requests: all.length};
}"""


def measure(browser, base: str, path: str, size: tuple[int, int]) -> dict:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(base + path, wait_until="load")
    if path == "/" or path.startswith("/?"):
        page.wait_for_selector(".folium-map[data-ready='true']", timeout=60_000)
    ms = (time.perf_counter() - start) * 1000
    page.wait_for_load_state("networkidle")
    out = page.evaluate(TRANSFER_JS) | {"ms": ms}
    context.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--national", action="store_true",
                    help="the home page of the national scale set against Den Haag's")
    args = ap.parse_args()
    if args.national:
        return national(args.runs)
    from playwright.sync_api import sync_playwright

    proc, base = start_server(database_url(get_settings()))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                        args=["--headless", "--no-sandbox"])
            for page_path in PAGES.values():  # render once: the cache is warm for all runs
                measure(browser, base, page_path, SIZES["desktop"])
            print(f"{'page':22} {'size':8} {'kB sent':>8} {'design kB':>9} {'requests':>8}"
                  f" {'ms':>7} {'× baseline':>10}")
            over = []
            for size_name, size in SIZES.items():
                runs = {name: [measure(browser, base, path, size) for _ in range(args.runs)]
                        for name, path in PAGES.items()}
                baseline = statistics.median(r["ms"] for r in runs["colophon (baseline)"])
                for name, rs in runs.items():
                    ms = statistics.median(r["ms"] for r in rs)
                    last = rs[-1]
                    print(f"{name:22} {size_name:8} {last['total'] / 1000:8.1f}"
                          f" {last['design'] / 1000:9.1f} {last['requests']:8d} {ms:7.0f}"
                          f" {ms / baseline:10.2f}")
                    if name == "home" and last["total"] > BUDGET:
                        over.append(f"home {size_name}: {last['total']} bytes")
            browser.close()
        print(f"home page budget {BUDGET / 1000:.0f} kB: "
              + ("within budget" if not over else "OVER: " + "; ".join(over)))
        if over:
            raise SystemExit(1)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


NATIONAL = REPO / "var" / "scale-nl"


def national(runs: int) -> None:
    from playwright.sync_api import sync_playwright

    if not (NATIONAL / "config").is_dir():
        raise SystemExit("no national set: `portal demo --scale nl`, then its ingest and compute")
    settings = get_settings()
    env = {"OM_CONFIG_DIR": str(NATIONAL / "config"), "OM_DATASETS_DIR": str(NATIONAL / "datasets"),
           "OM_DATABASE_NAME": "omgevingsmonitor_nl"}
    url = database_url(settings)
    nl_url = make_conninfo(url, dbname=env["OM_DATABASE_NAME"])
    servers = {"Den Haag": start_server(url), "national": start_server(nl_url, **env)}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                        args=["--headless", "--no-sandbox"])
            for _, base in servers.values():  # warm: rendered once per data version
                measure(browser, base, "/", SIZES["desktop"])
            # the same view on both: where Den Haag's map opens (the national set's GM0518
            # is a larger demo gemeente, so its own default view shows more of the country)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(servers["Den Haag"][1] + "/", wait_until="load")
            page.wait_for_selector(".folium-map[data-ready='true']", timeout=60_000)
            view = page.evaluate("() => { const c = OM.map.getCenter();"
                                 " return c.lat.toFixed(5) + ',' + c.lng.toFixed(5) + ','"
                                 " + OM.map.getZoom(); }")
            page.close()
            views = {"own view": "/", "same view": f"/?view={view}"}
            for _, base in servers.values():
                for size in SIZES.values():
                    for path in views.values():
                        measure(browser, base, path, size)
            print(f"{'set':10} {'view':10} {'size':8} {'kB sent':>8} {'requests':>8}"
                  f" {'map drawn ms':>12}")
            results: dict[tuple[str, str, str], dict] = {}
            for size_name, size in SIZES.items():
                for view_name, path in views.items():
                    for name, (_, base) in servers.items():
                        rs = [measure(browser, base, path, size) for _ in range(runs)]
                        ms = statistics.median(r["ms"] for r in rs)
                        results[(name, view_name, size_name)] = {"ms": ms,
                                                                 "total": rs[-1]["total"]}
                        print(f"{name:10} {view_name:10} {size_name:8}"
                              f" {rs[-1]['total'] / 1000:8.1f} {rs[-1]['requests']:8d}"
                              f" {ms:12.0f}")
            browser.close()
        for size_name in SIZES:
            for view_name in views:
                nl, dh = (results[(n, view_name, size_name)] for n in ("national", "Den Haag"))
                print(f"{size_name}, {view_name}: national / Den Haag map drawn "
                      f"{nl['ms'] / dh['ms']:.2f} (goal ≤ 1.5); national first view "
                      f"{nl['total'] / 1000:.1f} kB (goal ≤ {BUDGET / 1000:.0f} kB)")
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
