"""OGC API Features as clients see it: landing, conformance, collections, items, errors."""

from __future__ import annotations

import shutil
import subprocess

import pytest

RD = "http://www.opengis.net/def/crs/EPSG/0/28992"
COLLECTIONS = {"buurten", "wijken", "stations", "area-status"}


def test_landing_and_conformance(http):
    landing = http.get("/ogc", params={"f": "json"}).json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"conformance", "data", "service-desc"} <= rels
    conf = http.get("/ogc/conformance", params={"f": "json"}).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf


def test_collections_are_generated_from_the_manifests(http):
    cols = {c["id"]: c for c in http.get("/ogc/collections", params={"f": "json"}).json()[
        "collections"]}
    assert set(cols) == COLLECTIONS
    for c in cols.values():
        assert c["storageCrs"] == RD
        assert RD in c["crs"]
    # demo is said where it shows; real data keeps its attribution
    assert "DEMO" in cols["area-status"]["title"] and "DEMO" in cols["area-status"]["description"]
    assert "DEMO" not in cols["buurten"]["description"]
    assert "Kadaster / Centraal Bureau voor de Statistiek, 2024" in cols["buurten"]["description"]


def test_all_114_buurten_with_geometry_in_one_page(http):
    fc = http.get("/ogc/collections/buurten/items", params={"f": "json", "limit": 1000}).json()
    assert fc["numberMatched"] == 114 and len(fc["features"]) == 114
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in fc["features"])
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 4.1 < lon < 4.5 and 51.9 < lat < 52.2  # CRS84 by default


def test_items_in_rd_new_on_request(http):
    r = http.get("/ogc/collections/buurten/items/BU05180170", params={"f": "json", "crs": RD})
    assert r.status_code == 200
    assert r.headers["Content-Crs"] == f"<{RD}>"
    x, y = r.json()["geometry"]["coordinates"][0][0][0]
    assert 70_000 < x < 90_000 and 440_000 < y < 470_000


def test_area_status_can_be_filtered_by_property(http):
    fc = http.get("/ogc/collections/area-status/items", params={
        "f": "json", "level": "wijk", "year": 2025, "limit": 1000}).json()
    assert len(fc["features"]) == 44
    p = fc["features"][0]["properties"]
    assert p["status"] in {"good", "attention", "exceeds"} and p["demo"] is True
    assert p["unit"] == "µg/m³" and p["status_norm_nl"]


@pytest.mark.parametrize("path", ["/ogc/collections/nope", "/ogc/collections/nope/items",
                                  "/ogc/collections/buurten/items/BU0000000"])
def test_unknown_collection_or_item_is_a_json_404(http, path):
    r = http.get(path, params={"f": "json"})
    assert r.status_code == 404
    assert r.json()["description"]


def test_unknown_portal_path_is_a_json_404(http):
    r = http.get("/no-such-page")
    assert r.status_code == 404 and "no-such-page" in r.json()["description"]


def test_gdal_reads_the_buurten_collection(server):
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "GDAL's ogrinfo is missing: `make test` installs gdal-bin"
    out = subprocess.run([ogrinfo, "-so", f"OAPIF:{server}/ogc", "buurten"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert "Feature Count: 114" in out.stdout, out.stdout
