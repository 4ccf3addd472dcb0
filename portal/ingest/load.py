"""Load one dataset as a new version, atomically, keeping rejected rows with their reason.

The whole version is written in one transaction: a failing or killed load
leaves the previous version serving (PostgreSQL rolls back what a dropped
connection left). A source with the checksum of the current version is not
loaded again.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pgpq
import psycopg
import pyarrow as pa
import shapely
from psycopg import sql

from portal import __version__
from portal.errors import UserError
from portal.ingest.manifest import Manifest, table_name
from portal.ingest.readers import read_frame, read_grids
from portal.ingest.validate import Checked, check, geometry_kind
from portal.settings import REPO

PG_TYPES = {"text": "text", "number": "double precision", "integer": "bigint",
            "year": "integer", "date": "date"}
GEOM_TYPES = {"point": "Point", "line": "MultiLineString", "polygon": "MultiPolygon",
              "any": "Geometry"}
COPY_CHUNK = 200_000
Progress = Callable[[int], None]  # called with the number of rows just handled


@dataclass
class LoadResult:
    dataset: str
    version: int | None
    read: int = 0
    loaded: int = 0
    repaired: int = 0
    rejected: int = 0
    reasons: list[tuple[int, str, str, str]] = field(default_factory=list)  # first few
    skipped: bool = False  # same checksum as the current version

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.rejected


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
        raise UserError(f"{m.path}: key 'source.path': no file matches {m.source['path']}{hint}")
    h = hashlib.sha256(m.path.read_bytes())
    for f in files:
        h.update(f.name.encode())
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


ARROW_TYPES = {"text": pa.string(), "number": pa.float64(), "integer": pa.int64(),
               "year": pa.int32(), "date": pa.date32(), "int4": pa.int32(),
               "geom": pa.binary()}


def _copy(conn: psycopg.Connection, table: sql.Composable, columns: dict[str, str],
          frame: pd.DataFrame, progress: Progress | None = None) -> None:
    """Binary COPY via Arrow (pgpq): no text formatting or parsing on either side.

    `columns` maps column name → kind (a key of ARROW_TYPES); geometries go as EWKB.
    """
    stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns)))
    with conn.cursor().copy(stmt) as cp:
        encoder = None
        for start in range(0, max(len(frame), 1), COPY_CHUNK):
            chunk = frame.iloc[start:start + COPY_CHUNK]
            arrays = []
            for col, kind in columns.items():
                values = chunk[col]
                if kind == "geom":
                    geom = shapely.set_srid(values.to_numpy(), 28992)
                    arrays.append(pa.array(shapely.to_wkb(geom, include_srid=True),
                                           type=pa.binary()))
                elif kind == "date":
                    arrays.append(pa.array(pd.to_datetime(values).dt.date, type=pa.date32()))
                else:
                    arrays.append(pa.array(values.astype(object).where(values.notna(), None)
                                           if kind == "text" else values,
                                           type=ARROW_TYPES[kind], from_pandas=True))
            batch = pa.RecordBatch.from_arrays(arrays, names=list(columns))
            if encoder is None:
                encoder = pgpq.ArrowToPostgresBinaryEncoder(batch.schema)
                cp.write(encoder.write_header())
            cp.write(encoder.write_batch(batch))
            if progress:
                progress(len(chunk))
        if encoder is not None:
            cp.write(encoder.finish())


def _vector(conn, m: Manifest, vid: int, result: LoadResult, progress: Progress | None) -> Checked:
    parts = []
    for path in m.source_files():
        checked = check(m, read_frame(m, path))
        result.read += checked.read
        result.repaired += checked.repaired
        parts.append(checked)
    rows = pd.concat([c.rows for c in parts], ignore_index=True)
    rejected = pd.concat([c.rejected for c in parts], ignore_index=True)
    rows["dataset_version_id"] = vid
    result.loaded, result.rejected = len(rows), len(rejected)
    return Checked(rows, rejected, result.read, result.repaired)


def _write_area(conn, m, vid, result, progress):
    c = _vector(conn, m, vid, result, progress)
    c.rows["level"] = m.load["level"]
    _copy(conn, sql.SQL("monitor.area"), {"code": "text", "level": "text", "name": "text",
                                           "dataset_version_id": "int4", "geom": "geom"},
          c.rows, progress)
    return c


def _write_station(conn, m, vid, result, progress):
    c = _vector(conn, m, vid, result, progress)
    if "classification" not in c.rows:
        c.rows["classification"] = None
    _copy(conn, sql.SQL("monitor.station"),
          {"id": "text", "name": "text", "classification": "text", "dataset_version_id": "int4",
           "geom": "geom"}, c.rows, progress)
    return c


def _write_observation(conn, m, vid, result, progress):
    m_ids = m.load.get("id_field")
    c = _vector(conn, m, vid, result, progress)
    dup = c.rows.duplicated(["station_id", "year"], keep="first")
    if dup.any() and not m_ids:  # one value per station and year
        extra = c.rows[dup]
        c.rejected = pd.concat([c.rejected, pd.DataFrame({
            "_row": extra["_row"], "field": "station_id,year",
            "raw": extra["station_id"] + "," + extra["year"].astype(str),
            "reason": "duplicate of an earlier row"})], ignore_index=True)
        c.rows = c.rows[~dup]
        result.loaded, result.rejected = len(c.rows), len(c.rejected)
    c.rows["indicator"] = m.load["indicator"]
    c.rows["year"] = c.rows["year"].astype(int)
    _copy(conn, sql.SQL("monitor.observation"),
          {"station_id": "text", "indicator": "text", "year": "int4", "value": "number",
           "dataset_version_id": "int4"}, c.rows, progress)
    return c


def _write_features(conn, m, vid, result, progress):
    """A table of its own per version (data.<name>_v<n>); the view data.<name> is swapped."""
    c = _vector(conn, m, vid, result, progress)
    name = table_name(m.id)
    tbl = sql.Identifier("data", f"{name}_v{result.version}")
    cols = [sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(PG_TYPES[f.type]))
            for f in m.fields]
    kind = geometry_kind(m)
    geom_type = GEOM_TYPES[kind]
    # The key is the manifest's id field (unique: duplicates were quarantined), else the
    # source row number; indexes are built after the COPY, which is faster than during.
    key = m.load.get("id_field") or "fid"
    conn.execute(sql.SQL(
        "CREATE TABLE {} (fid bigint NOT NULL, {} geom geometry({}, 28992),"
        " dataset_version_id integer NOT NULL)").format(
            tbl, sql.SQL("").join(col + sql.SQL(", ") for col in cols), sql.SQL(geom_type)))
    c.rows["fid"] = c.rows["_row"]
    _copy(conn, tbl, {"fid": "integer", **{f.name: f.type for f in m.fields}, "geom": "geom",
                      "dataset_version_id": "int4"}, c.rows, progress)
    conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(tbl, sql.Identifier(key)))
    conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(tbl))
    view = sql.Identifier("data", name)
    conn.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(view))
    conn.execute(sql.SQL("CREATE VIEW {} AS SELECT * FROM {}").format(view, tbl))
    for (old,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'data' AND tablename ~ %s"
            " AND tablename <> %s", (f"^{name}_v[0-9]+$", f"{name}_v{result.version}")).fetchall():
        conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier("data", old)))
    return c


def _write_grid(conn, m, vid, result, progress):
    grid_id = spec = None
    rejected = []
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
        valid = ~np.isnan(flat)
        lo, hi = m.load.get("valid_range") or (None, None)
        with np.errstate(invalid="ignore"):
            bad = valid & (((flat < lo) if lo is not None else False) |
                           ((flat > hi) if hi is not None else False))
        for cell in np.flatnonzero(bad):
            rejected.append((int(cell) + 1, f"cell (band {band.year})", str(flat[cell]),
                             f"outside valid range {lo}–{hi}"))
        valid &= ~bad
        result.read += int((~np.isnan(flat)).sum())  # no-data cells are not rows
        result.loaded += int(valid.sum())
        text = "{" + ",".join(np.where(valid, flat.astype(str), "NULL")) + "}"
        conn.execute("INSERT INTO monitor.grid_band (grid_id, year, vals) VALUES (%s, %s, %s)",
                     (grid_id, band.year, text))
        if progress:
            progress(int(flat.size))
    result.rejected = len(rejected)
    return Checked(pd.DataFrame(), pd.DataFrame(rejected, columns=["_row", "field", "raw",
                                                                   "reason"]),
                   result.read, 0)


WRITERS = {"area": _write_area, "station": _write_station, "observation": _write_observation,
           "features": _write_features, "grid": _write_grid}
TABLES = {"area": "monitor.area", "station": "monitor.station",
          "observation": "monitor.observation", "grid": "monitor.grid"}


def load(conn: psycopg.Connection, m: Manifest, dry_run: bool = False,
         progress: Progress | None = None) -> LoadResult:
    digest = checksum(m)
    current = conn.execute(
        "SELECT version, checksum FROM monitor.dataset_version WHERE dataset = %s AND is_current",
        (m.id,)).fetchone()
    if current and current[1] == digest and not dry_run:
        return LoadResult(m.id, current[0], skipped=True)
    last = conn.execute("SELECT max(version) FROM monitor.dataset_version WHERE dataset = %s",
                        (m.id,)).fetchone()[0]
    result = LoadResult(m.id, (last or 0) + 1)
    with conn.transaction() as tx:
        # Serialise loads of one dataset; readers keep seeing the old version until commit.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (m.id,))
        vid = conn.execute(
            "INSERT INTO monitor.dataset_version (dataset, version, checksum, source, demo,"
            " rows_read, rows_loaded, code_version, is_current)"
            " VALUES (%s, %s, %s, %s, %s, 0, 0, %s, false) RETURNING id",
            (m.id, result.version, digest, ", ".join(p.name for p in m.source_files()), m.demo,
             code_version())).fetchone()[0]
        if m.target in TABLES:
            conn.execute(
                f"DELETE FROM {TABLES[m.target]} WHERE dataset_version_id IN "
                "(SELECT id FROM monitor.dataset_version WHERE dataset = %s AND id <> %s)",
                (m.id, vid))
        try:
            checked = WRITERS[m.target](conn, m, vid, result, progress)
        except psycopg.errors.UniqueViolation as exc:
            raise UserError(f"{m.path}: duplicate key in source: {exc.diag.message_detail}") from None
        rej = checked.rejected
        if len(rej):
            _copy_quarantine(conn, rej.assign(dataset_version_id=vid))
        result.reasons = list(rej[["_row", "field", "raw", "reason"]].head(5).itertuples(
            index=False, name=None)) if len(rej) else []
        conn.execute("UPDATE monitor.dataset_version SET is_current = false"
                     " WHERE dataset = %s AND is_current", (m.id,))
        conn.execute(
            "UPDATE monitor.dataset_version SET is_current = true, rows_read = %s, rows_loaded = %s,"
            " rows_repaired = %s, rows_rejected = %s WHERE id = %s",
            (result.read, result.loaded, result.repaired, result.rejected, vid))
        if not result.balanced:  # a bug, never a data problem: refuse to publish it
            raise UserError(f"{m.id}: {result.read} rows read but {result.loaded} loaded + "
                            f"{result.rejected} quarantined")
        if dry_run:
            raise psycopg.Rollback(tx)  # validate everything, keep nothing
    return result


def _copy_quarantine(conn, rej: pd.DataFrame) -> None:
    frame = rej.rename(columns={"_row": "source_row", "raw": "raw_value"})
    _copy(conn, sql.SQL("monitor.quarantine"),
          {"dataset_version_id": "int4", "source_row": "int4", "field": "text",
           "raw_value": "text", "reason": "text"}, frame)
