"""Aggregation kinds on hand-made geometries with known answers, the city level, incremental
recompute, and a fifth theme added through a manifest and vocabulary only.

Everything runs inside a transaction that is rolled back, on the session's loaded database.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml
from psycopg.rows import dict_row
from rasterio.crs import CRS
from rasterio.transform import from_origin

from portal.indicators.compute import (
    GRID_AGG,
    area_signature,
    compute,
    compute_grid,
    compute_indicator,
    derive_city,
    ensure_weights,
)
from portal.indicators.methods import Method, load_methods
from portal.ingest.load import load
from portal.ingest.manifest import all_manifests, read_manifest
from portal.settings import DATASETS_DIR, get_settings
from portal.vocabulary import triplestore
from portal.vocabulary.graph import VOCAB_DIR

# The test buurt: a 100 m × 100 m square (1 ha) in The Hague.
X0, Y0 = 80000.0, 455000.0
SQUARE = f"POLYGON(({X0} {Y0}, {X0 + 100} {Y0}, {X0 + 100} {Y0 + 100}, {X0} {Y0 + 100}, {X0} {Y0}))"


def _rect(x0, y0, x1, y1) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _manifest(folder: Path, ident: str, features: list[dict], geometry: str,
              fields: dict) -> Path:
    """A features dataset: a GeoJSON file and its manifest, nothing else."""
    d = folder / ident
    d.mkdir(parents=True)
    (d / "data.geojson").write_text(json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features]}))
    (d / "dataset.yml").write_text(yaml.safe_dump({
        "id": ident, "title": {"nl": ident, "en": ident},
        "description": {"nl": "testgegevens", "en": "test data"},
        "publisher": "test", "attribution": "test", "license": "CC0-1.0",
        "source_url": "https://example.org/", "access": "staff", "demo": True,
        "source": {"path": "data.geojson", "format": "geojson", "crs": "EPSG:28992"},
        "load": {"into": "features", "geometry": geometry, "fields": fields}}))
    return d / "dataset.yml"


@pytest.fixture()
def square(conn):
    """Only the test buurt exists (rolled back afterwards)."""
    with conn.transaction(force_rollback=True):
        conn.execute("DELETE FROM monitor.area")
        vid = conn.execute(
            "INSERT INTO monitor.dataset_version (dataset, version, checksum, source, demo,"
            " rows_read, rows_loaded, code_version) VALUES ('t-areas', 1, 'x', 'x', true, 1, 1,"
            " 'test') RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO monitor.area (code, level, name, dataset_version_id, geom)"
                     " VALUES ('BU_TEST', 'buurt', 'Testbuurt', %s,"
                     " ST_Multi(ST_GeomFromText(%s, 28992)))", (vid, SQUARE))
        yield conn


def _value(conn, indicator: str, year: int = 2020) -> float:
    row = conn.execute("SELECT value FROM monitor.indicator_value WHERE area_code = 'BU_TEST'"
                       " AND indicator = %s AND year = %s", (indicator, year)).fetchone()
    assert row is not None, f"no value for {indicator} {year}"
    return row[0]


def _versions(conn) -> dict[str, int]:
    return dict(conn.execute(
        "SELECT dataset, id FROM monitor.dataset_version WHERE is_current").fetchall())


# --- grid kinds: a 2 × 2 grid of 50 m cells over the square, shifted so that the left column
# is half inside: weights 1250, 2500 / 1250, 2500 m²; values 10, 20 / 40, no data.

@pytest.fixture()
def grid(square):
    conn = square
    vid = conn.execute(
        "INSERT INTO monitor.dataset_version (dataset, version, checksum, source, demo,"
        " rows_read, rows_loaded, code_version) VALUES ('t-grid', 1, 'x', 'x', true, 3, 3,"
        " 'test') RETURNING id").fetchone()[0]
    gid = conn.execute(
        "INSERT INTO monitor.grid (dataset_version_id, indicator, x_min, y_max, cell_size,"
        " ncols, nrows) VALUES (%s, 'no2_annual_mean', %s, %s, 50, 2, 2) RETURNING id",
        (vid, X0 - 25, Y0 + 100)).fetchone()[0]
    conn.execute("INSERT INTO monitor.grid_band (grid_id, year, vals) VALUES (%s, 2020,"
                 " '{10,20,40,NULL}')", (gid,))
    # the square only covers the rows y0..y0+100, i.e. both rows of cells
    weights = ensure_weights(conn, {"t-grid"}, area_signature(conn))
    return conn, weights


@pytest.mark.parametrize(("kind", "params", "expected"), [
    ("grid_mean", {}, (10 * 1250 + 20 * 2500 + 40 * 1250) / 5000),  # 22.5
    ("grid_max", {}, 40.0),
    ("grid_share_above", {"threshold": 15}, 100 * 3750 / 5000),  # 75 %
])
def test_grid_kinds(grid, kind, params, expected):
    conn, weights = grid
    weights_rows = conn.execute("SELECT cell, weight FROM monitor.area_cell_weight"
                                " WHERE grid_id = %s ORDER BY cell", (weights["t-grid"],)).fetchall()
    assert weights_rows == [(0, 1250.0), (1, 2500.0), (2, 1250.0), (3, 2500.0)]
    assert kind in GRID_AGG
    compute_grid(conn, [Method("no2_annual_mean", kind, "t-grid", params, "lower")],
                 _versions(conn), weights)
    assert _value(conn, "no2_annual_mean") == pytest.approx(expected)


def test_share_above_takes_its_threshold_from_the_norm(grid):
    conn, weights = grid
    # the EU limit value of 40 µg/m³: no cell is above it, 40 itself is not "above"
    compute_grid(conn, [Method("no2_annual_mean", "grid_share_above", "t-grid",
                               {"threshold_norm": "eu-2008-50-no2-jaar"}, "lower")],
                 _versions(conn), weights)
    assert _value(conn, "no2_annual_mean") == pytest.approx(0.0)


def test_a_new_year_costs_one_band_and_a_changed_band_is_computed_again(grid):
    conn, weights = grid
    gid = weights["t-grid"]
    conn.execute("UPDATE monitor.grid_band SET digest = 'band-2020' WHERE grid_id = %s", (gid,))
    conn.execute("INSERT INTO monitor.grid_band (grid_id, year, vals, digest)"
                 " VALUES (%s, 2021, '{20,20,20,20}', 'band-2021')", (gid,))
    methods = [Method("no2_annual_mean", "grid_mean", "t-grid", {}, "lower"),
               Method("pm10_annual_mean", "grid_max", "t-grid", {}, "lower")]
    assert compute_grid(conn, methods, _versions(conn), weights) == (2, 0)
    assert compute_grid(conn, methods, _versions(conn), weights) == (0, 2)  # nothing new
    conn.execute("INSERT INTO monitor.grid_band (grid_id, year, vals, digest)"
                 " VALUES (%s, 2022, '{30,30,NULL,30}', 'band-2022')", (gid,))
    assert compute_grid(conn, methods, _versions(conn), weights) == (1, 2)  # only 2022
    assert _value(conn, "no2_annual_mean", 2020) == pytest.approx(22.5)  # kept as it was
    assert _value(conn, "no2_annual_mean", 2022) == pytest.approx(30.0)
    assert _value(conn, "pm10_annual_mean", 2021) == pytest.approx(20.0)
    # a band whose cells changed is computed again, whatever the year
    conn.execute("UPDATE monitor.grid_band SET vals = '{0,0,0,0}', digest = 'band-2020b'"
                 " WHERE grid_id = %s AND year = 2020", (gid,))
    assert compute_grid(conn, methods, _versions(conn), weights) == (1, 2)
    assert _value(conn, "no2_annual_mean", 2020) == pytest.approx(0.0)
    # another method for the same grid is another figure: every year again
    other = [Method("no2_annual_mean", "grid_share_above", "t-grid", {"threshold": 5}, "lower"),
             methods[1]]
    assert compute_grid(conn, other, _versions(conn), weights) == (3, 0)
    assert compute_grid(conn, other, _versions(conn), weights, reuse=False) == (3, 0)
    # a year that left the grid leaves the figures
    conn.execute("DELETE FROM monitor.grid_band WHERE grid_id = %s AND year = 2021", (gid,))
    compute_grid(conn, other, _versions(conn), weights)
    assert conn.execute("SELECT DISTINCT year FROM monitor.indicator_value"
                        " WHERE indicator = 'pm10_annual_mean' ORDER BY 1").fetchall() == [
        (2020,), (2022,)]


# --- vector kinds, each from a manifest loaded like any dataset

def _load(conn, path: Path):
    m = read_manifest(path)
    load(conn, m)
    return m


def test_coverage_share_half_covered_is_50_percent(square, tmp_path):
    conn = square
    m = _load(conn, _manifest(tmp_path, "t-kronen", [
        ({"jaar": 2020}, _rect(X0 - 20, Y0 - 20, X0 + 50, Y0 + 120)),  # left half (and beyond)
        ({"jaar": 2020}, _rect(X0 + 10, Y0 + 10, X0 + 40, Y0 + 40)),  # overlaps: counts once
    ], "polygon", {"jaar": {"source": "jaar", "type": "year"}}))
    compute_indicator(conn, Method("tree_canopy_cover", "coverage_share", m.id, {}, "higher"),
                      {m.id: m}, _versions(conn))
    assert _value(conn, "tree_canopy_cover") == pytest.approx(50.0)


def test_distance_share_within_n_metres(square, tmp_path):
    conn = square
    # a park 100 m west of the square's centre line: within 100 m of it lies the left half
    m = _load(conn, _manifest(tmp_path, "t-park", [
        ({"jaar": 2020}, _rect(X0 - 150, Y0 - 200, X0 - 50, Y0 + 300)),
    ], "polygon", {"jaar": {"source": "jaar", "type": "year"}}))
    compute_indicator(conn, Method("park_within_300m_share", "distance_share", m.id,
                                   {"distance": 100}, "higher"), {m.id: m}, _versions(conn))
    assert _value(conn, "park_within_300m_share") == pytest.approx(50.0)


def _points(tmp_path) -> Path:
    pt = lambda x, y: {"type": "Point", "coordinates": [x, y]}
    return _manifest(tmp_path, "t-punten", [
        ({"jaar": 2020, "waarde": 10}, pt(X0 + 10, Y0 + 10)),
        ({"jaar": 2020, "waarde": 20}, pt(X0 + 60, Y0 + 60)),
        ({"jaar": 2020, "waarde": 30}, pt(X0 + 90, Y0 + 20)),
        ({"jaar": 2020, "waarde": 1000}, pt(X0 + 500, Y0 + 500)),  # outside: ignored
        ({"jaar": 2021, "waarde": 5}, pt(X0 + 50, Y0 + 50)),
    ], "point", {"jaar": {"source": "jaar", "type": "year"},
                 "waarde": {"source": "waarde", "type": "number"}})


def test_point_density_per_hectare(square, tmp_path):
    conn = square
    m = _load(conn, _points(tmp_path))
    compute_indicator(conn, Method("tree_density", "point_density", m.id, {}, "higher"),
                      {m.id: m}, _versions(conn))
    assert _value(conn, "tree_density", 2020) == pytest.approx(3.0)  # 3 trees in 1 ha
    assert _value(conn, "tree_density", 2021) == pytest.approx(1.0)


def test_point_mean_of_a_field(square, tmp_path):
    conn = square
    m = _load(conn, _points(tmp_path))
    compute_indicator(conn, Method("no2_annual_mean", "point_mean", m.id, {"field": "waarde"},
                                   "lower"), {m.id: m}, _versions(conn))
    assert _value(conn, "no2_annual_mean", 2020) == pytest.approx(20.0)


def test_area_per_capita(square, tmp_path):
    conn = square
    parks = _load(conn, _manifest(tmp_path, "t-groen", [
        ({"jaar": 2020}, _rect(X0, Y0, X0 + 50, Y0 + 100)),  # 5000 m² inside
        ({"jaar": 2020}, _rect(X0 + 200, Y0, X0 + 300, Y0 + 100)),  # outside
    ], "polygon", {"jaar": {"source": "jaar", "type": "year"}}))
    people = _load(conn, _manifest(tmp_path, "t-inwoners", [
        ({"jaar": 2020, "inwoners": 250}, {"type": "Point", "coordinates": [X0 + 50, Y0 + 50]}),
        ({"jaar": 2019, "inwoners": 999}, {"type": "Point", "coordinates": [X0 + 50, Y0 + 50]}),
    ], "point", {"jaar": {"source": "jaar", "type": "year"},
                 "inwoners": {"source": "inwoners", "type": "integer"}}))
    compute_indicator(conn, Method("public_green_per_inhabitant", "area_per_capita", parks.id,
                                   {"population": {"dataset": people.id, "field": "inwoners"}},
                                   "higher"),
                      {parks.id: parks, people.id: people}, _versions(conn))
    assert _value(conn, "public_green_per_inhabitant", 2020) == pytest.approx(20.0)  # 5000/250
    assert conn.execute("SELECT count(*) FROM monitor.indicator_value WHERE area_code ="
                        " 'BU_TEST' AND year = 2019").fetchone()[0] == 0  # no green that year


# --- the shipped configuration and data

def test_every_configured_indicator_has_values_for_city_wijk_and_buurt(conn):
    rows = dict(conn.execute(
        "SELECT indicator, array_agg(DISTINCT level ORDER BY level) FROM monitor.area_status"
        " GROUP BY indicator").fetchall())
    methods = load_methods(None, all_manifests(), set(rows) | {"x"})
    assert {m.indicator for m in methods} <= set(rows)
    assert all(levels == ["buurt", "gemeente", "wijk"] for levels in rows.values()), rows
    themes = {t for (t,) in conn.execute("SELECT DISTINCT theme_label_en FROM monitor.area_status")}
    assert {"Air quality", "Noise", "Green space", "Heat"} <= themes


def test_city_is_the_union_of_the_wijken(conn):
    city, wijken = conn.execute(
        "SELECT (SELECT ST_Area(geom) FROM monitor.area WHERE level = 'gemeente'),"
        " (SELECT sum(ST_Area(geom)) FROM monitor.area WHERE level = 'wijk')").fetchone()
    assert city == pytest.approx(wijken, rel=1e-9)
    # the city mean is the area-weighted mean of the wijk means
    for year in (2015, 2025):
        direct, via = conn.execute(
            "SELECT (SELECT value FROM monitor.indicator_value v JOIN monitor.area a"
            "   ON a.code = v.area_code WHERE a.level = 'gemeente' AND indicator ="
            "   'no2_annual_mean' AND year = %(y)s),"
            " (SELECT sum(v.value * ST_Area(a.geom)) / sum(ST_Area(a.geom))"
            "   FROM monitor.indicator_value v JOIN monitor.area a ON a.code = v.area_code"
            "   WHERE a.level = 'wijk' AND indicator = 'no2_annual_mean' AND year = %(y)s)",
            {"y": year}).fetchone()
        assert direct == pytest.approx(via, rel=1e-3)


def test_gemeenten_loaded_as_a_dataset_stay_beside_the_city_row(conn):
    """The national set loads 342 gemeenten of its own: building the city row must not
    remove them (it did: only GM0518 was left), and a loaded city row is not built twice."""
    city = get_settings().city
    with conn.transaction(force_rollback=True):
        vid = conn.execute(
            "INSERT INTO monitor.dataset_version (dataset, version, checksum, source, demo,"
            " rows_read, rows_loaded, code_version) VALUES ('t-gemeenten', 1, 'x', 'x', true,"
            " 1, 1, 'test') RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO monitor.area (code, level, name, dataset_version_id, geom)"
                     " VALUES ('GM0599', 'gemeente', 'Elders', %s,"
                     " ST_Multi(ST_GeomFromText(%s, 28992)))", (vid, SQUARE))
        derive_city(conn, city)
        rows = conn.execute("SELECT code FROM monitor.area WHERE level = 'gemeente'"
                            " ORDER BY code").fetchall()
        assert rows == [(city.code,), ("GM0599",)]
        # the city's own row loaded with the others: it is the one, none is derived
        conn.execute("DELETE FROM monitor.area WHERE code = %s", (city.code,))
        conn.execute("UPDATE monitor.area SET code = %s WHERE code = 'GM0599'", (city.code,))
        derive_city(conn, city)
        assert conn.execute("SELECT count(*), min(dataset_version_id) FROM monitor.area"
                            " WHERE level = 'gemeente'").fetchone() == (1, vid)


def test_open_norms_are_shown_with_their_text_and_do_not_set_the_status(conn):
    row = conn.execute(
        "SELECT status, open_norms, open_norm_iris FROM monitor.area_status"
        " WHERE indicator = 'pet_afternoon' AND level = 'gemeente' ORDER BY year DESC"
        " LIMIT 1").fetchone()
    status, text, iris = row
    assert status == "no_norm"
    assert "PET" in text and "hittestress" in text
    assert iris.endswith("/id/norm/pet-hittestress-klassen")


def test_status_against_every_norm_valid_that_year(conn):
    # NO2 in 2025: the EU limit value 40 (binding) and the WHO guideline 10 both apply
    norms = conn.execute(
        "SELECT norms FROM monitor.area_status WHERE indicator = 'no2_annual_mean'"
        " AND level = 'gemeente' AND year = 2025").fetchone()[0].split()
    assert {n.rsplit("/", 1)[1] for n in norms} == {"eu-2008-50-no2-jaar", "who-2021-no2-jaar"}


# --- incremental recompute and a fifth theme

def test_a_new_dataset_version_recomputes_only_its_indicators(conn, tmp_path, caplog):
    folder = tmp_path / "demo-parken"
    shutil.copytree(DATASETS_DIR / "demo-parken", folder)
    src = DATASETS_DIR / "generated" / "green" / "parken.geojson"
    doc = json.loads(src.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][1:]  # one park less
    (tmp_path / "generated" / "green").mkdir(parents=True)
    (tmp_path / "generated" / "green" / "parken.geojson").write_text(json.dumps(doc))
    settings = get_settings()
    with conn.transaction(force_rollback=True):
        first = compute(conn, settings.attention_margin_fraction)
        assert first.computed == []  # nothing changed since the session's compute
        stores = tmp_path / "stores"
        build_store_of(conn, stores / "v1")
        load(conn, read_manifest(folder / "dataset.yml"))
        report = compute(conn, settings.attention_margin_fraction)
        assert sorted(report.computed) == ["park_within_300m_share",
                                           "public_green_per_inhabitant"]
        assert "no2_annual_mean" in report.skipped
        # status, trends and the read model were redone for those two only …
        assert report.scope == ["park_within_300m_share", "public_green_per_inhabitant"]
        incremental = derived_tables(conn)
        # the SPARQL store replaces the observations of those two in a copy of the store
        # before, and holds the results a store built anew holds
        with caplog.at_level(logging.INFO, logger="portal.triplestore"):
            build_store_of(conn, stores / "v2")
        built = [r.results for r in caplog.records if r.msg == "SPARQL store built"]
        assert len(built) == 1 and built[0].endswith(
            "triples of park_within_300m_share, public_green_per_inhabitant replaced")
        build_store_of(conn, tmp_path / "anew" / "v2")
        assert results_in(stores / "v2") == results_in(tmp_path / "anew" / "v2")
        # … and say what a full compute says, row for row
        assert compute(conn, settings.attention_margin_fraction, full=True).scope is None
        full = derived_tables(conn)
        for table, rows in full.items():
            assert incremental[table] == rows, table


def build_store_of(conn, path: Path) -> None:
    """The SPARQL store of what `conn` sees (its transaction included) at `path`."""
    factory, conn.row_factory = conn.row_factory, dict_row
    try:
        triplestore.build_store(conn, path)
    finally:
        conn.row_factory = factory


def results_in(path: Path) -> set[tuple[str, str, str]]:
    """Every triple of a store's results (default graph), as text."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(path))
    return {(str(q.subject), str(q.predicate), str(q.object))
            for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}


DERIVED = ("indicator_value", "norm_assessment", "indicator_trend", "goal_progress",
           "area_status", "area_trends", "area_goal_progress", "status_summary")


def derived_tables(conn) -> dict[str, set[str]]:
    """Every row compute derives (geometries as their WKB), for comparing two computes."""
    return {t: {r[0] for r in conn.execute(
        f"SELECT (to_jsonb(t) - 'geom') || jsonb_build_object('wkb', md5(ST_AsBinary(t.geom)))"
        f"::text FROM monitor.{t} t" if t.startswith(("area_", "status_"))
        and t != "status_summary" else f"SELECT to_jsonb(t)::text FROM monitor.{t} t")}
        for t in DERIVED}


FIFTH_THEME = """
@prefix om: <https://omgevingsmonitor.denhaag.nl/def/> .
@prefix norm: <https://omgevingsmonitor.denhaag.nl/id/norm/> .
@prefix normkind: <https://omgevingsmonitor.denhaag.nl/id/normkind/> .
@prefix indicator: <https://omgevingsmonitor.denhaag.nl/id/indicator/> .
@prefix theme: <https://omgevingsmonitor.denhaag.nl/id/theme/> .
@prefix scheme: <https://omgevingsmonitor.denhaag.nl/id/scheme/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix sosa: <http://www.w3.org/ns/sosa/> .
@prefix qudt: <http://qudt.org/schema/qudt/> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

scheme:themes skos:hasTopConcept theme:bodemdaling .
theme:bodemdaling a skos:Concept , om:Theme ;
    skos:prefLabel "Bodemdaling"@nl , "Subsidence"@en ;
    skos:definition "Daling van het maaiveld."@nl , "Lowering of the ground surface."@en ;
    skos:notation "bodemdaling" ; om:order 10 ;
    skos:inScheme scheme:themes ; skos:topConceptOf scheme:themes .
scheme:indicators skos:hasTopConcept indicator:subsidence_rate .
indicator:subsidence_rate a skos:Concept , sosa:ObservableProperty , om:Indicator ;
    skos:prefLabel "Bodemdaling per jaar"@nl , "Subsidence per year"@en ;
    skos:definition "De daling van het maaiveld in millimeter per jaar."@nl ,
        "The lowering of the ground surface in millimetres per year."@en ;
    skos:notation "subsidence_rate" ; om:code "subsidence_rate" ; om:theme theme:bodemdaling ;
    qudt:hasUnit unit:MilliM ; om:unitSymbol "mm/jaar" ;
    skos:inScheme scheme:indicators ; skos:topConceptOf scheme:indicators .
norm:test-bodemdaling a om:Norm ;
    skos:prefLabel "Testnorm bodemdaling"@nl , "Test norm subsidence"@en ;
    skos:definition "Een testnorm."@nl , "A test norm."@en ;
    om:normKind normkind:grenswaarde ; om:appliesTo indicator:subsidence_rate ;
    om:threshold [ a qudt:QuantityValue ; qudt:numericValue "5"^^xsd:decimal ;
                   qudt:hasUnit unit:MilliM ] ;
    om:comparator om:lessThanOrEqual ; dct:source <https://example.org/> ;
    om:legalCitation "Test"@nl , "Test"@en ; om:validFrom "2000-01-01"^^xsd:date ;
    om:verified true .
"""


def test_a_fifth_theme_needs_only_a_manifest_and_vocabulary(conn, tmp_path):
    vocab = tmp_path / "vocab"
    shutil.copytree(VOCAB_DIR, vocab)
    (vocab / "bodemdaling.ttl").write_text(FIFTH_THEME, encoding="utf-8")
    folder = tmp_path / "bodemdaling"
    folder.mkdir()
    for year in (2022, 2023, 2024):  # 250 m cells over the city, sinking faster eastwards
        xs = np.arange(60)
        values = np.tile(1.0 + xs * 0.12 + (year - 2022) * 0.3, (52, 1)).astype("float32")
        with rasterio.open(folder / f"daling_{year}.tif", "w", driver="GTiff", width=60,
                           height=52, count=1, dtype="float32", crs=CRS.from_epsg(28992),
                           transform=from_origin(73250, 460750, 250, 250)) as dst:
            dst.write(values, 1)
    (folder / "dataset.yml").write_text(yaml.safe_dump({
        "id": "bodemdaling", "title": {"nl": "Bodemdaling", "en": "Subsidence"},
        "description": {"nl": "testgegevens", "en": "test data"}, "publisher": "test",
        "attribution": "test", "license": "CC0-1.0", "source_url": "https://example.org/",
        "theme": "bodemdaling", "access": "public", "demo": True,
        "source": {"path": "daling_{year}.tif", "format": "geotiff", "crs": "EPSG:28992"},
        "load": {"into": "grid", "indicator": "subsidence_rate"}}))
    manifest = read_manifest(folder / "dataset.yml")
    with conn.transaction(force_rollback=True):
        load(conn, manifest)
        report = compute(conn, get_settings().attention_margin_fraction, vocab_dir=vocab,
                         manifests=[*all_manifests(), manifest])
        assert report.computed == ["subsidence_rate"]  # the rest was unchanged
        assert report.scope is None  # a new norm and theme: every status is looked at again
        rows = conn.execute(
            "SELECT level, count(*), count(DISTINCT year), array_agg(DISTINCT status),"
            " min(theme_label_en) FROM monitor.area_status WHERE indicator = 'subsidence_rate'"
            " GROUP BY level ORDER BY level").fetchall()
        assert [(r[0], r[1], r[2]) for r in rows] == [
            ("buurt", 114 * 3, 3), ("gemeente", 3, 3), ("wijk", 44 * 3, 3)]
        statuses = set().union(*(r[3] for r in rows))
        assert statuses <= {"good", "attention", "exceeds"} and "exceeds" in statuses
        assert {r[4] for r in rows} == {"Subsidence"}
        trend = conn.execute("SELECT direction FROM monitor.area_trends WHERE indicator ="
                             " 'subsidence_rate' AND level = 'gemeente'").fetchone()[0]
        assert trend == "worsening"
