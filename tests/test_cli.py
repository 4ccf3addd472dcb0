"""The CLI's promises: repeatable steps, one-line errors that say what to do, exit != 0."""

from __future__ import annotations

import socket

import httpx

from tests.conftest import artifacts, run_cli, running_server


def test_migrations_are_idempotent(db_url):
    res = run_cli("db", env={"DATABASE_URL": db_url})
    assert res.returncode == 0, res.stderr
    assert "0 migration(s) applied" in res.stdout


def test_unreachable_database_is_one_clear_line(db_url):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = run_cli("db", env={"DATABASE_URL": f"postgresql://nobody@127.0.0.1:{port}/x"})
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot connect to PostgreSQL" in lines[0] and "DATABASE_URL" in lines[0]


def test_port_in_use_is_one_clear_line(db_url):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = run_cli("serve", env={"DATABASE_URL": db_url, "OM_PORT": str(port)})
    assert res.returncode == 1
    assert f"port {port}" in res.stderr and "OM_PORT" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_unknown_dataset_is_named(db_url):
    res = run_cli("ingest", "no-such-dataset", env={"DATABASE_URL": db_url})
    assert res.returncode == 1 and "no-such-dataset" in res.stderr


def test_ingest_twice_changes_nothing(loaded_db):
    from portal.settings import DATASETS_DIR

    res = run_cli("ingest", env={"DATABASE_URL": loaded_db, "COLUMNS": "200"})
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("unchanged") == len(list(DATASETS_DIR.glob("*/dataset.yml")))


def test_the_run_command_loads_and_serves(loaded_db):
    """`make run` is `portal up`: the database, the data (unchanged here: nothing is loaded
    twice), compute, then the app answering on its port."""
    with running_server(loaded_db, "up.log", command="up") as base:
        assert httpx.get(f"{base}/").status_code == 200
        assert httpx.get(f"{base}/health").json()["status"] == "ok"
    log = (artifacts() / "up.log").read_text()
    assert "unchanged" in log and "serving on" in log
