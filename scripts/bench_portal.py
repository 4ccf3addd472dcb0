"""Benchmark of the portal (README "Portal"): page weight, time to map, location check.

    DATABASE_URL=... .venv/bin/python scripts/bench_portal.py [--clients 16] [--requests 40]

Uses the database of DATABASE_URL (or the private cluster's), which must be loaded
(`portal up`). Starts the app on a free loopback port and measures:

1. bytes transferred (compressed, as on the wire) for the resident page's first view
   including every asset and its map data, in headless Debian Chromium;
2. time from navigation start to the map drawn (areas coloured);
3. location-check latency p50/p95 at N concurrent clients through the HTTP API, and the
   same SQL (portal/web/sql/location.sql) run straight in PostGIS, same points, same run;
4. "norms at point" (/api/norms-at: which norms apply here and why) p50/p95 at N
   concurrent connections of wrk (apt-get install wrk), same points.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import threading
import time

import httpx
import psycopg
from benchlib import REPO, start_server, wrk
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(REPO))

from portal.db.connect import database_url
from portal.settings import get_settings
from portal.web.location import SQL

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync"]


def page_weight(base: str, path: str) -> dict:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=LAUNCH_ARGS)
        results = []
        for _ in range(3):  # first run warms the server's caches; report the best of the rest
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            client = page.context.new_cdp_session(page)
            client.send("Network.enable")
            client.send("Network.setCacheDisabled", {"cacheDisabled": True})
            wire = {}
            client.on("Network.loadingFinished",
                      lambda e, w=wire: w.__setitem__(e["requestId"], e["encodedDataLength"]))
            page.goto(f"{base}{path}")
            page.wait_for_selector(".folium-map[data-ready='true']", timeout=60_000)
            page.wait_for_load_state("networkidle")
            ready = float(page.get_attribute(".folium-map", "data-ready-at"))
            results.append({"bytes": sum(wire.values()), "requests": len(wire),
                            "time_to_map_ms": ready})
            page.close()
        browser.close()
    best = min(results[1:], key=lambda r: r["time_to_map_ms"])
    return best


def sample_points(db: str, n: int) -> list[tuple[float, float]]:
    with psycopg.connect(db) as conn:
        conn.execute("SELECT setseed(0.518)")
        rows = conn.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(ST_Union(geom), %s,"
            " 518))).geom AS g FROM monitor.area WHERE level = 'buurt') p", (n,)).fetchall()
    return [(float(x), float(y)) for x, y in rows]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def run_concurrent(clients: int, work) -> list[float]:
    """`work(i)` returns a list of latencies (s) of client i; all start together."""
    barrier = threading.Barrier(clients)
    out: list[list[float]] = [[] for _ in range(clients)]

    def run(i: int) -> None:
        barrier.wait()
        out[i] = work(i)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [v for lst in out for v in lst]


def api_client(base: str, path: str, points, per_client: int, **extra):
    """Client i of a concurrent run: GET `path` at its share of the points; latencies (s)."""
    def api(i: int) -> list[float]:
        lat = []
        with httpx.Client(base_url=base, timeout=30) as c:
            for k in range(per_client):
                x, y = points[(i * per_client + k) % len(points)]
                t = time.perf_counter()
                r = c.get(path, params={"x": f"{x:.2f}", "y": f"{y:.2f}", **extra})
                lat.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
        return lat
    return api


NORMS_AT_LUA = """
local pts = {%s}
local i = 0
request = function()
  i = i + 1
  local p = pts[(i %% #pts) + 1]
  return wrk.format("GET", string.format("/api/norms-at?x=%%.2f&y=%%.2f&date=2025-06-01", p[1], p[2]))
end
"""


def bench_norms_at(base: str, points, clients: int, seconds: int = 10) -> dict:
    """wrk, `clients` connections, cycling over the points."""
    lua = NORMS_AT_LUA % ", ".join(f"{{{x:.2f}, {y:.2f}}}" for x, y in points)
    r = wrk(base, connections=clients, seconds=seconds, lua=lua)
    if r["errors"] or r["bad_status"]:
        sys.exit(f"norms-at: {r['errors'] + r['bad_status']} failed requests under load")
    return r


def bench_location(base: str, db: str, points, clients: int, per_client: int,
                   attention: float) -> dict:
    api = api_client(base, "/api/location", points, per_client)

    def raw(i: int) -> list[float]:
        lat = []
        with psycopg.connect(db) as conn:
            for k in range(per_client):
                x, y = points[(i * per_client + k) % len(points)]
                t = time.perf_counter()
                conn.execute(SQL, {"x": round(x, 2), "y": round(y, 2), "crs": 28992,
                                   "year": None, "attention": attention}, prepare=True
                             ).fetchone()
                lat.append(time.perf_counter() - t)
        return lat

    run_concurrent(clients, lambda i: api(i)[:2])  # warm the pool and caches
    raw_lat = run_concurrent(clients, raw)
    api_lat = run_concurrent(clients, api)
    ms = 1000.0
    out = {
        "api_p50_ms": percentile(api_lat, 0.5) * ms, "api_p95_ms": percentile(api_lat, 0.95) * ms,
        "sql_p50_ms": percentile(raw_lat, 0.5) * ms, "sql_p95_ms": percentile(raw_lat, 0.95) * ms,
        "api_mean_ms": statistics.mean(api_lat) * ms, "requests": len(api_lat),
    }
    out["ratio_p95"] = out["api_p95_ms"] / out["sql_p95_ms"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=40, help="per client")
    parser.add_argument("--path", default="/", help="resident page to weigh")
    args = parser.parse_args()
    settings = get_settings()
    db = database_url(settings)
    proc, base = start_server(db)
    try:
        weight = page_weight(base, args.path)
        points = sample_points(db, 400)
        loc = bench_location(base, db, points, args.clients, args.requests,
                             settings.attention_margin_fraction)
        norms_at = bench_norms_at(base, points, args.clients)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"resident page {args.path}: {weight['bytes'] / 1024:.1f} kB transferred "
          f"({weight['requests']} requests, compressed, data included; budget 300 kB)")
    print(f"time to map drawn (headless Chromium): {weight['time_to_map_ms']:.0f} ms")
    print(f"location check, {args.clients} concurrent clients, {loc['requests']} requests:")
    print(f"  API   p50 {loc['api_p50_ms']:.1f} ms  p95 {loc['api_p95_ms']:.1f} ms "
          f"(budget 100 ms)")
    print(f"  SQL   p50 {loc['sql_p50_ms']:.1f} ms  p95 {loc['sql_p95_ms']:.1f} ms "
          f"(same statement straight in PostGIS)")
    print(f"  p95 ratio API / SQL: {loc['ratio_p95']:.2f} (budget 3)")
    print(f"norms at point (/api/norms-at), {args.clients} concurrent connections (wrk, 10 s):"
          f" {norms_at['rps']:.0f} requests/s, p50 {norms_at['p50_ms']:.1f} ms "
          f" p95 {norms_at['p95_ms']:.1f} ms (budget 20 ms)")


if __name__ == "__main__":
    main()
