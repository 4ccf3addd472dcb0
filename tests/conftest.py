"""Shared fixtures: a real PostGIS test database, loaded once, and the app on loopback.

Without DATABASE_URL the tests use the private cluster under var/pgdata (started
here if needed); with it, a database named <name>_test on that server. Either
way the test database is dropped and rebuilt at the start of the session.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from portal.db import cluster
from portal.db.connect import create_database, drop_database
from portal.db.migrate import migrate
from portal.settings import REPO, get_settings

ARTIFACTS = REPO / "test-artifacts"


def _test_url() -> str:
    """OM_TEST_DATABASE names the test database (two suites side by side need two)."""
    settings = get_settings()
    if settings.database_url:
        name = conninfo_to_dict(settings.database_url).get("dbname") or "omgevingsmonitor"
        return make_conninfo(settings.database_url,
                             dbname=os.environ.get("OM_TEST_DATABASE") or f"{name}_test")
    cluster.ensure_running(settings)
    return cluster.url(settings, os.environ.get("OM_TEST_DATABASE") or "omgevingsmonitor_test")


def run_cli(*args: str, env: dict | None = None, timeout: int = 300,
            input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portal.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, **(env or {})}, input=input)


@pytest.fixture(scope="session")
def db_url() -> str:
    url = _test_url()
    drop_database(url)
    create_database(url)
    with psycopg.connect(url) as conn:
        migrate(conn)
    return url


@pytest.fixture(scope="session")
def loaded_db(db_url: str) -> str:
    """The test database with every dataset ingested and all indicators computed."""
    env = {"DATABASE_URL": db_url}
    for step in (("demo",), ("ingest",), ("compute",)):
        res = run_cli(*step, env=env)
        assert res.returncode == 0, f"portal {' '.join(step)} failed:\n{res.stdout}\n{res.stderr}"
    return db_url


@pytest.fixture()
def conn(loaded_db: str):
    with psycopg.connect(loaded_db) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(db: str, log_name: str = "server.log", port: int | None = None,
                   args: tuple[str, ...] = (), command: str = "serve", **env_extra: str):
    """The real app (`portal serve [args]`, or `portal up`) in its own process on a (free)
    loopback port."""
    port = port or free_port()
    env = {**os.environ, "DATABASE_URL": db, "OM_PORT": str(port), "OM_HOST": "127.0.0.1",
           **env_extra}
    env.pop("OM_BASE_URL", None)
    log_path = artifacts() / log_name
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "portal.cli", command, *args], cwd=REPO,
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + (90 if command == "serve" else 300)
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("server did not start:\n" + log_path.read_text())
            time.sleep(0.3)
        try:
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=20)


@pytest.fixture(scope="session")
def server(loaded_db: str):
    with running_server(loaded_db) as base:
        yield base


@pytest.fixture(scope="session")
def http(server: str):
    with httpx.Client(base_url=server, timeout=60) as client:
        yield client


LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make test` installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        yield b
        b.close()


def logged_requests(log_name: str = "server.log") -> list[str]:
    """The requests the test server logged, as "path?query" (portal/web/requestlog.py)."""
    out = []
    for line in (artifacts() / log_name).read_text().splitlines():
        if line.startswith("{") and '"portal.request"' in line:
            r = json.loads(line)
            out.append(r["path"] + (f"?{r['query']}" if r["query"] else ""))
    return out


def artifacts() -> Path:
    """Folder for screenshots and logs a reviewer may want after a run (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
