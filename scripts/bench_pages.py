"""Benchmark of what users open (README "Read model and speed"): pages, map data, the
location check, derived OGC collections and SPARQL, against a plain OGC collection.

    .venv/bin/python scripts/bench_pages.py [--seconds 10]

Uses the loaded database of DATABASE_URL (or the private cluster's: `portal up` once).
Starts the app on a free loopback port and, with wrk in the same run:

1. requests/s, p50 and p95 at 8 connections of each page and API, and the ratio to
   `/ogc/collections/buurten/items?f=json&limit=50` measured in the same run: rounds over
   all paths in turn, the median round of each path (wrk asks for gzip, as browsers do);
2. the first (uncached) render of each page: the median of 5 requests, each with a
   parameter the page ignores, so that it is rendered anew;
3. a mixed load at 50 connections over every path of (1) plus map data, location checks
   at 40 points and area pages of every wijk: requests/s, p50, p95, socket errors and
   non-2xx/3xx answers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import httpx
import psycopg
from benchlib import REPO, mix_lua, start_server, wrk

sys.path.insert(0, str(REPO))

from portal.db.connect import database_url
from portal.settings import get_settings

BASELINE = "/ogc/collections/buurten/items?f=json&limit=50"
SPARQL = ("/sparql?query=PREFIX%20om%3A%20%3Chttps%3A%2F%2Fomgevingsmonitor.denhaag.nl%2Fdef%2F%3E"
          "%20SELECT%20%3Fs%20WHERE%20%7B%20%3Fs%20om%3Astatus%20%22exceeds%22%20%7D%20LIMIT%2050")


def targets(db: str) -> dict[str, str]:
    with psycopg.connect(db) as conn:
        wijk = conn.execute("SELECT code FROM monitor.area WHERE level = 'wijk' ORDER BY code"
                            " LIMIT 1").fetchone()[0]
        indicator, year = conn.execute(
            "SELECT indicator, max(year) FROM monitor.area_status GROUP BY indicator"
            " ORDER BY indicator LIMIT 1").fetchone()
    return {
        "home": "/",
        "area page": f"/gebied/{wijk}",
        "dashboard": "/dashboard",
        "location check page": "/locatie?x=81000&y=455000",
        "area-status by indicator": f"/ogc/collections/area-status/items?f=json&indicator="
                                    f"{indicator}&limit=50",
        "goal-progress": "/ogc/collections/goal-progress/items?f=json&limit=50",
        "map data": f"/api/map?indicator={indicator}&year={year}&level=buurt",
        "location API": "/api/location?x=81000&y=455000",
        "SPARQL (exceedances)": SPARQL,
    }


def cold_ms(base: str, path: str, n: int = 5) -> float:
    sep = "&" if "?" in path else "?"
    times = []
    with httpx.Client(base_url=base, timeout=120) as c:
        for i in range(n):
            t = time.perf_counter()
            r = c.get(f"{path}{sep}bench_uncached={time.time_ns()}{i}")
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code < 500, (path, r.status_code)
    return statistics.median(times)


def mixed_paths(db: str, pages: dict[str, str]) -> list[str]:
    with psycopg.connect(db) as conn:
        wijken = [r[0] for r in conn.execute(
            "SELECT code FROM monitor.area WHERE level = 'wijk' ORDER BY code")]
        points = conn.execute(
            "SELECT round(ST_X(g)), round(ST_Y(g)) FROM (SELECT (ST_Dump(ST_GeneratePoints("
            "ST_Union(geom), 40, 518))).geom AS g FROM monitor.area WHERE level = 'buurt') p"
        ).fetchall()
    paths = list(pages.values()) + [BASELINE]
    paths += [f"/gebied/{w}" for w in wijken]
    paths += [f"/api/location?x={x:.0f}&y={y:.0f}" for x, y in points]
    paths += [f"/api/norms-at?x={x:.0f}&y={y:.0f}&date=2025-06-01" for x, y in points]
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mixed-seconds", type=int, default=30)
    args = parser.parse_args()
    db = database_url(get_settings())
    pages = targets(db)
    proc, base = start_server(db)
    try:
        httpx.get(base + SPARQL, timeout=300)  # the SPARQL graph is built at start: wait for it
        rounds: dict[str, list[dict]] = {name: [] for name in ("baseline", *pages)}
        for _ in range(args.rounds):  # interleaved, so that a slow moment hits every path
            for name, path in (("baseline", BASELINE), *pages.items()):
                rounds[name].append(wrk(base, path, seconds=args.seconds, warm_seconds=1))
        median = {name: sorted(rs, key=lambda r: r["rps"])[len(rs) // 2]
                  for name, rs in rounds.items()}
        baseline = median.pop("baseline")
        results = median
        cold = {name: cold_ms(base, path) for name, path in pages.items()
                if not path.startswith("/ogc")}
        mixed_list = mixed_paths(db, pages)
        mixed = wrk(base, connections=50, seconds=args.mixed_seconds, lua=mix_lua(mixed_list))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"baseline {BASELINE}: {baseline['rps']:.0f} req/s, p50 {baseline['p50_ms']:.1f} ms,"
          f" p95 {baseline['p95_ms']:.1f} ms (wrk, 8 connections, {args.seconds} s per run;"
          f" median of {args.rounds} interleaved rounds, the same for every row)")
    print(f"{'what':28} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}"
          f" {'first render ms':>16}")
    worst = float("inf")
    for name, r in results.items():
        ratio = r["rps"] / baseline["rps"]
        worst = min(worst, ratio)
        first = f"{cold[name]:.0f}" if name in cold else "–"
        print(f"{name:28} {r['rps']:8.0f} {ratio:6.2f} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f}"
              f" {r['errors'] + r['bad_status']:6d} {first:>16}")
    print(f"lowest ratio to the baseline: {worst:.2f} (goal ≥ 1.0)")
    print(f"mixed load, 50 connections, {len(mixed_list)} paths, {args.mixed_seconds} s: "
          f"{mixed['rps']:.0f} req/s, p50 {mixed['p50_ms']:.1f} ms, p95 {mixed['p95_ms']:.1f} ms,"
          f" {mixed['requests']} requests, socket errors {mixed['errors']},"
          f" non-2xx/3xx {mixed['bad_status']}")


if __name__ == "__main__":
    main()
