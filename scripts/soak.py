"""Soak and fault runs on loopback (README "Robustness").

    .venv/bin/python scripts/soak.py                 # 60 s at 50 connections, pages + APIs
    .venv/bin/python scripts/soak.py --restart       # the same load, PostgreSQL restarted midway

Uses the loaded database of the private cluster (`portal up` once); --restart needs that
cluster (it is restarted with pg_ctl), not a DATABASE_URL server.

1. soak: wrk at 50 connections over a mix of pages and APIs (the 134 paths of
   bench_pages.py): requests/s, p95, socket errors, non-2xx/3xx answers, and the server's
   resident memory (RSS) before and after.
2. restart: 16 Python clients cycle over the same paths (uncached ones among them, so the
   database is needed) while the cluster is restarted after `--restart-after` seconds; every
   status code seen is counted, connection failures too, and the seconds from the restart to
   the first good answer of a path that needs the database.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import threading
import time
from pathlib import Path

import httpx
from bench_pages import mixed_paths, targets
from benchlib import REPO, mix_lua, start_server, wrk

sys.path.insert(0, str(REPO))

from portal.db import cluster
from portal.db.connect import database_url
from portal.settings import get_settings


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def soak(base: str, pid: int, paths: list[str], seconds: int) -> None:
    before = rss_mb(pid)
    r = wrk(base, connections=50, seconds=seconds, lua=mix_lua(paths), warm_seconds=5)
    after = rss_mb(pid)
    print(f"soak: {seconds} s, 50 connections, {len(paths)} paths: {r['rps']:.0f} req/s, "
          f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, {r['requests']} requests, "
          f"socket errors {r['errors']}, non-2xx/3xx {r['bad_status']}")
    print(f"server RSS: {before:.0f} MB before, {after:.0f} MB after "
          f"({after - before:+.0f} MB)")


async def _client(client: httpx.AsyncClient, paths: list[str], offset: int, stop: float,
                  seen: list[tuple[float, str, object]]) -> None:
    i = offset
    while time.monotonic() < stop:
        path = paths[i % len(paths)]
        i += 7
        try:
            r = await client.get(path)
            seen.append((time.monotonic(), path, r.status_code))
        except httpx.HTTPError as exc:
            seen.append((time.monotonic(), path, type(exc).__name__))


async def _load(base: str, paths: list[str], seconds: float, seen: list) -> None:
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    async with httpx.AsyncClient(base_url=base, timeout=15, limits=limits) as client:
        await asyncio.gather(*(_client(client, paths, k, stop, seen) for k in range(16)))


def restart_run(base: str, paths: list[str], seconds: int, after: float) -> None:
    # uncached, database-bound: the location check at points no one asked for before
    fresh = [f"/api/location?x={80000 + k}&y={455000 + k % 997}" for k in range(5000)]
    mix = [p for pair in zip(paths * 40, fresh, strict=False) for p in pair]
    seen: list[tuple[float, str, object]] = []
    marks: dict[str, float] = {}

    def restart() -> None:
        time.sleep(after)
        marks["down"] = time.monotonic()
        cluster.DEFAULT.stop("fast")
        marks["stopped"] = time.monotonic()
        cluster.ensure_running(get_settings())
        marks["up"] = time.monotonic()

    t = threading.Thread(target=restart)
    t.start()
    asyncio.run(_load(base, mix, seconds, seen))
    t.join()
    counts = collections.Counter(str(s) for _, _, s in seen)
    good_after = [ts for ts, path, s in seen
                  if ts > marks["up"] and s == 200 and path.startswith("/api/location")]
    print(f"restart: {len(seen)} requests over {seconds} s, PostgreSQL stopped at "
          f"{marks['down'] - seen[0][0]:.1f} s (down for {marks['up'] - marks['down']:.1f} s)")
    print("status codes seen: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    by_kind = collections.Counter((str(s), path.split("?")[0]) for _, path, s in seen
                                  if str(s) not in ("200", "503"))
    for (status, path), n in sorted(by_kind.items()):  # what was neither answered nor 503
        print(f"  {status} × {n}: {path}")
    if good_after:
        print(f"first good database answer {good_after[0] - marks['up']:.2f} s after the server"
              f" was back ({good_after[0] - marks['down']:.2f} s after the stop)")
    else:
        print("no good database answer after the restart")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--restart", action="store_true")
    parser.add_argument("--restart-after", type=float, default=10.0)
    args = parser.parse_args()
    settings = get_settings()
    if args.restart and settings.database_url:
        sys.exit("--restart restarts the private cluster: unset DATABASE_URL")
    db = database_url(settings)
    proc, base = start_server(db)
    try:
        httpx.get(base + "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D", timeout=120)
        paths = mixed_paths(db, targets(db))
        if args.restart:
            restart_run(base, paths, args.seconds, args.restart_after)
        else:
            soak(base, proc.pid, paths, args.seconds)  # uvicorn runs in that process
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
