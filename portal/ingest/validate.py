"""Turn raw source rows into normalised, typed rows — column-wise, not row by row.

Every row either passes or is rejected with the first field that failed, its
raw value and the reason, so loaded + rejected always equals rows read.
Invalid geometries are repaired with make_valid and counted; what cannot be
repaired into the expected kind of geometry is rejected.
"""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from string import Formatter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import Transformer

from portal.errors import UserError
from portal.ingest.manifest import Field, Manifest
from portal.ingest.readers import RD, Frame

KINDS = {"area": "polygon", "station": "point"}
# EPSG:28992's area of use in its own coordinates; anything outside was read in the wrong CRS.
RD_AREA = Transformer.from_crs("EPSG:4326", RD, always_xy=True).transform_bounds(
    *RD.area_of_use.bounds)
# shapely geometry type ids
_POINT, _LINEAL, _POLYGONAL, _COLLECTION = [0], [1, 5], [3, 6], 7
_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
               5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


@dataclass
class Checked:
    rows: pd.DataFrame  # accepted rows: normalised columns, `geom` (EWKB, Arrow) and `_row`
    rejected: pd.DataFrame  # _row, field, raw, reason
    read: int
    repaired: int


def geometry_kind(m: Manifest) -> str | None:
    if m.target in KINDS:
        return KINDS[m.target]
    if m.target == "features":
        return m.load.get("geometry", "any")
    return None


class _Rejects:
    """First failure per row wins; later checks skip rows already rejected."""

    def __init__(self, n: int):
        self.reason = np.full(n, None, dtype=object)
        self.field = np.full(n, None, dtype=object)
        self.raw = np.full(n, None, dtype=object)
        self._ok = np.ones(n, bool)

    @property
    def ok(self) -> np.ndarray:
        return self._ok.copy()

    def add(self, mask: np.ndarray, field: str, raw, reason: str) -> None:
        """`raw`: the raw values (array), a function of the mask giving them, or None."""
        mask = mask & self._ok
        if mask.any():
            self._ok &= ~mask
            self.reason[mask] = reason
            self.field[mask] = field
            if callable(raw):
                self.raw[mask] = raw(mask)
            elif raw is not None:
                self.raw[mask] = np.asarray(raw, dtype=object)[mask]


def _picker(series: pd.Series):
    """Raw values of the rejected rows only: converting a whole column is costly."""
    return lambda mask: series[mask].to_numpy(dtype=object)


def _source(m: Manifest, f: Field, df: pd.DataFrame) -> pd.Series:
    parts = list(Formatter().parse(f.source)) if "{" in f.source else [("", f.source, "", None)]
    missing = [col for _, col, _, _ in parts if col and col not in df.columns]
    if missing:
        raise UserError(f"{m.path}: key 'load.fields.{f.name}': source column "
                        f"{', '.join(repr(c) for c in missing)} not in the file; columns are "
                        f"{', '.join(map(str, df.columns))}")
    if "{" not in f.source:
        return df[f.source]
    out = pd.Series([""] * len(df), index=df.index, dtype=object)
    for literal, col, _, _ in parts:
        out = out + literal
        if col:
            out = out + df[col].astype(str)
    return out


def _empty(s: pd.Series) -> np.ndarray:
    na = s.isna().to_numpy().copy()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        na |= s.astype("string").str.strip().eq("").fillna(True).to_numpy(dtype=bool)
    return na


def _convert(m: Manifest, f: Field, s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Typed values and a mask of non-empty values that could not be read."""
    if f.type == "text":
        text = s if pd.api.types.is_string_dtype(s.dtype) else s.astype("string")
        return text.str.strip(), np.zeros(len(s), bool)
    if f.type == "date":
        d = pd.to_datetime(s, errors="coerce")
        return d.dt.date, (d.isna() & s.notna()).to_numpy()
    if f.type == "year":
        text = s.astype(str).str.strip().str[:4]
        y = pd.to_numeric(text, errors="coerce")
        bad = y.isna() | (y < 1900) | (y > 2100)
        return y, bad.to_numpy()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        text = s.astype("string").str.strip()
        if m.source.get("decimal", ".") != "." or m.source["format"] == "luchtmeetnet":
            text = text.str.replace(",", ".", regex=False)
        x = pd.to_numeric(text, errors="coerce")
    else:
        x = pd.to_numeric(s, errors="coerce")
    bad = ~np.isfinite(x.to_numpy(dtype=float))
    if f.type == "integer":
        bad |= ~bad & (x.fillna(0) % 1 != 0).to_numpy()
        x = x.astype("Int64", errors="ignore") if not bad.any() else x
    return x, bad


def check(m: Manifest, frame: Frame) -> Checked:
    df, n = frame.table, len(frame)
    kind = geometry_kind(m)
    if kind and not frame.has_geometry:
        raise UserError(f"{m.path}: the source has no geometries, but load.into "
                        f"'{m.target}' needs them")
    # GEOS checks the geometries in a worker thread while the fields are checked here.
    shapes = _Shapes(frame.geometries()) if kind else None
    rej = _Rejects(n)
    out = pd.DataFrame(index=df.index)
    for f in m.fields:
        raw = _source(m, f, df)
        empty = _empty(raw)
        if f.required:
            rej.add(empty, f.name, _picker(raw), "empty value")
        values, bad = _convert(m, f, raw)
        rej.add(bad & ~empty, f.name, _picker(raw), f"not a valid {f.type}")
        lo, hi = f.range
        if f.type in ("number", "integer", "year") and (lo is not None or hi is not None):
            v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                outside = ((v < lo) if lo is not None else False) | (
                    (v > hi) if hi is not None else False)
            rej.add(outside & ~empty & ~bad, f.name, _picker(raw),
                    f"outside valid range {lo}–{hi}")
        out[f.name] = values
    repaired = 0
    if shapes is not None:
        ewkb, repaired = _geometries(shapes, kind, rej, frame.rd_wkb)
        out["geom"] = pd.Series(pd.arrays.ArrowExtensionArray(ewkb), index=out.index)
    id_field = m.load.get("id_field") or {"area": "code", "station": "id"}.get(m.target)
    if id_field and not _all_distinct(out[id_field], rej.ok):
        dup = out[id_field].where(rej.ok).duplicated(keep="first").to_numpy() & rej.ok
        rej.add(dup, id_field, _picker(out[id_field]), "duplicate id")
    ok = rej.ok
    rows = out.loc[ok].copy() if not ok.all() else out
    rows["_row"] = np.flatnonzero(ok) + 1
    bad = ~ok
    rejected = pd.DataFrame({"_row": np.flatnonzero(bad) + 1, "field": rej.field[bad],
                             "raw": [None if v is None else str(v)[:500] for v in rej.raw[bad]],
                             "reason": rej.reason[bad]})
    return Checked(rows, rejected, n, repaired)


def _all_distinct(ids: pd.Series, ok: np.ndarray) -> bool:
    """A quick answer for the usual case (Arrow-backed ids, all different); False: look."""
    if not isinstance(ids.dtype, pd.StringDtype | pd.ArrowDtype):
        return False
    arr = pa.array(ids.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.filter(pa.array(ok))
    return len(pc.unique(arr)) == len(arr)


class _Shapes:
    """The checks of geometries that need nothing else: missing, outside the RD New area,
    and (in a worker thread: GEOS runs without the GIL) valid."""

    def __init__(self, geom: np.ndarray):
        self.geom = geom
        self.missing = shapely.is_missing(geom) | shapely.is_empty(geom)
        xmin, ymin, xmax, ymax = shapely.bounds(geom).T
        with np.errstate(invalid="ignore"):
            self.outside = ~self.missing & ~((xmin >= RD_AREA[0]) & (ymin >= RD_AREA[1]) &
                                             (xmax <= RD_AREA[2]) & (ymax <= RD_AREA[3]))
        self.present = ~self.missing & ~self.outside
        parts = np.array_split(geom[self.present], 8)
        self._parts = [(part, _pool().submit(shapely.is_valid, part)) for part in parts]

    @property
    def invalid(self) -> np.ndarray:
        """Waits for the worker, doing the parts it has not started yet here."""
        valid = [shapely.is_valid(part) if job.cancel() else job.result()
                 for part, job in reversed(self._parts)][::-1]
        invalid = np.zeros(len(self.geom), bool)
        invalid[self.present] = ~np.concatenate(valid)
        return invalid


def _geometries(shapes: _Shapes, kind: str, rej: _Rejects,
                wkb: pa.Array | None = None) -> tuple[pa.Array, int]:
    """Check (and repair) the geometries; return them as EWKB (null where rejected).

    `wkb`: the geometries as read, if any; those that pass unchanged are passed on as they
    are (only their header is rewritten), the others are encoded again.
    """
    geom = shapes.geom.copy()
    rej.add(shapes.missing, "geometry", None, "missing or empty geometry")
    rej.add(shapes.outside, "geometry", lambda m: shapely.to_wkt(geom[m], rounding_precision=1),
            "coordinates outside the Netherlands (RD New area of use): wrong CRS or axis order?")
    present = shapes.present
    invalid = shapes.invalid
    if invalid.any():
        geom[invalid] = shapely.make_valid(geom[invalid])
    changed = invalid.copy()
    types = shapely.get_type_id(geom)
    if kind == "polygon":
        for i in np.flatnonzero(present & (types == _COLLECTION)):  # make_valid leftovers
            polys = [p for p in geom[i].geoms if p.geom_type in ("Polygon", "MultiPolygon")]
            geom[i] = shapely.union_all(polys) if polys else geom[i]
            changed[i] = True
        types = shapely.get_type_id(geom)
    allowed = {"polygon": _POLYGONAL, "line": _LINEAL, "point": _POINT}.get(kind)
    wrong = present & ~np.isin(types, allowed) if allowed else np.zeros(len(geom), bool)
    for repair, note in ((True, " (also after repair)"), (False, "")):
        rej.add(wrong & (invalid == repair), "geometry",
                lambda m: [_TYPE_NAMES.get(t) for t in types[m]], f"geometry is not a {kind}{note}")
    return _ewkb(geom, present & ~wrong & rej.ok, changed, kind, wkb), int((invalid & rej.ok).sum())


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(1, thread_name_prefix="validate")


SRID = 28992
_EWKB_SRID = 0x20000000  # EWKB type flag: an SRID follows the type
_MULTI = {"polygon": 6, "line": 5}  # one geometry type per table: what QGIS expects


def _ewkb(geom: np.ndarray, sel: np.ndarray, changed: np.ndarray, kind: str,
          wkb: pa.Array | None) -> pa.Array:
    """EWKB (SRID 28992) of the selected geometries, polygons and lines as Multi*; null elsewhere.

    Unchanged 2D little-endian WKB as read is reused: a single part is wrapped in a Multi
    header, otherwise the SRID is put into the header. The rest goes through shapely.
    """
    n = len(geom)
    multi = _MULTI.get(kind)
    pieces: list[tuple[np.ndarray, pa.Array]] = []
    fast = sel & ~changed
    if wkb is not None and fast.any():
        order, wtype = _wkb_header(wkb)
        fast &= (order == 1) & (wtype >= 1) & (wtype <= 7)  # little-endian, 2D, no SRID
        if multi:
            fast &= (wtype == multi) | (wtype == multi - 3)
        for t in np.unique(wtype[fast]):
            this = fast & (wtype == t)
            rows = np.flatnonzero(this)
            part = wkb if len(rows) == n else wkb.filter(pa.array(this))
            if multi and t == multi - 3:  # Polygon → MultiPolygon, LineString → MultiLineString
                head = struct.pack("<BIII", 1, multi | _EWKB_SRID, SRID, 1)
            else:  # the same header with the SRID; an explicit stop: pyarrow 26 fails without
                head = struct.pack("<BII", 1, int(t) | _EWKB_SRID, SRID)
                longest = pc.max(pc.binary_length(part)).as_py()
                part = pc.binary_slice(part, 5, longest)
            pieces.append((rows, pc.binary_join_element_wise(
                pa.scalar(head, pa.binary()), part.cast(pa.binary()), b"")))
    else:
        fast[:] = False
    slow = sel & ~fast
    if slow.any():
        rows = np.flatnonzero(slow)
        g = geom[rows]
        make_multi = {"polygon": shapely.multipolygons, "line": shapely.multilinestrings}.get(kind)
        if make_multi:
            parts, idx = shapely.get_parts(g, return_index=True)
            g = make_multi(parts, indices=idx)
        # 2D: the tables are 2D in RD New; a height (Z) in the source is dropped
        pieces.append((rows, pa.array(shapely.to_wkb(shapely.set_srid(g, SRID),
                                                     include_srid=True, output_dimension=2),
                                      type=pa.binary())))
    if not pieces:
        return pa.nulls(n, pa.binary())
    if len(pieces) == 1 and len(pieces[0][0]) == n:
        return pieces[0][1]
    position = np.zeros(n, np.int64)
    start = 0
    for rows, part in pieces:
        position[rows] = np.arange(start, start + len(rows))
        start += len(rows)
    return pa.concat_arrays([p for _, p in pieces]).take(pa.array(position, mask=~sel))


def _wkb_header(wkb: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Byte order and geometry type (as little-endian uint32) of each WKB; 0 where too short."""
    offsets_type = np.int64 if pa.types.is_large_binary(wkb.type) else np.int32
    _, offsets, data = wkb.buffers()
    offsets = np.frombuffer(offsets, offsets_type)[wkb.offset:wkb.offset + len(wkb) + 1]
    data = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    start = offsets[:-1]
    usable = np.diff(offsets) >= 5
    if wkb.null_count:
        usable &= wkb.is_valid().to_numpy(zero_copy_only=False)
    start = np.where(usable, start, 0).astype(np.int64)
    if len(data) < 5:
        return np.zeros(len(wkb), np.uint8), np.zeros(len(wkb), np.uint32)
    head = data[start[:, None] + np.arange(5)]
    wtype = head[:, 1:5].copy().view("<u4").ravel()
    return np.where(usable, head[:, 0], 0), np.where(usable, wtype, 0)
