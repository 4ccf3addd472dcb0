"""Vector tiles: our OGC API – Tiles endpoint against tipg's on the same table and tiles, one
run (issue: national scale, vector tiles).

    .venv/bin/python scripts/bench_tiles.py [--seconds 10] [--table monitor.buurten]

Uses the loaded database of DATABASE_URL (or the private cluster's: `portal up` once).
tipg (developmentseed, from PyPI) is installed into var/tipg-venv on first use, beside the
project (its own pins of FastAPI/Starlette stay out of ours), and serves the same table from
the same PostgreSQL. Per zoom 8, 12 and 15: every WebMercatorQuad tile over the city's
extent, requested round-robin by wrk at 16 connections against
- ours as served (answers cached per data version), and ours with the response cache off
  (OM_HTTP_CACHE_MB=0: every tile built by PostGIS, as tipg builds each one);
- tipg's `/collections/{table}/tiles/WebMercatorQuad/{z}/{x}/{y}`.
Printed: requests/s and p95, the ratio ours / tipg, and the largest tile of each (bytes).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time

import httpx
from benchlib import REPO, free_port, mix_lua, start_server, wrk

sys.path.insert(0, str(REPO))

from portal.db.connect import database_url
from portal.settings import get_settings

TIPG_VENV = REPO / "var" / "tipg-venv"
ZOOMS = (8, 12, 15)


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tiles(extent: list[float], z: int) -> list[tuple[int, int, int]]:
    (x0, y1), (x1, y0) = _tile(extent[0], extent[1], z), _tile(extent[2], extent[3], z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def start_tipg(db: str, table: str) -> tuple[subprocess.Popen, str]:
    if not (TIPG_VENV / "bin" / "uvicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(TIPG_VENV / "bin" / "pip"), "install", "-q", "tipg", "uvicorn"],
                       check=True)
    port = free_port()
    schema = table.split(".")[0]
    env = {**os.environ, "DATABASE_URL": db, "TIPG_DB_SCHEMAS": f'["{schema}"]',
           "TIPG_DB_TABLES": f'["{table}"]'}
    proc = subprocess.Popen([str(TIPG_VENV / "bin" / "uvicorn"), "tipg.main:app", "--port",
                             str(port), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if httpx.get(base + "/collections", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("tipg did not start")


def largest(base: str, paths: list[str]) -> int:
    with httpx.Client(base_url=base, timeout=60) as c:
        return max(len(c.get(p).content) for p in paths)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--table", default="monitor.buurten")
    ap.add_argument("--collection", default="buurten")
    args = ap.parse_args()
    settings = get_settings()
    db = database_url(settings)
    extent = settings.city.extent_wgs84
    servers = {}
    try:
        servers["ours"] = start_server(db)
        servers["ours, no cache"] = start_server(db, OM_HTTP_CACHE_MB="0")
        servers["tipg"] = start_tipg(db, args.table)
        rows = []
        for z in ZOOMS:
            ts = tiles(extent, z)
            paths = {
                "ours": [f"/ogc/collections/{args.collection}/tiles/WebMercatorQuad/{z}/{y}/{x}"
                         for z, x, y in ts],
                "tipg": [f"/collections/{args.table}/tiles/WebMercatorQuad/{z}/{x}/{y}"
                         for z, x, y in ts]}
            paths["ours, no cache"] = paths["ours"]
            result = {name: wrk(base, connections=16, seconds=args.seconds,
                                lua=mix_lua(paths[name]), warm_seconds=2)
                      for name, (_, base) in servers.items()}
            sizes = {name: largest(base, paths[name]) for name, (_, base) in servers.items()}
            rows.append((z, len(ts), result, sizes))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=30)
    print(f"table {args.table}, {args.seconds} s per run, wrk 16 connections (gzip asked)")
    print(f"{'zoom':>4} {'tiles':>5} {'server':16} {'req/s':>8} {'p95 ms':>7} {'× tipg':>7}"
          f" {'largest tile B':>15} {'errors':>6}")
    for z, n, result, sizes in rows:
        for name, r in result.items():
            print(f"{z:4d} {n:5d} {name:16} {r['rps']:8.0f} {r['p95_ms']:7.1f}"
                  f" {r['rps'] / result['tipg']['rps']:7.2f} {sizes[name]:15d}"
                  f" {r['errors'] + r['bad_status']:6d}")


if __name__ == "__main__":
    main()
