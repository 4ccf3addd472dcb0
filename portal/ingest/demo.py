"""Seeded DEMO data for NO2, written in the formats real sources deliver.

There are no open NO2 measurement values we may ship, yet the ingest, maps and
trend charts need something realistic to chew on. This module fabricates it —
deterministically, so tests and screenshots are reproducible — and labels every
file as DEMO so nobody mistakes it for measurements:

* ``no2_<year>.tif``: yearly grids shaped like RIVM's GCN concentration maps
  (EPSG:28992, but 25 m cells instead of GCN's 1 km so buurt statistics differ);
* ``luchtmeetnet_stations.json`` / ``luchtmeetnet_no2_annual.json``: shaped like
  Luchtmeetnet API list responses;
* ``DEMO.md``: the disclaimer that travels with the files.
"""

from __future__ import annotations

import csv
import json
import math
from itertools import pairwise
from pathlib import Path

import numpy as np
import rasterio
import shapely
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.transform import from_origin

__all__ = ["MAIN_ROADS", "generate_no2"]

CELL = 25.0  # m; fine enough that every buurt, even the small ones, gets many cells
BUFFER = 500.0  # m around the city so edge buurten are fully covered
NODATA = -9999.0
BASE_YEAR = 2015  # the trend is anchored here, so a year's grid does not depend on `years`
TREND = 0.966  # factor per year (about -3.4 %/yr: city mean ~27 in 2015 to ~19 in 2025)
ROAD_PEAK = 12.0  # ug/m3 added right at a (weight 1) main road
ROAD_EFOLD = 120.0  # m; e-folding distance of the road increment
VALUE_RANGE = (11.0, 49.0)  # guard rail: keeps any seed inside plausible Den Haag values
SOURCE = "Omgevingsmonitor demo generator (seeded, not measured)"
UNIT = "ug/m3"

# Main roads of Den Haag as (name, weight, polyline in EPSG:28992 metres).
# APPROXIMATE, hand-drawn from memory and neighbourhood centroids: good enough to put
# traffic hot spots in believable places, NOT a road network to measure anything with.
# Weight scales ROAD_PEAK (motorways carry more traffic than city arteries).
MAIN_ROADS: tuple[tuple[str, float, tuple[tuple[float, float], ...]], ...] = (
    ("Utrechtsebaan (A12)", 1.2, (
        (85500, 453300), (84600, 453900), (83800, 454450), (83100, 454900),
        (82500, 455250), (81950, 455500),
    )),
    ("A4 Prins Clausplein-Ypenburg", 1.15, (
        (85500, 453300), (84700, 452300), (84000, 451300), (83500, 450200),
        (83300, 448900),
    )),
    ("Centrumring", 1.0, (
        (80800, 456000), (81450, 456100), (81900, 455700), (82150, 455150),
        (82000, 454750), (81572, 454700), (80900, 454700), (80350, 455050),
        (80350, 455600), (80800, 456000),
    )),
    ("Koningskade", 0.9, ((81950, 455500), (81800, 456000), (81650, 456500))),
    ("Veenkade", 0.8, ((80500, 455650), (80400, 455150), (80550, 454750))),
    ("Johan de Wittlaan", 0.9, ((79050, 456250), (79550, 456650), (80050, 457050))),
    ("Laan van Nieuw Oost-Indie", 0.9, (
        (83550, 454600), (83500, 455500), (83650, 456400), (83900, 457200),
    )),
    ("Neherkade", 1.0, (
        (82100, 453950), (81721, 453235), (81100, 452950), (80400, 452800),
        (79600, 452750),
    )),
    ("Erasmusweg", 0.9, (
        (79600, 452750), (78900, 452300), (78200, 451750), (77400, 451200),
    )),
    ("Lozerlaan", 0.9, (
        (75700, 453300), (76200, 452400), (76700, 451400), (77000, 450300),
    )),
    ("Zuidelijke Randweg", 1.0, (
        (76700, 450000), (78200, 449800), (79200, 450300), (80300, 450900),
        (81200, 451200),
    )),
)

# Background: cleaner sea air at the coast, more NO2 inland (south-east).
# The coastline runs roughly from Kijkduin to the Scheveningen pier.
_COAST_POINT = (74300.0, 454300.0)
_INLAND = (0.724, -0.690)  # unit normal on the coastline, pointing inland
_BG_COAST, _BG_PER_KM, _BG_KM_RANGE = 22.6, 0.5, (-1.5, 11.0)
_CENTRE, _CENTRE_BUMP, _CENTRE_SIGMA = (81400.0, 455000.0), 5.0, 2000.0  # dense built-up core

# Old EU station codes (2013 LML file) -> today's Luchtmeetnet numbers, names and class.
_STATIONS_2013 = {
    "NL00404": ("NL10404", "Den Haag-Rebecquestraat", "urban background"),
    "NL00445": ("NL10445", "Den Haag-Amsterdamse Veerkade", "urban"),
    "NL00446": ("NL10446", "Den Haag-Bleriotlaan", "suburban background"),
}
# Started after 2013, so not in the file; position as published (see SOURCES.md).
_NEHERKADE = {"number": "NL10450", "location": "Den Haag-Neherkade", "lat": 52.0625,
              "lon": 4.3186, "type": "traffic"}
_PAGINATION = {"current_page": 1, "first_page": 1, "last_page": 1, "next_page": 1,
               "prev_page": 1, "page_list": [1]}


def generate_no2(out_dir: Path, boundaries: Path, stations_csv: Path, seed: int = 518,
                 years: range = range(2015, 2026)) -> list[Path]:
    """Write demo NO2 grids, Luchtmeetnet-style station JSON and DEMO.md; return the paths.

    Same seed gives byte-identical files, so demo deployments and tests are reproducible.
    """
    years = list(years)
    if not years:
        raise ValueError("years is empty")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    xmin, ymax, width, height = _grid_spec(Path(boundaries))
    xs = xmin + CELL / 2 + CELL * np.arange(width)
    ys = ymax - CELL / 2 - CELL * np.arange(height)
    base = _base_field(xs, ys, np.random.default_rng([seed, 0]))
    stations = _read_stations(Path(stations_csv))
    to_rd = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    cells = []
    for st in stations:
        x, y = to_rd.transform(st["lon"], st["lat"])
        col, row = int((x - xmin) // CELL), int((ymax - y) // CELL)
        if not (0 <= col < width and 0 <= row < height):
            raise ValueError(f"station {st['number']} lies outside the grid")
        cells.append((row, col))

    written: list[Path] = []
    annual: list[dict] = []
    for year in years:
        grid = _year_grid(base, xs, ys, seed, year)
        written.append(_write_tif(out_dir / f"no2_{year}.tif", grid, xmin, ymax, year))
        noise = np.random.default_rng([seed, year, 1]).normal(0.0, 0.6, len(stations))
        for st, (row, col), eps in zip(stations, cells, noise, strict=True):
            annual.append({
                "station_number": st["number"],
                "formula": "NO2",
                "value": round(float(grid[row, col]) + float(eps), 1),
                "timestamp_measured": f"{year}-01-01T00:00:00+01:00",
                "averaging_period": "P1Y",
            })

    station_doc = {"pagination": _PAGINATION, "data": [
        {
            "number": st["number"],
            "location": st["location"],
            "geometry": {"type": "point", "coordinates": [st["lon"], st["lat"]]},
            "components": ["NO2"],  # only what this generator produces
            "type": st["type"],
            "municipality": "'s-Gravenhage",
        }
        for st in stations
    ]}
    written.append(_write_json(out_dir / "luchtmeetnet_stations.json", station_doc))
    written.append(_write_json(out_dir / "luchtmeetnet_no2_annual.json",
                               {"pagination": _PAGINATION, "data": annual}))
    written.append(_write_text(out_dir / "DEMO.md", _demo_md(seed, years)))
    return written


def _grid_spec(boundaries: Path) -> tuple[float, float, int, int]:
    """Origin and size of a 25 m grid over the city plus buffer, snapped so years align."""
    doc = json.loads(boundaries.read_text(encoding="utf-8"))
    crs_name = str(doc.get("crs", {}).get("properties", {}).get("name", "EPSG:28992"))
    if "28992" not in crs_name:
        raise ValueError(f"{boundaries} must be in EPSG:28992, found {crs_name}")
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in doc["features"]])
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    xmin = math.floor((minx - BUFFER) / CELL) * CELL
    ymin = math.floor((miny - BUFFER) / CELL) * CELL
    xmax = math.ceil((maxx + BUFFER) / CELL) * CELL
    ymax = math.ceil((maxy + BUFFER) / CELL) * CELL
    return xmin, ymax, round((xmax - xmin) / CELL), round((ymax - ymin) / CELL)


def _base_field(xs: np.ndarray, ys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The BASE_YEAR pattern: coast-to-inland gradient, busy core, roads, fixed noise."""
    gx, gy = np.meshgrid(xs, ys)
    inland_km = ((gx - _COAST_POINT[0]) * _INLAND[0] + (gy - _COAST_POINT[1]) * _INLAND[1]) / 1000
    field = _BG_COAST + _BG_PER_KM * np.clip(inland_km, *_BG_KM_RANGE)
    r2 = (gx - _CENTRE[0]) ** 2 + (gy - _CENTRE[1]) ** 2
    field += _CENTRE_BUMP * np.exp(-r2 / (2 * _CENTRE_SIGMA**2))
    field += _road_increment(gx, gy)
    field += _smooth_noise(rng, xs, ys, spacing=1500.0, sigma=1.2)
    field += _smooth_noise(rng, xs, ys, spacing=400.0, sigma=0.5)
    return field


def _road_increment(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Strongest road's contribution per cell (max, not sum, so junctions don't explode).

    Plain numpy point-to-segment distances: exact, fast enough, and no scipy needed.
    """
    inc = np.zeros_like(gx)
    reach = ROAD_EFOLD * 7  # beyond this the increment is < 0.1 %, skip the cells
    for _name, weight, line in MAIN_ROADS:
        pts = np.asarray(line, dtype=float)
        lo, hi = pts.min(axis=0) - reach, pts.max(axis=0) + reach
        rows = np.nonzero((gy[:, 0] >= lo[1]) & (gy[:, 0] <= hi[1]))[0]
        cols = np.nonzero((gx[0] >= lo[0]) & (gx[0] <= hi[0]))[0]
        if rows.size == 0 or cols.size == 0:
            continue
        win = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        px, py = gx[win], gy[win]
        d2 = np.full(px.shape, np.inf)
        for (ax, ay), (bx, by) in pairwise(pts):
            dx, dy = bx - ax, by - ay
            t = np.clip(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
            np.minimum(d2, (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2, out=d2)
        inc[win] = np.maximum(inc[win], weight * ROAD_PEAK * np.exp(-np.sqrt(d2) / ROAD_EFOLD))
    return inc


def _smooth_noise(rng: np.random.Generator, xs: np.ndarray, ys: np.ndarray,
                  spacing: float, sigma: float) -> np.ndarray:
    """Value noise: random lattice, smoothstep-interpolated, so neighbours vary gently."""
    x0, y0 = xs[0] - spacing, ys[-1] - spacing
    nx = int((xs[-1] - x0) // spacing) + 3
    ny = int((ys[0] - y0) // spacing) + 3
    lattice = rng.normal(0.0, sigma, (ny, nx))
    fx, fy = (xs - x0) / spacing, (ys - y0) / spacing
    ix, iy = fx.astype(int), fy.astype(int)
    tx, ty = fx - ix, fy - iy
    tx, ty = tx * tx * (3 - 2 * tx), ty * ty * (3 - 2 * ty)
    along_x = lattice[:, ix] * (1 - tx) + lattice[:, ix + 1] * tx
    return along_x[iy] * (1 - ty)[:, None] + along_x[iy + 1] * ty[:, None]


def _year_grid(base: np.ndarray, xs: np.ndarray, ys: np.ndarray, seed: int,
               year: int) -> np.ndarray:
    """Scale the base pattern by the trend and add a year-specific wobble (weather)."""
    wobble = _smooth_noise(np.random.default_rng([seed, year]), xs, ys, spacing=1000.0,
                           sigma=0.6)
    grid = (base + wobble) * TREND ** (year - BASE_YEAR)
    return np.round(np.clip(grid, *VALUE_RANGE), 2).astype(np.float32)


def _write_tif(path: Path, grid: np.ndarray, xmin: float, ymax: float, year: int) -> Path:
    """GeoTIFF without timestamps, so identical input gives identical bytes."""
    profile = {
        "driver": "GTiff", "width": grid.shape[1], "height": grid.shape[0], "count": 1,
        "dtype": "float32", "crs": CRS.from_epsg(28992),
        "transform": from_origin(xmin, ymax, CELL, CELL), "nodata": NODATA,
        "compress": "deflate", "predictor": 3, "zlevel": 6,
        "tiled": True, "blockxsize": 256, "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(grid, 1)
        dst.set_band_description(1, f"NO2 annual mean {year} (DEMO, not measured)")
        dst.set_band_unit(1, UNIT)
        dst.update_tags(DEMO="true", SOURCE=SOURCE, UNIT=UNIT, YEAR=str(year))
    return path


def _read_stations(stations_csv: Path) -> list[dict]:
    """The three real Den Haag LML stations (renumbered) plus Neherkade, by number."""
    found: dict[str, dict] = {}
    with stations_csv.open(encoding="utf-8-sig", newline="") as fh:
        for rec in csv.DictReader(fh):
            code = rec.get("EUStationCode", "").strip()
            if code in _STATIONS_2013:
                number, location, kind = _STATIONS_2013[code]
                found[number] = {"number": number, "location": location, "type": kind,
                                 "lat": float(rec["Lat"]), "lon": float(rec["Lon"])}
    missing = sorted(v[0] for v in _STATIONS_2013.values() if v[0] not in found)
    if missing:
        raise ValueError(f"{stations_csv} lacks stations {missing}")
    found[_NEHERKADE["number"]] = dict(_NEHERKADE)
    return [found[k] for k in sorted(found)]


def _write_json(path: Path, doc: dict) -> Path:
    path.write_bytes((json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


def _write_text(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def _demo_md(seed: int, years: list[int]) -> str:
    return (
        "# DEMO data — not measurements\n\n"
        f"The files in this folder are demo values generated by `portal demo` with seed {seed} "
        f"for the years {years[0]}–{years[-1]}: NO2 grids (`no2_<year>.tif`, shaped like RIVM "
        "GCN maps) and Luchtmeetnet-style station files (`luchtmeetnet_stations.json`, "
        "`luchtmeetnet_no2_annual.json`). The station numbers, names and positions are real; "
        "every concentration is invented by a seeded model (coast-to-inland background, "
        "approximate main roads, smooth noise, about -3 % a year) and was never measured. "
        "Do not use them for any statement about air quality in The Hague.\n"
    )
