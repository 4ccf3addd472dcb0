"""OGC API Features as clients see it: landing, conformance, collections, items, errors."""

from __future__ import annotations

import shutil
import subprocess

import pytest

RD = "http://www.opengis.net/def/crs/EPSG/0/28992"
COLLECTIONS = {"buurten", "wijken", "stations", "parken", "area-status", "area-trends",
               "goal-progress"}


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
    assert COLLECTIONS <= set(cols)  # plus one per further published dataset
    for c in cols.values():
        if c.get("itemType") == "feature":
            assert c["storageCrs"] == RD
            assert RD in c["crs"]
    # demo is said where it shows; real data keeps its attribution. area-status holds real
    # and demo values side by side: the collection says so, each row says which it is
    assert "DEMO" not in cols["area-status"]["title"]
    assert "source_kind" in cols["area-status"]["description"]
    assert "demo" in cols["area-status"]["keywords"]
    assert "DEMO" in cols["parken"]["title"] and "DEMO" in cols["parken"]["description"]
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
        "f": "json", "level": "wijk", "year": 2025, "indicator": "no2_annual_mean",
        "limit": 1000}).json()
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


@pytest.mark.parametrize(("query", "param"), [
    ("bbox=1,2,3", "bbox"),
    ("bbox=a,b,c,d", "bbox"),
    ("crs=EPSG:999", "crs"),
    ("filter=((", "filter"),
    ("filter=nope%3D1", "filter"),
    ("sortby=nope", "sortby"),
    ("properties=nope", "properties"),
    ("limit=-1", "limit"),
    ("limit=100000000", "limit"),
    ("filter=buurtnaam%3D%27x%27%3B%20DROP%20TABLE%20monitor.area", None),
    ("buurtnaam%3B=x", "buurtnaam;"),
])
def test_bad_query_parameters_are_400_naming_the_parameter(http, conn, query, param):
    areas = conn.execute("SELECT count(*) FROM monitor.area").fetchone()[0]
    r = http.get(f"/ogc/collections/buurten/items?f=json&{query}")
    if param is None:  # SQL in a value is only ever a value: no match, nothing run
        assert r.status_code in (200, 400)
        assert conn.execute("SELECT count(*) FROM monitor.area").fetchone()[0] == areas
        return
    assert r.status_code == 400, r.text
    assert r.json()["description"].startswith(f"{param}:")


def test_filters_run_in_the_database(http, conn):
    expected = conn.execute("SELECT count(*) FROM monitor.buurten WHERE wijkcode = 'WK051828'"
                            " AND buurtnaam LIKE 'B%'").fetchone()[0]
    text = http.get("/ogc/collections/buurten/items", params={
        "f": "json", "filter": "wijkcode = 'WK051828' AND buurtnaam LIKE 'B%'"}).json()
    assert text["numberMatched"] == expected
    cql_json = {"op": "and", "args": [
        {"op": "=", "args": [{"property": "wijkcode"}, "WK051828"]},
        {"op": "like", "args": [{"property": "buurtnaam"}, "B%"]}]}
    posted = http.post("/ogc/collections/buurten/items?f=json", json=cql_json).json()
    assert posted["numberMatched"] == expected
    spatial = http.get("/ogc/collections/buurten/items", params={
        "f": "json", "filter": "S_INTERSECTS(geom, POINT(4.3 52.08))"}).json()
    assert spatial["numberMatched"] == 1


def test_keyset_paging_returns_every_feature_once(http):
    seen, url = [], "/ogc/collections/buurten/items?f=json&limit=25"
    while url:
        page = http.get(url).json()
        seen += [f["id"] for f in page["features"]]
        url = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), None)
        assert url is None or "cursor=" in url
    assert len(seen) == len(set(seen)) == 114


def test_openapi_tells_clients_the_page_limits(http):
    doc = http.get("/ogc/openapi", params={"f": "json"}).json()
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert limit["maximum"] == 10000 and limit["default"] >= 100
    params = doc["paths"]["/collections/buurten/items"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/limit"} in params
    assert not [p for p in params if str(p.get("$ref", "")).startswith("http")]


def test_conformance_declares_what_qgis_needs_for_server_side_filters(http):
    conf = http.get("/ogc/conformance", params={"f": "json"}).json()["conformsTo"]
    for c in ("ogcapi-features-3/1.0/conf/filter", "ogcapi-features-3/1.0/conf/features-filter",
              "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/basic-cql2"):
        assert f"http://www.opengis.net/spec/{c}" in conf


def test_datetime_filters_on_the_collections_time_property(http, conn):
    r = http.get("/ogc/collections/werkingsgebieden/items",
                 params={"f": "json", "datetime": "2020-01-01T00:00:00Z/.."}).json()
    expected = conn.execute("SELECT count(*) FROM data.demo_werkingsgebieden"
                            " WHERE geldig_vanaf >= '2020-01-01'").fetchone()[0]
    assert r["numberMatched"] == expected
    bad = http.get("/ogc/collections/werkingsgebieden/items",
                   params={"f": "json", "datetime": "gisteren"})
    assert bad.status_code == 400 and bad.json()["description"].startswith("datetime:")
    none = http.get("/ogc/collections/buurten/items", params={"f": "json", "datetime": "2020"})
    assert none.status_code == 400 and "no time property" in none.json()["description"]
