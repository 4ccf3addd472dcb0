"""The NO2 demo generator must be reproducible and plausible, or demos and tests drift."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely

from portal.ingest.demo import generate_no2

REPO = Path(__file__).resolve().parents[1]
BUURTEN = REPO / "datasets" / "cbs-buurten-2024" / "buurten_2024_gm0518_rd.geojson"
STATIONS = REPO / "datasets" / "lml-stations" / "lml_stations_denhaag_2013.csv"
YEARS = range(2015, 2026)



def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[list[Path], list[Path]]:
    first = generate_no2(tmp_path_factory.mktemp("a"), BUURTEN, STATIONS, seed=518, years=YEARS)
    second = generate_no2(tmp_path_factory.mktemp("b"), BUURTEN, STATIONS, seed=518, years=YEARS)
    return first, second


@pytest.fixture(scope="module")
def out(runs) -> Path:
    return runs[0][0].parent


def test_writes_expected_files(runs, out):
    expected = {f"no2_{y}.tif" for y in YEARS} | {
        "luchtmeetnet_stations.json", "luchtmeetnet_no2_annual.json", "DEMO.md"}
    assert {p.name for p in runs[0]} == expected
    assert {p.name for p in out.iterdir()} == expected  # no stray .aux.xml side files
    assert "seed 518" in (out / "DEMO.md").read_text(encoding="utf-8")


def test_same_seed_gives_identical_bytes(runs):
    first, second = runs
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert _sha256(a) == _sha256(b), a.name


def test_other_seed_differs(tmp_path):
    paths = generate_no2(tmp_path, BUURTEN, STATIONS, seed=1, years=range(2015, 2016))
    default = generate_no2(tmp_path / "d", BUURTEN, STATIONS, years=range(2015, 2016))
    assert _sha256(paths[0]) != _sha256(default[0])


def test_grids_cover_city_with_plausible_values(out):
    doc = json.loads(BUURTEN.read_text(encoding="utf-8"))
    buurt_bounds = [shapely.geometry.shape(f["geometry"]).bounds for f in doc["features"]]
    means = {}
    for year in YEARS:
        with rasterio.open(out / f"no2_{year}.tif") as ds:
            assert ds.crs.to_epsg() == 28992
            assert ds.res == (25.0, 25.0)
            assert ds.dtypes[0] == "float32" and ds.nodata == -9999
            assert ds.compression.name.lower() == "deflate"
            tags = ds.tags()
            assert tags["DEMO"] == "true" and tags["UNIT"] == "ug/m3"
            assert tags["YEAR"] == str(year) and "not measured" in tags["SOURCE"]
            assert ds.descriptions[0]
            left, bottom, right, top = ds.bounds
            for minx, miny, maxx, maxy in buurt_bounds:
                assert left <= minx and bottom <= miny and maxx <= right and maxy <= top
            values = ds.read(1)
        assert np.all((values >= 10) & (values <= 50)), year
        means[year] = float(values.mean())
    assert means[2025] < means[2015]
    assert all(means[y + 1] < means[y] for y in YEARS[:-1])


def test_hot_spots_and_trend_magnitude(out):
    with rasterio.open(out / "no2_2015.tif") as ds:
        first = ds.read(1)
    with rasterio.open(out / "no2_2025.tif") as ds:
        last = ds.read(1)
    assert 38 <= first.max() <= 46
    assert 27 <= last.max() <= 34


def test_stations_json(out):
    stations = json.loads((out / "luchtmeetnet_stations.json").read_text(encoding="utf-8"))
    assert stations["pagination"]["last_page"] == 1
    numbers = [s["number"] for s in stations["data"]]
    assert numbers == ["NL10404", "NL10445", "NL10446", "NL10450"]
    for s in stations["data"]:
        lon, lat = s["geometry"]["coordinates"]
        assert s["geometry"]["type"] == "point"
        assert 4.2 < lon < 4.45 and 52.0 < lat < 52.15
        assert "NO2" in s["components"]
    rebecque = next(s for s in stations["data"] if s["number"] == "NL10404")
    assert rebecque["geometry"]["coordinates"] == [4.28917217, 52.07805634]  # real position


def test_annual_json(out):
    annual = json.loads((out / "luchtmeetnet_no2_annual.json").read_text(encoding="utf-8"))
    rows = annual["data"]
    assert len(rows) == 4 * len(YEARS)
    by_station = defaultdict(dict)
    for r in rows:
        assert r["formula"] == "NO2" and r["averaging_period"] == "P1Y"
        assert r["value"] == round(r["value"], 1)
        by_station[r["station_number"]][r["timestamp_measured"][:4]] = r["value"]
    assert set(by_station) == {"NL10404", "NL10445", "NL10446", "NL10450"}
    assert all(len(v) == len(YEARS) for v in by_station.values())
    means = {k: np.mean(list(v.values())) for k, v in by_station.items()}
    assert means["NL10450"] > means["NL10404"]  # traffic above urban background
    assert max(means, key=means.get) == "NL10450"
    assert by_station["NL10450"]["2025"] < by_station["NL10450"]["2015"]


def test_station_values_follow_grid(out):
    """Annual values are the grid at the station plus small noise, not free inventions."""
    from pyproj import Transformer

    stations = json.loads((out / "luchtmeetnet_stations.json").read_text(encoding="utf-8"))
    annual = json.loads((out / "luchtmeetnet_no2_annual.json").read_text(encoding="utf-8"))
    to_rd = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    with rasterio.open(out / "no2_2020.tif") as ds:
        for s in stations["data"]:
            x, y = to_rd.transform(*s["geometry"]["coordinates"])
            grid = float(next(ds.sample([(x, y)]))[0])
            value = next(r["value"] for r in annual["data"]
                         if r["station_number"] == s["number"]
                         and r["timestamp_measured"].startswith("2020"))
            assert abs(value - grid) < 3
