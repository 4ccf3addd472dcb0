"""The SPARQL store: Oxigraph on disk, one directory per data version.

Holds the vocabulary, the DCAT catalogue and compute's results (area observations, station
years, goal progress) with canonical IRIs (`https://omgevingsmonitor.denhaag.nl/…`); the
endpoint maps the served base onto them (portal/web/sparql.py). `portal compute` builds the
store of the new data version after committing; an app that finds no store for the version
it serves builds it itself. A store is written into a temporary directory and renamed when
complete, so readers (read-only) never see half a store; older versions are removed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from portal.ingest.manifest import Manifest, all_manifests
from portal.settings import CONFIG_DIR, VAR_DIR, City, get_settings
from portal.vocabulary.catalogue import OnOffer, build_catalogue, load_derived
from portal.vocabulary.graph import load_vocabulary
from portal.vocabulary.observations import ntriples
from portal.vocabulary.rebase import CANONICAL

log = logging.getLogger("portal.triplestore")
KEEP_VERSIONS = 2


def store_root(db_url: str) -> Path:
    """Stores of one database (the same machine may serve several)."""
    p = conninfo_to_dict(db_url)
    ident = f"{p.get('host', '')}:{p.get('port', '')}/{p.get('dbname', '')}"
    return VAR_DIR / "sparql" / hashlib.sha1(ident.encode(), usedforsecurity=False).hexdigest()[:12]


def store_path(db_url: str, version: int) -> Path:
    return store_root(db_url) / f"v{version}"


def current_version(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT version FROM monitor.data_state").fetchone()["version"]


def ensure_store(db_url: str, manifests: list[Manifest] | None = None,
                 city: City | None = None) -> Path:
    """The store of the database's current data version, built if it is not there yet."""
    with psycopg.connect(db_url, row_factory=dict_row, connect_timeout=10) as conn:
        version = current_version(conn)
        path = store_path(db_url, version)
        if not path.exists():
            build_store(conn, path, manifests, city)
    _prune(store_root(db_url), keep=path)
    return path


def write_ntriples(conn: psycopg.Connection, target: Path,
                   manifests: list[Manifest] | None = None, city: City | None = None) -> None:
    """Everything the store holds, as one N-Triples file (canonical IRIs)."""
    manifests = all_manifests() if manifests is None else manifests
    vocab = load_vocabulary()
    catalogue = build_catalogue(manifests, CANONICAL, vocab, load_derived(CONFIG_DIR),
                                city or get_settings().city, OnOffer.read(conn))
    with target.open("w", encoding="utf-8") as out:
        out.write(vocab.serialize(format="nt"))
        out.write(catalogue.serialize(format="nt"))
        for line in ntriples(conn, CANONICAL):
            out.write(line)


def build_store(conn: psycopg.Connection, path: Path, manifests: list[Manifest] | None = None,
                city: City | None = None) -> int:
    """Write the store for `path` (vocabulary + catalogue + results); returns triples."""
    import pyoxigraph as ox

    t0 = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        source = tmp / "data.nt"
        write_ntriples(conn, source, manifests, city)
        store = ox.Store(str(tmp / "store"))
        store.bulk_load(path=str(source), format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        n = len(store)
        del store
        source.unlink()
        if not path.exists():  # another process may have built it meanwhile
            os.replace(tmp / "store", path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("SPARQL store built", extra={"path": str(path), "triples": n,
                                          "ms": round(1000 * (time.perf_counter() - t0))})
    return n


def _prune(root: Path, keep: Path) -> None:
    versions = sorted((p for p in root.glob("v*") if p.is_dir()),
                      key=lambda p: int(p.name[1:]) if p.name[1:].isdigit() else -1)
    for old in versions[:-KEEP_VERSIONS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
