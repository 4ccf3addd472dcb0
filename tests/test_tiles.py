"""OGC API – Tiles: vector tiles built by PostGIS, in WebMercatorQuad and the Dutch
NetherlandsRDNewQuad, with the collection's features and properties, filters by property,
bad input as 400, and caching per data version (ETag, 304)."""

from __future__ import annotations

import pyogrio
import pytest

from portal.ogc.tiles import MATRIX_SETS, tile_bounds

MVT = "application/vnd.mapbox-vector-tile"
# Den Haag's centre (RD 81000 455000) at three zoom levels of each tile matrix set
TILES = {"WebMercatorQuad": [(8, 84, 131), (12, 1350, 2096), (15, 10805, 16775)],
         "NetherlandsRDNewQuad": [(6, 32, 26), (8, 130, 106), (11, 1042, 853)]}


def _features(tmp_path, body: bytes, name: str):
    path = tmp_path / f"{name}.mvt"
    path.write_bytes(body)
    return pyogrio.read_dataframe(path) if body else None


def test_tile_matrix_sets_and_tilesets_are_described(http):
    sets = http.get("/ogc/tileMatrixSets").json()["tileMatrixSets"]
    assert {s["id"] for s in sets} == {"WebMercatorQuad", "NetherlandsRDNewQuad"}
    rd = http.get("/ogc/tileMatrixSets/NetherlandsRDNewQuad").json()
    assert rd["crs"].endswith("/EPSG/0/28992")
    assert rd["tileMatrices"][0]["pointOfOrigin"] == [-285401.92, 903401.92]
    assert rd["tileMatrices"][0]["cellSize"] == 3440.64
    tileset = http.get("/ogc/collections/buurten/tiles/WebMercatorQuad").json()
    item = next(link for link in tileset["links"] if link["rel"] == "item")
    assert item["type"] == MVT and item["href"].endswith(
        "/collections/buurten/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")


@pytest.mark.parametrize("tms", TILES)
def test_tiles_hold_the_features_that_meet_them(http, conn, tmp_path, tms):
    for z, row, col in TILES[tms]:
        r = http.get(f"/ogc/collections/buurten/tiles/{tms}/{z}/{row}/{col}")
        assert r.status_code == 200 and r.headers["content-type"] == MVT
        assert len(r.content) <= 500_000
        xmin, ymin, xmax, ymax = tile_bounds(MATRIX_SETS[tms], z, row, col)
        expected = {c for (c,) in conn.execute(
            "SELECT buurtcode FROM monitor.buurten WHERE ST_Intersects(geom, ST_Transform("
            "ST_MakeEnvelope(%s, %s, %s, %s, %s), 28992))",
            (xmin, ymin, xmax, ymax, MATRIX_SETS[tms]["srid"]))}
        got = _features(tmp_path, r.content, f"{tms}-{z}")
        assert expected, (tms, z, row, col)
        assert set(got["buurtcode"]) == expected, (tms, z)
        assert {"buurtnaam", "wijkcode"} <= set(got.columns)


def test_area_status_tiles_filter_by_indicator_and_year(http, conn, tmp_path):
    r = http.get("/ogc/collections/area-status/tiles/NetherlandsRDNewQuad/8/130/106",
                 params={"indicator": "no2_annual_mean", "year": 2021, "level": "buurt",
                         "properties": "area_code,status,value"})
    got = _features(tmp_path, r.content, "status")
    xmin, ymin, xmax, ymax = tile_bounds(MATRIX_SETS["NetherlandsRDNewQuad"], 8, 130, 106)
    rows = dict(conn.execute(
        "SELECT area_code, status FROM monitor.area_status WHERE indicator = 'no2_annual_mean'"
        " AND year = 2021 AND level = 'buurt' AND ST_Intersects(geom,"
        " ST_MakeEnvelope(%s, %s, %s, %s, 28992))", (xmin, ymin, xmax, ymax)).fetchall())
    assert len(rows) > 20 and set(got.columns) >= {"area_code", "status", "value"}
    assert dict(zip(got["area_code"], got["status"], strict=True)) == rows
    assert "buurtnaam" not in got.columns


@pytest.mark.parametrize("path,status", [
    ("/ogc/collections/buurten/tiles/WebMercatorQuad/12/1350/2096?bogus=1", 400),
    ("/ogc/collections/area-status/tiles/WebMercatorQuad/12/1350/2096?year=abc", 400),
    ("/ogc/collections/buurten/tiles/WebMercatorQuad/40/1/1", 404),
    ("/ogc/collections/buurten/tiles/WebMercatorQuad/2/9/1", 404),
    ("/ogc/collections/buurten/tiles/NoSuchQuad/2/1/1", 404),
])
def test_bad_tile_requests_say_what_is_wrong(http, path, status):
    r = http.get(path)
    assert r.status_code == status
    assert r.json()["description"]


def test_tiles_are_cached_per_data_version(http):
    path = "/ogc/collections/buurten/tiles/WebMercatorQuad/12/1350/2096"
    first = http.get(path)
    assert first.headers.get("etag") and "max-age" in first.headers.get("cache-control", "")
    again = http.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
