"""The national scale set (`portal demo --scale nl`): DEMO data the size of the Netherlands, to
show that ingest, compute, tiles and pages carry the country on one machine.

Generated, seeded, labelled DEMO everywhere: 342 gemeenten, about 3,300 wijken and 14,500
buurten as a tessellation (Voronoi cells, nested: buurten inside their wijk inside their
gemeente) over the Dutch RD extent, with codes in the CBS pattern (GMgggg, WKggggww,
BUggggwwbb; gemeente 0518 lies where Den Haag lies), inhabitants per buurt for 15 years, and
100 m grids over the whole extent (about 8.3 million cells) for NO2, road-traffic noise and
afternoon heat (PET) for the same 15 years, as GeoTIFFs.

It writes a complete second monitor beside the Den Haag one — `datasets/` (manifests and
files) and `config/` (the city, indicators and the rest copied from config/) under
`var/scale-nl/` — selected by configuration, never by code:

    OM_CONFIG_DIR=var/scale-nl/config OM_DATASETS_DIR=var/scale-nl/datasets \\
    OM_DATABASE_NAME=omgevingsmonitor_nl portal ingest && … portal compute
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely
import yaml

from portal.settings import REPO, VAR_DIR

EXTENT = (13_000.0, 307_000.0, 278_000.0, 619_000.0)  # RD New: the Netherlands' box
CELL = 100.0
YEARS = list(range(2011, 2026))
GEMEENTEN, DEN_HAAG = 342, (81_000.0, 455_000.0)
OUT = VAR_DIR / "scale-nl"
DEMO_NOTE = {"nl": "DEMOGEGEVENS, GEEN METINGEN: gegenereerde schaalset van Nederland.",
             "en": "DEMO DATA, NOT MEASUREMENTS: generated scale set of the Netherlands."}


def _voronoi(points: np.ndarray, clip: shapely.Geometry) -> list[shapely.Geometry]:
    """The Voronoi cells of `points` inside `clip`, in the order of the points."""
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points),
                                                       extend_to=clip, ordered=True))
    out = shapely.intersection(cells, clip)
    return [shapely.make_valid(g) if not shapely.is_valid(g) else g for g in out]


def _points_in(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` random points inside `poly` (rejection sampling on its bounding box)."""
    x0, y0, x1, y1 = poly.bounds
    shapely.prepare(poly)
    found = np.empty((0, 2))
    while len(found) < n:
        cand = np.column_stack([rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)])
        found = np.vstack([found, cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]])
    return found[:n]


def tessellation(seed: int, gemeenten: int = GEMEENTEN) -> dict[str, list[tuple]]:
    """level → [(code, name, geometry)]: gemeenten, their wijken, their buurten."""
    rng = np.random.default_rng(seed)
    box = shapely.box(*EXTENT)
    seeds = np.column_stack([rng.uniform(EXTENT[0], EXTENT[2], gemeenten),
                             rng.uniform(EXTENT[1], EXTENT[3], gemeenten)])
    seeds[np.argmin(np.hypot(*(seeds - DEN_HAAG).T))] = DEN_HAAG
    numbers = rng.choice(np.setdiff1d(np.arange(1, 2000), [518]), gemeenten - 1, replace=False)
    home = int(np.argmin(np.hypot(*(seeds - DEN_HAAG).T)))
    numbers = np.insert(numbers, home, 518)
    out: dict[str, list[tuple]] = {"gemeente": [], "wijk": [], "buurt": []}
    for number, gm in zip(numbers, _voronoi(seeds, box), strict=True):
        g = f"{number:04d}"
        out["gemeente"].append((f"GM{g}", f"Gemeente {g} (demo)", gm))
        n_w = int(rng.integers(4, 16))
        for w, wk in enumerate(_voronoi(_points_in(gm, n_w, rng), gm), start=1):
            out["wijk"].append((f"WK{g}{w:02d}", f"Wijk {w:02d} van {g} (demo)", wk))
            n_b = int(rng.integers(2, 8))
            for b, bu in enumerate(_voronoi(_points_in(wk, n_b, rng), wk), start=1):
                out["buurt"].append((f"BU{g}{w:02d}{b:02d}", f"Buurt {w:02d}{b:02d} van {g} (demo)",
                                     bu))
    return _noded(out)


def _noded(levels: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """One noded tessellation, as CBS publishes it: the buurten as the faces of all their
    boundaries noded together, wijken and gemeenten as the unions of their buurten.

    Clipped Voronoi cells of different wijken meet along the wijk boundary at different
    vertices; the slivers of 10⁻⁹ m² between them made buurten overlap, and the weights
    planned ten layers instead of one (weights.py)."""
    buurten = np.array([g for _, _, g in levels["buurt"]])
    lines = shapely.union_all(shapely.boundary(buurten))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    face, home = shapely.STRtree(buurten).query(shapely.point_on_surface(faces),
                                                predicate="within")
    parts: dict[int, list] = {}
    for f, b in zip(face, home, strict=True):
        parts.setdefault(int(b), []).append(faces[f])
    geoms = {code: shapely.coverage_union_all(parts[i]) if len(parts[i]) > 1 else parts[i][0]
             for i, (code, _, _) in enumerate(levels["buurt"])}
    for level, width in (("wijk", 8), ("gemeente", 6)):
        members: dict[str, list] = {}
        for code, geom in geoms.items():
            if code.startswith("BU"):
                members.setdefault(code[2:width], []).append(geom)
        for code, _, _ in levels[level]:
            geoms[code] = shapely.coverage_union_all(members[code[2:]])
    return {level: [(code, name, geoms[code]) for code, name, _ in rows]
            for level, rows in levels.items()}


def _interp2(coarse: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear upsampling of a coarse lattice to `shape` (separable, numpy only)."""
    rows = np.linspace(0, coarse.shape[0] - 1, shape[0])
    r0 = np.floor(rows).astype(int)
    r1, fr = np.minimum(r0 + 1, coarse.shape[0] - 1), (rows - np.floor(rows))[:, None]
    tmp = coarse[r0] * (1 - fr) + coarse[r1] * fr
    cols = np.linspace(0, coarse.shape[1] - 1, shape[1])
    c0 = np.floor(cols).astype(int)
    c1, fc = np.minimum(c0 + 1, coarse.shape[1] - 1), cols - np.floor(cols)
    return (tmp[:, c0] * (1 - fc) + tmp[:, c1] * fc).astype(np.float32)


def urban_field(seed: int, shape: tuple[int, int], centres: int = 60) -> np.ndarray:
    """0..1: how urban each cell is (Gaussian towns on a 1 km lattice, upsampled)."""
    rng = np.random.default_rng(seed + 1)
    ny, nx = (shape[0] + 9) // 10, (shape[1] + 9) // 10
    ys, xs = np.mgrid[0:ny, 0:nx].astype(np.float32)
    field = np.zeros((ny, nx), np.float32)
    for cx, cy, r, w in zip(rng.uniform(0, nx, centres), rng.uniform(0, ny, centres),
                            rng.uniform(2, 12, centres), rng.uniform(0.3, 1.0, centres),
                            strict=True):
        field += w * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * r * r))
    return _interp2(np.clip(field, 0, 1), shape)


THEMES = {  # dataset id → (indicator, value of a cell from urban u, year index t, noise n)
    "demo-no2-grid": ("no2_annual_mean", "no2", lambda u, t, n: (9 + 22 * u + 2 * n) * 0.975 ** t),
    "demo-geluid-wegverkeer": ("noise_road_lden", "lden",
                               lambda u, t, n: 42 + 20 * u + 3 * n + 0.05 * t),
    "demo-hitte-pet": ("pet_afternoon", "pet", lambda u, t, n: 30 + 9 * u + 1.5 * n + 0.08 * t),
}


def _write_tif(path: Path, grid: np.ndarray, year: int, cell: float) -> None:
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=grid.shape[1], height=grid.shape[0],
                       count=1, dtype="float32", crs="EPSG:28992", nodata=-9999.0,
                       transform=from_origin(EXTENT[0], EXTENT[3], cell, cell),
                       compress="deflate", predictor=3, tiled=True, blockxsize=512,
                       blockysize=512) as ds:
        ds.write(grid, 1)
        ds.update_tags(year=str(year), demo="DEMO DATA, generated (portal demo --scale nl)")


def grids(out: Path, seed: int, years: list[int], progress: Callable[[str], None],
          cell: float = CELL) -> None:
    shape = (int((EXTENT[3] - EXTENT[1]) / cell), int((EXTENT[2] - EXTENT[0]) / cell))
    urban = urban_field(seed, shape)
    for dataset, (_, stem, value) in THEMES.items():
        folder = out / "datasets" / dataset
        folder.mkdir(parents=True, exist_ok=True)
        for t, year in enumerate(years):
            rng = np.random.default_rng(seed * 1000 + t)
            noise = _interp2(rng.standard_normal(((shape[0] + 19) // 20, (shape[1] + 19) // 20))
                             .astype(np.float32), shape)
            _write_tif(folder / f"{stem}_{year}.tif", value(urban, t, noise).astype(np.float32),
                       year, cell)
            progress(f"{dataset} {year}")


def _manifest(id_: str, title: str, source: dict, load: dict, publish: dict | None = None,
              theme: str | None = None) -> dict:
    m = {"id": id_, "title": {"nl": f"DEMO – {title} (schaalset Nederland)",
                              "en": f"DEMO – {title} (scale set of the Netherlands)"},
         "description": DEMO_NOTE, "publisher": "Omgevingsmonitor (demo generator)",
         "attribution": "Demo data generated by the Omgevingsmonitor – not measured",
         "license": "CC0-1.0", "source_url": "https://omgevingsmonitor.denhaag.nl/demo",
         "provenance": "Generated by `portal demo --scale nl` (portal/ingest/demo_national.py).",
         "keywords": ["demo", "schaalset"], "access": "public", "demo": True,
         "update": "generated", "source": source, "load": load}
    if theme:
        m["theme"] = theme
    if publish:
        m["publish"] = publish
    return m


def write_set(seed: int = 518, out: Path = OUT, years: list[int] | None = None,
              gemeenten: int = GEMEENTEN, progress: Callable[[str], None] = lambda s: None,
              cell: float = CELL) -> dict[str, int]:
    """Write the whole scale set under `out`; the counts per level."""
    import geopandas as gpd

    years = years or YEARS
    if (out / "datasets").exists():
        shutil.rmtree(out / "datasets")
    areas = tessellation(seed, gemeenten)
    progress(f"{len(areas['buurt'])} buurten")
    level_ids = {"gemeente": "nl-gemeenten", "wijk": "nl-wijken", "buurt": "nl-buurten"}
    for level, rows in areas.items():
        folder = out / "datasets" / level_ids[level]
        folder.mkdir(parents=True, exist_ok=True)
        gpd.GeoDataFrame({"statcode": [r[0] for r in rows], "statnaam": [r[1] for r in rows]},
                         geometry=[r[2] for r in rows], crs="EPSG:28992").to_file(
            folder / f"{level}.gpkg", driver="GPKG")
        table = {"gemeente": "gemeenten", "wijk": "wijken", "buurt": "buurten"}[level]
        _dump(folder, _manifest(level_ids[level], f"{table} (tessellatie)",
                                {"path": f"{level}.gpkg", "format": "gpkg", "crs": "EPSG:28992"},
                                {"into": "area", "level": level,
                                 "fields": {"code": "statcode", "name": "statnaam"}},
                                {"collection": table, "table": table}))
    rng = np.random.default_rng(seed + 2)
    folder = out / "datasets" / "nl-inwoners"
    folder.mkdir(parents=True, exist_ok=True)
    base = rng.lognormal(7.0, 0.8, len(areas["buurt"]))
    with (folder / "inwoners.csv").open("w", encoding="utf-8") as f:
        f.write("buurtcode," + ",".join(f"inwoners_{y}" for y in years) + "\n")
        for (code, _, _), b in zip(areas["buurt"], base, strict=True):
            growth = 1 + rng.normal(0.004, 0.01)
            f.write(code + "," + ",".join(str(int(round(b * growth ** t / 5) * 5))
                                          for t in range(len(years))) + "\n")
    _dump(folder, _manifest("nl-inwoners", "inwoners per buurt",
                            {"path": "inwoners.csv", "format": "csv"},
                            {"into": "area_figure", "area_code": "buurtcode", "years": years,
                             "fields": {"inwoners": {"source": "inwoners_{year}",
                                                     "type": "integer", "range": [0, None]}}}))
    grids(out, seed, years, progress, cell)
    for dataset, (indicator, stem, _) in THEMES.items():
        theme = {"no2": "luchtkwaliteit", "lden": "geluid", "pet": "hitte"}[stem]
        _dump(out / "datasets" / dataset, _manifest(
            dataset, f"{indicator} 100 m", {"path": f"{stem}_{{year}}.tif", "format": "geotiff",
                                            "crs": "EPSG:28992"},
            {"into": "grid", "indicator": indicator}, theme=theme))
    _config(out)
    return {level: len(rows) for level, rows in areas.items()}


NATIONAL_INDICATORS = {
    "no2_annual_mean": {"kind": "grid_mean", "dataset": "demo-no2-grid"},
    "noise_road_lden": {"kind": "grid_mean", "dataset": "demo-geluid-wegverkeer"},
    "noise_road_lden_share_above_53": {"kind": "grid_share_above",
                                       "dataset": "demo-geluid-wegverkeer",
                                       "threshold_norm": "bkl-standaardwaarde-gemeentewegen-lden"},
    "pet_afternoon": {"kind": "grid_mean", "dataset": "demo-hitte-pet"},
    "pet_afternoon_max": {"kind": "grid_max", "dataset": "demo-hitte-pet"},
    "pet_share_above_35": {"kind": "grid_share_above", "dataset": "demo-hitte-pet",
                           "threshold": 35},
}


def _config(out: Path) -> None:
    """config/ of the scale set: the Den Haag one with its own indicators (the national
    grids) and the same city code, whose gemeente the tessellation puts where Den Haag is.
    Always from the repository's config/, also when OM_CONFIG_DIR points at the set's own."""
    cfg = out / "config"
    if cfg.exists():
        shutil.rmtree(cfg)
    shutil.copytree(REPO / "config", cfg)
    ind = yaml.safe_load((REPO / "config" / "indicators.yml").read_text(encoding="utf-8"))
    ind["indicators"] = NATIONAL_INDICATORS
    ind.pop("stations", None)
    (cfg / "indicators.yml").write_text(yaml.safe_dump(ind, sort_keys=False), encoding="utf-8")


def _dump(folder: Path, manifest: dict) -> None:
    (folder / "dataset.yml").write_text(
        "# generated by `portal demo --scale nl`: DEMO data\n"
        + yaml.safe_dump(json.loads(json.dumps(manifest)), allow_unicode=True, sort_keys=False),
        encoding="utf-8")
