"""Read a manifest's source into one table of raw columns plus geometries in RD New.

GDAL-based libraries do the parsing (pyogrio for vector files, rasterio for
grids, pandas for CSV text); nothing here parses a file format by hand. A
source whose CRS is neither declared nor in the file is an error: we never
guess a CRS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyogrio
import pyogrio.errors
import shapely
from pyproj import CRS, Transformer

from portal.errors import UserError
from portal.ingest.manifest import Manifest

RD = CRS.from_epsg(28992)


@dataclass
class Frame:
    """Raw source rows (row n of the source is index n - 1) and their geometries.

    Geometries read as WKB are parsed (and reprojected) on first use, slice by slice
    when the frame is checked in slices.
    """

    table: pd.DataFrame
    geom: np.ndarray | None  # shapely geometries in EPSG:28992, None where missing
    wkb: pa.Array | None = None  # the geometries as read, if not parsed yet: WKB in `crs`
    crs: CRS = RD
    start: int = 0  # rows of the source before this frame's first row (a frame can be a part)

    def __len__(self) -> int:
        return len(self.table)

    @property
    def has_geometry(self) -> bool:
        return self.geom is not None or self.wkb is not None

    def geometries(self) -> np.ndarray | None:
        """Shapely geometries in EPSG:28992 (parsed from the WKB once)."""
        if self.geom is None and self.wkb is not None:
            self.geom = _to_rd(shapely.from_wkb(self.wkb.to_numpy(zero_copy_only=False)),
                               self.crs)
        return self.geom

    @property
    def rd_wkb(self) -> pa.Array | None:
        """The WKB as read if it is in EPSG:28992: unchanged geometries can be passed on."""
        return self.wkb if self.wkb is not None and self.crs.equals(RD) else None

    def rows(self, start: int, stop: int) -> Frame:
        stop = min(stop, len(self))
        return Frame(self.table.iloc[start:stop],
                     None if self.geom is None else self.geom[start:stop],
                     None if self.wkb is None else self.wkb.slice(start, stop - start),
                     self.crs, self.start + start)


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
    tr = _transformer(crs)
    return shapely.transform(geom, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))


@lru_cache(maxsize=8)
def _transformer(crs: CRS) -> Transformer:
    # always_xy: x = easting / longitude whatever the CRS's axis order (EPSG:4326 is lat/lon)
    return Transformer.from_crs(crs, RD, always_xy=True)


def read_frame(m: Manifest, path: Path) -> Frame:
    """The whole source file as one frame."""
    if m.source["format"] in READ_WHOLE:
        return READ_WHOLE[m.source["format"]](m, path)
    return next(_read_vector(m, path, None))


def read_frames(m: Manifest, path: Path, rows: int) -> Iterator[Frame]:
    """The source file in frames of at most `rows` rows (at least one frame). Vector files
    are streamed: a frame can be checked while GDAL reads the next."""
    if m.source["format"] not in READ_WHOLE:
        yield from _read_vector(m, path, rows)
        return
    frame = READ_WHOLE[m.source["format"]](m, path)
    if len(frame) <= rows:
        yield frame
    else:
        yield from (frame.rows(start, start + rows) for start in range(0, len(frame), rows))


def _read_vector(m: Manifest, path: Path, rows: int | None) -> Iterator[Frame]:
    """A GDAL vector source via Arrow, in frames of `rows` rows (None: one frame):
    attributes column-wise, geometries as WKB (parsed when checked)."""
    fmt = m.source["format"]
    target = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    unreadable = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
                  pyogrio.errors.FieldError, pyogrio.errors.GeometryError, OSError,
                  pa.ArrowException)

    def damaged(exc: Exception) -> UserError:
        return UserError(f"{path}: cannot read as {fmt} (damaged or truncated file?): "
                         f"{str(exc).splitlines()[0]}")

    with ExitStack() as stack:
        try:
            if rows is None:
                meta, table = pyogrio.read_arrow(target, layer=m.source.get("layer"),
                                                 datetime_as_string=True)
                tables, empty = iter([table]), None
            else:
                meta, reader = stack.enter_context(pyogrio.open_arrow(
                    target, layer=m.source.get("layer"), datetime_as_string=True,
                    batch_size=rows, use_pyarrow=True))
                tables, empty = iter(reader), reader.schema.empty_table()
        except unreadable as exc:
            raise damaged(exc) from None
        crs = _crs(m, meta["crs"], path)
        gname = meta["geometry_name"] or "wkb_geometry"
        start = 0
        while True:
            try:
                table = next(tables, None)
            except unreadable as exc:
                raise damaged(exc) from None
            if table is None:
                if start or empty is None:
                    return
                table, empty = empty, None  # no rows at all: one empty frame, checked all the same
            if isinstance(table, pa.RecordBatch):
                table = pa.Table.from_batches([table])
            if gname not in table.column_names:
                yield Frame(_attributes(table, meta, start), None, start=start)
            else:
                wkb = table.column(gname).combine_chunks()
                if isinstance(wkb, pa.ExtensionArray):  # geoarrow.wkb, when registered
                    wkb = wkb.storage
                yield Frame(_attributes(table.drop_columns([gname]), meta, start), None, wkb,
                            crs, start)
            if not len(table):
                return
            start += len(table)


def _attributes(table: pa.Table, meta: dict, start: int = 0) -> pd.DataFrame:
    """As pyogrio.read_dataframe gives them: date-times (read as ISO 8601 text) parsed.
    Indexed by row number in the source, from 0."""
    df = table.to_pandas()
    if start:
        df.index += start
    for dtype, col in zip(meta["dtypes"], meta["fields"], strict=True):
        if dtype and dtype.startswith("datetime") and dtype != "datetime64[D]" \
                and col in df and pd.api.types.is_string_dtype(df[col].dtype):
            df[col] = _datetimes(df[col])
    return df


def _datetimes(text: pd.Series) -> pd.Series:
    for utc in (False, True):  # different UTC offsets: all in UTC
        try:
            return pd.to_datetime(text, format="ISO8601", utc=utc).dt.as_unit("ms")
        except ValueError as exc:
            if "Mixed timezones" not in str(exc):
                break
    return text  # not ISO 8601 after all: the text


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


READ_WHOLE = {"csv": _read_csv, "luchtmeetnet": _read_luchtmeetnet}  # the others: GDAL vector


def read_grids(m: Manifest) -> Iterator[Band]:
    import rasterio  # here, not at the top: it loads a GDAL of its own
    import rasterio.errors

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
