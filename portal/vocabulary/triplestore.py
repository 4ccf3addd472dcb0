"""The SPARQL store: Oxigraph on disk, one directory per data version.

Holds the vocabulary, the DCAT catalogue and compute's results (area observations, station
years, goal progress) with canonical IRIs (`https://omgevingsmonitor.denhaag.nl/…`); the
endpoint maps the served base onto them (portal/web/sparql.py) and queries the union of
its graphs:

- the default graph: the area observations and goal progress, by far the most (23 million
  triples at national size, minutes to load; the default graph has three indexes where a
  named one has six). They change only when a compute changes them
  (`data_state.results_version`, which the graph records), so the store of a version that
  only loaded datasets starts as a copy of the previous one (a RocksDB checkpoint: hard
  links, no time); after a compute with a scope (a new year of one grid) the copy has the
  observations of the scope's indicators and the goal progress replaced
  (`data_state.results_base`, `results_scope`); only a compute of everything loads them all;
- `…/graph/meta`: vocabulary, catalogue and station figures, small, written anew each time.

`portal compute` builds the store of the new data version after committing; an app that
finds no store for the version it serves builds it itself — one process at a time (a lock
file), the others wait and open it. A store is written into a temporary directory and
renamed when complete, so readers (read-only) never see half a store; older versions are
removed.
"""

from __future__ import annotations

import fcntl
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
from portal.vocabulary.graph import OM, SOSA, load_vocabulary
from portal.vocabulary.observations import RDF_TYPE, TIME, result_ntriples, station_ntriples
from portal.vocabulary.rebase import CANONICAL

log = logging.getLogger("portal.triplestore")
KEEP_VERSIONS = 2
META_GRAPH = f"{CANONICAL}/graph/meta"
# recorded with the results (default graph): <…/sparql> owl:versionInfo "<results_version>"
ENDPOINT = f"{CANONICAL}/sparql"
VERSION_INFO = "http://www.w3.org/2002/07/owl#versionInfo"


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
    root = store_root(db_url)
    with psycopg.connect(db_url, row_factory=dict_row, connect_timeout=10) as conn:
        version = current_version(conn)
        path = store_path(db_url, version)
        if not path.exists():
            root.mkdir(parents=True, exist_ok=True)
            with (root / ".build.lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it
                if not path.exists():
                    build_store(conn, path, manifests, city)
    _prune(root, keep=path)
    return path


def write_meta(conn: psycopg.Connection, out, manifests: list[Manifest] | None = None,
               city: City | None = None) -> int:
    """Vocabulary, catalogue and station figures as N-Triples (canonical IRIs); their count."""
    manifests = all_manifests() if manifests is None else manifests
    vocab = load_vocabulary()
    catalogue = build_catalogue(manifests, CANONICAL, vocab, load_derived(CONFIG_DIR),
                                city or get_settings().city, OnOffer.read(conn))
    return _write(out, [vocab.serialize(format="nt"), catalogue.serialize(format="nt"),
                        *station_ntriples(conn, CANONICAL)])


def _write(out, texts) -> int:
    """Write N-Triples texts (lines, or whole serialisations); the lines written."""
    n = 0
    for text in texts:
        out.write(text)
        n += text.count("\n")
    return n


def write_ntriples(conn: psycopg.Connection, target: Path,
                   manifests: list[Manifest] | None = None, city: City | None = None) -> None:
    """Everything the store holds, as one N-Triples file (scripts/bench_sparql.py)."""
    with target.open("w", encoding="utf-8") as out:
        write_meta(conn, out, manifests, city)
        _write(out, result_ntriples(conn, CANONICAL))


def _results_version(store) -> int | None:
    import pyoxigraph as ox

    for quad in store.quads_for_pattern(ox.NamedNode(ENDPOINT), ox.NamedNode(VERSION_INFO),
                                        None, ox.DefaultGraph()):
        return int(quad.object.value)
    return None


def _reusable(root: Path, results_version: int | None):
    """The newest store, opened read-only, if its results graph is of `results_version`."""
    import pyoxigraph as ox

    versions = _versions(root)
    if results_version is None or not versions:
        return None
    try:
        store = ox.Store.read_only(str(max(versions, key=_number)))
    except OSError:
        return None
    return store if _results_version(store) == results_version else None


def build_store(conn: psycopg.Connection, path: Path, manifests: list[Manifest] | None = None,
                city: City | None = None) -> None:
    """Write the store for `path`: results (those of the store before, or those with the
    observations of the last compute's scope replaced, or all anew), then the meta graph."""
    import pyoxigraph as ox

    t0 = time.perf_counter()
    state = conn.execute("SELECT results_version, results_base, results_scope"
                         " FROM monitor.data_state").fetchone()
    results_version, scope = state["results_version"], state["results_scope"]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        base, how = _reusable(path.parent, results_version), "kept"
        if base is None and scope is not None:
            base, how = _reusable(path.parent, state["results_base"]), "scope"
        if base is None:
            how, scope = "anew", None
        else:
            base.backup(str(tmp / "store"))
            del base
        store = ox.Store(str(tmp / "store"))
        results = 0  # triples loaded into the default graph
        store.clear_graph(ox.NamedNode(META_GRAPH))
        if how == "scope":
            _drop_results(store, conn, scope)
        if how != "kept":
            source = tmp / "results.nt"
            with source.open("w", encoding="utf-8") as out:
                results = _write(out, result_ntriples(conn, CANONICAL, scope))
            store.bulk_load(path=str(source), format=ox.RdfFormat.N_TRIPLES)
            source.unlink()
            if how == "scope":
                _drop_unused_years(store)
            if results_version is not None:
                store.add(ox.Quad(ox.NamedNode(ENDPOINT), ox.NamedNode(VERSION_INFO),
                                  ox.Literal(str(results_version))))
        source = tmp / "meta.nt"
        with source.open("w", encoding="utf-8") as out:
            meta = write_meta(conn, out, manifests, city)
        store.bulk_load(path=str(source), format=ox.RdfFormat.N_TRIPLES,
                        to_graph=ox.NamedNode(META_GRAPH))
        store.flush()
        del store
        if not path.exists():  # another process may have built it meanwhile
            os.replace(tmp / "store", path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("SPARQL store built", extra={
        "path": str(path), "meta": meta, "ms": round(1000 * (time.perf_counter() - t0)),
        "results": {"kept": "kept", "anew": f"{results} triples loaded"}.get(
            how, f"{results} triples of {', '.join(scope or [])} replaced")})


def _drop_results(store, conn: psycopg.Connection, scope: list[str]) -> None:
    """Remove from a copy of the store before what the last compute wrote anew: the
    observations of the indicators in its scope with their results, all goal progress (always
    redone) and the results version. Quad by quad: Oxigraph removes a few hundred thousand a
    second, where one SPARQL DELETE over the same took minutes at national size."""
    import pyoxigraph as ox

    default = ox.DefaultGraph()

    def of(s=None, p=None, o=None):
        return store.quads_for_pattern(s, ox.NamedNode(p) if p else None, o, default)

    subjects = [ox.NamedNode(ENDPOINT)]
    for r in conn.execute("SELECT iri FROM monitor.indicator WHERE code = ANY(%s)", (scope,)):
        for q in of(p=f"{SOSA}observedProperty", o=ox.NamedNode(r["iri"])):
            subjects.append(q.subject)
            subjects.extend(x.object for x in of(q.subject, f"{SOSA}hasResult"))
    subjects.extend(q.subject for q in of(p=RDF_TYPE, o=ox.NamedNode(f"{OM}GoalProgress")))
    _remove(store, subjects)


def _drop_unused_years(store) -> None:
    """The year intervals no observation of the results points at any more (a year taken
    out), as a store built anew would not have them."""
    import pyoxigraph as ox

    default, time_ = ox.DefaultGraph(), ox.NamedNode(f"{SOSA}phenomenonTime")
    unused = [q.subject for q in store.quads_for_pattern(
        None, ox.NamedNode(RDF_TYPE), ox.NamedNode(f"{TIME}ProperInterval"), default)
        if next(store.quads_for_pattern(None, time_, q.subject, default), None) is None]
    ends = [q.object for y in unused for q in store.quads_for_pattern(y, None, None, default)
            if q.predicate.value in (f"{TIME}hasBeginning", f"{TIME}hasEnd")]
    _remove(store, unused + ends)


def _remove(store, subjects) -> None:
    import pyoxigraph as ox

    for s in subjects:
        for q in list(store.quads_for_pattern(s, None, None, ox.DefaultGraph())):
            store.remove(q)


def _number(path: Path) -> int:
    return int(path.name[1:]) if path.name[1:].isdigit() else -1


def _versions(root: Path) -> list[Path]:
    return [p for p in root.glob("v*") if p.is_dir()]


def _prune(root: Path, keep: Path) -> None:
    versions = sorted(_versions(root), key=_number)
    for old in versions[:-KEEP_VERSIONS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
