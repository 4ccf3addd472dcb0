"""Benchmark: our ingest (validation on) against GDAL's ogr2ogr, into the same PostGIS.

Loads 1,000,000 generated points from CSV and 100,000 generated polygons from a
GeoPackage both ways and prints the times, the ratio ours / ogr2ogr (≤ 1.0 means
we are at least as fast) and our peak memory. Figures are ratios measured in
the same run, on the same server — never absolute timings in tests.

    .venv/bin/python scripts/bench_ingest.py [--points N] [--polygons N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg
import shapely
import yaml
from psycopg.conninfo import conninfo_to_dict, make_conninfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from portal.db.connect import connect, create_database, drop_database, prepare
from portal.db.migrate import migrate
from portal.settings import VAR_DIR, get_settings

WORK = VAR_DIR / "bench-ingest"
CITY = (72000.0, 448000.0, 88000.0, 462000.0)  # Den Haag in RD New


def manifest(folder: Path, path: str, fmt: str, geometry: str, fields: dict, **source) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.yml").write_text(yaml.safe_dump({
        "id": folder.name, "title": {"nl": "Benchmark", "en": "Benchmark"},
        "description": {"nl": "Gegenereerd", "en": "Generated"}, "publisher": "benchmark",
        "attribution": "benchmark", "license": "CC0-1.0", "source_url": "https://example.org/",
        "demo": True, "source": {"path": path, "format": fmt, **source},
        "load": {"into": "features", "geometry": geometry, "id_field": "code", "fields": fields},
    }))


def make_points(folder: Path, n: int, rng: np.random.Generator) -> Path:
    x = rng.uniform(CITY[0], CITY[2], n).round(2)
    y = rng.uniform(CITY[1], CITY[3], n).round(2)
    value = rng.gamma(4, 5, n).round(2)
    kind = rng.choice(np.array(["boom", "lantaarnpaal", "bank", "afvalbak"]), n)
    path = folder / "points.csv"
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fh.write("code,kind,value,x,y\n")
        for start in range(0, n, 200_000):
            sl = slice(start, start + 200_000)
            ids = np.char.add("P", np.arange(start, min(start + 200_000, n)).astype(str))
            rows = np.column_stack([ids, kind[sl], value[sl].astype(str), x[sl].astype(str),
                                    y[sl].astype(str)])
            fh.write("\n".join(",".join(r) for r in rows) + "\n")
    manifest(folder, "points.csv", "csv", "point",
             {"code": "code", "kind": "kind",
              "value": {"source": "value", "type": "number", "range": [0, 1000]}},
             x="x", y="y", crs="EPSG:28992")
    return path


def make_polygons(folder: Path, n: int, rng: np.random.Generator) -> Path:
    cx = rng.uniform(CITY[0], CITY[2], n)
    cy = rng.uniform(CITY[1], CITY[3], n)
    angles = np.linspace(0, 2 * np.pi, 9)[:-1]
    r = rng.uniform(5, 30, n)[:, None]
    ring = np.stack([cx[:, None] + r * np.cos(angles), cy[:, None] + r * np.sin(angles)], axis=-1)
    polys = shapely.polygons(ring)
    gdf = gpd.GeoDataFrame({"code": [f"V{i}" for i in range(n)],
                            "area_class": rng.integers(1, 6, n),
                            "share": rng.uniform(0, 1, n).round(4)},
                           geometry=polys, crs="EPSG:28992")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "polygons.gpkg"
    gdf.to_file(path, driver="GPKG")
    manifest(folder, "polygons.gpkg", "gpkg", "polygon",
             {"code": "code", "area_class": {"source": "area_class", "type": "integer"},
              "share": {"source": "share", "type": "number", "range": [0, 1]}})
    return path


def timed(cmd: list[str], env: dict | None = None) -> float:
    t = time.perf_counter()
    res = subprocess.run(cmd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                         check=False)
    if res.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{res.stdout}\n{res.stderr}")
    return time.perf_counter() - t


def load_in_process(dataset: str) -> None:
    """Child mode: time `load()` alone (imports and connection excluded), print JSON."""
    import json

    from portal.ingest.load import load
    from portal.ingest.manifest import select

    (m,) = select([dataset])
    with connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        t = time.perf_counter()
        r = load(conn, m)
        seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "rss_mib": peak_rss_mib(), "loaded": r.loaded}))


def peak_rss_mib() -> float:
    """Peak RSS of this process. Not ru_maxrss where /proc has VmHWM: after fork + exec,
    ru_maxrss still counts the parent's memory (this script's generated data)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settle(url: str) -> None:
    """The same start for every timed run: no checkpoint or autovacuum left over from the
    run before (a 1M-row load writes enough WAL to set off a checkpoint in the next one)."""
    with connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
                " AND datname = current_database()").fetchone()[0]:
            time.sleep(0.1)
        try:
            conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            pass  # not a superuser (nor pg_checkpoint): measure as it comes


def ogr_pg(url: str) -> str:
    p = conninfo_to_dict(url)
    return (f"PG:host={p.get('host', 'localhost')} port={p.get('port', 5432)} "
            f"dbname={p['dbname']} user={p.get('user', 'postgres')}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--polygons", type=int, default=100_000)
    ap.add_argument("--load-in-process", metavar="DATASET", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.load_in_process:
        load_in_process(args.load_in_process)
        return
    if not shutil.which("ogr2ogr"):
        sys.exit("ogr2ogr not found: apt-get install gdal-bin")
    base = prepare(get_settings())
    url = make_conninfo(base, dbname="omgevingsmonitor_bench")
    drop_database(url)
    create_database(url)
    with connect(url) as conn:
        migrate(conn)
    if WORK.exists():
        shutil.rmtree(WORK)
    rng = np.random.default_rng(518)
    print(f"generating {args.points:,} points (CSV) and {args.polygons:,} polygons (GeoPackage)…")
    points = make_points(WORK / "bench-points", args.points, rng)
    polygons = make_polygons(WORK / "bench-polygons", args.polygons, rng)
    env = {"DATABASE_URL": url, "OM_DATASETS_DIR": str(WORK)}
    portal = [sys.executable, "-m", "portal.cli", "ingest"]
    rows = []
    import json

    for name, path, oo in [("points.csv", points, ["-oo", "X_POSSIBLE_NAMES=x", "-oo",
                                                   "Y_POSSIBLE_NAMES=y", "-oo",
                                                   "AUTODETECT_TYPE=YES", "-a_srs", "EPSG:28992"]),
                           ("polygons.gpkg", polygons, [])]:
        settle(url)
        res = subprocess.run([sys.executable, __file__, "--load-in-process", path.parent.name],
                             env={**os.environ, **env}, capture_output=True, text=True, check=True)
        inproc = json.loads(res.stdout.strip().splitlines()[-1])
        drop = ("UPDATE monitor.dataset_version SET checksum = 'measure again'"
                f" WHERE dataset = '{path.parent.name}'")
        with connect(url, autocommit=True) as conn:  # so the CLI run loads it again
            conn.execute(drop)
        settle(url)
        ours = timed([*portal, path.parent.name], env)
        peak = inproc["rss_mib"]
        settle(url)
        ogr = timed(["ogr2ogr", "-f", "PostgreSQL", ogr_pg(url), str(path), *oo,
                     "-nln", f"ogr_{path.stem}", "-lco", "GEOMETRY_NAME=geom", "-overwrite",
                     "--config", "PG_USE_COPY", "YES"])
        rows.append((name, inproc["seconds"], ours, ogr, peak))
    with connect(url) as conn:
        for name, table in [("points.csv", "bench_points"), ("polygons.gpkg", "bench_polygons")]:
            n = conn.execute(f"SELECT count(*) FROM data.{table}").fetchone()[0]
            print(f"{name}: {n:,} rows loaded by our pipeline")
    print()
    print(f"{'file':<15} {'ogr2ogr':>8} {'our load':>9} {'ratio':>6} {'our CLI':>8} {'ratio':>6}"
          f" {'peak RSS':>9}")
    for name, load_s, cli_s, ogr, peak in rows:
        print(f"{name:<15} {ogr:>7.2f}s {load_s:>8.2f}s {load_s / ogr:>6.2f} {cli_s:>7.2f}s"
              f" {cli_s / ogr:>6.2f} {peak:>5.0f} MiB")
    print("\nour load = load() in a running process (validation on, one transaction, indexes);"
          "\nour CLI = `portal ingest DATASET` wall time incl. Python start-up and imports;"
          "\nratio = ours / ogr2ogr (≤ 1.0: ours at least as fast); peak RSS of the load process.")
    drop_database(url)


if __name__ == "__main__":
    main()
