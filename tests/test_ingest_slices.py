"""Features are read, checked and stored in slices (portal/ingest/load.py): the result must
be what checking the whole file gives — duplicates across slices, geometries passed on as
read (single, multi, 3D), an empty file. Each load runs in a rolled-back transaction."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely
import yaml

from portal.ingest import load as load_module
from portal.ingest.load import load
from portal.ingest.manifest import read_manifest

X0, Y0 = 80000.0, 455000.0


def _square(x: float, y: float, size: float = 10.0):
    return shapely.box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size)


def _dataset(folder: Path, ids: list[str], geoms: list) -> Path:
    folder.mkdir(parents=True)
    gdf = gpd.GeoDataFrame({"code": ids, "n": list(range(len(ids)))}, geometry=geoms,
                           crs="EPSG:28992")
    gdf.to_file(folder / "vlakken.gpkg", driver="GPKG")
    (folder / "dataset.yml").write_text(yaml.safe_dump({
        "id": folder.name, "title": {"nl": "Vlakken", "en": "Polygons"},
        "description": {"nl": "test", "en": "test"}, "publisher": "test",
        "attribution": "test", "license": "CC0-1.0", "source_url": "https://example.org/",
        "demo": True, "access": "staff",
        "source": {"path": "vlakken.gpkg", "format": "gpkg"},
        "load": {"into": "features", "geometry": "polygon", "id_field": "code",
                 "fields": {"code": "code", "n": {"source": "n", "type": "integer"}}}}))
    return folder / "dataset.yml"


@pytest.fixture()
def tx(loaded_db):
    with psycopg.connect(loaded_db) as conn, conn.transaction(force_rollback=True):
        yield conn


@pytest.fixture()
def small_slices(monkeypatch):
    monkeypatch.setattr(load_module, "SLICE_ROWS", 2)


def test_a_duplicate_id_in_a_later_slice_is_quarantined_like_any_duplicate(
        tx, tmp_path, small_slices):
    ids = ["a", "b", "c", "a", "d"]  # slices (a, b) (c, a) (d): the second "a" is row 4
    path = _dataset(tmp_path / "t-slices-dup", ids, [_square(20 * i, 0) for i in range(5)])
    r = load(tx, read_manifest(path))
    assert (r.read, r.loaded, r.rejected) == (5, 4, 1)
    assert tx.execute("SELECT source_row, field, raw_value, reason FROM monitor.quarantine q"
                      " JOIN monitor.dataset_version v ON v.id = q.dataset_version_id"
                      " WHERE v.dataset = 't-slices-dup'").fetchall() == [
        (4, "code", "a", "duplicate id")]
    assert tx.execute("SELECT array_agg(code ORDER BY fid) FROM data.t_slices_dup"
                      ).fetchone()[0] == ["a", "b", "c", "d"]


def test_geometries_are_stored_as_read_single_multi_and_3d(tx, tmp_path, small_slices):
    single = _square(0, 0)
    multi = shapely.MultiPolygon([_square(20, 0), _square(40, 0)])
    three_d = shapely.force_3d(_square(60, 0), 5.0)
    with_hole = shapely.Polygon(_square(80, 0, 30).exterior.coords,
                                [_square(90, 10).exterior.coords])
    geoms = [single, multi, three_d, with_hole]
    path = _dataset(tmp_path / "t-slices-geom", ["s", "m", "z", "h"], geoms)
    r = load(tx, read_manifest(path))
    assert (r.read, r.loaded, r.rejected) == (4, 4, 0)
    rows = tx.execute("SELECT code, GeometryType(geom), ST_SRID(geom), ST_AsBinary(geom)"
                      " FROM data.t_slices_geom ORDER BY fid").fetchall()
    assert [(c, t, s) for c, t, s, _ in rows] == [(c, "MULTIPOLYGON", 28992)
                                                   for c in ("s", "m", "z", "h")]
    for (code, _, _, wkb), expected in zip(rows, geoms, strict=True):
        stored = shapely.from_wkb(bytes(wkb))
        assert shapely.equals(stored, shapely.force_2d(expected)), code
        assert shapely.get_num_geometries(stored) == shapely.get_num_geometries(expected)


def test_an_empty_file_loads_an_empty_version(tx, tmp_path):
    path = _dataset(tmp_path / "t-slices-empty", [], [])
    r = load(tx, read_manifest(path))
    assert (r.read, r.loaded, r.rejected) == (0, 0, 0)
    assert tx.execute("SELECT count(*) FROM data.t_slices_empty").fetchone()[0] == 0
