"""Robust under bad input and faults: no 5xx from input, no wrong answer, 503 with
Retry-After while the database is away, recovery without a restart, a killed compute
leaving the previous results, security headers on every answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import psycopg
import pytest

from portal.db import cluster
from portal.db.connect import create_database
from portal.db.migrate import migrate
from portal.settings import REPO, VAR_DIR
from tests.conftest import free_port, running_server


@pytest.mark.parametrize("collection", ["buurten", "area-status", "stations"])
def test_skip_geometry_keeps_every_feature(http, collection):
    fc = http.get(f"/ogc/collections/{collection}/items",
                  params={"f": "json", "limit": 3, "skipGeometry": "true"}).json()
    assert fc["numberReturned"] == len(fc["features"]) == 3
    assert all(f["geometry"] is None and f["properties"] for f in fc["features"])


@pytest.mark.parametrize("path", [
    "/gebied/%00", "/gebied/BU05180170%00",
    "/ogc/collections/buurten/items?f=html&wijkcode=%00",
    "/ogc/collections/buurten/items/%00?f=html",
    "/ogc/collections/buurten/items?f=json&filter=buurtnaam%3D%27a%00%27",
    "/api/location?q=81000%00455000",
])
def test_a_nul_byte_is_a_400_with_a_message(http, path):
    r = http.get(path)
    assert r.status_code == 400, r.text
    assert "NUL" in r.json()["description"]
    assert http.get(path, headers={"Accept": "text/html"}).status_code == 400


def test_security_headers_on_pages_and_apis(http):
    page = http.get("/gebied/WK051828")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    home = http.get("/").headers["content-security-policy"]
    assert "'sha256-" in home  # the map's inline script, allowed by its hash only
    for r in (page, http.get("/api/location", params={"x": 81000, "y": 455000}),
              http.get("/ogc/collections", params={"f": "json"}), http.get("/nope")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_a_too_large_body_is_413(http):
    big = "{" + " " * (1024 * 1024 + 10) + "}"
    r = http.post("/ogc/collections/buurten/items", content=big,
                  headers={"Content-Type": "application/query-cql-json"})
    assert r.status_code == 413 and "kB" in r.json()["description"]
    long_query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 200_000
    r = http.post("/sparql", content=long_query, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413


@pytest.fixture()
def second_cluster():
    """A PostgreSQL of its own, so that stopping it disturbs no other test."""
    c = cluster.Cluster(VAR_DIR / "test-cluster-faults", VAR_DIR / "test-cluster-faults.log")
    port = free_port()
    c.init()
    c.start(port)
    url = f"postgresql://postgres@127.0.0.1:{port}/omgevingsmonitor"
    create_database(url)
    with psycopg.connect(url) as conn:
        migrate(conn)
    try:
        yield c, port, url
    finally:
        c.stop("immediate")


def test_database_away_is_503_with_retry_after_and_the_app_recovers(second_cluster):
    c, port, url = second_cluster
    with running_server(url, "server-faults.log") as base, httpx.Client(base_url=base,
                                                                        timeout=30) as client:
        assert client.get("/health").status_code == 200
        c.stop("immediate")
        for path in ("/health", "/api/location?x=81000&y=455000", "/gebied/WK051828",
                     "/ogc/collections/area-status/items?f=json"):
            r = client.get(path)
            assert r.status_code == 503, (path, r.status_code, r.text[:300])
            assert r.headers["retry-after"] == "5"
            assert r.json()["code"] == "ServiceUnavailable"
        page = client.get("/dashboard", headers={"Accept": "text/html"})
        assert page.status_code == 503 and 'id="page-error"' in page.text
        c.start(port)
        deadline = time.monotonic() + 20
        while client.get("/health").status_code != 200:  # no restart of the app
            assert time.monotonic() < deadline, "the app did not recover"
            time.sleep(0.3)
        assert client.get("/api/location", params={"x": 81000, "y": 455000}).status_code in (
            200, 400)  # 400: this empty database has no areas (outside the city)


def test_a_killed_compute_leaves_the_previous_results(loaded_db):
    with psycopg.connect(loaded_db) as conn:
        before = conn.execute("SELECT version FROM monitor.data_state").fetchone()[0]
        rows = conn.execute("SELECT count(*), sum(value) FROM monitor.area_status").fetchone()
    proc = subprocess.Popen([sys.executable, "-m", "portal.cli", "compute", "--full"], cwd=REPO,
                            env={**os.environ, "DATABASE_URL": loaded_db,
                                 "PGAPPNAME": "killed-compute"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with psycopg.connect(loaded_db, autocommit=True) as watch:
            deadline = time.monotonic() + 60
            while not watch.execute(  # wait until it is inside its transaction
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                    "'killed-compute' AND xact_start IS NOT NULL").fetchone()[0]:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.2)
            time.sleep(3)  # well into the indicators
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            watch.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE application_name = 'killed-compute'")
            after = watch.execute("SELECT version FROM monitor.data_state").fetchone()[0]
            same = watch.execute("SELECT count(*), sum(value) FROM monitor.area_status").fetchone()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert after == before
    assert same == rows
