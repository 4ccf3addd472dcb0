"""Ingest: the shipped datasets land complete, versioned, and a bad load changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from portal.errors import UserError
from portal.ingest.load import load
from portal.ingest.manifest import read_manifest
from portal.settings import DATASETS_DIR


def count(conn, sql: str) -> int:
    return conn.execute(sql).fetchone()[0]


def test_shipped_datasets_are_loaded_completely(conn):
    assert count(conn, "SELECT count(*) FROM monitor.area WHERE level = 'buurt'") == 114
    assert count(conn, "SELECT count(*) FROM monitor.area WHERE level = 'wijk'") == 44
    assert count(conn, "SELECT count(*) FROM monitor.station") == 3
    assert count(conn, "SELECT count(*) FROM monitor.observation") == 44  # 4 stations x 11 years
    assert count(conn, "SELECT count(*) FROM monitor.grid_band") == 11  # 2015-2025
    # every buurt lies in a wijk, and all of them in RD New
    assert count(conn, "SELECT count(*) FROM monitor.buurten b LEFT JOIN monitor.wijken w "
                       "ON w.wijkcode = b.wijkcode WHERE w.id IS NULL") == 0
    assert count(conn, "SELECT count(DISTINCT ST_SRID(geom)) FROM monitor.area") == 1
    assert count(conn, "SELECT ST_SRID(geom) FROM monitor.area LIMIT 1") == 28992


def test_catalogue_balances_rows_and_marks_demo(conn):
    rows = conn.execute(
        "SELECT dataset, rows_read, rows_loaded, rows_rejected, demo, code_version"
        " FROM monitor.dataset_version WHERE is_current ORDER BY dataset").fetchall()
    assert [r[0] for r in rows] == ["cbs-buurten-2024", "cbs-wijken-2024", "demo-no2-grid",
                                    "demo-no2-stations", "lml-stations"]
    for dataset, read, loaded, rejected, demo, code in rows:
        assert read == loaded + rejected, dataset
        assert demo == dataset.startswith("demo-")
        assert code


def test_reingesting_the_same_file_is_a_no_op(conn):
    m = read_manifest(DATASETS_DIR / "cbs-buurten-2024" / "dataset.yml")
    before = count(conn, "SELECT count(*) FROM monitor.dataset_version")
    result = load(conn, m)
    assert result.skipped
    assert count(conn, "SELECT count(*) FROM monitor.dataset_version") == before


def _copy_dataset(tmp_path: Path, ident: str) -> Path:
    folder = tmp_path / ident
    shutil.copytree(DATASETS_DIR / ident, folder)
    return folder


def test_a_failing_load_leaves_the_previous_version_serving(conn, tmp_path):
    folder = _copy_dataset(tmp_path, "cbs-buurten-2024")
    src = folder / "buurten_2024_gm0518_rd.geojson"
    text = src.read_text()
    # duplicate the first feature: same buurt code twice violates the key mid-load
    first = text.index('{"type":"Feature"')
    end = text.index("\n", first)
    src.write_text(text[:first] + text[first:end] + "\n" + text[first:])
    before = conn.execute("SELECT id, version FROM monitor.dataset_version"
                          " WHERE dataset = 'cbs-buurten-2024' AND is_current").fetchone()
    with pytest.raises(UserError, match="duplicate key"):
        load(conn, read_manifest(folder / "dataset.yml"))
    assert count(conn, "SELECT count(*) FROM monitor.area WHERE level = 'buurt'") == 114
    after = conn.execute("SELECT id, version FROM monitor.dataset_version"
                         " WHERE dataset = 'cbs-buurten-2024' AND is_current").fetchone()
    assert after == before


def test_bad_rows_are_quarantined_with_their_reason(loaded_db, tmp_path):
    folder = _copy_dataset(tmp_path, "lml-stations")
    csv = folder / "lml_stations_denhaag_2013.csv"
    lines = csv.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    bad = lines[1].split(",")
    bad[header.index("Lat")] = "not-a-number"
    bad[header.index("NatlStationCode")] = "999"
    csv.write_text("\n".join([*lines, ",".join(bad)]) + "\n", encoding="utf-8")
    with psycopg.connect(loaded_db) as c, c.transaction(force_rollback=True):
        result = load(c, read_manifest(folder / "dataset.yml"))
        assert (result.read, result.loaded, len(result.rejected)) == (4, 3, 1)
        row, field, _raw, reason = result.rejected[0]
        assert (row, field) == (4, "geometry") and "geometry" in reason
        q = c.execute("SELECT source_row, field, reason FROM monitor.quarantine q"
                      " JOIN monitor.dataset_version v ON v.id = q.dataset_version_id"
                      " WHERE v.dataset = 'lml-stations' AND v.is_current").fetchall()
        assert q == [(4, "geometry", reason)]


def test_manifest_errors_name_file_and_key(tmp_path):
    folder = _copy_dataset(tmp_path, "lml-stations")
    path = folder / "dataset.yml"
    path.write_text(path.read_text().replace("format: csv", "format: xls"))
    with pytest.raises(UserError, match=r"lml-stations/dataset.yml: key 'source.format' must be"):
        read_manifest(path)


def test_a_source_without_crs_is_an_error_not_a_guess(conn, tmp_path):
    folder = _copy_dataset(tmp_path, "lml-stations")
    path = folder / "dataset.yml"
    path.write_text(path.read_text().replace("  crs: EPSG:4258\n", ""))
    with pytest.raises(UserError, match="has no CRS"):
        load(conn, read_manifest(path), dry_run=True)
