"""Dataset downloads, written from the relation the OGC API collection reads
(`Manifest.published_table`), so a download and the API never disagree.

- CSV and GeoJSON are streamed by PostgreSQL (COPY / a server-side cursor): a table of a
  million rows never sits in memory. Licence, attribution, dataset version and the DEMO
  label are columns of every CSV row (a CSV has no other place a reader keeps) and foreign
  members of the GeoJSON FeatureCollection (`description` is what GDAL shows).
- GeoPackage cannot be streamed (it is SQLite); it is written once per dataset version in
  batches under var/downloads/ and then served as a file, with the same facts in its
  dataset and layer metadata.
- Grids are the Cloud-Optimised GeoTIFFs of portal/ingest/gridfiles.py (tags inside).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from portal.ingest.manifest import Manifest
from portal.settings import VAR_DIR

DOWNLOAD_DIR = VAR_DIR / "downloads"
BATCH = 20_000
CHUNK = 256 * 1024
VECTOR_FORMATS = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json",
                  "gpkg": "application/geopackage+sqlite3"}
_build_locks: dict[str, threading.Lock] = {}


@dataclass(frozen=True)
class Facts:
    """What every download says about itself."""

    dataset: str
    version: int
    checksum: str
    title: str
    license: str
    attribution: str
    source_url: str
    demo: bool

    @property
    def description(self) -> str:
        demo = "DEMO – gegenereerde gegevens, geen metingen. " if self.demo else ""
        return (f"{demo}{self.title}. Bron: {self.attribution}. Licentie: {self.license}. "
                f"Datasetversie {self.version}.")

    def as_dict(self) -> dict:
        return {"dataset": self.dataset, "dataset_version": self.version,
                "license": self.license, "attribution": self.attribution,
                "source_url": self.source_url, "demo": self.demo}


def facts(conn: psycopg.Connection, m: Manifest) -> Facts | None:
    """None while the dataset has no loaded version."""
    row = conn.cursor(row_factory=tuple_row).execute(
        "SELECT version, checksum FROM monitor.dataset_version WHERE dataset = %s"
        " AND is_current", (m.id,)).fetchone()
    if row is None:
        return None
    return Facts(m.id, row[0], row[1], m.title.get("nl") or m.id, m.license, m.attribution,
                 m.source_url, bool(m.demo))


def _columns(conn, schema: str, table: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s"
        " AND table_name = %s ORDER BY ordinal_position", (schema, table))]


def _relation(m: Manifest) -> sql.Composed:
    schema, table = m.published_table
    return sql.Identifier(schema, table)


def csv_chunks(db_url: str, m: Manifest, f: Facts) -> Iterator[bytes]:
    """COPY … TO STDOUT: the rows as PostgreSQL writes them, geometry as WKT (column `wkt`,
    which GDAL's CSV driver takes as the geometry) in the CRS its `crs` column names."""
    with psycopg.connect(db_url, connect_timeout=5) as conn:
        cols = _columns(conn, *m.published_table)
        meta = {k: v for k, v in {**f.as_dict(), "crs": "EPSG:28992"}.items() if k not in cols}
        select = [sql.Identifier(c) for c in cols if c != "geom"]
        if "geom" in cols:
            select.append(sql.SQL("ST_AsText(geom) AS wkt"))
        select += [sql.SQL("{} AS {}").format(sql.Literal(str(v).lower() if isinstance(v, bool)
                                                          else v), sql.Identifier(k))
                   for k, v in meta.items()]
        query = sql.SQL("COPY (SELECT {} FROM {} ORDER BY 1) TO STDOUT WITH (FORMAT csv,"
                        " HEADER true)").format(sql.SQL(", ").join(select), _relation(m))
        buffer = bytearray()
        with conn.cursor().copy(query) as copy:
            for chunk in copy:  # one row each: sent on in blocks of CHUNK bytes
                buffer += chunk
                if len(buffer) >= CHUNK:
                    yield bytes(buffer)
                    buffer.clear()
        yield bytes(buffer)


def geojson_chunks(db_url: str, m: Manifest, f: Facts) -> Iterator[bytes]:
    """RFC 7946 (WGS 84), one feature per row, built by PostGIS and read in batches."""
    head = {"type": "FeatureCollection", "name": m.id, "description": f.description,
            **f.as_dict()}
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n').encode()
    with psycopg.connect(db_url, connect_timeout=5) as conn:
        cols = _columns(conn, *m.published_table)
        geometry = sql.SQL("ST_AsGeoJSON(ST_Transform(t.geom, 4326), 7)::json") \
            if "geom" in cols else sql.SQL("NULL::json")
        query = sql.SQL(
            "SELECT json_build_object('type', 'Feature', 'id', t.{key}, 'geometry', {geom},"
            " 'properties', to_jsonb(t) - 'geom')::text FROM {rel} t ORDER BY t.{key}").format(
            key=sql.Identifier(m.id_field), geom=geometry, rel=_relation(m))
        first = True
        with conn.transaction(), conn.cursor(name="download") as cur:
            cur.itersize = BATCH
            cur.execute(query)
            while rows := cur.fetchmany(BATCH):
                text = ",\n".join(r[0] for r in rows)
                yield (text if first else ",\n" + text).encode()
                first = False
    yield b"\n]}\n"


def geopackage(db_url: str, m: Manifest, f: Facts) -> Path:
    """The GeoPackage of this dataset version (EPSG:28992), written once, in batches."""
    path = DOWNLOAD_DIR / m.id / f"v{f.version}-{f.checksum[:12]}.gpkg"  # of this database
    if path.exists():
        return path
    lock = _build_locks.setdefault(m.id, threading.Lock())
    with lock:
        if not path.exists():
            _write_geopackage(db_url, m, f, path)
    return path


def _write_geopackage(db_url: str, m: Manifest, f: Facts, path: Path) -> None:
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    import shapely

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    layer = m.published_table[1]
    meta = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in f.as_dict().items()}
    with psycopg.connect(db_url, connect_timeout=5) as conn:
        cols = [c for c in _columns(conn, *m.published_table) if c != "geom"]
        query = sql.SQL("SELECT {}, ST_AsBinary(geom) FROM {} ORDER BY {}").format(
            sql.SQL(", ").join(map(sql.Identifier, cols)), _relation(m),
            sql.Identifier(m.id_field))
        with conn.transaction(), conn.cursor(name="gpkg") as cur:
            cur.execute(query)
            first = True
            while rows := cur.fetchmany(BATCH):
                frame = pd.DataFrame([r[:-1] for r in rows], columns=cols)
                geoms = shapely.from_wkb([bytes(r[-1]) if r[-1] is not None else None
                                          for r in rows])
                gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:28992")
                pyogrio.write_dataframe(
                    gdf, tmp, layer=layer, driver="GPKG", append=not first,
                    **({"dataset_metadata": {**meta, "DESCRIPTION": f.description},
                        "layer_metadata": meta,
                        # our own key stays a field (a source column may be called fid)
                        "layer_options": {"DESCRIPTION": f.description, "FID": "gpkg_fid",
                                          "IDENTIFIER": f.title}} if first else {}))
                first = False
    if first:  # no rows: an empty layer still says what it is
        gdf = gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs="EPSG:28992")
        pyogrio.write_dataframe(gdf, tmp, layer=layer, driver="GPKG",
                                dataset_metadata={**meta, "DESCRIPTION": f.description},
                                layer_metadata=meta)
    tmp.replace(path)
    kept = sorted(path.parent.glob("v*.gpkg"), key=lambda p: p.stat().st_mtime)
    for old in kept[:-4]:  # a few versions (other databases of this clone may have theirs)
        old.unlink(missing_ok=True)
