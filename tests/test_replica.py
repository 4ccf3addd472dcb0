"""Read scaling on PostgreSQL's own engines, with one server of two app processes
(`portal serve --workers 2`) and a real hot standby (`pg_basebackup -R` into a second
private cluster): the processes share nothing but PostgreSQL (a data-version watcher each,
one session key), the standby serves the reads — visible in its pg_stat_activity — writes
stay on the primary, and the app keeps answering when the standby is stopped."""

from __future__ import annotations

import base64
import re
import shutil
import time

import httpx
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from portal.db.cluster import Cluster
from portal.db.replicas import READ_APP_NAME, wait_for
from portal.settings import VAR_DIR
from portal.web.dataversion import WATCHER_APP_NAME
from tests.conftest import free_port, run_cli, running_server

PASSWORD = "standby-test-password"
UNCACHED = ["/gebied/{code}?r={i}", "/api/location?x=81000&y=455000&crs=28992&r={i}",
            "/ogc/collections/buurten/items?f=json&limit=3&offset={i}", "/dashboard?r={i}"]


@pytest.fixture(scope="module")
def standby(loaded_db):
    """A hot standby of the test cluster on a port of its own, following it by streaming."""
    primary = conninfo_to_dict(loaded_db)
    cluster = Cluster(VAR_DIR / "test-standby", VAR_DIR / "test-standby.log")
    cluster.init_standby(int(primary["port"]))
    port = free_port()
    cluster.start(port)
    url = make_conninfo(loaded_db, port=str(port))
    try:
        assert wait_for(lambda: _in_recovery(url), 30), "the standby did not come up"
        yield {"url": url, "cluster": cluster}
    finally:
        cluster.stop("immediate")
        shutil.rmtree(cluster.pgdata, ignore_errors=True)


def _in_recovery(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            return conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
    except psycopg.OperationalError:
        return False


def _health(base: str) -> dict:
    return httpx.get(base + "/health", timeout=10).json()


def _watchers(db: str) -> int:
    with psycopg.connect(db) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = %s", (WATCHER_APP_NAME,)).fetchone()[0]


@pytest.fixture(scope="module")
def served(loaded_db, standby):
    """Two app processes reading from the standby; the watchers of other servers first."""
    res = run_cli("user", "add", "replica-reader", "--role", "permit", "--password-stdin",
                  env={"DATABASE_URL": loaded_db}, input=PASSWORD + "\n")
    assert res.returncode == 0, res.stderr
    time.sleep(1)  # servers of earlier tests have closed their connections
    others = _watchers(loaded_db)
    with running_server(loaded_db, "server-replica.log", args=("--workers", "2"),
                        DATABASE_REPLICA_URLS=standby["url"]) as base:
        yield {"base": base, "others": others}


def test_two_app_processes_share_only_postgresql(loaded_db, served):
    base = served["base"]
    # one data-version watcher per process of this server
    assert wait_for(lambda: _watchers(loaded_db) == served["others"] + 2, 30), (
        served["others"], _watchers(loaded_db))
    # sign in, then ask on fresh connections: whichever process answers knows the session
    with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
        form = client.get("/aanmelden").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        r = client.post("/aanmelden", data={"csrf": csrf, "name": "replica-reader",
                                            "password": PASSWORD, "next": "/account"})
        assert r.status_code == 303, r.text[:300]
        cookies = dict(client.cookies)
    versions = set()
    for _ in range(30):
        with httpx.Client(base_url=base, timeout=60, cookies=cookies) as fresh:
            page = fresh.get("/account")
            assert page.status_code == 200 and "replica-reader" in page.text
            versions.add(fresh.get("/health").json()["data_version"])
    assert len(versions) == 1


def test_reads_on_the_standby_writes_on_the_primary_and_no_outage_when_it_stops(
        loaded_db, standby, served):
    with psycopg.connect(loaded_db) as conn:
        codes = [r[0] for r in conn.execute(
            "SELECT code FROM monitor.area WHERE level = 'buurt' ORDER BY code LIMIT 6")]
        audited_before = conn.execute("SELECT count(*) FROM auth.access_log").fetchone()[0]
    base = served["base"]
    assert wait_for(lambda: _health(base)["replicas"][0]["usable"], 15), _health(base)
    for i, code in enumerate(codes):
        for path in UNCACHED:  # a query the cache does not hold: it reaches a database
            r = httpx.get(base + path.format(code=code, i=i), timeout=30)
            assert r.status_code == 200, (path, r.text[:300])
    # the reads ran on the standby: the app's read sessions (pages: the sync pool,
    # OGC items: the async one) are there, with the last statement each ran
    with psycopg.connect(standby["url"]) as conn:
        queries = [q for (q,) in conn.execute(
            "SELECT query FROM pg_stat_activity WHERE application_name = %s",
            (READ_APP_NAME,))]
    assert len(queries) >= 2, queries
    assert any('"monitor"."buurten"' in q for q in queries), queries
    with psycopg.connect(loaded_db) as conn:
        on_primary = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (READ_APP_NAME,)).fetchone()[0]
    assert on_primary == 0
    # a write (the audit of a restricted read) goes to the primary, not the read-only standby
    basic = base64.b64encode(f"replica-reader:{PASSWORD}".encode()).decode()
    r = httpx.get(base + "/ogc/collections/inspecties/items?f=json&limit=2",
                  headers={"Authorization": f"Basic {basic}"}, timeout=30)
    assert r.status_code == 200, r.text[:300]
    with psycopg.connect(loaded_db) as conn:
        assert conn.execute("SELECT count(*) FROM auth.access_log").fetchone()[0] \
            > audited_before
    # the standby stops: every answer still comes, from the primary
    standby["cluster"].stop("fast")
    statuses = [httpx.get(base + path.format(code=code, i=100 + i), timeout=30).status_code
                for i, code in enumerate(codes) for path in UNCACHED]
    assert statuses == [200] * len(statuses)
    replica = _health(base)["replicas"][0]
    assert not replica["usable"] and replica["why"] != "ok"
