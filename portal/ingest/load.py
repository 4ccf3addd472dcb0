"""Load one dataset as a new version, atomically, keeping rejected rows with their reason.

The whole version is written in one transaction: a failing or killed load
leaves the previous version serving (PostgreSQL rolls back what a dropped
connection left). A source with the checksum of the current version is not
loaded again.
"""

from __future__ import annotations

import hashlib
import struct
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pgpq
import psycopg
import pyarrow as pa
import shapely
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from portal import __version__
from portal.errors import UserError
from portal.ingest.manifest import Manifest, table_name
from portal.ingest.readers import read_frame, read_frames, read_grids
from portal.ingest.validate import Checked, check, geometry_kind
from portal.ingest.wide import check_area_figures, check_measurements
from portal.settings import REPO

PG_TYPES = {"text": "text", "number": "double precision", "integer": "bigint",
            "year": "integer", "date": "date"}
GEOM_TYPES = {"point": "Point", "line": "MultiLineString", "polygon": "MultiPolygon",
              "any": "Geometry"}
COPY_CHUNK = 200_000
SLICE_ROWS = 25_000  # features are read, checked and stored in slices of this many rows
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
               "geom": pa.binary(), "timestamptz": pa.timestamp("us", tz="UTC")}


def _copy(conn: psycopg.Connection, table: sql.Composable, columns: dict[str, str],
          frames: pd.DataFrame | Iterable[pd.DataFrame], progress: Progress | None = None) -> None:
    """Binary COPY via Arrow (pgpq): no text formatting or parsing on either side.

    `columns` maps column name → kind (a key of ARROW_TYPES); geometries go as EWKB.
    `frames`: one frame, or frames as they are produced: a worker thread sends the data, so
    the server stores one while the next is being checked.
    """
    stmt = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns)))
    cur = conn.cursor()
    with cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as cp:
        encoder = None
        for frame in [frames] if isinstance(frames, pd.DataFrame) else frames:
            for start in range(0, max(len(frame), 1), COPY_CHUNK):
                chunk = frame.iloc[start:start + COPY_CHUNK]
                arrays = [_arrow(chunk[col], kind) for col, kind in columns.items()]
                batch = pa.RecordBatch.from_arrays(arrays, names=list(columns))
                if encoder is None:
                    encoder = pgpq.ArrowToPostgresBinaryEncoder(batch.schema)
                    cp.write(encoder.write_header())
                cp.write(encoder.write_batch(batch))
                if progress:
                    progress(len(chunk))
        if encoder is not None:
            cp.write(encoder.finish())


def _arrow(values: pd.Series, kind: str) -> pa.Array:
    """One column as the Arrow type of its kind; Arrow-backed columns without a copy."""
    if isinstance(values.dtype, pd.ArrowDtype) or (
            isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        arr = pa.array(values.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        return arr.cast(ARROW_TYPES[kind])
    if kind == "geom":  # shapely geometries
        geom = shapely.set_srid(values.to_numpy(), 28992)
        return pa.array(shapely.to_wkb(geom, include_srid=True, output_dimension=2),
                        type=pa.binary())
    if kind == "date":
        return pa.array(pd.to_datetime(values).dt.date, type=pa.date32())
    return pa.array(values.astype(object).where(values.notna(), None) if kind == "text"
                    else values, type=ARROW_TYPES[kind], from_pandas=True)


def _checked(m: Manifest, result: LoadResult, sliced: bool = False) -> Iterator[Checked]:
    """The source's rows checked, file by file; `sliced`: in slices of SLICE_ROWS rows, so that
    storing one slice overlaps reading and checking the next. Counts go into `result`.

    A slice is checked as a whole file would be, except for ids that repeat an id of an
    earlier slice: those are left to the primary key to find (see _write_features).
    """
    for path in m.source_files():
        for frame in read_frames(m, path, SLICE_ROWS) if sliced else [read_frame(m, path)]:
            c = check(m, frame)
            if frame.start:  # row numbers in the file
                c.rows["_row"] += frame.start
                c.rejected["_row"] += frame.start
            result.read += c.read
            result.repaired += c.repaired
            result.loaded += len(c.rows)
            result.rejected += len(c.rejected)
            yield c


def _vector(conn, m: Manifest, vid: int, result: LoadResult, progress: Progress | None) -> Checked:
    parts = list(_checked(m, result))
    rows = pd.concat([c.rows for c in parts], ignore_index=True)
    rejected = pd.concat([c.rejected for c in parts], ignore_index=True)
    rows["dataset_version_id"] = vid
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
    """A table of its own per version (data.<name>_v<n>); the view data.<name> is swapped.

    The source is checked in slices while the server stores the slices before. An id that
    repeats one of an earlier slice makes the primary key fail: then the source is loaded
    again, checked whole, so that the repeat is quarantined like any duplicate (rare).
    """
    try:
        with conn.transaction():  # a savepoint
            return _features(conn, m, vid, result, progress, sliced=True)
    except psycopg.errors.UniqueViolation:
        result.read = result.loaded = result.repaired = result.rejected = 0
        return _features(conn, m, vid, result, progress, sliced=False)


def _features(conn, m, vid, result, progress, sliced: bool) -> Checked:
    name = table_name(m.id)
    tbl = sql.Identifier("data", f"{name}_v{result.version}")
    # The key is the manifest's id field (unique: duplicates were quarantined), else the
    # source row number.
    key = m.load.get("id_field") or "fid"
    c_key = _code_point_order(conn)
    cols = [sql.SQL("{} {}{}").format(
        sql.Identifier(f.name), sql.SQL(PG_TYPES[f.type]),
        sql.SQL(' COLLATE "C"' if f.name == key and f.type == "text" and c_key else ""))
        for f in m.fields]
    geom_type = GEOM_TYPES[geometry_kind(m)]
    conn.execute(sql.SQL(
        "CREATE TABLE {} (fid bigint NOT NULL, {} geom geometry({}, 28992),"
        " dataset_version_id integer NOT NULL)").format(
            tbl, sql.SQL("").join(col + sql.SQL(", ") for col in cols), sql.SQL(geom_type)))
    rejected = []

    def rows() -> Iterator[pd.DataFrame]:
        for c in _checked(m, result, sliced):
            rejected.append(c.rejected)
            c.rows["fid"] = c.rows["_row"]
            c.rows["dataset_version_id"] = vid
            yield c.rows

    _copy(conn, tbl, {"fid": "integer", **{f.name: f.type for f in m.fields}, "geom": "geom",
                      "dataset_version_id": "int4"}, rows(), progress)
    # Indexes are built after the COPY, which is faster than during.
    conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(tbl, sql.Identifier(key)))
    conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(tbl))
    view = sql.Identifier("data", name)
    conn.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(view))
    conn.execute(sql.SQL("CREATE VIEW {} AS SELECT * FROM {}").format(view, tbl))
    for (old,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'data' AND tablename ~ %s"
            " AND tablename <> %s", (f"^{name}_v[0-9]+$", f"{name}_v{result.version}")).fetchall():
        conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier("data", old)))
    return Checked(pd.DataFrame(), pd.concat(rejected, ignore_index=True), result.read,
                   result.repaired)


def _code_point_order(conn: psycopg.Connection) -> bool:
    """Does the database's default collation order text by code point (libc C or C.UTF-8)?
    Then a text key can have the "C" collation: the same order and equality, but its index
    builds in half the time (no strcoll)."""
    collate, provider = conn.execute(
        "SELECT to_jsonb(d) ->> 'datcollate', to_jsonb(d) ->> 'datlocprovider'"  # PG < 15: none
        " FROM pg_database d WHERE datname = current_database()").fetchone()
    return provider in (None, "c") and collate in ("C", "POSIX", "C.UTF-8", "C.utf8")


def _band_copy(grid_id: int, year: int, flat: np.ndarray, valid: np.ndarray) -> bytes:
    """One grid_band row in PostgreSQL's binary COPY format, the cells as a real[] whose
    invalid cells are NULL: built by numpy (0.5 s for 8 million cells, where the text form
    took 9 s and its parsing on the server more). The digest of the cells lets compute keep
    the figures of a year whose band did not change (gridpass.py)."""
    n = flat.size
    cells = np.empty(n, dtype=[("len", ">i4"), ("v", ">f4")])
    cells["len"] = np.where(valid, 4, -1)  # -1: NULL, no value bytes follow
    cells["v"] = np.where(valid, flat, 0)
    keep = np.ones((n, 8), bool)
    keep[~valid, 4:] = False
    array = struct.pack(">iiiii", 1, 1, FLOAT4_OID, n, 1) \
        + cells.view(np.uint8).reshape(n, 8)[keep].tobytes()
    digest = hashlib.sha256(array).hexdigest().encode()
    return (b"PGCOPY\n\xff\r\n\x00" + struct.pack(">iih", 0, 0, 4)
            + struct.pack(">iiiii", 4, grid_id, 4, year, len(array)) + array
            + struct.pack(">i", len(digest)) + digest + struct.pack(">h", -1))


FLOAT4_OID = 700


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
        with conn.cursor().copy("COPY monitor.grid_band (grid_id, year, vals, digest)"
                                " FROM STDIN WITH (FORMAT binary)") as copy:
            copy.write(_band_copy(grid_id, band.year, flat, valid))
        if progress:
            progress(int(flat.size))
    result.rejected = len(rejected)
    return Checked(pd.DataFrame(), pd.DataFrame(rejected, columns=["_row", "field", "raw",
                                                                   "reason"]),
                   result.read, 0)


def _write_measurement(conn, m, vid, result, progress):
    parts = [check_measurements(m, path) for path in m.source_files()]
    return _write_wide(conn, parts, vid, result, progress, "monitor.measurement",
                       {"station_id": "text", "component": "text", "begin_at": "timestamptz",
                        "value": "number", "dataset_version_id": "int4"})


def _write_area_figure(conn, m, vid, result, progress):
    known = {r[0] for r in conn.execute("SELECT code FROM monitor.area")}
    if not known:
        raise UserError(f"{m.path}: load.into 'area_figure' needs the areas first: "
                        "ingest the wijken and buurten")
    parts = [check_area_figures(m, path, known) for path in m.source_files()]
    return _write_wide(conn, parts, vid, result, progress, "monitor.area_figure",
                       {"area_code": "text", "year": "int4", "figure": "text",
                        "value": "number", "dataset_version_id": "int4"})


def _write_wide(conn, parts: list[Checked], vid: int, result: LoadResult, progress,
                table: str, columns: dict[str, str]) -> Checked:
    rows = pd.concat([c.rows for c in parts], ignore_index=True)
    rejected = pd.concat([c.rejected for c in parts], ignore_index=True)
    rows["dataset_version_id"] = vid
    result.read = sum(c.read for c in parts)
    result.loaded, result.rejected = len(rows), len(rejected)
    _copy(conn, sql.SQL(table), columns, rows, progress)
    return Checked(rows, rejected, result.read, 0)


WRITERS = {"area": _write_area, "station": _write_station, "observation": _write_observation,
           "features": _write_features, "grid": _write_grid,
           "measurement": _write_measurement, "area_figure": _write_area_figure}
TABLES = {"area": "monitor.area", "station": "monitor.station",
          "observation": "monitor.observation", "grid": "monitor.grid",
          "measurement": "monitor.measurement", "area_figure": "monitor.area_figure"}


def _provenance(m: Manifest):
    """The fetch record of the files this version is made of (remote sources only)."""
    if not m.source.get("fetch"):
        return None
    from psycopg.types.json import Jsonb

    from portal.fetch.store import current_record

    record = current_record(m.id)
    return Jsonb(record.provenance()) if record else None


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
            " value_kind, rows_read, rows_loaded, code_version, is_current, provenance)"
            " VALUES (%s, %s, %s, %s, %s, %s, 0, 0, %s, false, %s) RETURNING id",
            (m.id, result.version, digest, ", ".join(p.name for p in m.source_files()), m.demo,
             m.value_kind, code_version(), _provenance(m))).fetchone()[0]
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
        # features datasets are published as they are: their OGC answers change now
        conn.execute("SELECT monitor.bump_data_version(%s)", (f"ingest {m.id} v{result.version}",))
    return result


def _copy_quarantine(conn, rej: pd.DataFrame) -> None:
    frame = rej.rename(columns={"_row": "source_row", "raw": "raw_value"})
    _copy(conn, sql.SQL("monitor.quarantine"),
          {"dataset_version_id": "int4", "source_row": "int4", "field": "text",
           "raw_value": "text", "reason": "text"}, frame)
