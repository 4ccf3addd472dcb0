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
import shapely.affinity
import shapely.geometry
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.transform import from_origin

__all__ = ["GENERATORS", "MAIN_ROADS", "generate_air", "generate_green", "generate_heat",
           "generate_no2", "generate_noise"]

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


# --- DEMO data for the other themes: PM10/PM2.5, road-traffic noise, heat (PET), green ------
#
# Same rules as NO2: seeded, deterministic bytes, plausible for Den Haag, never measured.
# Every field is a function of RD coordinates (value noise on a lattice anchored at a fixed
# origin), so grids of different cell sizes and the vector layers agree with each other:
# the parks of `parken.geojson` are cooler in the PET grid and greener in the canopy.

THEME_SOURCE = "Omgevingsmonitor demo generator (seeded, not measured)"
_ANCHOR, _EXTENT = (70000.0, 444000.0), 24000.0  # fixed lattice origin and size (m)
PM_CELL, GREEN_CELL = 100.0, 20.0
AIR_YEARS = range(2015, 2026)
NOISE_YEARS = (2018, 2021, 2024)
HEAT_YEARS = (2019, 2022, 2025)
GREEN_YEARS = (2016, 2020, 2024)
POPULATION_YEARS = range(2016, 2025)
POPULATION_2024 = 566_000  # about the CBS figure for 's-Gravenhage; the split is invented

# Larger parks and dune areas of Den Haag as (name, centre x, centre y, half axes a, b in m,
# rotation in degrees). APPROXIMATE, from memory: believable places, not a green-space map.
PARKS: tuple[tuple[str, float, float, float, float, float], ...] = (
    ("Haagse Bos", 82700, 456500, 1100, 230, 40),
    ("Malieveld", 81900, 455800, 230, 120, 40),
    ("Westbroekpark", 80300, 458400, 260, 200, 20),
    ("Scheveningse Bosjes", 79300, 457300, 850, 320, 30),
    ("Park Sorghvliet", 80500, 456900, 320, 200, 30),
    ("Zuiderpark", 79700, 452500, 700, 380, 10),
    ("Westduinpark", 76700, 455100, 1300, 350, 45),
    ("Oostduinen", 81800, 459300, 700, 420, 40),
    ("Clingendael", 84200, 457000, 480, 380, 20),
    ("Park Marlot", 83700, 456400, 260, 200, 0),
    ("Madestein", 74900, 451400, 650, 420, 45),
    ("Ockenburgh", 74500, 452600, 450, 260, 45),
    ("Park Wateringse Veld", 78900, 449500, 420, 160, 30),
    ("Park Ypenburg", 84700, 449700, 350, 180, 60),
    ("Park Leeuwenbergh", 82700, 453000, 250, 130, 20),
    ("Van Stolkpark", 79700, 457900, 200, 150, 0),
)


def _lattice_noise(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, spacing: float,
                   sigma: float) -> np.ndarray:
    """Value noise evaluated at any RD coordinates; the lattice depends on seed and spacing only."""
    n = int(_EXTENT // spacing) + 3
    lattice = rng.normal(0.0, sigma, (n, n))
    fx = np.clip((x - _ANCHOR[0]) / spacing, 0, n - 1.001)
    fy = np.clip((y - _ANCHOR[1]) / spacing, 0, n - 1.001)
    ix, iy = fx.astype(int), fy.astype(int)
    tx, ty = fx - ix, fy - iy
    tx, ty = tx * tx * (3 - 2 * tx), ty * ty * (3 - 2 * ty)
    top = lattice[iy, ix] * (1 - tx) + lattice[iy, ix + 1] * tx
    bottom = lattice[iy + 1, ix] * (1 - tx) + lattice[iy + 1, ix + 1] * tx
    return top * (1 - ty) + bottom * ty


def _inland_km(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return ((x - _COAST_POINT[0]) * _INLAND[0] + (y - _COAST_POINT[1]) * _INLAND[1]) / 1000


def _park_shapes() -> list[tuple[str, shapely.Geometry]]:
    out = []
    for name, cx, cy, a, b, angle in PARKS:
        circle = shapely.Point(0, 0).buffer(1.0, quad_segs=8)
        t = math.radians(angle)
        ellipse = shapely.affinity.affine_transform(
            circle, [a * math.cos(t), -b * math.sin(t), a * math.sin(t), b * math.cos(t), cx, cy])
        out.append((name, shapely.set_precision(ellipse, 1.0)))
    return out


def _park_membership(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """1 inside a park ellipse, falling smoothly to 0 about one half axis outside it."""
    m = np.zeros_like(x)
    for _name, cx, cy, a, b, angle in PARKS:
        t = math.radians(angle)
        dx, dy = x - cx, y - cy
        u = (dx * math.cos(t) + dy * math.sin(t)) / a
        v = (-dx * math.sin(t) + dy * math.cos(t)) / b
        r = np.sqrt(u * u + v * v)
        np.maximum(m, np.clip(2.0 - r, 0.0, 1.0), out=m)
    return m


def _greenness(seed: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """0 (paved) .. 1 (wooded): parks, coastal dunes, leafy west, dense centre; fixed in time."""
    inland = _inland_km(x, y)
    dunes = np.clip(1.0 - np.abs(inland - 0.6) / 0.8, 0.0, 1.0) * 0.7
    r2 = (x - _CENTRE[0]) ** 2 + (y - _CENTRE[1]) ** 2
    centre = 0.25 * np.exp(-r2 / (2 * 1800.0**2))
    g = 0.3 + 0.7 * _park_membership(x, y) + dunes - centre
    g += _lattice_noise(np.random.default_rng([seed, 10]), x, y, 600.0, 0.12)
    g += _lattice_noise(np.random.default_rng([seed, 11]), x, y, 90.0, 0.16)
    return np.clip(g, 0.0, 1.0)


def _canopy_threshold(year: int) -> float:
    return 0.63 - 0.003 * (year - 2016)  # canopy slowly grows: new and maturing trees


def _road_distances(x: np.ndarray, y: np.ndarray) -> list[tuple[float, np.ndarray]]:
    out = []
    for _name, weight, line in MAIN_ROADS:
        pts = np.asarray(line, dtype=float)
        d2 = np.full(x.shape, np.inf)
        for (ax, ay), (bx, by) in pairwise(pts):
            dx, dy = bx - ax, by - ay
            t = np.clip(((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
            np.minimum(d2, (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2, out=d2)
        out.append((weight, np.sqrt(d2)))
    return out


def _cells(boundaries: Path, cell: float) -> tuple[float, float, np.ndarray, np.ndarray]:
    global CELL
    saved, CELL = CELL, cell
    try:
        xmin, ymax, width, height = _grid_spec(boundaries)
    finally:
        CELL = saved
    xs = xmin + cell / 2 + cell * np.arange(width)
    ys = ymax - cell / 2 - cell * np.arange(height)
    gx, gy = np.meshgrid(xs, ys)
    return xmin, ymax, gx, gy


def _write_grid_tif(path: Path, grid: np.ndarray, xmin: float, ymax: float, cell: float,
                    description: str, unit: str, year: int) -> Path:
    profile = {
        "driver": "GTiff", "width": grid.shape[1], "height": grid.shape[0], "count": 1,
        "dtype": "float32", "crs": CRS.from_epsg(28992),
        "transform": from_origin(xmin, ymax, cell, cell), "nodata": NODATA,
        "compress": "deflate", "predictor": 3, "zlevel": 6,
        "tiled": True, "blockxsize": 256, "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(grid.astype(np.float32), 1)
        dst.set_band_description(1, f"{description} {year} (DEMO, not measured)")
        dst.set_band_unit(1, unit)
        dst.update_tags(DEMO="true", SOURCE=THEME_SOURCE, UNIT=unit, YEAR=str(year))
    return path


def _theme_demo_md(out_dir: Path, seed: int, what: str) -> Path:
    return _write_text(out_dir / "DEMO.md", (
        "# DEMO data — not measurements\n\n"
        f"Generated by `portal demo` with seed {seed}: {what} Every value is invented by a "
        "seeded model (approximate roads and parks, coast-to-inland gradients, smooth noise) "
        "and was never measured or surveyed. Do not use it for any statement about The Hague.\n"))


def generate_air(out_dir: Path, boundaries: Path, seed: int = 518,
                 years: range = AIR_YEARS) -> list[Path]:
    """Annual mean PM10 and PM2.5 on 100 m grids (shaped like RIVM GCN maps)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    xmin, ymax, gx, gy = _cells(Path(boundaries), PM_CELL)
    inland = np.clip(_inland_km(gx, gy), *_BG_KM_RANGE)
    roads = _road_distances(gx, gy)
    written = []
    #            bg at coast, per km inland, road peak, e-fold (m), factor per year, range
    specs = {"pm10": (19.0, 0.25, 2.2, 150.0, 0.975, (12.0, 30.0)),
             "pm25": (11.0, 0.18, 0.9, 150.0, 0.962, (6.0, 18.0))}
    for k, (name, (bg, per_km, peak, efold, trend, rng_)) in enumerate(specs.items()):
        road = np.zeros_like(gx)
        for weight, d in roads:
            np.maximum(road, weight * peak * np.exp(-d / efold), out=road)
        base = bg + per_km * inland + road + _lattice_noise(
            np.random.default_rng([seed, 20 + k]), gx, gy, 1500.0, 0.6)
        for year in years:
            weather = _lattice_noise(np.random.default_rng([seed, 20 + k, year]), gx, gy,
                                     3000.0, 0.5)
            grid = np.round(np.clip((base + weather) * trend ** (year - BASE_YEAR), *rng_), 2)
            written.append(_write_grid_tif(out_dir / f"{name}_{year}.tif", grid, xmin, ymax,
                                           PM_CELL, f"{name.upper()} annual mean", UNIT, year))
    written.append(_theme_demo_md(out_dir, seed, "annual mean PM10 and PM2.5 grids "
                                  "(`pm10_<year>.tif`, `pm25_<year>.tif`, 100 m cells)."))
    return written


def generate_noise(out_dir: Path, boundaries: Path, seed: int = 518,
                   years: tuple[int, ...] = NOISE_YEARS) -> list[Path]:
    """Road-traffic Lden (dB) on a 25 m grid, like a municipal noise map (every 3 years)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    xmin, ymax, gx, gy = _cells(Path(boundaries), CELL)
    r2 = (gx - _CENTRE[0]) ** 2 + (gy - _CENTRE[1]) ** 2
    # local streets: busier in the centre, quieter in the dunes and parks
    local = (49.5 + 5.0 * np.exp(-r2 / (2 * 2500.0**2)) - 6.0 * _greenness(seed, gx, gy)
             + _lattice_noise(np.random.default_rng([seed, 30]), gx, gy, 150.0, 2.5))
    energy = 10 ** (local / 10)
    for weight, d in _road_distances(gx, gy):  # a line source: -15 dB per decade of distance
        energy += 10 ** ((71.0 + 10 * math.log10(weight) - 15 * np.log10(np.maximum(d, 12.0)
                                                                          / 12.0)) / 10)
    base = 10 * np.log10(energy)
    written = []
    for year in years:
        jitter = _lattice_noise(np.random.default_rng([seed, 31, year]), gx, gy, 800.0, 0.4)
        grid = np.round(np.clip(base + jitter - 0.12 * (year - NOISE_YEARS[0]), 35.0, 80.0), 1)
        written.append(_write_grid_tif(out_dir / f"lden_wegverkeer_{year}.tif", grid, xmin, ymax,
                                       CELL, "Road traffic noise Lden", "dB", year))
    written.append(_theme_demo_md(out_dir, seed, "road-traffic noise maps "
                                  "(`lden_wegverkeer_<year>.tif`, Lden in dB, 25 m cells)."))
    return written


def generate_heat(out_dir: Path, boundaries: Path, seed: int = 518,
                  years: tuple[int, ...] = HEAT_YEARS) -> list[Path]:
    """PET (°C) on a hot summer afternoon, 25 m grid, one map per heat-map year."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    xmin, ymax, gx, gy = _cells(Path(boundaries), CELL)
    green = _greenness(seed, gx, gy)
    coast = 4.0 * np.exp(-np.clip(_inland_km(gx, gy), 0, None) / 1.5)
    r2 = (gx - _CENTRE[0]) ** 2 + (gy - _CENTRE[1]) ** 2
    island = 3.0 * np.exp(-r2 / (2 * 2500.0**2))  # urban heat island of the dense core
    written = []
    for year in years:
        canopy = green > _canopy_threshold(year)
        pet = (40.0 + island - coast - 8.0 * green - 3.0 * canopy
               + _lattice_noise(np.random.default_rng([seed, 40]), gx, gy, 120.0, 1.5)
               + {2019: 1.2, 2022: 0.6}.get(year, 0.0))
        grid = np.round(np.clip(pet, 24.0, 48.0), 1)
        written.append(_write_grid_tif(out_dir / f"pet_{year}.tif", grid, xmin, ymax, CELL,
                                       "PET hot summer afternoon", "degC", year))
    written.append(_theme_demo_md(out_dir, seed, "heat maps (`pet_<year>.tif`, physiological "
                                  "equivalent temperature on a hot afternoon, °C, 25 m cells)."))
    return written


def generate_green(out_dir: Path, boundaries: Path, seed: int = 518,
                   years: tuple[int, ...] = GREEN_YEARS) -> list[Path]:
    """Tree canopy polygons, parks, a tree register and inhabitants per buurt (per year)."""
    from rasterio.features import shapes

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = json.loads(Path(boundaries).read_text(encoding="utf-8"))
    buurten = [(f["properties"]["statcode"], shapely.from_geojson(json.dumps(f["geometry"])))
               for f in doc["features"]]
    city = shapely.union_all([g for _, g in buurten])
    minx, miny, maxx, maxy = city.bounds
    xmin, ymax = math.floor(minx / GREEN_CELL) * GREEN_CELL, math.ceil(maxy / GREEN_CELL) * GREEN_CELL
    width = math.ceil((maxx - xmin) / GREEN_CELL)
    height = math.ceil((ymax - miny) / GREEN_CELL)
    gx, gy = np.meshgrid(xmin + GREEN_CELL / 2 + GREEN_CELL * np.arange(width),
                         ymax - GREEN_CELL / 2 - GREEN_CELL * np.arange(height))
    green = _greenness(seed, gx, gy)
    transform = from_origin(xmin, ymax, GREEN_CELL, GREEN_CELL)
    written = []

    # canopy: the cells above the year's threshold, as polygons (like a lidar canopy map)
    features = []
    for year in years:
        mask = (green > _canopy_threshold(year)).astype(np.uint8)
        for n, (geom, _v) in enumerate(shapes(mask, mask=mask.astype(bool),
                                              transform=transform, connectivity=4)):
            features.append({"type": "Feature", "properties": {
                "kroon_id": f"K{year}-{n + 1:05d}", "jaar": year},
                "geometry": _int_coords(geom)})
    written.append(_write_geojson(out_dir / "kroonbedekking.geojson", features))

    # parks: the named parks plus pocket parks that open over the years
    rng = np.random.default_rng([seed, 50])
    pockets = []
    while len(pockets) < 120:
        px, py = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not city.contains(shapely.Point(px, py)):
            continue
        side = float(rng.uniform(40, 110))
        opened = int(rng.integers(1990, 2025))
        pockets.append((px, py, side, opened))
    features = []
    for year in years:
        for name, shape in _park_shapes():
            features.append({"type": "Feature", "properties": {
                "naam": name, "soort": "park", "jaar": year},
                "geometry": shapely.geometry.mapping(shape)})
        for n, (px, py, side, opened) in enumerate(pockets):
            if opened <= year:
                box = shapely.box(round(px - side / 2), round(py - side / 2),
                                  round(px + side / 2), round(py + side / 2))
                features.append({"type": "Feature", "properties": {
                    "naam": f"Plantsoen {n + 1}", "soort": "plantsoen", "jaar": year},
                    "geometry": shapely.geometry.mapping(box)})
    written.append(_write_geojson(out_dir / "parken.geojson", features))

    # tree register: one snapshot per year; trees are planted and felled over time
    rng = np.random.default_rng([seed, 60])
    n_cand = 150_000
    tx, ty = rng.uniform(minx, maxx, n_cand), rng.uniform(miny, maxy, n_cand)
    keep = shapely.contains_xy(city, tx, ty)
    keep &= rng.uniform(0, 1, n_cand) < 0.25 + 0.6 * _greenness(seed, tx, ty)
    tx, ty = tx[keep], ty[keep]
    planted = rng.integers(1950, 2025, tx.size)
    felled = np.where(rng.uniform(0, 1, tx.size) < 0.08, rng.integers(2016, 2030, tx.size), 9999)
    species = np.array(["Linde", "Iep", "Esdoorn", "Plataan", "Eik", "Es", "Populier", "Els"])
    kinds = species[rng.integers(0, species.size, tx.size)]
    lines = ["boomnummer;soort;plantjaar;jaar;x;y"]
    for year in years:
        alive = np.flatnonzero((planted <= year) & (felled > year))
        lines += [f"{i + 1};{kinds[i]};{planted[i]};{year};{tx[i]:.1f};{ty[i]:.1f}"
                  for i in alive]
    written.append(_write_text(out_dir / "bomen.csv", "\n".join(lines) + "\n"))

    # inhabitants per buurt (a point inside each buurt), growing about 0.9 % a year
    rng = np.random.default_rng([seed, 70])
    weights = []
    for code, geom in buurten:
        c = geom.representative_point()
        g = float(_greenness(seed, np.array([c.x]), np.array([c.y]))[0])
        weights.append(max(geom.area / 1e6, 0.05) * (1.2 - g) ** 2 * rng.uniform(0.6, 1.4))
    weights = np.asarray(weights) / sum(weights)
    lines = ["buurtcode;jaar;inwoners;x;y"]
    for year in POPULATION_YEARS:
        total = POPULATION_2024 * 1.009 ** (year - 2024)
        for (code, geom), w in zip(buurten, weights, strict=True):
            p = geom.representative_point()
            lines.append(f"{code};{year};{round(total * w)};{p.x:.1f};{p.y:.1f}")
    written.append(_write_text(out_dir / "inwoners.csv", "\n".join(lines) + "\n"))
    written.append(_theme_demo_md(out_dir, seed, (
        "tree canopy polygons (`kroonbedekking.geojson`), parks and pocket parks "
        "(`parken.geojson`), a tree register (`bomen.csv`) per year, and inhabitants per buurt "
        f"(`inwoners.csv`, scaled to about {POPULATION_2024:,} in 2024).")))
    return written


def _int_coords(geom: dict) -> dict:
    def fix(c):
        return [fix(x) for x in c] if isinstance(c[0], list | tuple) else [round(c[0]), round(c[1])]
    return {"type": geom["type"], "coordinates": fix(geom["coordinates"])}


def _write_geojson(path: Path, features: list[dict]) -> Path:
    doc = {"type": "FeatureCollection",
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
           "features": features}
    path.write_bytes(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return path


GENERATORS = {"air": generate_air, "noise": generate_noise, "heat": generate_heat,
              "green": generate_green}
