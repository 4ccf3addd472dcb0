"""Grids as files: each current grid version written once as Cloud-Optimised GeoTIFFs —
one file with every year as a band (the OGC API Coverages collection reads it) and one per
year (for downloads and QGIS's /vsicurl/ with HTTP range requests) — under
var/grids/<dataset>/v<version>-<checksum>/. Licence, attribution, dataset version and the DEMO label
are in the files' tags. `portal compute` writes them; the app writes what is missing at
start-up. Older versions are removed, the newest four kept (a running app may still read one).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
from psycopg.rows import dict_row

from portal.ingest.manifest import Manifest
from portal.settings import VAR_DIR

log = logging.getLogger("portal.gridfiles")
GRID_DIR = VAR_DIR / "grids"
NODATA = -9999.0
KEEP = 4  # versions kept: a running app may still read an older one


@dataclass(frozen=True)
class GridFiles:
    dataset: str
    version: int
    folder: Path
    years: tuple[int, ...]

    @property
    def all_years(self) -> Path:
        return self.folder / "all-years.tif"

    def year(self, year: int) -> Path:
        return self.folder / f"{year}.tif"


def _tags(m: Manifest, version: int, lang: str = "nl") -> dict[str, str]:
    demo = "DEMO – gegenereerde gegevens, geen metingen. " if m.demo else ""
    return {
        "TIFFTAG_IMAGEDESCRIPTION": f"{demo}{m.title[lang]}",
        "TIFFTAG_COPYRIGHT": f"{m.attribution}. Licentie: {m.license}",
        "TIFFTAG_SOFTWARE": "Omgevingsmonitor (portal compute)",
        "dataset": m.id, "dataset_version": str(version), "license": m.license,
        "attribution": m.attribution, "source_url": m.source_url,
        "demo": "true" if m.demo else "false", "value_kind": m.value_kind,
        "indicator": str(m.load.get("indicator") or ""),
    }


def _write(path: Path, bands: list[tuple[int, np.ndarray]], grid: dict, tags: dict) -> None:
    import rasterio
    import rasterio.shutil
    from rasterio.io import MemoryFile
    from rasterio.transform import from_origin

    profile = {"driver": "GTiff", "dtype": "float32", "nodata": NODATA, "crs": "EPSG:28992",
               "width": grid["ncols"], "height": grid["nrows"], "count": len(bands),
               "transform": from_origin(grid["x_min"], grid["y_max"], grid["cell_size"],
                                        grid["cell_size"])}
    with MemoryFile() as mem:
        with mem.open(**profile) as ds:
            ds.update_tags(**tags)
            for i, (year, values) in enumerate(bands, start=1):
                ds.write(values, i)
                ds.set_band_description(i, str(year))
                ds.update_tags(i, year=str(year))
        with mem.open() as src:
            tmp = path.with_suffix(".tmp.tif")
            rasterio.shutil.copy(src, tmp, driver="COG", compress="DEFLATE", predictor="3")
            tmp.replace(path)


def write_grid_files(conn: psycopg.Connection, m: Manifest) -> GridFiles | None:
    """The files of the current version of grid dataset `m` (written if missing)."""
    cur = conn.cursor(row_factory=dict_row)
    grid = cur.execute(
        "SELECT g.id, g.x_min, g.y_max, g.cell_size, g.ncols, g.nrows, dv.version, dv.checksum"
        " FROM monitor.grid g JOIN monitor.dataset_version dv ON dv.id = g.dataset_version_id"
        " WHERE dv.dataset = %s AND dv.is_current", (m.id,)).fetchone()
    if grid is None:
        return None
    years = tuple(r["year"] for r in cur.execute(
        "SELECT year FROM monitor.grid_band WHERE grid_id = %s ORDER BY year", (grid["id"],)))
    # the checksum too: two databases (dev and tests) may both have a version 1
    folder = GRID_DIR / m.id / f"v{grid['version']}-{grid['checksum'][:12]}"
    files = GridFiles(m.id, grid["version"], folder, years)
    if files.all_years.exists() and all(files.year(y).exists() for y in years):
        return files
    files.folder.mkdir(parents=True, exist_ok=True)
    bands = []
    for year in years:
        (vals,) = conn.execute("SELECT vals FROM monitor.grid_band WHERE grid_id = %s"
                               " AND year = %s", (grid["id"], year)).fetchone()
        arr = np.array([NODATA if v is None else v for v in vals], dtype="float32")
        bands.append((year, arr.reshape(grid["nrows"], grid["ncols"])))
    tags = _tags(m, grid["version"])
    for year, values in bands:
        _write(files.year(year), [(year, values)], grid, tags)
    _write(files.all_years, bands, grid, tags)
    log.info("grid files written", extra={"dataset": m.id, "version": grid["version"],
                                          "years": len(years)})
    _prune(GRID_DIR / m.id)
    return files


def ensure_grid_files(db_url: str, manifests: list[Manifest]) -> dict[str, GridFiles]:
    out = {}
    with psycopg.connect(db_url, connect_timeout=10) as conn:
        for m in manifests:
            if m.target == "grid":
                files = write_grid_files(conn, m)
                if files is not None:
                    out[m.id] = files
    return out


def _prune(root: Path) -> None:
    versions = sorted((p for p in root.glob("v*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in versions[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
