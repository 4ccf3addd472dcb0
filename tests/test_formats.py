"""Every source format, each with broken twins: the documented error or quarantine, balanced.

Each case writes a small source file and a manifest into a temporary datasets
folder and loads it as a dry run (validated and written inside a transaction
that is rolled back), so nothing stays behind in the test database.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg
import pytest
import rasterio
import shapely
import yaml
from rasterio.transform import from_origin

from portal.errors import UserError
from portal.ingest.load import load
from portal.ingest.manifest import read_manifest

# Five features in The Hague (RD New) with an id, a name and a value.
XY = [(81000 + 100 * i, 455000 + 50 * i) for i in range(5)]
ROWS = [{"code": f"F{i}", "name": f"feature {i}", "value": 10.5 + i} for i in range(5)]
BOWTIE = shapely.Polygon([(81000, 455000), (81100, 455100), (81100, 455000), (81000, 455100)])
FLAT = shapely.Polygon([(81000, 455000), (81100, 455000), (81000, 455000)])  # only a line


def manifest(folder: Path, fmt: str, path: str, load_: dict, **source) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "id": folder.name, "title": {"nl": "Test", "en": "Test"},
        "description": {"nl": "Test", "en": "Test"}, "publisher": "test",
        "attribution": "test", "license": "CC0-1.0", "source_url": "https://example.org/",
        "demo": True, "source": {"path": path, "format": fmt, **source}, "load": load_,
    }
    (folder / "dataset.yml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    return folder / "dataset.yml"


FIELDS = {"into": "features", "geometry": "any", "id_field": "code",
          "fields": {"code": "code", "name": "name",
                     "value": {"source": "value", "type": "number", "range": [0, 100]}}}


def frame(defect: str, polygons: bool = False) -> gpd.GeoDataFrame:
    rows = [dict(r) for r in ROWS]
    if polygons:
        geoms = [shapely.box(x, y, x + 50, y + 50) for x, y in XY]
    else:
        geoms = [shapely.Point(x, y) for x, y in XY]
    if defect == "non_numeric":
        rows[2]["value"] = "abc"
    if defect == "duplicate_ids":
        rows[3]["code"] = rows[1]["code"]
    if defect == "invalid_geometry" and polygons:
        geoms[1] = BOWTIE  # repairable
        geoms[4] = FLAT  # not a polygon, even after repair
    df = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:28992")
    df["value"] = df["value"].astype(str)
    return df


def write_vector(tmp: Path, fmt: str, defect: str) -> Path:
    """A source of the given format (with the defect), and its manifest."""
    folder = tmp / f"{fmt.replace('_', '-')}-{defect.replace('_', '-')}"
    load_ = json.loads(json.dumps(FIELDS))
    if defect == "missing_column":
        load_["fields"]["name"] = "naam"
    polygons = defect == "invalid_geometry" and fmt not in ("csv_rd", "csv_wgs84")
    load_["geometry"] = "polygon" if polygons else "point"
    gdf = frame(defect, polygons)
    folder.mkdir(parents=True)
    declared = {"crs": "EPSG:4326"} if defect == "wrong_crs" else {}
    if fmt == "geojson":
        gdf.to_crs(4326).to_file(folder / "src.geojson", driver="GeoJSON")
        path, src = "src.geojson", {}
        if defect == "wrong_crs":
            declared = {"crs": "EPSG:28992"}  # GeoJSON is always lon/lat: a wrong declaration
    elif fmt == "gpkg":
        gdf.to_file(folder / "src.gpkg", driver="GPKG")
        path, src = "src.gpkg", {}
    elif fmt == "shp_zip":
        gdf.to_file(folder / "src.shp", driver="ESRI Shapefile")
        with zipfile.ZipFile(folder / "src.zip", "w") as z:
            for part in folder.glob("src.*"):
                if part.suffix != ".zip":
                    z.write(part, part.name)
                    part.unlink()
        path, src = "src.zip", {}
    elif fmt == "csv_rd":  # comma separated, x/y in RD New
        lines = ["code,name,value,x,y"] + [
            f"{r['code']},{r['name']},{r['value']},{g.x},{g.y}" for r, g in
            zip(gdf.to_dict("records"), gdf.geometry, strict=True)]
        if defect == "invalid_geometry":
            lines[2] = lines[2].rsplit(",", 2)[0] + ",not-a-number,455000"
        (folder / "src.csv").write_text("\n".join(lines) + "\n")
        path, src = "src.csv", {"x": "x", "y": "y", "crs": "EPSG:28992"}
        if defect == "wrong_crs":
            src["crs"] = "EPSG:4326"  # metres read as degrees
    elif fmt == "csv_wgs84":  # semicolon separated, decimal comma, lat/lon columns
        wgs = gdf.to_crs(4326)
        lines = ["code;name;value;lat;lon"] + [
            f"{r['code']};{r['name']};{str(r['value']).replace('.', ',')};"
            f"{str(round(g.y, 7)).replace('.', ',')};{str(round(g.x, 7)).replace('.', ',')}"
            for r, g in zip(wgs.to_dict("records"), wgs.geometry, strict=True)]
        if defect == "invalid_geometry":
            lines[2] = lines[2].rsplit(";", 2)[0] + ";;4,3"
        (folder / "src.csv").write_text("\n".join(lines) + "\n")
        # x = longitude, y = latitude whatever the column order in the file
        path, src = "src.csv", {"x": "lon", "y": "lat", "crs": "EPSG:4326", "sep": ";",
                                "decimal": ","}
        if defect == "wrong_crs":
            src["x"], src["y"] = "lat", "lon"  # axis order swapped
        declared = {}
    else:
        raise AssertionError(fmt)
    if defect == "truncated":
        data = (folder / path).read_bytes()
        (folder / path).write_bytes(data[: len(data) // 2])
    return manifest(folder, fmt.split("_")[0] if fmt != "shp_zip" else "shp", path, load_,
                    **{**src, **declared})


VECTOR_FORMATS = ["geojson", "gpkg", "shp_zip", "csv_rd", "csv_wgs84"]
DEFECTS = ["none", "wrong_crs", "missing_column", "non_numeric", "invalid_geometry",
           "truncated", "duplicate_ids"]


def dry_run(db: str, path: Path):
    with psycopg.connect(db, autocommit=True) as conn:
        return load(conn, read_manifest(path), dry_run=True)


@pytest.mark.parametrize("defect", DEFECTS)
@pytest.mark.parametrize("fmt", VECTOR_FORMATS)
def test_vector_formats_and_their_broken_twins(loaded_db, tmp_path, fmt, defect):
    path = write_vector(tmp_path, fmt, defect)
    structural = {"missing_column": "source column 'naam' not in the file",
                  "truncated": "damaged or truncated"}
    if defect == "wrong_crs" and fmt in ("geojson", "gpkg", "shp_zip"):
        structural["wrong_crs"] = "key 'source.crs' is EPSG:"
    if defect in structural:
        with pytest.raises(UserError, match=structural[defect]) as err:
            dry_run(loaded_db, path)
        assert str(path.parent.name) in str(err.value)
        return
    r = dry_run(loaded_db, path)
    assert r.balanced and r.read == r.loaded + r.rejected
    reasons = {(row, fld): why for row, fld, _raw, why in r.reasons}
    if defect == "none":
        assert (r.read, r.loaded, r.rejected, r.repaired) == (5, 5, 0, 0)
    elif defect == "wrong_crs":  # CSV: every point lands outside the RD New area of use
        assert (r.loaded, r.rejected) == (0, 5)
        assert "outside the Netherlands" in reasons[(1, "geometry")]
    elif defect == "non_numeric":
        assert (r.loaded, r.rejected) == (4, 1)
        assert reasons[(3, "value")] == "not a valid number"
    elif defect == "duplicate_ids":
        assert (r.loaded, r.rejected) == (4, 1)
        assert reasons[(4, "code")] == "duplicate id"
    elif defect == "invalid_geometry" and fmt.startswith("csv"):
        assert (r.loaded, r.rejected) == (4, 1)
        assert "missing" in reasons[(2, "geometry")]
    elif defect == "invalid_geometry":
        assert (r.loaded, r.rejected, r.repaired) == (4, 1, 1)
        assert "not a polygon" in reasons[(5, "geometry")]


def luchtmeetnet(tmp: Path, defect: str) -> Path:
    folder = tmp / f"lml-{defect.replace('_', '-')}"
    folder.mkdir()
    data = [{"station_number": f"NL1040{i % 2}", "formula": "NO2", "value": 20.0 + i,
             "timestamp_measured": f"{2015 + i // 2}-01-01T00:00:00+01:00"} for i in range(6)]
    if defect == "non_numeric":
        data[2]["value"] = "n/a"
    if defect == "duplicate_ids":
        data[3] = dict(data[1])
    fields = {"station_id": "station_number", "value": "value", "year": "timestamp_measured"}
    if defect == "missing_column":
        fields["value"] = "waarde"
    text = json.dumps({"pagination": {"current_page": 1, "last_page": 1}, "data": data})
    if defect == "truncated":
        text = text[: len(text) // 2]
    (folder / "m.json").write_text(text)
    return manifest(folder, "luchtmeetnet", "m.json",
                    {"into": "observation", "indicator": "no2_annual_mean", "fields": fields,
                     "valid_range": [0, 200]})


@pytest.mark.parametrize("defect", ["none", "missing_column", "non_numeric", "truncated",
                                    "duplicate_ids"])
def test_luchtmeetnet_json(loaded_db, tmp_path, defect):
    path = luchtmeetnet(tmp_path, defect)
    if defect in ("missing_column", "truncated"):
        with pytest.raises(UserError, match="waarde|truncated"):
            dry_run(loaded_db, path)
        return
    r = dry_run(loaded_db, path)
    assert r.balanced
    expected = {"none": (6, 0), "non_numeric": (5, 1), "duplicate_ids": (5, 1)}[defect]
    assert (r.loaded, r.rejected) == expected


def grid(tmp: Path, fmt: str, defect: str) -> Path:
    folder = tmp / f"{fmt}-{defect.replace('_', '-')}"
    folder.mkdir()
    values = np.full((4, 5), 20.0, dtype="float32")
    values[0, 0] = -9999  # no data: not a row
    if defect == "non_numeric":
        values[1, 1] = 1e6  # out of the valid range
    crs = "EPSG:4326" if defect == "wrong_crs" else "EPSG:28992"
    origin = (4.3, 52.1) if defect == "wrong_crs" else (80000, 456000)
    size = 0.001 if defect == "wrong_crs" else 100
    name = "g_2024.tif" if fmt == "geotiff" else "g_2024.asc"
    profile = {"driver": "GTiff" if fmt == "geotiff" else "AAIGrid", "width": 5, "height": 4,
               "count": 1, "dtype": "float32", "nodata": -9999,
               "transform": from_origin(*origin, size, size)}
    if fmt == "geotiff":
        profile["crs"] = crs
    with rasterio.open(folder / name, "w", **profile) as ds:
        ds.write(values, 1)
    for aux in folder.glob("*.prj"):
        aux.unlink()  # an ASCII grid without .prj: the manifest must say the CRS
    if defect == "truncated":
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])
    source = {"crs": crs} if fmt == "asciigrid" else {}
    return manifest(folder, fmt, name.replace("2024", "{year}"),
                    {"into": "grid", "indicator": "no2_annual_mean", "valid_range": [0, 200]},
                    **source)


@pytest.mark.parametrize("defect", ["none", "wrong_crs", "non_numeric", "truncated"])
@pytest.mark.parametrize("fmt", ["geotiff", "asciigrid"])
def test_grids(loaded_db, tmp_path, fmt, defect):
    path = grid(tmp_path, fmt, defect)
    if defect in ("wrong_crs", "truncated"):
        with pytest.raises(UserError, match="EPSG:28992|truncated"):
            dry_run(loaded_db, path)
        return
    r = dry_run(loaded_db, path)
    assert r.balanced and r.read == 19  # 20 cells, one without data
    assert (r.loaded, r.rejected) == ((19, 0) if defect == "none" else (18, 1))


def test_no_crs_anywhere_is_an_error(loaded_db, tmp_path):
    path = write_vector(tmp_path, "csv_rd", "none")
    doc = yaml.safe_load(path.read_text())
    del doc["source"]["crs"]
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(UserError, match="has no CRS and the manifest declares none"):
        dry_run(loaded_db, path)


@pytest.mark.parametrize(("change", "message"), [
    ({"source": {"path": "x.csv", "format": "xls"}}, "key 'source.format': 'xls' is not one of"),
    ({"title": {"nl": "Alleen Nederlands"}}, "key 'title': 'en' is a required property"),
    ({"demo": "yes"}, "key 'demo': 'yes' is not of type 'boolean'"),
    ({"load": {"into": "features", "fields": {"v": {"type": "number"}}}},
     "key 'load.fields.v'"),
])
def test_manifest_schema_errors_name_file_and_key(tmp_path, change, message):
    path = write_vector(tmp_path, "csv_rd", "none")
    doc = yaml.safe_load(path.read_text())
    doc.update(change)
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(UserError, match=message) as err:
        read_manifest(path)
    assert str(path) in str(err.value)
