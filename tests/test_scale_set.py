"""The national scale set (`portal demo --scale nl`), made small here (8 gemeenten, 2 km
cells): nested areas in the CBS code pattern that tile the Dutch RD extent, inside the
area the loader accepts, every dataset and file labelled DEMO, and a config of its own."""

from __future__ import annotations

import re

import geopandas as gpd
import httpx
import psycopg
import pyogrio
import rasterio
import shapely
import yaml
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from portal.db.connect import drop_database
from portal.ingest.demo_national import DEN_HAAG, EXTENT, NATIONAL_INDICATORS, write_set
from portal.ingest.manifest import all_manifests
from portal.ingest.validate import RD_AREA
from tests.conftest import run_cli, running_server


def test_the_scale_set_nests_its_areas_tiles_the_extent_and_says_demo(tmp_path):
    counts = write_set(seed=7, out=tmp_path, years=[2023, 2024], gemeenten=8, cell=2000)
    assert counts["gemeente"] == 8 and counts["wijk"] >= 32 and counts["buurt"] >= 2 * counts["wijk"]
    data = tmp_path / "datasets"
    levels = {lv: gpd.read_file(data / f"nl-{name}" / f"{lv}.gpkg") for lv, name in
              (("gemeente", "gemeenten"), ("wijk", "wijken"), ("buurt", "buurten"))}
    box = shapely.box(*EXTENT)
    for lv, df in levels.items():
        assert len(df) == counts[lv]
        assert abs(df.area.sum() - box.area) < 1e-6 * box.area, lv  # no gaps, no overlaps
        xmin, ymin, xmax, ymax = df.total_bounds
        assert xmin >= RD_AREA[0] and ymin >= RD_AREA[1] and xmax <= RD_AREA[2] \
            and ymax <= RD_AREA[3], lv  # what ingest accepts as RD New
    pattern = {"gemeente": r"GM\d{4}", "wijk": r"WK\d{6}", "buurt": r"BU\d{8}"}
    for lv, df in levels.items():
        assert all(re.fullmatch(pattern[lv], c) for c in df["statcode"]), lv
    parents = {"wijk": ("gemeente", 6), "buurt": ("wijk", 8)}
    for lv, (up, n) in parents.items():
        above = levels[up].set_index("statcode").geometry
        for code, geom in zip(levels[lv]["statcode"], levels[lv].geometry, strict=True):
            parent = above["GM" + code[2:6] if up == "gemeente" else "WK" + code[2:8]]
            assert geom.difference(parent).area < 1e-3 * geom.area, code  # inside its parent
    # one noded tessellation, as CBS's: no two buurten share interior (so the cell weights
    # are one layer, weights.py), and a wijk is exactly the union of its buurten
    buurten = levels["buurt"].geometry.values
    tree = shapely.STRtree(buurten)
    pairs = tree.query(buurten, predicate="intersects")
    assert not any(shapely.relate_pattern(buurten[a], buurten[b], "2********")
                   for a, b in pairs.T if a < b)
    wijken = levels["wijk"].set_index("statcode").geometry
    for code, group in levels["buurt"].groupby(levels["buurt"]["statcode"].str[2:8]):
        assert shapely.union_all(group.geometry.values).symmetric_difference(
            wijken["WK" + code]).area < 1e-6, code
    home = levels["gemeente"].set_index("statcode").geometry["GM0518"]
    assert home.contains(shapely.Point(DEN_HAAG))  # where Den Haag lies
    manifests = all_manifests(data)
    assert {m.id for m in manifests} == {"nl-gemeenten", "nl-wijken", "nl-buurten", "nl-inwoners",
                                         "demo-no2-grid", "demo-geluid-wegverkeer",
                                         "demo-hitte-pet"}
    assert all(m.demo and "DEMO" in m.title["nl"] for m in manifests)
    with rasterio.open(data / "demo-no2-grid" / "no2_2024.tif") as ds:
        assert ds.crs.to_epsg() == 28992 and ds.res == (2000, 2000)
        assert "DEMO" in ds.tags()["demo"]
    indicators = yaml.safe_load((tmp_path / "config" / "indicators.yml").read_text())
    assert indicators["indicators"] == NATIONAL_INDICATORS


def test_the_scale_set_loads_computes_and_serves_every_level_by_configuration(tmp_path, db_url):
    """Selected by configuration only: its own database, config and datasets; every level
    gets figures (the gemeenten too) and is a collection with vector tiles."""
    counts = write_set(seed=7, out=tmp_path, years=[2023, 2024], gemeenten=8, cell=2000)
    url = make_conninfo(db_url, dbname=conninfo_to_dict(db_url)["dbname"] + "_scale")
    drop_database(url)
    env = {"DATABASE_URL": url, "OM_CONFIG_DIR": str(tmp_path / "config"),
           "OM_DATASETS_DIR": str(tmp_path / "datasets")}
    try:
        for step in (("db",), ("ingest",), ("compute",)):
            res = run_cli(*step, env=env)
            assert res.returncode == 0, f"portal {step[0]}:\n{res.stdout}\n{res.stderr}"
        with psycopg.connect(url) as conn:
            areas = dict(conn.execute(
                "SELECT level, count(*) FROM monitor.area_status"
                " WHERE indicator = 'no2_annual_mean' AND year = 2024 GROUP BY level"))
        assert areas == {lv: counts[lv] for lv in ("gemeente", "wijk", "buurt")}
        with running_server(url, "scale-set-server.log", **env) as base:
            published = {c["id"] for c in httpx.get(
                f"{base}/ogc/collections", params={"f": "json"}).json()["collections"]}
            assert {"gemeenten", "wijken", "buurten", "area-status"} <= published
            # the tile over Den Haag at zoom 8 holds gemeente GM0518, from its own collection
            tile = httpx.get(f"{base}/ogc/collections/gemeenten/tiles/WebMercatorQuad/8/84/131")
            assert tile.status_code == 200, tile.text
            (tmp_path / "gemeenten.mvt").write_bytes(tile.content)
            assert "GM0518" in set(pyogrio.read_dataframe(tmp_path / "gemeenten.mvt")["id"])
    finally:
        drop_database(url)
