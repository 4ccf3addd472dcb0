"""Read a manifest's source into uniform records, with GDAL-based libraries.

Vector sources become (row number, properties, geometry in EPSG:28992); grids
become (year, grid spec, values). A source whose CRS is neither declared nor in
the file is an error: we never guess a CRS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import rasterio
import shapely
from pyproj import CRS

from portal.errors import UserError
from portal.ingest.manifest import Manifest

RD = CRS.from_epsg(28992)


@dataclass
class Record:
    row: int  # 1-based row number in the source, for quarantine and error messages
    props: dict[str, Any]
    geom: shapely.Geometry | None = None


@dataclass
class Band:
    year: int
    x_min: float
    y_max: float
    cell_size: float
    ncols: int
    nrows: int
    values: np.ndarray  # float32, NaN = no data, row-major from the upper-left cell


def _declared_crs(m: Manifest) -> CRS | None:
    return CRS.from_user_input(m.source["crs"]) if m.source.get("crs") else None


def _crs(m: Manifest, found: Any, path: Path) -> CRS:
    declared = _declared_crs(m)
    in_file = CRS.from_user_input(found) if found else None
    if declared and in_file and not declared.equals(in_file, ignore_axis_order=True):
        raise UserError(f"{m.path}: source.crs {declared.to_string()} differs from the CRS "
                        f"in {path.name} ({in_file.to_string()})")
    crs = declared or in_file
    if crs is None:
        raise UserError(f"{m.path}: {path.name} has no CRS and the manifest declares none; "
                        "add source.crs (e.g. EPSG:28992)")
    return crs


def read_vector(m: Manifest, path: Path) -> Iterator[Record]:
    fmt = m.source["format"]
    if fmt == "csv":
        yield from _read_csv(m, path)
        return
    if fmt == "luchtmeetnet":
        yield from _read_luchtmeetnet(m, path)
        return
    target = f"/vsizip/{path}" if fmt == "shp" and path.suffix == ".zip" else str(path)
    try:
        gdf = pyogrio.read_dataframe(target, layer=m.source.get("layer"))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise UserError(f"{path}: cannot read as {fmt}: {exc}") from None
    crs = _crs(m, gdf.crs, path)
    gdf = gdf.set_crs(crs, allow_override=True).to_crs(RD)
    props = gdf.drop(columns="geometry").to_dict("records")
    for i, (p, g) in enumerate(zip(props, gdf.geometry.values, strict=True), start=1):
        yield Record(i, p, g)


def _read_csv(m: Manifest, path: Path) -> Iterator[Record]:
    src = m.source
    df = pd.read_csv(path, sep=src.get("sep", ","), decimal=src.get("decimal", "."),
                     encoding="utf-8-sig", dtype=str, keep_default_na=False)
    crs = _crs(m, None, path)
    for col in (src.get("x"), src.get("y")):
        if col is None or col not in df.columns:
            raise UserError(f"{m.path}: source.x / source.y must name columns of {path.name}; "
                            f"columns are {', '.join(df.columns)}")
    dec = src.get("decimal", ".")
    x = pd.to_numeric(df[src["x"]].str.replace(dec, ".", regex=False), errors="coerce")
    y = pd.to_numeric(df[src["y"]].str.replace(dec, ".", regex=False), errors="coerce")
    pts = shapely.points(x.to_numpy(), y.to_numpy())
    from pyproj import Transformer  # local: only CSV needs a per-point transform

    tr = Transformer.from_crs(crs, RD, always_xy=True)
    pts = shapely.transform(pts, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    for i, (p, g) in enumerate(zip(df.to_dict("records"), pts, strict=True), start=1):
        bad = g is None or g.is_empty or not np.isfinite(shapely.get_coordinates(g)).all()
        yield Record(i, p, None if bad else g)


def _read_luchtmeetnet(m: Manifest, path: Path) -> Iterator[Record]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON: {exc}") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list):
        raise UserError(f"{path}: expected a Luchtmeetnet response with a 'data' list")
    for i, item in enumerate(data, start=1):
        geom = None
        g = item.get("geometry") if isinstance(item, dict) else None
        if isinstance(g, dict) and g.get("coordinates"):
            geom = shapely.points(*g["coordinates"][:2])
        yield Record(i, item if isinstance(item, dict) else {"_raw": item}, geom)


def read_grids(m: Manifest) -> Iterator[Band]:
    for path in m.source_files():
        with rasterio.open(path) as ds:
            crs = _crs(m, ds.crs.to_wkt() if ds.crs else None, path)
            if not crs.equals(RD):
                raise UserError(f"{path}: grids must be in EPSG:28992 (RD New), got {crs.to_string()}")
            t = ds.transform
            if t.b != 0 or t.d != 0 or abs(t.a) != abs(t.e):
                raise UserError(f"{path}: only north-up grids with square cells are supported")
            vals = ds.read(1, masked=True).astype("float32").filled(np.nan)
            yield Band(m.year_of(path), t.c, t.f, t.a, ds.width, ds.height, vals)
