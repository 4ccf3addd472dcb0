"""Downloads open in GDAL with the right count or size, CRS and licence inside; the area
files hold what the read model holds; the catalogue and the pages link every download."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from rdflib import Graph
from rdflib.namespace import DCAT

from portal.ingest.manifest import all_manifests

VECTOR = "demo-parken"  # a public features dataset (polygons, DEMO)
GRID = "rivm-gcn-no2"  # a public grid of real open data (RIVM, CC-BY)


def _manifest(dataset: str):
    return next(m for m in all_manifests() if m.id == dataset)


def _fetch(http, path: str, tmp_path, name: str):
    res = http.get(path)
    assert res.status_code == 200, (path, res.text[:300])
    out = tmp_path / name
    out.write_bytes(res.content)
    return res, out


def _ogrinfo(path) -> str:
    res = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(path)], capture_output=True,
                         text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.mark.parametrize("fmt,epsg", [("gpkg", "28992"), ("geojson", "4326"), ("csv", None)])
def test_vector_downloads_open_in_gdal_with_count_crs_and_licence(http, conn, tmp_path,
                                                                  fmt, epsg):
    m = _manifest(VECTOR)
    schema, table = m.published_table
    rows = conn.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
    version = conn.execute("SELECT version FROM monitor.dataset_version WHERE dataset = %s"
                           " AND is_current", (m.id,)).fetchone()[0]
    res, path = _fetch(http, f"/download/{VECTOR}.{fmt}", tmp_path, f"{VECTOR}.{fmt}")
    assert f"{VECTOR}-v{version}.{fmt}" in res.headers["content-disposition"]
    info = _ogrinfo(path)
    assert f"Feature Count: {rows}" in info and rows > 0
    if epsg:
        assert f'ID["EPSG",{epsg}]' in info, info[:2000]
    if fmt == "csv":  # a CSV has no metadata block: every row says it
        cols = next(csv.DictReader(io.StringIO(res.text)))
        assert cols["license"] == m.license and cols["demo"] == "true"
        assert cols["dataset_version"] == str(version) and cols["crs"] == "EPSG:28992"
        assert cols["wkt"].startswith(("POLYGON", "MULTIPOLYGON"))
    else:
        assert f"Licentie: {m.license}" in info and "DEMO" in info
    if fmt == "gpkg":
        assert f"license={m.license}" in info and f"dataset_version={version}" in info


def test_geojson_download_carries_its_facts_as_foreign_members(http):
    doc = http.get(f"/download/{VECTOR}.geojson").json()
    m = _manifest(VECTOR)
    assert doc["license"] == m.license and doc["attribution"] == m.attribution
    assert doc["demo"] is True and doc["description"].startswith("DEMO")


def test_grid_downloads_are_cogs_with_size_crs_and_licence_tags(http, conn, tmp_path):
    grid = conn.execute(
        "SELECT g.ncols, g.nrows, array_agg(b.year ORDER BY b.year) FROM monitor.grid g"
        " JOIN monitor.dataset_version dv ON dv.id = g.dataset_version_id AND dv.is_current"
        " JOIN monitor.grid_band b ON b.grid_id = g.id WHERE dv.dataset = %s"
        " GROUP BY g.ncols, g.nrows", (GRID,)).fetchone()
    ncols, nrows, years = grid
    m = _manifest(GRID)
    for path, bands in ((f"/download/{GRID}.tif", len(years)),
                        (f"/download/{GRID}/{years[-1]}.tif", 1)):
        _, file = _fetch(http, path, tmp_path, path.replace("/", "_"))
        info = json.loads(subprocess.run(["gdalinfo", "-json", str(file)], capture_output=True,
                                         text=True, check=True).stdout)
        assert info["size"] == [ncols, nrows] and len(info["bands"]) == bands
        assert 'ID["EPSG",28992]' in info["coordinateSystem"]["wkt"]
        tags = info["metadata"][""]
        assert m.license in tags["TIFFTAG_COPYRIGHT"] and tags["license"] == m.license
        assert tags["demo"] == "false" and tags["attribution"] == m.attribution
        assert info["metadata"]["IMAGE_STRUCTURE"]["LAYOUT"] == "COG"
    ranged = http.get(f"/download/{GRID}/{years[-1]}.tif", headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100  # for /vsicurl/


def test_unknown_or_mismatched_downloads_are_404_with_a_message(http):
    for path, words in ((f"/download/{GRID}.csv", "grid"), (f"/download/{VECTOR}.tif", ".gpkg"),
                        ("/download/no-such-dataset.csv", "Not found"),
                        (f"/download/{GRID}/1900.tif", "no year 1900")):
        res = http.get(path, params={"lang": "en"})
        assert res.status_code == 404 and words in res.json()["description"], path


def test_area_csv_holds_every_indicator_year_status_and_norm_of_the_read_model(http, conn):
    code = "WK051828"
    res = http.get(f"/gebied/{code}.csv")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert {"indicator", "year", "value", "status", "governing_norm", "margin", "demo",
            "license"} <= set(rows[0])
    expected = conn.execute("SELECT indicator, year, status, value FROM monitor.area_status"
                            " WHERE area_code = %s", (code,)).fetchall()
    assert len(rows) == len(expected) > 0
    got = {(r["indicator"], int(r["year"])): (r["status"], r["value"]) for r in rows}
    for indicator, year, status, value in expected:
        assert got[(indicator, year)][0] == status
        assert (got[(indicator, year)][1] == "") == (value is None)


def test_area_pdf_is_one_page_with_the_area_and_its_licence(http):
    res = http.get("/gebied/WK051828.pdf")
    assert res.status_code == 200 and res.headers["content-type"] == "application/pdf"
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(res.content))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    assert "WK051828" in text and "CC-BY-4.0" in text and "DEMO" in text
    assert http.get("/gebied/XX0000.pdf").status_code == 404


def test_catalogue_and_pages_list_every_download(http, server):
    g = Graph().parse(data=http.get("/catalog.ttl").text, format="turtle")
    downloads = {str(u).removeprefix(server) for u in g.objects(None, DCAT.downloadURL)}
    for fmt in ("csv", "geojson", "gpkg"):
        assert f"/download/{VECTOR}.{fmt}" in downloads
    assert f"/download/{GRID}.tif" in downloads and f"/download/{GRID}/2019.tif" in downloads
    assert "/gebied/WK051828.csv" in downloads and "/gebied/WK051828.pdf" in downloads
    coverages = {str(u).removeprefix(server) for u in g.objects(None, DCAT.accessURL)}
    assert f"/ogc/collections/{GRID}-2019" in coverages
    area = http.get("/gebied/WK051828").text
    assert 'href="/gebied/WK051828.csv"' in area or "/gebied/WK051828.csv" in area
    assert "/gebied/WK051828.pdf" in area
    dataset_page = http.get(f"/id/dataset/{VECTOR}", headers={"Accept": "text/html"}).text
    assert f"/download/{VECTOR}.gpkg" in dataset_page
