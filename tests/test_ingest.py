"""Ingest as users rely on it: complete, versioned, atomic, traceable, published from manifests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import psycopg
import pytest
import yaml

from portal.errors import UserError
from portal.ingest.load import load
from portal.ingest.manifest import all_manifests, read_manifest
from portal.settings import DATASETS_DIR, REPO
from tests.conftest import run_cli, running_server


def count(conn, sql: str) -> int:
    return conn.execute(sql).fetchone()[0]


def test_shipped_datasets_are_loaded_completely(conn):
    assert count(conn, "SELECT count(*) FROM monitor.area WHERE level = 'buurt'") == 114
    assert count(conn, "SELECT count(*) FROM monitor.area WHERE level = 'wijk'") == 44
    assert count(conn, "SELECT count(*) FROM monitor.station") == 103  # LML 2017-2023, all NL
    # hourly values: every non-empty cell of the three shipped files (4 Den Haag stations)
    assert count(conn, "SELECT count(*) FROM monitor.measurement") == 424_007
    assert count(conn, "SELECT count(*) FROM monitor.grid_band b JOIN monitor.grid g ON"
                       " g.id = b.grid_id WHERE g.indicator = 'no2_annual_mean'") == 11 + 11
    # every band carries the digest of its cells (compute keeps the years that did not change)
    assert count(conn, "SELECT count(*) FROM monitor.grid_band WHERE digest IS NULL") == 0
    assert count(conn, "SELECT count(DISTINCT digest) FROM monitor.grid_band b JOIN"
                       " monitor.grid g ON g.id = b.grid_id"
                       " WHERE g.indicator = 'no2_annual_mean'") == 22
    # GCN 2011-2021 and the demo grid 2015-2025
    # every buurt lies in a wijk, and all of them in RD New
    assert count(conn, "SELECT count(*) FROM monitor.buurten b LEFT JOIN monitor.wijken w "
                       "ON w.wijkcode = b.wijkcode WHERE w.id IS NULL") == 0
    assert count(conn, "SELECT count(DISTINCT ST_SRID(geom)) FROM monitor.area") == 1
    assert count(conn, "SELECT ST_SRID(geom) FROM monitor.area LIMIT 1") == 28992


def test_catalogue_records_every_load_and_balances(conn):
    rows = conn.execute(
        "SELECT dataset, rows_read, rows_loaded, rows_rejected, demo, code_version, checksum,"
        " source FROM monitor.dataset_version WHERE is_current ORDER BY dataset").fetchall()
    assert [r[0] for r in rows] == sorted(p.parent.name for p in DATASETS_DIR.glob("*/dataset.yml"))
    manifests = {m.id: m for m in all_manifests()}
    for dataset, read, loaded, rejected, demo, code, digest, source in rows:
        assert read == loaded + rejected, dataset
        assert demo == manifests[dataset].demo, dataset
        assert code and len(digest) == 64 and source


def test_reingesting_the_same_file_is_a_no_op(conn):
    m = read_manifest(DATASETS_DIR / "cbs-buurten-2024" / "dataset.yml")
    before = count(conn, "SELECT count(*) FROM monitor.dataset_version")
    assert load(conn, m).skipped
    assert count(conn, "SELECT count(*) FROM monitor.dataset_version") == before


def _copy_dataset(tmp_path: Path, ident: str) -> Path:
    folder = tmp_path / ident
    shutil.copytree(DATASETS_DIR / ident, folder)
    return folder


def test_a_failing_load_leaves_the_previous_version_in_place(conn, tmp_path):
    folder = _copy_dataset(tmp_path, "cbs-buurten-2024")
    src = folder / "buurten_2024_gm0518_rd.geojson"
    src.write_bytes(src.read_bytes()[:20_000])  # truncated
    current = ("SELECT id, version FROM monitor.dataset_version"
               " WHERE dataset = 'cbs-buurten-2024' AND is_current")
    before = conn.execute(current).fetchone()
    with pytest.raises(UserError, match="truncated"):
        load(conn, read_manifest(folder / "dataset.yml"))
    assert count(conn, "SELECT count(*) FROM monitor.area WHERE level = 'buurt'") == 114
    assert conn.execute(current).fetchone() == before


def test_bad_rows_are_quarantined_with_their_reason(loaded_db, tmp_path):
    folder = _copy_dataset(tmp_path, "lml-stations")
    csv = folder / "stations_nl_2017_2023.csv"
    lines = csv.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    bad = lines[1].split(",")
    bad[header.index("lat")] = "not-a-number"
    bad[header.index("code")] = "NL99999"
    csv.write_text("\n".join([*lines, ",".join(bad)]) + "\n", encoding="utf-8")
    n = len(lines) - 1  # stations in the shipped file
    with psycopg.connect(loaded_db) as c, c.transaction(force_rollback=True):
        result = load(c, read_manifest(folder / "dataset.yml"))
        assert (result.read, result.loaded, result.rejected) == (n + 1, n, 1)
        row, field, _raw, reason = result.reasons[0]
        assert (row, field) == (n + 1, "geometry") and "geometry" in reason
        q = c.execute("SELECT source_row, field, reason FROM monitor.quarantine q"
                      " JOIN monitor.dataset_version v ON v.id = q.dataset_version_id"
                      " WHERE v.dataset = 'lml-stations' AND v.is_current").fetchall()
        assert q == [(n + 1, "geometry", reason)]


# --- datasets added as a manifest and a file, published and protected ------------------------

def _features_manifest(folder: Path, n_rows: int, access: str = "public") -> None:
    """A CSV dataset of n points in The Hague: a manifest and a file, nothing else."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(n_rows)
    x = rng.uniform(76000, 86000, n_rows).round(1)
    y = rng.uniform(450000, 460000, n_rows).round(1)
    with open(folder / "bomen.csv", "w") as fh:
        fh.write("BOOMNUMMER;SOORT;HOOGTE;X;Y\n")
        for start in range(0, n_rows, 500_000):
            i = np.arange(start, min(n_rows, start + 500_000))
            fh.write("\n".join(f"B{k};linde;{(5 + k % 20)},5;{x[k]};{y[k]}" for k in i) + "\n")
    (folder / "dataset.yml").write_text(yaml.safe_dump({
        "id": folder.name, "title": {"nl": f"Bomen {folder.name}", "en": f"Trees {folder.name}"},
        "description": {"nl": "Testbomen", "en": "Test trees"}, "publisher": "Gemeente Den Haag",
        "attribution": "Gemeente Den Haag (test)", "license": "CC0-1.0",
        "source_url": "https://example.org/bomen", "demo": True, "access": access,
        "source": {"path": "bomen.csv", "format": "csv", "sep": ";", "decimal": ",", "x": "X",
                   "y": "Y", "crs": "EPSG:28992"},
        "load": {"into": "features", "geometry": "point", "id_field": "boomnummer",
                 "fields": {"boomnummer": "BOOMNUMMER", "soort": "SOORT",
                            "hoogte": {"source": "HOOGTE", "type": "number", "unit": "m",
                                       "range": [0, 60]}}},
        "publish": {"collection": folder.name},
    }, allow_unicode=True))


@pytest.fixture(scope="module")
def extra_datasets(loaded_db, tmp_path_factory):
    """The shipped manifests plus three added in the test: public, staff-only, and one to kill."""
    root = tmp_path_factory.mktemp("datasets")
    for m in DATASETS_DIR.glob("*/dataset.yml"):
        shutil.copytree(m.parent, root / m.parent.name)
    if (DATASETS_DIR / "generated").exists():
        shutil.copytree(DATASETS_DIR / "generated", root / "generated")
    _features_manifest(root / "test-bomen", 250)
    _features_manifest(root / "test-bomen-staff", 10, access="staff")
    _features_manifest(root / "test-kill", 5)
    env = {"DATABASE_URL": loaded_db, "OM_DATASETS_DIR": str(root), "COLUMNS": "200"}
    res = run_cli("ingest", "test-bomen", "test-bomen-staff", "test-kill", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "250" in res.stdout  # the summary table shows the balance
    with running_server(loaded_db, "server-extra.log", OM_DATASETS_DIR=str(root)) as base:
        yield root, env, base


def test_a_new_manifest_becomes_a_collection_with_items(extra_datasets):
    _, _, base = extra_datasets
    cols = {c["id"]: c for c in httpx.get(f"{base}/ogc/collections?f=json").json()["collections"]}
    assert "test-bomen" in cols and cols["test-bomen"]["title"].startswith("DEMO")
    fc = httpx.get(f"{base}/ogc/collections/test-bomen/items",
                   params={"f": "json", "limit": 1000}).json()
    assert fc["numberMatched"] == 250 and len(fc["features"]) == 250
    tree = httpx.get(f"{base}/ogc/collections/test-bomen/items/B7?f=json").json()
    assert tree["properties"]["hoogte"] == 12.5  # decimal comma read as 12,5


def test_staff_only_datasets_are_not_published(extra_datasets):
    _, _, base = extra_datasets
    ids = [c["id"] for c in httpx.get(f"{base}/ogc/collections?f=json").json()["collections"]]
    assert "test-bomen-staff" not in ids
    assert httpx.get(f"{base}/ogc/collections/test-bomen-staff/items?f=json").status_code == 404


def test_a_killed_load_leaves_the_previous_version_served(extra_datasets, loaded_db):
    root, env, base = extra_datasets
    items = f"{base}/ogc/collections/test-kill/items"
    assert httpx.get(items, params={"f": "json"}).json()["numberMatched"] == 5
    _features_manifest(root / "test-kill", 400_000)  # version 2: large enough to catch mid-way
    proc = subprocess.Popen([sys.executable, "-m", "portal.cli", "ingest", "test-kill"], cwd=REPO,
                            env={**os.environ, **env, "PGAPPNAME": "test-kill-load"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with psycopg.connect(loaded_db, autocommit=True) as watch:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # wait until the load is inside its transaction
                open_tx = watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                    " 'test-kill-load' AND (state = 'idle in transaction' OR query LIKE 'COPY%')"
                ).fetchone()[0]
                if open_tx or proc.poll() is not None:
                    break
                time.sleep(0.02)
            assert proc.poll() is None, "the load finished before it could be killed"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            time.sleep(0.5)  # the server notices the dropped connection and rolls back
            current = watch.execute(
                "SELECT version, rows_loaded FROM monitor.dataset_version"
                " WHERE dataset = 'test-kill' AND is_current").fetchone()
            assert current == (1, 5)
            assert watch.execute("SELECT to_regclass('data.test_kill_v2')").fetchone()[0] is None
    finally:
        if proc.poll() is None:
            proc.kill()
    assert httpx.get(items, params={"f": "json"}).json()["numberMatched"] == 5


def test_cli_dry_run_strict_and_rejected_datasets(extra_datasets, loaded_db):
    root, env, _ = extra_datasets
    folder = root / "test-bomen"
    csv = folder / "bomen.csv"
    csv.write_text(csv.read_text() + "B99999;eik;hoog;80000;455000\n")
    dry = run_cli("ingest", "--dry-run", "test-bomen", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and "not a valid number" in dry.stdout
    strict = run_cli("ingest", "--strict", "--dry-run", "test-bomen", env=env)
    assert strict.returncode == 1 and "quarantined" in strict.stderr
    with psycopg.connect(loaded_db) as c:  # neither kept anything
        assert c.execute("SELECT max(version) FROM monitor.dataset_version"
                         " WHERE dataset = 'test-bomen'").fetchone()[0] == 1
    csv.write_bytes(csv.read_bytes()[:-20])  # cut off inside the last rows
    broken = run_cli("ingest", "test-bomen", env=env)
    assert broken.returncode == 1
    assert "test-bomen" in broken.stderr and "truncated" in broken.stderr
