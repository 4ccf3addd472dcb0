"""Exact coverage of grid cells by the areas, stored as cell labels (migration 0007).

Zonal statistics need, for every area, the m² of each cell inside it. Rather than a row per
(area, cell), the areas are planned into *layers* of areas that do not overlap, and every
cell gets one label per layer (sql/grid_weights.sql); an area that is the union of areas of
a layer (a wijk of its buurten, the city of its wijken) is summed from those parts. With
CBS areas that is one layer, so the statistics of a band are one pass over its cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from portal.indicators.sqlfiles import run_sql, sql_hash

# Parts make up an area when their areas add up to it and lie inside it, to this fraction.
UNION_TOLERANCE = 1e-6


@dataclass
class LayerPlan:
    layers: list[list[str]] = field(default_factory=list)  # labelled; no overlaps within one
    parts: dict[str, list[str]] = field(default_factory=dict)  # area -> parts in one layer


def plan_layers(conn: psycopg.Connection) -> LayerPlan:
    """Finest level first: an area made of areas of an earlier layer is derived from them;
    the others go, greedily, into new layers in which no two of them overlap."""
    levels: dict[str, list[str]] = {}
    for level, code in conn.execute("SELECT level, code FROM monitor.area ORDER BY code"):
        levels.setdefault(level, []).append(code)
    overlapping = {frozenset(p) for p in conn.execute(
        "SELECT a.code, b.code FROM monitor.area a JOIN monitor.area b"
        " ON a.level = b.level AND a.code < b.code AND a.geom && b.geom"
        " AND ST_Relate(a.geom, b.geom, '2********')")}
    plan = LayerPlan()
    for level in sorted(levels, key=lambda lv: (-len(levels[lv]), lv)):
        codes = levels[level]
        for layer in plan.layers:
            if codes:
                derived = _unions(conn, codes, layer)
                plan.parts.update(derived)
                codes = [c for c in codes if c not in derived]
        new: list[list[str]] = []
        for code in codes:
            home = next((lay for lay in new
                         if not any(frozenset((code, o)) in overlapping for o in lay)), None)
            if home is None:
                new.append([code])
            else:
                home.append(code)
        plan.layers += new
    return plan


def _unions(conn: psycopg.Connection, codes: list[str], layer: list[str]) -> dict[str, list[str]]:
    """Areas of `codes` that are exactly the union of areas of `layer` (which do not overlap):
    parts whose inner point lies in the area, adding up to its area and lying inside it."""
    rows = conn.execute(
        "SELECT a.code, array_agg(p.code ORDER BY p.code), sum(ST_Area(p.geom)),"
        "       min(ST_Area(a.geom)), sum(ST_Area(ST_Intersection(a.geom, p.geom)))"
        " FROM monitor.area a JOIN monitor.area p ON p.code = ANY(%s) AND a.geom && p.geom"
        "  AND ST_Intersects(a.geom, ST_PointOnSurface(p.geom))"
        " WHERE a.code = ANY(%s) GROUP BY a.code", (layer, codes)).fetchall()
    tol = UNION_TOLERANCE
    return {code: parts for code, parts, total, area, inside in rows
            if abs(total - area) <= tol * area and inside >= (1 - tol) * total}


def grid_weights(conn: psycopg.Connection, grid_id: int, plan: LayerPlan) -> None:
    conn.execute("DELETE FROM monitor.grid_layer WHERE grid_id = %s", (grid_id,))
    conn.execute("DELETE FROM monitor.grid_area_part WHERE grid_id = %s", (grid_id,))
    for number, codes in enumerate(plan.layers, start=1):
        run_sql(conn, "grid_weights", {"grid_id": grid_id, "layer": number, "codes": codes})
    bad = conn.execute(
        "SELECT l.layer FROM monitor.grid_layer l JOIN monitor.grid g ON g.id = l.grid_id"
        " WHERE l.grid_id = %s AND cardinality(l.labels) <> g.ncols * g.nrows",
        (grid_id,)).fetchone()
    if bad:  # pieces of one layer overlapped: a bug, never silently shifted labels
        raise RuntimeError(f"grid {grid_id}: labels of layer {bad[0]} do not match the grid")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO monitor.grid_area_part (grid_id, area_code, part_code)"
            " VALUES (%s, %s, %s)",
            [(grid_id, code, part) for code, parts in plan.parts.items() for part in parts])


def ensure_weights(conn: psycopg.Connection, datasets: set[str], areas: str,
                   force: bool = False) -> dict[str, int]:
    """Coverage weights for the current grids of `datasets`, for the current areas.

    Weights depend only on the cells, so grids of the same origin, cell size and shape share
    one set (the first grid that has them). Returns dataset -> grid id whose weights to use.
    """
    grids = conn.execute(
        "SELECT dv.dataset, g.id, g.x_min, g.y_max, g.cell_size, g.ncols, g.nrows"
        " FROM monitor.grid g JOIN monitor.dataset_version dv"
        "   ON dv.id = g.dataset_version_id AND dv.is_current"
        " WHERE dv.dataset = ANY(%s) ORDER BY g.id", (sorted(datasets),)).fetchall()
    areas = f"{areas}:{sql_hash('grid_weights')}"  # new weights SQL: compute them again
    use: dict[str, int] = {}
    fresh: list[int] = []
    plan: LayerPlan | None = None
    for dataset, gid, *shape in grids:
        twin = conn.execute(
            "SELECT g.id FROM monitor.grid g JOIN monitor.grid_weight_state s ON s.grid_id = g.id"
            " WHERE s.areas = %s AND (g.x_min, g.y_max, g.cell_size, g.ncols, g.nrows)"
            " = (%s, %s, %s, %s, %s) AND (NOT %s OR g.id = ANY(%s)) ORDER BY g.id LIMIT 1",
            (areas, *shape, force, fresh)).fetchone()
        if twin is None:
            plan = plan or plan_layers(conn)
            grid_weights(conn, gid, plan)
            conn.execute("INSERT INTO monitor.grid_weight_state (grid_id, areas) VALUES (%s, %s)"
                         " ON CONFLICT (grid_id) DO UPDATE SET areas = EXCLUDED.areas",
                         (gid, areas))
            fresh.append(gid)
            twin = (gid,)
        use[dataset] = twin[0]
    return use
