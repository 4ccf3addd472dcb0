"""The app's state, built once at start-up and handed to every view: settings, the two
connection pools, the data version, vocabulary and manifests, messages and templates.

Manifests and vocabulary are read here — at start and again when the data version changes
(a new ingest or compute may come with new manifests or Turtle) — never per request.
Small look-ups that every page needs (indicators, areas, extent) are memoised per data
version (`memo`).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from portal.auth.policy import Policy, read_roles
from portal.db.replicas import (
    PRIMARY_APP_NAME,
    AsyncReadPool,
    ReadPool,
    Replicas,
    replicas_of,
)
from portal.ingest.load import code_version
from portal.ingest.manifest import Manifest, all_manifests
from portal.settings import CONFIG_DIR, Settings
from portal.vocabulary.catalogue import OnOffer
from portal.vocabulary.rebase import CANONICAL, rebase_iri
from portal.vocabulary.triplestore import ensure_store
from portal.web import readmodel
from portal.web.dataversion import DataVersion, Version
from portal.web.geocoder import Geocoder, from_config
from portal.web.i18n import Messages
from portal.web.knowledge import Knowledge
from portal.web.rendering import Templates
from portal.web.sparql import SparqlEngine
from portal.web.urls import Urls
from portal.web.vocabtext import Goal, vocab_extras
from portal.web.zones import VocabularyNorms

log = logging.getLogger("portal.state")
WEB = Path(__file__).parent


@dataclass
class Vocabulary:
    """What the pages take from the vocabulary and manifests (reloaded together)."""

    manifests: list[Manifest]
    knowledge: Knowledge
    goals: list[Goal]
    definitions: dict[str, dict]
    zone_norms: VocabularyNorms
    policy: Policy
    # OGC collection → the dataset it publishes; a grid's coverages are <dataset>-<year>
    collection_datasets: dict[str, str]

    @property
    def public_manifests(self) -> list[Manifest]:
        return [m for m in self.manifests if m.access == "public"]


@dataclass
class AppState:
    settings: Settings
    pool: ReadPool  # reads: a usable hot standby, else the primary (portal/db/replicas.py)
    apool: AsyncReadPool
    version: DataVersion
    messages: Messages
    urls: Urls
    geocoder: Geocoder | None
    vocab: Vocabulary
    db_url: str = ""
    sparql: SparqlEngine | None = None
    sparql_store: Path | None = None
    ogc_collections: set[str] = field(default_factory=set)  # as configured for pygeoapi
    templates: Templates = field(init=False)
    app_id: str = ""
    replicas: Replicas | None = None
    _memo: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        self.templates = Templates(self.messages, self.urls, self._shared())
        self.app_id = _app_id(self.settings)
        self.version.on_change(self._changed)
        if self.replicas is not None:  # a standby reads only at the version the primary serves
            self.replicas.primary_version = lambda: self.version.current.number

    @property
    def primary(self) -> ConnectionPool:
        """Writes (audit, accounts, sessions, tokens): always the primary."""
        return self.pool.primary

    @classmethod
    def build(cls, settings: Settings, db_url: str) -> AppState:
        # connections are checked when taken: after a database restart the first request
        # gets a fresh one, not a dead one; waiting longer than 3 s for one is a 503
        pool = ConnectionPool(db_url, min_size=1, max_size=8, open=False, timeout=3,
                              check=ConnectionPool.check_connection,
                              kwargs={"row_factory": dict_row,
                                      "application_name": PRIMARY_APP_NAME})
        # async hot paths (norms at a point): no thread hop, no GIL hand-offs per request
        apool = AsyncConnectionPool(db_url, min_size=1, max_size=8, open=False, timeout=3,
                                    check=AsyncConnectionPool.check_connection,
                                    kwargs={"autocommit": True,
                                            "application_name": PRIMARY_APP_NAME})
        replicas = replicas_of(db_url)
        city = settings.city
        return cls(settings=settings, pool=ReadPool(pool, replicas),
                   apool=AsyncReadPool(apool, replicas), replicas=replicas,
                   version=DataVersion(db_url),
                   messages=Messages(city=city.display_name), urls=Urls(settings.public_url),
                   geocoder=from_config(settings.geocoder, city_number=city.number),
                   vocab=load_vocab(settings, db_url), db_url=db_url,
                   sparql=SparqlEngine(timeout_seconds=settings.sparql_timeout_seconds))

    def _shared(self) -> dict:
        return {"city": self.settings.city, "iri": self.iri,
                "manifests": lambda: self.vocab.public_manifests,
                "value_note": self.value_note}

    def value_note(self, dataset: str | None, lang: str) -> str:
        """What a dataset's values are, in words (manifest `value_note`), or ''."""
        m = next((m for m in self.vocab.manifests if m.id == dataset), None)
        return (m.value_note or {}).get(lang, "") if m else ""

    def iri(self, value: str) -> str:
        """A vocabulary IRI as this app serves it (resolvable); other IRIs untouched."""
        return rebase_iri(value, self.vocab.knowledge.base, source=CANONICAL)

    # --- per data version -------------------------------------------------------------
    def _changed(self, version: Version) -> None:
        with self._lock:
            self._memo.clear()
        threading.Thread(target=self._reload, name="vocab-reload", daemon=True).start()

    def _reload(self) -> None:
        try:
            self.vocab = load_vocab(self.settings, self.db_url)
        except Exception:  # keep serving with what we had
            log.exception("reloading manifests and vocabulary failed")
        with self._lock:
            self._memo.clear()
        self.prepare_sparql()

    def prepare_sparql(self) -> None:
        """Open the SPARQL store of the data version served (compute normally built it; if
        not, build it now). Queries go to the previous store until then."""
        try:
            self.sparql_store = ensure_store(self.db_url, self.vocab.manifests,
                                             self.settings.city)
        except Exception:
            log.exception("preparing the SPARQL store failed")
        # vocabulary and catalogue are many long-lived Python objects: keep them out of the
        # garbage collector's full passes, which otherwise stall a request now and then
        gc.collect()
        gc.freeze()

    def memo(self, key, make: Callable):
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = make()
        with self._lock:
            self._memo[key] = value
        return value

    def query(self, sql: str, params=None) -> list[dict]:
        with self.pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def indicators(self) -> list[dict]:
        return self.memo("indicators", lambda: self.query(readmodel.INDICATORS_SQL))

    def indicator(self, code: str) -> dict | None:
        return next((i for i in self.indicators() if i["code"] == code), None)

    def areas(self) -> list[dict]:
        return self.memo("areas", lambda: self.query(readmodel.AREAS_SQL))

    def bounds(self) -> list[list[float]] | None:
        def make():
            r = self.query(readmodel.BOUNDS_SQL, {"city": self.settings.city.code})[0]
            return None if r["w"] is None else [[r["s"], r["w"]], [r["n"], r["e"]]]
        return self.memo("bounds", make)

    def years(self) -> list[int]:
        """Every year any indicator has data, newest first."""
        return self.memo("years", lambda: [r["year"] for r in self.query(readmodel.YEARS_SQL)])

    def goals_for(self, code: str | None = None) -> list[Goal]:
        return [g for g in self.vocab.goals if code is None or g.indicator == code]


def load_vocab(settings: Settings, db_url: str) -> Vocabulary:
    manifests = all_manifests(settings.datasets_dir)
    try:
        with psycopg.connect(db_url, connect_timeout=5) as conn:
            offer = OnOffer.read(conn)
    except psycopg.Error:  # the catalogue lists the files per year and area once it answers
        log.warning("catalogue: the database does not answer; grid years and areas left out")
        offer = OnOffer()
    knowledge = Knowledge(settings, offer, manifests=manifests)
    goals, definitions = vocab_extras(knowledge.canonical)
    return Vocabulary(manifests, knowledge, goals, definitions,
                      VocabularyNorms.of(knowledge.canonical, manifests),
                      Policy(read_roles(), manifests),
                      {**{m.id: m.id for m in manifests if m.target == "grid"},
                       **{m.publish["collection"]: m.id for m in manifests if m.publish}})


def _app_id(settings: Settings) -> str:
    """Part of every ETag: the code and configuration that rendered the answer, the same in
    every process of one deployment."""
    h = hashlib.sha1(code_version().encode(), usedforsecurity=False)
    h.update(settings.public_url.encode())
    for folder, pattern in ((CONFIG_DIR, "*.yml"), (WEB / "templates", "**/*.html"),
                            (WEB / "locale", "**/*.po"), (WEB / "static", "*.*")):
        for path in sorted(folder.glob(pattern)):
            h.update(path.read_bytes())
    return h.hexdigest()[:8]
