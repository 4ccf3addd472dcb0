"""Real OGC API clients against the running server: GDAL, OWSLib and QGIS (headless)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from urllib.parse import parse_qs, urlsplit

import pyogrio
import pytest

from tests.conftest import logged_requests

QGIS_PYTHON = "/usr/bin/python3"  # Debian's python3-qgis belongs to the system Python


def test_gdal_copies_whole_collections_matching_postgis(server, conn, tmp_path):
    ogr2ogr = shutil.which("ogr2ogr")
    assert ogr2ogr, "GDAL is missing: `make test` installs gdal-bin"
    for collection, table, key in [("buurten", "monitor.buurten", "buurtnaam"),
                                   ("area-status", "monitor.area_status", "value")]:
        out = tmp_path / f"{collection}.gpkg"
        # GDAL 3.6 (Debian bookworm) does not read page limits from OpenAPI: ask for 1000
        res = subprocess.run([ogr2ogr, "-f", "GPKG", str(out), f"OAPIF:{server}/ogc", collection,
                              "-oo", "PAGE_SIZE=1000"],
                             capture_output=True, text=True, timeout=300, check=False)
        assert res.returncode == 0, res.stderr
        df = pyogrio.read_dataframe(out)
        expected = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert len(df) == expected, collection
        sample = df.iloc[len(df) // 2]
        db_value = conn.execute(f"SELECT {key} FROM {table} WHERE id = %s",
                                (sample["id"],)).fetchone()[0]
        assert sample[key] == pytest.approx(db_value)


def test_owslib_reads_collections_items_and_queryables(server):
    from owslib.ogcapi.features import Features

    api = Features(f"{server}/ogc")
    ids = [c["id"] for c in api.collections()["collections"]]
    assert {"buurten", "wijken", "stations", "area-status"} <= set(ids)
    items = api.collection_items("buurten", limit=1000)
    assert items["numberMatched"] == 114 and len(items["features"]) == 114
    queryables = api.collection_queryables("buurten")
    assert "buurtnaam" in queryables["properties"]


QGIS_SCRIPT = textwrap.dedent("""
    import json, os, sys
    from qgis.core import QgsApplication, QgsVectorLayer
    app = QgsApplication([], False)
    app.initQgis()
    base, collections = sys.argv[1], sys.argv[2].split(",")
    out = {}
    for c in collections:
        uri = f"url='{base}' typename='{c}' pagingEnabled='true' restrictToRequestBBOX='0'"
        layer = QgsVectorLayer(uri, c, "OAPIF")
        out[c] = {"valid": layer.isValid(), "count": layer.featureCount()}
    # QGIS 3.22 sends comparisons on date fields to the server as `datetime=` (3.28+ also
    # sends other expressions as CQL2); the server filters on the collection's time field.
    layer = QgsVectorLayer(f"url='{base}' typename='werkingsgebieden' restrictToRequestBBOX='0'",
                           "filtered", "OAPIF")
    layer.setSubsetString("geldig_vanaf >= '2020-01-01T00:00:00'")
    out["filtered"] = sum(1 for _ in layer.getFeatures())
    from qgis.core import Qgis
    out["version"] = Qgis.QGIS_VERSION_INT
    print(json.dumps(out), flush=True)
    os._exit(0)  # QGIS 3.22 may crash in its own exit handlers after the work is done
""")


def test_qgis_loads_every_collection_and_sends_its_filter_to_the_server(server, conn):
    if not os.path.exists(QGIS_PYTHON):
        pytest.fail("Debian's python3 is missing")
    res = subprocess.run(
        [QGIS_PYTHON, "-c", QGIS_SCRIPT, f"{server}/ogc",
         "buurten,wijken,stations,area-status,werkingsgebieden"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""})
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    for c in ("buurten", "wijken", "stations", "area-status", "werkingsgebieden"):
        assert out[c]["valid"], c
        assert out[c]["count"] > 0, c
    expected = conn.execute("SELECT count(*) FROM data.demo_werkingsgebieden"
                            " WHERE geldig_vanaf >= '2020-01-01'").fetchone()[0]
    assert out["filtered"] == expected > 0
    fetches = [ln for ln in logged_requests() if "/collections/werkingsgebieden/items" in ln
               and parse_qs(urlsplit(ln).query).get("limit") != ["10"]]
    assert any("limit=1000" in ln for ln in fetches), "QGIS did not take 1000 a page"
    assert any("datetime=2020-01-01T00:00:00" in ln for ln in fetches), (
        "QGIS filtered on the client: the expression never reached the server")


def test_gdal_sends_its_attribute_filter_to_the_server(server, conn):
    res = subprocess.run(["ogrinfo", "-ro", "-so", "-where", "wijkcode = 'WK051828'",
                          f"OAPIF:{server}/ogc", "buurten"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    expected = conn.execute(
        "SELECT count(*) FROM monitor.buurten WHERE wijkcode = 'WK051828'").fetchone()[0]
    assert f"Feature Count: {expected}" in res.stdout
    assert "/ogc/collections/buurten/items?f=json&limit=10&wijkcode=WK051828" in logged_requests()


QGIS_STAFF_AND_COG = textwrap.dedent("""
    import json, os, sys
    from qgis.core import QgsApplication, QgsPointXY, QgsRasterLayer, QgsVectorLayer
    app = QgsApplication([], False)
    app.initQgis()
    base, name, token, cog, x, y = sys.argv[1:7]
    out = {}
    # the authentication a QGIS user types in: Basic, their name and an API token
    for label, auth in (("token", f" username='{name}' password='{token}'"), ("none", "")):
        layer = QgsVectorLayer(f"url='{base}/ogc' typename='inspecties' "
                               f"restrictToRequestBBOX='0'{auth}", label, "OAPIF")
        out[label] = {"valid": layer.isValid(),
                      "count": layer.featureCount() if layer.isValid() else None}
    raster = QgsRasterLayer(f"/vsicurl/{cog}", "no2", "gdal")
    value, ok = raster.dataProvider().sample(QgsPointXY(float(x), float(y)), 1)
    out["cog"] = {"valid": raster.isValid(), "width": raster.width(),
                  "height": raster.height(), "crs": raster.crs().authid(),
                  "value": value if ok else None}
    print(json.dumps(out), flush=True)
    os._exit(0)
""")


@pytest.fixture(scope="module")
def gis_token(loaded_db):
    from tests.conftest import run_cli

    res = run_cli("user", "add", "gert", "--role", "gis", "--password-stdin",
                  env={"DATABASE_URL": loaded_db}, input="a long enough passphrase\n")
    assert res.returncode == 0, res.stderr
    res = run_cli("user", "token", "gert", "--label", "QGIS", env={"DATABASE_URL": loaded_db})
    assert res.returncode == 0, res.stderr
    return res.stdout.strip().splitlines()[-1]


def _grid(conn, dataset: str, year: int):
    return conn.execute(
        "SELECT g.x_min, g.y_max, g.cell_size, g.ncols, g.nrows, b.vals FROM monitor.grid g"
        " JOIN monitor.dataset_version dv ON dv.id = g.dataset_version_id AND dv.is_current"
        " JOIN monitor.grid_band b ON b.grid_id = g.id WHERE dv.dataset = %s AND b.year = %s",
        (dataset, year)).fetchone()


def test_qgis_loads_a_staff_collection_with_a_token_and_a_cog(server, conn, gis_token):
    x_min, y_max, cell, ncols, nrows, vals = _grid(conn, "rivm-gcn-no2", 2019)
    row, col = nrows // 2, ncols // 2
    x, y = x_min + (col + 0.5) * cell, y_max - (row + 0.5) * cell
    res = subprocess.run(
        [QGIS_PYTHON, "-c", QGIS_STAFF_AND_COG, server, "gert", gis_token,
         f"{server}/download/rivm-gcn-no2/2019.tif", str(x), str(y)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""})
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    expected = conn.execute("SELECT count(*) FROM data.staff_inspecties").fetchone()[0]
    assert out["token"] == {"valid": True, "count": expected}
    assert not out["none"]["valid"] or not out["none"]["count"]  # anonymous: not found
    assert out["cog"]["valid"] and out["cog"]["crs"] == "EPSG:28992"
    assert (out["cog"]["width"], out["cog"]["height"]) == (ncols, nrows)
    assert out["cog"]["value"] == pytest.approx(vals[row * ncols + col], abs=1e-4)
    audited = conn.execute("SELECT count(*) FROM auth.access_log WHERE account = 'gert'"
                           " AND via = 'basic'").fetchone()[0]
    assert audited > 0


def test_gdal_reads_a_coverage_subset_whose_cells_match_postgis(server, conn, tmp_path):
    x_min, y_max, cell, ncols, _, vals = _grid(conn, "rivm-gcn-no2", 2019)
    out = tmp_path / "subset.tif"
    col0, row0, w, h = 2, 3, 6, 6
    res = subprocess.run(["gdal_translate", "-q", "-srcwin", str(col0), str(row0), str(w), str(h),
                          "--config", "GDAL_DEFAULT_WMS_CACHE_PATH", str(tmp_path / "cache"),
                          f"OGCAPI:{server}/ogc/collections/rivm-gcn-no2-2019", str(out)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    import rasterio

    with rasterio.open(out) as ds:
        got = ds.read(1)
        assert ds.transform.c == x_min + col0 * cell and ds.transform.f == y_max - row0 * cell
    for i in range(h):
        for j in range(w):
            want = vals[(row0 + i) * ncols + col0 + j]
            assert got[i][j] == pytest.approx(-9999.0 if want is None else want, abs=1e-4)
    subset = [ln for ln in logged_requests() if "/rivm-gcn-no2-2019/coverage" in ln]
    assert any("subset=x(" in ln for ln in subset), subset  # cut by the server, in RD New


QGIS_TILES = textwrap.dedent("""
    import json, os, sys
    from qgis.core import (QgsApplication, QgsDataSourceUri, QgsVectorTileLayer,
                           QgsMapSettings, QgsMapRendererSequentialJob, QgsRectangle,
                           QgsCoordinateReferenceSystem, QgsVectorTileBasicRenderer)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor
    app = QgsApplication([], False)
    app.initQgis()
    base, collection = sys.argv[1], sys.argv[2]
    # what a QGIS user adds as a vector tile layer: the XYZ template of the tileset
    ds = QgsDataSourceUri()
    ds.setParam("type", "xyz")
    ds.setParam("url", f"{base}/collections/{collection}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}")
    ds.setParam("zmin", "0")
    ds.setParam("zmax", "16")
    layer = QgsVectorTileLayer(bytes(ds.encodedUri()).decode(), collection)
    renderer = QgsVectorTileBasicRenderer()
    renderer.setStyles(QgsVectorTileBasicRenderer.simpleStyleWithRandomColors())
    layer.setRenderer(renderer)
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    settings.setExtent(QgsRectangle(465300, 6803000, 492000, 6826000))  # Den Haag
    settings.setOutputSize(QSize(512, 512))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image, white = job.renderedImage(), QColor(255, 255, 255).rgb()
    drawn = sum(1 for x in range(0, 512, 4) for y in range(0, 512, 4) if image.pixel(x, y) != white)
    print(json.dumps({"valid": layer.isValid(), "drawn": drawn}), flush=True)
    os._exit(0)
""")


def test_qgis_draws_our_vector_tiles(server):
    res = subprocess.run(
        [QGIS_PYTHON, "-c", QGIS_TILES, f"{server}/ogc", "buurten"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""})
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["valid"]
    assert out["drawn"] > 1000  # of 16,384 sampled pixels: the buurten are drawn
    tiles = [ln for ln in logged_requests()
             if "/ogc/collections/buurten/tiles/WebMercatorQuad/" in ln]
    assert tiles, "QGIS asked for no tile"
