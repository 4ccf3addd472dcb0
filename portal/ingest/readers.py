"""Read a manifest's source into one table of raw columns plus geometries in RD New.

GDAL-based libraries do the parsing (pyogrio for vector files, rasterio for
grids, pandas for CSV text); nothing here parses a file format by hand. A
source whose CRS is neither declared nor in the file is an error: we never
guess a CRS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyogrio
import pyogrio.errors
import rasterio
import rasterio.errors
import shapely
from pyproj import CRS, Transformer

from portal.errors import UserError
from portal.ingest.manifest import Manifest

RD = CRS.from_epsg(28992)


@dataclass
class Frame:
    """Raw source rows (row n of the source is index n - 1) and their geometries."""

    table: pd.DataFrame
    geom: np.ndarray | None  # shapely geometries in EPSG:28992, None where missing

    def __len__(self) -> int:
        return len(self.table)


@dataclass
class Band:
    year: int
    x_min: float
    y_max: float
    cell_size: float
    ncols: int
    nrows: int
    values: np.ndarray  # float32, NaN = no data, row-major from the upper-left cell


def _crs(m: Manifest, found, path: Path) -> CRS:
    declared = CRS.from_user_input(m.source["crs"]) if m.source.get("crs") else None
    in_file = CRS.from_user_input(found) if found else None
    if declared and in_file and not declared.equals(in_file, ignore_axis_order=True):
        raise UserError(f"{m.path}: key 'source.crs' is {declared.to_string()} but {path.name} "
                        f"is in {in_file.to_string()}; fix the manifest or the file")
    crs = declared or in_file
    if crs is None:
        raise UserError(f"{m.path}: {path.name} has no CRS and the manifest declares none; "
                        "add source.crs (e.g. EPSG:28992)")
    return crs


def _to_rd(geom: np.ndarray, crs: CRS) -> np.ndarray:
    if crs.equals(RD):
        return geom
    # always_xy: x = easting / longitude whatever the CRS's axis order (EPSG:4326 is lat/lon)
    tr = Transformer.from_crs(crs, RD, always_xy=True)
    return shapely.transform(geom, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))


def read_frame(m: Manifest, path: Path) -> Frame:
    fmt = m.source["format"]
    if fmt == "csv":
        return _read_csv(m, path)
    if fmt == "luchtmeetnet":
        return _read_luchtmeetnet(m, path)
    target = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        gdf = pyogrio.read_dataframe(target, layer=m.source.get("layer"), use_arrow=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.GeometryError, OSError) as exc:
        raise UserError(f"{path}: cannot read as {fmt} (damaged or truncated file?): "
                        f"{str(exc).splitlines()[0]}") from None
    crs = _crs(m, gdf.crs, path)
    geom = np.asarray(gdf.geometry.values, dtype=object)
    return Frame(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), _to_rd(geom, crs))


def _read_csv(m: Manifest, path: Path) -> Frame:
    src = m.source
    dec = src.get("decimal", ".")
    try:  # Arrow's multi-threaded reader; a column is numeric only if every value parses
        table = pa_csv.read_csv(
            path, read_options=pa_csv.ReadOptions(encoding=src.get("encoding", "utf8")),
            parse_options=pa_csv.ParseOptions(delimiter=src.get("sep", ",")),
            convert_options=pa_csv.ConvertOptions(decimal_point=dec, strings_can_be_null=True))
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read as CSV (damaged or truncated file?): "
                        f"{str(exc).splitlines()[0]}") from None
    df = table.to_pandas()
    if not src.get("x"):
        return Frame(df, None)
    crs = _crs(m, None, path)
    missing = [c for c in (src["x"], src["y"]) if c not in df.columns]
    if missing:
        raise UserError(f"{m.path}: key 'source.x'/'source.y': column {', '.join(missing)} not in "
                        f"{path.name}; columns are {', '.join(df.columns)}")
    def num(col: str) -> np.ndarray:
        if pd.api.types.is_numeric_dtype(df[col].dtype):
            return df[col].to_numpy(dtype=float)
        text = df[col].astype("string").str.strip()
        if dec != ".":
            text = text.str.replace(dec, ".", regex=False)
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)

    x, y = num(src["x"]), num(src["y"])
    ok = np.isfinite(x) & np.isfinite(y)
    geom = np.full(len(df), None, dtype=object)
    geom[ok] = shapely.points(x[ok], y[ok])
    geom[ok] = _to_rd(geom[ok], crs)
    return Frame(df, geom)


def _read_luchtmeetnet(m: Manifest, path: Path) -> Frame:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid JSON (damaged or truncated file?): {exc}") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise UserError(f"{path}: expected a Luchtmeetnet API response with a 'data' list")
    df = pd.DataFrame([{k: v for k, v in d.items() if k != "geometry"} for d in data])
    coords = [(d.get("geometry") or {}).get("coordinates") for d in data]
    if not any(coords):
        return Frame(df, None)
    crs = _crs(m, "OGC:CRS84", path)  # Luchtmeetnet gives [lon, lat]
    geom = np.array([shapely.Point(c[:2]) if c else None for c in coords], dtype=object)
    ok = geom != None
    geom[ok] = _to_rd(geom[ok], crs)
    return Frame(df, geom)


def read_grids(m: Manifest) -> Iterator[Band]:
    for path in m.source_files():
        try:
            with rasterio.open(path) as ds:
                crs = _crs(m, ds.crs.to_wkt() if ds.crs else None, path)
                if not crs.equals(RD):
                    raise UserError(f"{path}: grids must be in EPSG:28992 (RD New), "
                                    f"got {crs.to_string()}")
                t = ds.transform
                if t.b != 0 or t.d != 0 or abs(t.a) != abs(t.e):
                    raise UserError(f"{path}: only north-up grids with square cells are supported")
                vals = ds.read(1, masked=True).astype("float32").filled(np.nan)
        except rasterio.errors.RasterioError as exc:
            raise UserError(f"{path}: cannot read as {m.source['format']} "
                            f"(damaged or truncated file?): {exc}") from None
        yield Band(m.year_of(path), t.c, t.f, t.a, ds.width, ds.height, vals)
