"""Coverage weights as cell labels: exact against a brute-force intersection of every cell.

Awkward shapes on purpose: a buurt with a hole, a vertex on a cell centre and edges on cell
edges; a buurt in two parts; a buurt overlapping another (a second layer); a wijk that is
the union of two buurten (summed from its parts) and one that is not (its own layer).
Everything runs in a transaction that is rolled back.
"""

from __future__ import annotations

import numpy as np
import psycopg
import pytest

from portal.indicators.compute import compute_grid
from portal.indicators.methods import Method
from portal.indicators.weights import ensure_weights, plan_layers

X0, Y0 = 80000.0, 455000.0
CELL, NCOLS, NROWS = 25.0, 12, 11
GRID_X, GRID_Y = X0 - 17.5, Y0 + 212.5  # cell centres fall on X0 + 20 + 25k, Y0 + 200 - 25k


def _wkt(rings: list[list[tuple[float, float]]]) -> str:
    return "POLYGON(" + ",".join(
        "(" + ",".join(f"{X0 + x} {Y0 + y}" for x, y in ring) + ")" for ring in rings) + ")"


AREAS = {  # code: (level, [polygons])
    # a hole; the apex (70, 100) is a cell centre; x = 132.5 and y = -12.5 are cell edges
    "BU_A": ("buurt", [[[(0, -12.5), (132.5, -12.5), (132.5, 90), (70, 100), (0, 90), (0, -12.5)],
                        [(20, 20), (60, 20), (60, 50), (20, 50), (20, 20)]]]),
    "BU_B": ("buurt", [[[(132.5, -12.5), (200, -12.5), (200, 90), (132.5, 90), (132.5, -12.5)]],
                       [[(150, 150), (190, 150), (170, 190), (150, 150)]]]),
    "BU_C": ("buurt", [[[(100, 60), (160, 60), (160, 130), (100, 130), (100, 60)]]]),  # overlaps
    "WK_1": ("wijk", None),  # = BU_A ∪ BU_B
    "WK_2": ("wijk", [[[(-30, -10), (250, -10), (230, 40), (-30, 40), (-30, -10)]]]),
}


@pytest.fixture()
def areas(db_url):
    with psycopg.connect(db_url) as conn, conn.transaction(force_rollback=True):
        conn.execute("DELETE FROM monitor.area")
        vid = conn.execute(
            "INSERT INTO monitor.dataset_version (dataset, version, checksum, source, demo,"
            " rows_read, rows_loaded, code_version) VALUES ('t-areas', 1, 'x', 'x', true, 1, 1,"
            " 'test') RETURNING id").fetchone()[0]
        for code, (level, polygons) in AREAS.items():
            if polygons is None:
                geom = ("(SELECT ST_Multi(ST_Union(geom)) FROM monitor.area"
                        " WHERE code IN ('BU_A', 'BU_B'))")
                params = (code, level, vid)
            else:
                geom = "ST_Multi(ST_Collect(ARRAY(SELECT ST_GeomFromText(w, 28992)"
                geom += " FROM unnest(%s::text[]) AS w)))"
                params = (code, level, vid, [_wkt(p) for p in polygons])
            conn.execute("INSERT INTO monitor.area (code, level, name, dataset_version_id, geom)"
                         f" VALUES (%s, %s, 'test', %s, {geom})", params)
        gvid = conn.execute(
            "INSERT INTO monitor.dataset_version (dataset, version, checksum, source, demo,"
            " rows_read, rows_loaded, code_version) VALUES ('t-grid', 1, 'x', 'x', true, 1, 1,"
            " 'test') RETURNING id").fetchone()[0]
        gid = conn.execute(
            "INSERT INTO monitor.grid (dataset_version_id, indicator, x_min, y_max, cell_size,"
            " ncols, nrows) VALUES (%s, 'no2_annual_mean', %s, %s, %s, %s, %s) RETURNING id",
            (gvid, GRID_X, GRID_Y, CELL, NCOLS, NROWS)).fetchone()[0]
        values = np.random.default_rng(7).uniform(10, 50, NCOLS * NROWS).round(2).tolist()
        values[5] = None  # a cell without data
        conn.execute("INSERT INTO monitor.grid_band (grid_id, year, vals) VALUES (%s, 2020, %s)",
                     (gid, values))
        yield conn, gid, values


def _brute_force(conn, gid: int) -> dict[tuple[str, int], float]:
    """m² of every cell in every area, by intersecting each cell with each area."""
    return {(code, cell): w for code, cell, w in conn.execute(
        "SELECT a.code, r * g.ncols + c, ST_Area(ST_Intersection(a.geom, ST_MakeEnvelope("
        "   g.x_min + c * g.cell_size, g.y_max - (r + 1) * g.cell_size,"
        "   g.x_min + (c + 1) * g.cell_size, g.y_max - r * g.cell_size, 28992)))"
        " FROM monitor.grid g, monitor.area a, generate_series(0, g.nrows - 1) r,"
        "      generate_series(0, g.ncols - 1) c WHERE g.id = %s", (gid,)) if w > 1e-9}


def test_layers_keep_overlapping_areas_apart_and_derive_unions(areas):
    conn, _, _ = areas
    plan = plan_layers(conn)
    assert plan.layers == [["BU_A", "BU_B"], ["BU_C"], ["WK_2"]]
    assert plan.parts == {"WK_1": ["BU_A", "BU_B"]}


def test_weights_equal_the_intersection_of_every_cell(areas):
    conn, gid, _ = areas
    weights = ensure_weights(conn, {"t-grid"}, "test-areas")
    assert weights == {"t-grid": gid}
    got = {(code, cell): w for code, cell, w in conn.execute(
        "SELECT area_code, cell, weight FROM monitor.area_cell_weight WHERE grid_id = %s",
        (gid,))}
    expected = _brute_force(conn, gid)
    assert got.keys() == expected.keys()
    for key, w in expected.items():
        assert got[key] == pytest.approx(w, abs=1e-6), key


def test_grid_mean_max_and_share_match_a_hand_sum(areas):
    conn, gid, values = areas
    weights = ensure_weights(conn, {"t-grid"}, "test-areas")
    versions = dict(conn.execute("SELECT dataset, id FROM monitor.dataset_version"))
    compute_grid(conn, [Method("no2_annual_mean", "grid_mean", "t-grid", {}, "lower"),
                        Method("pm10_annual_mean", "grid_max", "t-grid", {}, "lower"),
                        Method("pet_share_above_35", "grid_share_above", "t-grid",
                               {"threshold": 35}, "lower")], versions, weights)
    got = {(a, i): v for a, i, v in conn.execute(
        "SELECT area_code, indicator, value FROM monitor.indicator_value WHERE year = 2020"
        " AND indicator IN ('no2_annual_mean', 'pm10_annual_mean', 'pet_share_above_35')")}
    per_area: dict[str, list[tuple[float, float]]] = {}
    for (code, cell), w in _brute_force(conn, gid).items():
        if values[cell] is not None:
            per_area.setdefault(code, []).append((w, values[cell]))
    assert {a for a, _ in got} == set(per_area) == set(AREAS)
    for code, pairs in per_area.items():
        w = np.array([p[0] for p in pairs])
        v = np.array([p[1] for p in pairs])
        assert got[(code, "no2_annual_mean")] == pytest.approx((w * v).sum() / w.sum())
        assert got[(code, "pm10_annual_mean")] == pytest.approx(v.max(), abs=1e-4)
        assert got[(code, "pet_share_above_35")] == pytest.approx(
            100 * w[v > 35].sum() / w.sum())
