"""Throughput with 1, 2 and 4 app processes (`portal serve --workers N`) on the same mixed
load, one run (README "Scaling out").

    .venv/bin/python scripts/bench_workers.py [--seconds 20] [--workers 1,2,4]

Uses the loaded database of DATABASE_URL (or the private cluster's: `portal up` once). Per
process count, with wrk at 50 connections (a C client: the load generator costs little):

- *cached mix*: the paths of scripts/bench_pages.py's mixed load (pages, map data, location
  checks and norms at 40 points, area pages of every wijk, OGC items, SPARQL) — mostly
  answered from each process's response cache;
- *uncached mix*: area pages, location checks, OGC items and the dashboard each with a
  parameter the cache has not seen, so every request reaches PostgreSQL.

Printed: requests/s, p50/p95 and errors, and the ratio to one process measured in the same
run. The machine's cores are shared by wrk, PostgreSQL and the app processes.
"""

from __future__ import annotations

import argparse
import os
import sys

import httpx
from bench_pages import SPARQL, mixed_paths, targets
from benchlib import REPO, mix_lua, start_server, wrk

sys.path.insert(0, str(REPO))

from portal.db.connect import database_url
from portal.settings import get_settings

UNCACHED_LUA = """
local templates = {"/gebied/%s?r=%d", "/api/location?x=%d&y=455000&crs=28992&r=%d",
                   "/ogc/collections/buurten/items?f=json&limit=5&offset=%d",
                   "/dashboard?r=%d"}
local codes = {@CODES@}
local i = 0
request = function()
  i = i + 1
  local k = i % #templates + 1
  local path
  if k == 1 then path = string.format(templates[1], codes[i % #codes + 1], i)
  elseif k == 2 then path = string.format(templates[2], 78000 + (i * 37) % 5000, i)
  elseif k == 3 then path = string.format(templates[3], i % 100)
  else path = string.format(templates[4], i) end
  return wrk.format("GET", path)
end
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--workers", default="1,2,4")
    args = ap.parse_args()
    db = database_url(get_settings())
    cached = mix_lua(mixed_paths(db, targets(db)))
    import psycopg

    with psycopg.connect(db) as conn:
        codes = [r[0] for r in conn.execute(
            "SELECT code FROM monitor.area WHERE level = 'buurt' ORDER BY code")]
    uncached = UNCACHED_LUA.replace("@CODES@", ", ".join(f'"{c}"' for c in codes))
    results = {}
    for n in [int(w) for w in args.workers.split(",")]:
        proc, base = start_server(db, "--workers", str(n))
        try:
            httpx.get(base + SPARQL, timeout=300)  # each process builds its SPARQL view once
            results[n] = {
                "cached mix": wrk(base, connections=50, seconds=args.seconds, lua=cached,
                                  warm_seconds=5),
                "uncached mix": wrk(base, connections=50, seconds=args.seconds, lua=uncached,
                                    warm_seconds=3)}
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    first = results[min(results)]
    print(f"{os.cpu_count()} cores; wrk 50 connections, {args.seconds} s per run")
    print(f"{'processes':>9} {'load':14} {'req/s':>8} {'× 1 process':>11} {'p50 ms':>7}"
          f" {'p95 ms':>7} {'errors':>6}")
    for n, loads in results.items():
        for name, r in loads.items():
            print(f"{n:9d} {name:14} {r['rps']:8.0f} {r['rps'] / first[name]['rps']:11.2f}"
                  f" {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} {r['errors'] + r['bad_status']:6d}")


if __name__ == "__main__":
    main()
