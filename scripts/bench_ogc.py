"""Benchmark: our OGC API Features against stock pygeoapi, tipg and the SQL floor — one run.

Same PostGIS database, same table of 200,000 points (and the 114 buurten), same load
tool (wrk, 8 connections) against one server process each; the floor is pgbench
running the equivalent GeoJSON-building query. Prints requests/s, p95 and ratios.

    .venv/bin/python scripts/bench_ogc.py [--seconds 8] [--points 200000]

Needs wrk and pgbench (apt-get install wrk postgresql-contrib); tipg is installed from
PyPI into var/bench-tipg (its own venv, so it cannot disturb the project's packages).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from psycopg.conninfo import conninfo_to_dict, make_conninfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from portal.db.connect import connect, create_database, prepare, pygeoapi_connection
from portal.db.migrate import migrate
from portal.ogc.query import COLUMNS_SQL, FeatureQuery, collection_from_columns, page_sql
from portal.settings import VAR_DIR, get_settings

RD = "http://www.opengis.net/def/crs/EPSG/0/28992"
WRK_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.2f %.2f\\n", summary.requests / (summary.duration / 1e6),
                         latency:percentile(95) / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url: str, proc: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{name} exited: see {VAR_DIR / 'bench-ogc' / (name + '.log')}")
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"{name} did not start")


def wrk(url: str, seconds: int, lua: Path) -> tuple[float, float]:
    check = httpx.get(url, timeout=60)
    if check.status_code != 200:
        return float("nan"), float("nan")
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", str(lua), url],
                         capture_output=True, text=True, check=True).stdout
    rps, p95 = re.search(r"RESULT ([\d.]+) ([\d.]+)", out).groups()
    return float(rps), float(p95)


def pgbench(url: str, query: str, seconds: int, work: Path) -> tuple[float, float]:
    f = work / "q.sql"
    f.write_text(query + ";\n")
    p = conninfo_to_dict(url)
    out = subprocess.run(["pgbench", "-n", "-c8", "-j2", f"-T{seconds}", "-f", str(f), "-r",
                          "-h", p.get("host", "localhost"), "-p", str(p.get("port", 5432)),
                          "-U", p.get("user", "postgres"),
                          p["dbname"]], capture_output=True, text=True, check=False)
    m = re.search(r"tps = ([\d.]+)", out.stdout)
    lat = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    return (float(m.group(1)) if m else float("nan"), float(lat.group(1)) if lat else float("nan"))


def setup_db(points: int) -> str:
    base = prepare(get_settings())
    url = make_conninfo(base, dbname="omgevingsmonitor_bench_ogc")
    create_database(url)
    with connect(url, autocommit=True) as conn:
        migrate(conn)
        n = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'data'"
                         " AND tablename = 'bench_points'").fetchone()[0]
        if not n or conn.execute("SELECT count(*) FROM data.bench_points").fetchone()[0] != points:
            conn.execute("DROP TABLE IF EXISTS data.bench_points")
            conn.execute(
                "CREATE TABLE data.bench_points AS SELECT i AS id, 'punt ' || i AS name,"
                " (i * 7919 %% 1000) / 10.0 AS value, (ARRAY['a','b','c','d'])[1 + i %% 4] AS category,"
                " ST_SetSRID(ST_MakePoint(72000 + (i * 7907 %% 16000) + (i %% 97) / 97.0,"
                " 448000 + (i * 6841 %% 14000) + (i %% 89) / 89.0), 28992)::geometry(Point, 28992)"
                " AS geom FROM generate_series(1, %s) i", (points,))
            conn.execute("ALTER TABLE data.bench_points ADD PRIMARY KEY (id)")
            conn.execute("CREATE INDEX ON data.bench_points USING gist (geom)")
            conn.execute("ANALYZE data.bench_points")
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "portal.cli", "ingest", "cbs-buurten-2024"], env=env,
                   check=True, capture_output=True)
    return url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--points", type=int, default=200_000)
    args = ap.parse_args()
    for tool in ("wrk", "pgbench"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: apt-get install wrk postgresql-contrib")
    work = VAR_DIR / "bench-ogc"
    work.mkdir(parents=True, exist_ok=True)
    lua = work / "p95.lua"
    lua.write_text(WRK_LUA)
    url = setup_db(args.points)
    tipg_python = ensure_tipg(work)

    servers = {}
    procs = []
    try:
        # ours: the real app (fast path + provider), one process
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "OM_PORT": str(port),
               "OM_DATASETS_DIR": str(bench_datasets(work))}
        procs.append(start("ours", [sys.executable, "-m", "portal.cli", "serve"], env, work,
                           f"http://127.0.0.1:{port}/health"))
        servers["ours"] = (f"http://127.0.0.1:{port}/ogc/collections", "bench-points", "buurten")
        # stock pygeoapi: its PostgreSQL provider, same uvicorn, one process
        port = free_port()
        cfg, oapi = stock_config(url, port, work)
        env = {**os.environ, "PYGEOAPI_CONFIG": str(cfg), "PYGEOAPI_OPENAPI": str(oapi)}
        procs.append(start("stock", [sys.executable, "-m", "uvicorn", "pygeoapi.starlette_app:APP",
                                     "--port", str(port), "--log-level", "warning"], env, work,
                           f"http://127.0.0.1:{port}/collections?f=json"))
        servers["stock pygeoapi"] = (f"http://127.0.0.1:{port}/collections", "bench-points",
                                     "buurten")
        # tipg: from PyPI, same database, one process
        port = free_port()
        p = conninfo_to_dict(url)
        env = {**os.environ, "DATABASE_URL": f"postgresql://{p.get('user', 'postgres')}@"
               f"{p.get('host')}:{p.get('port')}/{p['dbname']}",
               "TIPG_DB_SCHEMAS": '["data","monitor"]', "TIPG_MAX_FEATURES_PER_QUERY": "10000"}
        procs.append(start("tipg", [str(tipg_python), "-m", "uvicorn", "tipg.main:app", "--port",
                                    str(port), "--log-level", "warning"], env, work,
                           f"http://127.0.0.1:{port}/collections"))
        servers["tipg"] = (f"http://127.0.0.1:{port}/collections", "data.bench_points",
                           "monitor.buurten")

        bbox = "4.30,52.07,4.3048,52.073"  # about 100 of the 200,000 points
        queries = {
            "page of 1000": ("points", "items?limit=1000"),
            "small bbox (100)": ("points", f"items?limit=100&bbox={bbox}"),
            "single item": ("points", "items/4242"),
            "page of 1000 in 28992": ("points", f"items?limit=1000&crs={RD}"),
            "cql2-text filter": ("points", ("items?limit=100&filter=category%3D%27b%27%20AND%20"
                                           "value%3E90&filter-lang=cql2-text")),
            "buurten page (114)": ("buurten", "items?limit=1000"),
        }
        results: dict[str, dict[str, tuple[float, float]]] = {}
        for qname, (which, path) in queries.items():
            results[qname] = {}
            for sname, (base, points_id, buurten_id) in servers.items():
                cid = points_id if which == "points" else buurten_id
                sep = "&" if "?" in path else "?"
                fmt = "" if sname == "tipg" else f"{sep}f=json"
                results[qname][sname] = wrk(f"{base}/{cid}/{path}{fmt}", args.seconds, lua)
            results[qname]["SQL floor (pgbench)"] = floor(url, qname, bbox, args.seconds, work)
        report(results)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def floor(url: str, qname: str, bbox: str, seconds: int, work: Path) -> tuple[float, float]:
    """The same GeoJSON built by our SQL, run by pgbench: what PostGIS alone can do."""
    with connect(url) as conn:
        rows = conn.execute(COLUMNS_SQL, ("data", "bench_points")).fetchall()
        col = collection_from_columns("bench-points", "data", "bench_points", "id", rows)
        b = tuple(float(v) for v in bbox.split(","))
        q = {"page of 1000": FeatureQuery(limit=1000),
             "small bbox (100)": FeatureQuery(limit=100, bbox=b),
             "page of 1000 in 28992": FeatureQuery(limit=1000, crs=RD)}.get(qname)
        if q is None:
            return float("nan"), float("nan")
        text = page_sql(col, q).as_string(conn)
    return pgbench(url, text, seconds, work)


def report(results: dict) -> None:
    names = ["ours", "stock pygeoapi", "tipg", "SQL floor (pgbench)"]
    print(f"\n{'query':<24}" + "".join(f"{n:>22}" for n in names)
          + f"{'ours/tipg':>11}{'ours/stock':>11}{'floor/ours':>11}")
    for q, row in results.items():
        cells = []
        for n in names:
            rps, p95 = row.get(n, (float("nan"), float("nan")))
            cells.append(f"{rps:>9.1f}/s p95 {p95:>6.1f}ms" if n != names[-1]
                         else f"{rps:>9.1f}/s avg {p95:>6.1f}ms")
        ours = row["ours"][0]
        print(f"{q:<24}" + "".join(f"{c:>22}" for c in cells)
              + f"{ours / row['tipg'][0]:>11.2f}{ours / row['stock pygeoapi'][0]:>11.2f}"
              + f"{row['SQL floor (pgbench)'][0] / ours:>11.2f}")
    print("\nrequests/s with wrk (2 threads, 8 connections) against one server process each;"
          " the floor is pgbench (8 clients) running our GeoJSON-building SQL for the page.")


def start(name: str, cmd: list[str], env: dict, work: Path, probe: str) -> subprocess.Popen:
    log = open(work / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    wait(probe, proc, name)
    return proc


def bench_datasets(work: Path) -> Path:
    """Our server publishes what manifests say: the buurten plus the benchmark table."""
    root = work / "datasets"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(REPO / "datasets" / "cbs-buurten-2024", root / "cbs-buurten-2024")
    folder = root / "bench-points"
    folder.mkdir(parents=True)
    (folder / "points.csv").write_text("id,x,y\n")
    (folder / "dataset.yml").write_text(yaml.safe_dump({
        "id": "bench-points", "title": {"nl": "Benchmark", "en": "Benchmark"},
        "description": {"nl": "Gegenereerd", "en": "Generated"}, "publisher": "benchmark",
        "attribution": "benchmark", "license": "CC0-1.0", "source_url": "https://example.org/",
        "demo": True, "source": {"path": "points.csv", "format": "csv", "x": "x", "y": "y",
                                 "crs": "EPSG:28992"},
        "load": {"into": "features", "geometry": "point", "id_field": "id",
                 "fields": {"id": {"source": "id", "type": "integer"}}},
        "publish": {"collection": "bench-points", "table": "bench_points"}}))
    return root


def stock_config(url: str, port: int, work: Path) -> tuple[Path, Path]:
    from pygeoapi.openapi import generate_openapi_document

    cfg = yaml.safe_load((REPO / "pygeoapi-config.yml").read_text())
    cfg["server"]["url"] = f"http://127.0.0.1:{port}"
    cfg["server"]["map"]["url"] = "http://127.0.0.1/blank.png"
    db = pygeoapi_connection(url)

    def res(table: str, schema: str) -> dict:
        return {"type": "collection", "title": table, "description": table, "keywords": [],
                "links": [], "extents": {"spatial": {"bbox": [4.18, 52.01, 4.42, 52.14]}},
                "providers": [{"type": "feature", "name": "PostgreSQL",
                               "data": {**db, "search_path": [schema, "public"]},
                               "id_field": "id", "table": table, "geom_field": "geom",
                               "storage_crs": RD,
                               "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84", RD]}]}

    cfg["resources"] = {"bench-points": res("bench_points", "data"),
                        "buurten": res("buurten", "monitor")}
    path = work / "stock-pygeoapi.yml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    oapi = work / "stock-openapi.yml"
    oapi.write_text(generate_openapi_document(path, "yaml"))
    return path, oapi


def ensure_tipg(work: Path) -> Path:
    venv = work / "tipg-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "tipg", "uvicorn"],
                       check=True)
    return python


if __name__ == "__main__":
    tempfile.tempdir = None
    main()
