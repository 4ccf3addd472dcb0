"""Turn raw source rows into normalised, typed rows — column-wise, not row by row.

Every row either passes or is rejected with the first field that failed, its
raw value and the reason, so loaded + rejected always equals rows read.
Invalid geometries are repaired with make_valid and counted; what cannot be
repaired into the expected kind of geometry is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

import numpy as np
import pandas as pd
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
    rows: pd.DataFrame  # accepted rows: normalised columns, `geom` (hex EWKB) and `_row`
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

    @property
    def ok(self) -> np.ndarray:
        return self.reason == None

    def add(self, mask: np.ndarray, field: str, raw, reason: str) -> None:
        """`raw`: the raw values (array), a function of the mask giving them, or None."""
        mask = mask & self.ok
        if mask.any():
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
    kind = geometry_kind(m)
    if kind:
        if frame.geom is None:
            raise UserError(f"{m.path}: the source has no geometries, but load.into "
                            f"'{m.target}' needs them")
        geom, repaired = _geometries(frame.geom, kind, rej)
        out["geom"] = geom  # shapely objects; encoded as EWKB by the COPY
    id_field = m.load.get("id_field") or {"area": "code", "station": "id"}.get(m.target)
    if id_field:
        dup = out[id_field].where(rej.ok).duplicated(keep="first").to_numpy() & rej.ok
        rej.add(dup, id_field, _picker(out[id_field]), "duplicate id")
    ok = rej.ok
    rows = out.loc[ok].copy()
    rows["_row"] = np.flatnonzero(ok) + 1
    bad = ~ok
    rejected = pd.DataFrame({"_row": np.flatnonzero(bad) + 1, "field": rej.field[bad],
                             "raw": [None if v is None else str(v)[:500] for v in rej.raw[bad]],
                             "reason": rej.reason[bad]})
    return Checked(rows, rejected, n, repaired)


def _geometries(geom: np.ndarray, kind: str, rej: _Rejects) -> tuple[np.ndarray, int]:
    geom = geom.copy()
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    rej.add(missing, "geometry", None, "missing or empty geometry")
    present = ~missing
    xmin, ymin, xmax, ymax = shapely.bounds(geom).T
    with np.errstate(invalid="ignore"):
        outside = present & ~((xmin >= RD_AREA[0]) & (ymin >= RD_AREA[1]) &
                              (xmax <= RD_AREA[2]) & (ymax <= RD_AREA[3]))
    rej.add(outside, "geometry", lambda m: shapely.to_wkt(geom[m], rounding_precision=1),
            "coordinates outside the Netherlands (RD New area of use): wrong CRS or axis order?")
    present &= ~outside
    invalid = np.zeros(len(geom), bool)
    invalid[present] = ~shapely.is_valid(geom[present])
    if invalid.any():
        geom[invalid] = shapely.make_valid(geom[invalid])
    types = shapely.get_type_id(geom)
    if kind == "polygon":
        for i in np.flatnonzero(present & (types == _COLLECTION)):  # make_valid leftovers
            polys = [p for p in geom[i].geoms if p.geom_type in ("Polygon", "MultiPolygon")]
            geom[i] = shapely.union_all(polys) if polys else geom[i]
        types = shapely.get_type_id(geom)
    allowed = {"polygon": _POLYGONAL, "line": _LINEAL, "point": _POINT}.get(kind)
    wrong = present & ~np.isin(types, allowed) if allowed else np.zeros(len(geom), bool)
    reason = f"geometry is not a {kind}" + (" (also after repair)" if invalid.any() else "")
    rej.add(wrong, "geometry", lambda m: [_TYPE_NAMES.get(t) for t in types[m]], reason)
    make_multi = {"polygon": shapely.multipolygons, "line": shapely.multilinestrings}.get(kind)
    sel = present & ~wrong
    if make_multi and sel.any():  # one geometry type per table: what QGIS expects
        parts, idx = shapely.get_parts(geom[sel], return_index=True)
        geom[sel] = make_multi(parts, indices=idx)
    return geom, int((invalid & rej.ok).sum())
