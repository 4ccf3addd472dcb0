"""Several app processes (`portal serve --workers 2`) share nothing but PostgreSQL: each
hears the data version on its own LISTEN connection, and a session signed in through one
process is honoured by every other."""

from __future__ import annotations

import re
import time

import httpx
import psycopg

from portal.db.replicas import wait_for
from portal.web.dataversion import WATCHER_APP_NAME
from tests.conftest import run_cli, running_server

PASSWORD = "two processes, one key"


def test_two_app_processes_share_only_postgresql(loaded_db):
    res = run_cli("user", "add", "worker-reader", "--role", "policy", "--password-stdin",
                  env={"DATABASE_URL": loaded_db}, input=PASSWORD + "\n")
    assert res.returncode == 0, res.stderr

    def watchers() -> int:
        with psycopg.connect(loaded_db) as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = %s", (WATCHER_APP_NAME,)).fetchone()[0]

    time.sleep(1)  # servers of earlier tests have closed their connections
    others = watchers()  # other servers of this test session
    with running_server(loaded_db, "server-workers.log", args=("--workers", "2")) as base:
        # one data-version watcher per process of this server
        assert wait_for(lambda: watchers() == others + 2, 30), (others, watchers())
        # sign in, then ask on fresh connections: whichever process answers knows the session
        with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
            form = client.get("/aanmelden").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
            r = client.post("/aanmelden", data={"csrf": csrf, "name": "worker-reader",
                                                "password": PASSWORD, "next": "/account"})
            assert r.status_code == 303, r.text[:300]
            cookies = dict(client.cookies)
        versions = set()
        for _ in range(30):
            with httpx.Client(base_url=base, timeout=60, cookies=cookies) as fresh:
                page = fresh.get("/account")
                assert page.status_code == 200 and "worker-reader" in page.text
                versions.add(fresh.get("/health").json()["data_version"])
        assert len(versions) == 1
