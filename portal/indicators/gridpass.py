"""Grid kinds (grid_mean, grid_max, grid_share_above) per area and year, one band at a time.

The cell weights are labels per layer (weights.py); the figures of an area are sums over
its labels. At national size a band is 8 million cells: PostgreSQL's unnest-and-group took
25 s a band, so the pass runs here, in numpy:

- a band comes over as one binary array (`array_send`, no-data as NaN), so memory is one
  band plus the sorted cells of one layer, whatever the number of years or areas;
- the cells of a layer are sorted by label once per compute; each band is then summed per
  label with `reduceat` (count, Σ value, max, count above each threshold);
- per area: the label sums times the label's m² in the area; an area made of parts (wijk,
  gemeente) adds up its parts — the same arithmetic as the SQL it replaced (sum of
  float8, cells without data left out, areas without data cells left out).

A year whose band (its digest, written at ingest) and method are those of the last compute
is kept as it is: a new year of a grid costs one band, not the whole history.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg

from portal.indicators.sqlfiles import sql_hash

# Signature of the arithmetic: this file and the SQL that makes the weights.
CODE_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16] + sql_hash(
    "grid_weights")


def read_arrays(conn: psycopg.Connection, query: str, params: tuple,
                dtypes: tuple[str, ...]) -> list[np.ndarray]:
    """Array columns (real[], integer[], float8[]; no NULLs: the query replaces them) of one
    row as numpy, from PostgreSQL's binary array format: per element its length, then its
    bytes (8 million cells in 0.4 s, where a list of Python floats takes seconds)."""
    row = conn.cursor(binary=True).execute(query, params).fetchone()
    out = []
    for buf, dtype in zip(row or [None] * len(dtypes), dtypes, strict=True):
        ndim = struct.unpack_from(">i", buf)[0] if buf is not None else 0
        if ndim == 0:
            out.append(np.empty(0, dtype))
            continue
        cells = np.frombuffer(buf, dtype=[("len", ">i4"), ("v", ">" + dtype)],
                              offset=12 + 8 * ndim)
        out.append(cells["v"].astype(dtype))
    return out


def read_array(conn: psycopg.Connection, query: str, params: tuple, dtype: str) -> np.ndarray:
    return read_arrays(conn, query, params, (dtype,))[0]


@dataclass
class Layer:
    order: np.ndarray  # cells that have a label, sorted by label
    starts: np.ndarray  # where each label's run begins in `order`
    run_of_row: np.ndarray  # per weight row of the layer: its run (or -1: no cells)
    area_of_row: np.ndarray  # per weight row: index of its area
    weight: np.ndarray  # per weight row: m² of one such cell inside the area


@dataclass
class Weights:
    """The labels and label weights of one weights grid, ready for the band passes."""
    codes: list[str]  # every area that gets figures: layered ones, then derived ones
    layers: list[Layer]
    part_area: np.ndarray  # per (area, part) row: index of the area made of parts
    part_part: np.ndarray  # … and of the part
    areas: str  # the areas and SQL the weights were made for (grid_weight_state)


def load_weights(conn: psycopg.Connection, grid_id: int) -> Weights:
    layered = [r[0] for r in conn.execute(
        "SELECT DISTINCT area_code FROM monitor.grid_label_weight WHERE grid_id = %s"
        " ORDER BY 1", (grid_id,))]
    parts = conn.execute("SELECT area_code, part_code FROM monitor.grid_area_part"
                         " WHERE grid_id = %s ORDER BY area_code, part_code",
                         (grid_id,)).fetchall()
    codes = layered + sorted({p[0] for p in parts} - set(layered))
    index = {c: i for i, c in enumerate(codes)}
    layers = []
    for (layer,) in conn.execute("SELECT layer FROM monitor.grid_layer WHERE grid_id = %s"
                                 " ORDER BY layer", (grid_id,)).fetchall():
        labels = read_array(conn, "SELECT array_send(array_replace(labels, NULL, 0))"
                            " FROM monitor.grid_layer WHERE grid_id = %s AND layer = %s",
                            (grid_id, layer), "i4")
        cells = np.flatnonzero(labels)
        order = cells[np.argsort(labels[cells], kind="stable")]
        ordered = labels[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if order.size \
            else np.empty(0, np.int64)
        run_labels = ordered[starts]
        del labels, cells, ordered
        row_labels, row_areas, row_weights = read_arrays(
            conn, "WITH c AS (SELECT code, (o - 1)::integer AS i"
            "            FROM unnest(%s::text[]) WITH ORDINALITY AS u(code, o))"
            " SELECT array_send(array_agg(w.label ORDER BY w.label, c.i)),"
            "        array_send(array_agg(c.i ORDER BY w.label, c.i)),"
            "        array_send(array_agg(w.weight ORDER BY w.label, c.i))"
            " FROM monitor.grid_label_weight w JOIN c ON c.code = w.area_code"
            " WHERE w.grid_id = %s AND w.layer = %s", (layered, grid_id, layer),
            ("i4", "i4", "f8"))
        pos = np.searchsorted(run_labels, row_labels)
        found = pos < run_labels.size
        found[found] = run_labels[pos[found]] == row_labels[found]
        layers.append(Layer(order, starts, np.where(found, pos, -1),
                            row_areas.astype(np.int64), row_weights))
    state = conn.execute("SELECT areas FROM monitor.grid_weight_state WHERE grid_id = %s",
                         (grid_id,)).fetchone()
    return Weights(codes, layers,
                   np.array([index[p[0]] for p in parts], dtype=np.int64),
                   np.array([index[p[1]] for p in parts], dtype=np.int64),
                   state[0] if state else "")


@dataclass(frozen=True)
class Stat:
    indicator: str
    kind: str  # grid_mean | grid_max | grid_share_above
    threshold: float | None = None


def band_figures(values: np.ndarray, w: Weights, stats: list[Stat]) -> dict[str, np.ndarray]:
    """Per indicator, its value for every area of `w.codes` (NaN: no cell with data)."""
    n_areas = len(w.codes)
    thresholds = sorted({s.threshold for s in stats if s.kind == "grid_share_above"})
    area_w = np.zeros(n_areas)
    area_s = np.zeros(n_areas)
    area_mx = np.full(n_areas, -np.inf)
    area_above = {t: np.zeros(n_areas) for t in thresholds}
    for layer in w.layers:
        if not layer.starts.size:
            continue
        x = values[layer.order]
        ok = ~np.isnan(x)
        n = np.add.reduceat(ok, layer.starts, dtype=np.int64)
        s = np.add.reduceat(np.where(ok, x, 0).astype(np.float64), layer.starts)
        mx = np.maximum.reduceat(np.where(ok, x, -np.inf), layer.starts).astype(np.float64)
        above = {t: np.add.reduceat(x > t, layer.starts, dtype=np.int64) for t in thresholds}
        has = layer.run_of_row >= 0
        run, area, weight = layer.run_of_row[has], layer.area_of_row[has], layer.weight[has]
        area_w += np.bincount(area, weights=weight * n[run], minlength=n_areas)
        area_s += np.bincount(area, weights=weight * s[run], minlength=n_areas)
        np.maximum.at(area_mx, area, np.where(n[run] > 0, mx[run], -np.inf))
        for t in thresholds:
            area_above[t] += np.bincount(area, weights=weight * above[t][run],
                                         minlength=n_areas)
    if w.part_area.size:  # areas made of parts: the sums of their parts
        pa, pp = w.part_area, w.part_part
        area_w += np.bincount(pa, weights=area_w[pp], minlength=n_areas)
        area_s += np.bincount(pa, weights=area_s[pp], minlength=n_areas)
        np.maximum.at(area_mx, pa, area_mx[pp])
        for t in thresholds:
            area_above[t] += np.bincount(pa, weights=area_above[t][pp], minlength=n_areas)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {}
        for st in stats:
            if st.kind == "grid_mean":
                v = area_s / area_w
            elif st.kind == "grid_max":
                v = area_mx.copy()
            else:
                v = 100.0 * area_above[st.threshold] / area_w
            v[area_w <= 0] = np.nan
            out[st.indicator] = v
    return out


def group_signature(stats: list[Stat], w: Weights) -> str:
    doc = {"stats": [(s.indicator, s.kind, s.threshold) for s in stats], "areas": w.areas,
           "code": CODE_HASH}
    return hashlib.sha256(json.dumps(doc).encode()).hexdigest()[:24]


def run_grid(conn: psycopg.Connection, dataset: str, stats: list[Stat], weights_grid: int,
             *, reuse: bool = True, on_band: Callable[[int, int], None] | None = None,
             weights: Weights | None = None) -> tuple[int, int]:
    """Figures of the current version of `dataset` for every area and year; years whose
    band and method are unchanged are kept. Returns (bands computed, bands kept)."""
    codes = [s.indicator for s in stats]
    grid = conn.execute(
        "SELECT g.id, g.dataset_version_id FROM monitor.grid g JOIN monitor.dataset_version dv"
        " ON dv.id = g.dataset_version_id AND dv.is_current WHERE dv.dataset = %s"
        " ORDER BY g.id LIMIT 1", (dataset,)).fetchone()
    bands = conn.execute("SELECT year, digest FROM monitor.grid_band WHERE grid_id = %s"
                         " ORDER BY year", (grid[0],)).fetchall() if grid else []
    w = weights or load_weights(conn, weights_grid)
    group = group_signature(stats, w)
    signature = {year: hashlib.sha256(f"{group}:{digest}".encode()).hexdigest()[:24]
                 for year, digest in bands if digest}
    stored: dict[int, set[str]] = {}
    for ind, year, sig in conn.execute(
            "SELECT indicator, year, signature FROM monitor.grid_year_state"
            " WHERE indicator = ANY(%s)", (codes,)):
        if sig == signature.get(year):
            stored.setdefault(year, set()).add(ind)
    keep = [y for y, _ in bands if reuse and stored.get(y) == set(codes)]
    conn.execute("DELETE FROM monitor.indicator_value WHERE indicator = ANY(%s)"
                 " AND year <> ALL(%s)", (codes, keep))
    conn.execute("DELETE FROM monitor.grid_year_state WHERE indicator = ANY(%s)"
                 " AND year <> ALL(%s)", (codes, keep))
    if keep:  # same band, same figures: they now rest on the current version
        conn.execute("UPDATE monitor.indicator_value SET dataset_version_id = %s"
                     " WHERE indicator = ANY(%s) AND year = ANY(%s)", (grid[1], codes, keep))
    todo = [y for y, _ in bands if y not in keep]
    for i, year in enumerate(todo):
        values = read_array(conn, "SELECT array_send(array_replace(vals, NULL, 'NaN'::real))"
                            " FROM monitor.grid_band WHERE grid_id = %s AND year = %s",
                            (grid[0], year), "f4")
        figures = band_figures(values, w, stats)
        del values
        with conn.cursor().copy("COPY monitor.indicator_value (area_code, indicator, year,"
                                " value, dataset_version_id) FROM STDIN") as copy:
            for ind, v in figures.items():
                for k in np.flatnonzero(~np.isnan(v)):
                    copy.write_row((w.codes[k], ind, year, float(v[k]), grid[1]))
        if year in signature:
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO monitor.grid_year_state (indicator, year, signature)"
                                " VALUES (%s, %s, %s)",
                                [(ind, year, signature[year]) for ind in codes])
        if on_band:
            on_band(i + 1, len(todo))
    return len(todo), len(keep)
