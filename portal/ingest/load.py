"""Load one dataset as a new version, atomically, keeping rejected rows with their reason.

The whole version is written in one transaction: a failing or interrupted load
leaves the previous version serving. A source with the checksum of the current
version is not loaded again.
"""

from __future__ import annotations

import hashlib
import math
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import psycopg
import shapely

from portal import __version__
from portal.errors import UserError
from portal.ingest.manifest import Manifest
from portal.ingest.readers import Record, read_grids, read_vector
from portal.settings import REPO


@dataclass
class LoadResult:
    dataset: str
    version: int | None
    read: int = 0
    loaded: int = 0
    repaired: int = 0
    rejected: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, field, raw, why
    skipped: bool = False  # same checksum as the current version

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + len(self.rejected)


def code_version() -> str:
    try:
        sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    except OSError:
        sha = ""
    return f"{__version__}+{sha}" if sha else __version__


def checksum(m: Manifest) -> str:
    files = m.source_files()
    if not files:
        hint = " (run `portal demo` to generate it)" if m.generator else ""
        raise UserError(f"{m.path}: source file {m.source['path']} not found{hint}")
    h = hashlib.sha256(m.path.read_bytes())
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


class Reject(ValueError):
    def __init__(self, field_name: str, raw: object, reason: str):
        super().__init__(reason)
        self.field, self.raw, self.reason = field_name, raw, reason


def _resolve(spec: str, props: dict, target_field: str):
    try:
        return spec.format(**props) if "{" in spec else props[spec]
    except KeyError as exc:
        raise Reject(target_field, None, f"source column {exc} missing") from None


def _year(v) -> int:
    if isinstance(v, (date, datetime)):
        return v.year
    s = str(v).strip()
    y = int(s[:4]) if len(s) >= 4 and s[:4].isdigit() else int(s)
    if not 1900 <= y <= 2100:
        raise ValueError(f"year {y} out of range 1900–2100")
    return y


def _number(v) -> float:
    x = float(str(v).strip().replace(",", ".")) if isinstance(v, str) else float(v)
    if not math.isfinite(x):
        raise ValueError("not a finite number")
    return x


CONVERT: dict[str, Callable] = {"year": _year, "value": _number}


def _map(m: Manifest, rec: Record) -> dict:
    out = {}
    for target_field, spec in m.load.get("fields", {}).items():
        raw = _resolve(str(spec), rec.props, target_field)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise Reject(target_field, raw, "empty value")
        try:
            out[target_field] = CONVERT.get(target_field, str)(raw)
        except (TypeError, ValueError) as exc:
            raise Reject(target_field, raw, f"cannot read {target_field}: {exc}") from None
    lo, hi = (m.load.get("valid_range") or [None, None])
    if "value" in out and ((lo is not None and out["value"] < lo) or
                           (hi is not None and out["value"] > hi)):
        raise Reject("value", out["value"], f"outside valid range {lo}–{hi}")
    return out


def _geometry(rec: Record, kind: str, result: LoadResult):
    g = rec.geom
    if g is None or g.is_empty:
        raise Reject("geometry", None, "missing or empty geometry")
    if not g.is_valid:
        g = shapely.make_valid(g)
        result.repaired += 1
    if kind == "polygon":
        polys = [p for p in getattr(g, "geoms", [g]) if p.geom_type in ("Polygon", "MultiPolygon")]
        if not polys:
            raise Reject("geometry", g.geom_type, "not a polygon")
        g = shapely.multipolygons(shapely.get_parts(polys))
    elif g.geom_type != "Point":
        raise Reject("geometry", g.geom_type, "not a point")
    return shapely.to_wkb(shapely.set_srid(g, 28992), hex=True, include_srid=True)


def _rows(m: Manifest, result: LoadResult, geom_kind: str | None):
    for path in m.source_files():
        for rec in read_vector(m, path):
            result.read += 1
            try:
                row = _map(m, rec)
                if geom_kind:
                    row["geom"] = _geometry(rec, geom_kind, result)
            except Reject as r:
                result.rejected.append((rec.row, r.field, "" if r.raw is None else str(r.raw),
                                        r.reason))
                continue
            yield rec.row, row


def _write_area(conn, m: Manifest, vid: int, result: LoadResult) -> None:
    level = m.load["level"]
    with conn.cursor().copy(
        "COPY monitor.area (code, level, name, dataset_version_id, geom) FROM STDIN"
    ) as cp:
        for _, r in _rows(m, result, "polygon"):
            cp.write_row((r["code"], level, r["name"], vid, r["geom"]))
            result.loaded += 1


def _write_station(conn, m: Manifest, vid: int, result: LoadResult) -> None:
    with conn.cursor().copy(
        "COPY monitor.station (id, name, classification, dataset_version_id, geom) FROM STDIN"
    ) as cp:
        for _, r in _rows(m, result, "point"):
            cp.write_row((r["id"], r["name"], r.get("classification"), vid, r["geom"]))
            result.loaded += 1


def _write_observation(conn, m: Manifest, vid: int, result: LoadResult) -> None:
    indicator = m.load["indicator"]
    seen: set[tuple] = set()
    with conn.cursor().copy(
        "COPY monitor.observation (station_id, indicator, year, value, dataset_version_id)"
        " FROM STDIN"
    ) as cp:
        for row_no, r in _rows(m, result, None):
            key = (r["station_id"], r["year"])
            if key in seen:
                result.rejected.append((row_no, "station_id,year", f"{key[0]},{key[1]}",
                                        "duplicate of an earlier row"))
                continue
            seen.add(key)
            cp.write_row((r["station_id"], indicator, r["year"], r["value"], vid))
            result.loaded += 1


def _write_grid(conn, m: Manifest, vid: int, result: LoadResult) -> None:
    grid_id = None
    spec = None
    for band in read_grids(m):
        this = (band.x_min, band.y_max, band.cell_size, band.ncols, band.nrows)
        if grid_id is None:
            spec = this
            grid_id = conn.execute(
                "INSERT INTO monitor.grid (dataset_version_id, indicator, x_min, y_max, cell_size,"
                " ncols, nrows) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (vid, m.load["indicator"], *this)).fetchone()[0]
        elif this != spec:
            raise UserError(f"{m.path}: the grid of year {band.year} differs from the first year's")
        flat = band.values.ravel()
        result.read += flat.size
        valid = ~np.isnan(flat)
        lo, hi = (m.load.get("valid_range") or [None, None])
        if lo is not None or hi is not None:
            bad = valid & (((flat < lo) if lo is not None else False) |
                           ((flat > hi) if hi is not None else False))
            for cell in bad.nonzero()[0][:1000]:
                result.rejected.append((int(cell), f"band {band.year}", str(flat[cell]),
                                        f"outside valid range {lo}–{hi}"))
            valid &= ~bad
        vals = [float(v) if ok else None for v, ok in zip(flat.tolist(), valid.tolist(), strict=True)]
        result.loaded += int(valid.sum())
        result.read -= int(np.isnan(flat).sum())  # no-data cells are not rows
        conn.execute("INSERT INTO monitor.grid_band (grid_id, year, vals) VALUES (%s, %s, %s)",
                     (grid_id, band.year, vals))


WRITERS = {"area": _write_area, "station": _write_station,
           "observation": _write_observation, "grid": _write_grid}
TABLES = {"area": "monitor.area", "station": "monitor.station",
          "observation": "monitor.observation", "grid": "monitor.grid"}


def load(conn: psycopg.Connection, m: Manifest, dry_run: bool = False) -> LoadResult:
    digest = checksum(m)
    current = conn.execute(
        "SELECT version, checksum FROM monitor.dataset_version WHERE dataset = %s AND is_current",
        (m.id,)).fetchone()
    if current and current[1] == digest:
        return LoadResult(m.id, current[0], skipped=True)
    version = (current[0] + 1) if current else 1
    result = LoadResult(m.id, version)
    with conn.transaction() as tx:
        # Serialise loads of one dataset; readers keep seeing the old version until commit.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (m.id,))
        vid = conn.execute(
            "INSERT INTO monitor.dataset_version (dataset, version, checksum, source, demo,"
            " rows_read, rows_loaded, code_version, is_current)"
            " VALUES (%s, %s, %s, %s, %s, 0, 0, %s, false) RETURNING id",
            (m.id, version, digest, ", ".join(p.name for p in m.source_files()), m.demo,
             code_version())).fetchone()[0]
        table = TABLES[m.target]
        conn.execute(
            f"DELETE FROM {table} WHERE dataset_version_id IN "
            "(SELECT id FROM monitor.dataset_version WHERE dataset = %s AND id <> %s)", (m.id, vid))
        try:
            WRITERS[m.target](conn, m, vid, result)
        except psycopg.errors.UniqueViolation as exc:
            raise UserError(f"{m.path}: duplicate key in source: {exc.diag.message_detail}") from None
        with conn.cursor().copy(
            "COPY monitor.quarantine (dataset_version_id, source_row, field, raw_value, reason)"
            " FROM STDIN"
        ) as cp:
            for row, fld, raw, why in result.rejected:
                cp.write_row((vid, row, fld, raw, why))
        conn.execute("UPDATE monitor.dataset_version SET is_current = false"
                     " WHERE dataset = %s AND is_current", (m.id,))
        conn.execute(
            "UPDATE monitor.dataset_version SET is_current = true, rows_read = %s, rows_loaded = %s,"
            " rows_repaired = %s, rows_rejected = %s WHERE id = %s",
            (result.read, result.loaded, result.repaired, len(result.rejected), vid))
        if dry_run:
            raise psycopg.Rollback(tx)  # validate everything, keep nothing
    return result
