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
