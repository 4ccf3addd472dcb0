"""Typed settings: config/portal.yml, overridden by environment variables.

One place for every runtime knob, so the CLI, the web app and the tests agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# OM_CONFIG_DIR: another monitor's configuration (the national scale set's, var/scale-nl)
CONFIG_DIR = Path(os.environ.get("OM_CONFIG_DIR") or REPO / "config").resolve()
DATASETS_DIR = REPO / "datasets"
VAR_DIR = REPO / "var"


@dataclass(frozen=True)
class City:
    """The municipality (config/portal.yml `city`): nothing else names it."""

    code: str = "GM0518"
    name: str = "'s-Gravenhage"
    display_name: dict[str, str] = field(default_factory=lambda: {"nl": "Den Haag",
                                                                  "en": "The Hague"})
    publisher: str = "Gemeente Den Haag"
    homepage: str = "https://www.denhaag.nl/"
    contact: str = "mailto:omgevingsmonitor@denhaag.nl"
    extent_wgs84: tuple[float, float, float, float] = (4.18, 52.01, 4.42, 52.14)
    map_centre: tuple[float, float] = (52.07, 4.29)

    @property
    def number(self) -> str:
        """The four digits of the CBS code (GM0518 → 0518), shared by its wijk/buurt codes."""
        return self.code[2:]

    @classmethod
    def of(cls, raw: dict | None) -> City:
        raw = raw or {}
        city = cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__})
        if not (len(city.code) == 6 and city.code.startswith("GM") and city.number.isdigit()):
            raise ValueError(f"config/portal.yml: key 'city.code': {city.code!r} is not a CBS "
                             "gemeentecode such as GM0518")
        return replace(city, extent_wgs84=tuple(float(v) for v in city.extent_wgs84),
                       map_centre=tuple(float(v) for v in city.map_centre))


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    base_url: str
    embedded_pg_port: int
    database_name: str
    attention_margin_fraction: float
    default_year: int | None
    database_url: str | None  # None = use the embedded cluster
    datasets_dir: Path = DATASETS_DIR  # OM_DATASETS_DIR: another folder of manifests
    iri_base: str = ""  # base of the vocabulary IRIs as served; empty = public_url
    sparql_timeout_seconds: float = 10.0
    city: City = field(default_factory=City)
    http_cache_max_age: int = 60  # seconds clients and proxies may reuse an answer
    http_cache_memory_mb: int = 128  # rendered answers kept in memory per process
    geocoder: dict = field(default_factory=dict)  # `geocoder:` block (portal/web/geocoder.py)
    tile_layer: dict | None = None  # background map; None: the city's own outlines only
    replica_max_lag_seconds: float = 10.0  # a hot standby further behind serves no reads
    max_request_body_kb: int = 1024  # POST bodies (CQL2 JSON, SPARQL) above this are 413

    @property
    def public_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def iri_base_url(self) -> str:
        """Where /id/ and /def/ IRIs resolve: the canonical domain in production."""
        return (self.iri_base or self.public_url).rstrip("/")

    @property
    def embedded(self) -> bool:
        return self.database_url is None


_ENV = {
    "OM_HOST": ("host", str),
    "OM_PORT": ("port", int),
    "OM_BASE_URL": ("base_url", str),
    "OM_EMBEDDED_PG_PORT": ("embedded_pg_port", int),
    "OM_DATABASE_NAME": ("database_name", str),
    "OM_IRI_BASE": ("iri_base", str),
    "OM_TILE_LAYER": ("tile_layer", yaml.safe_load),  # {url: …, attribution: …} (YAML/JSON)
}


@cache
def get_settings() -> Settings:
    raw = yaml.safe_load((CONFIG_DIR / "portal.yml").read_text(encoding="utf-8")) or {}
    for env, (key, cast) in _ENV.items():
        if os.environ.get(env):
            raw[key] = cast(os.environ[env])
    return Settings(
        host=str(raw.get("host", "127.0.0.1")),
        port=int(raw.get("port", 8000)),
        base_url=str(raw.get("base_url") or ""),
        embedded_pg_port=int(raw.get("embedded_pg_port", 55432)),
        database_name=str(raw.get("database_name", "omgevingsmonitor")),
        attention_margin_fraction=float(raw.get("attention_margin_fraction", 0.1)),
        default_year=raw.get("default_year"),
        database_url=os.environ.get("DATABASE_URL") or None,
        datasets_dir=Path(os.environ.get("OM_DATASETS_DIR") or DATASETS_DIR).resolve(),
        iri_base=str(raw.get("iri_base") or ""),
        sparql_timeout_seconds=float(raw.get("sparql_timeout_seconds", 10)),
        city=City.of(raw.get("city")),
        http_cache_max_age=int((raw.get("http_cache") or {}).get("max_age_seconds", 60)),
        http_cache_memory_mb=int(os.environ.get("OM_HTTP_CACHE_MB")  # 0: keep nothing
                                 or (raw.get("http_cache") or {}).get("memory_mb", 128)),
        geocoder=dict(raw.get("geocoder") or {}),
        tile_layer=raw.get("tile_layer") or None,
        replica_max_lag_seconds=float(raw.get("replica_max_lag_seconds", 10)),
        max_request_body_kb=int(raw.get("max_request_body_kb", 1024)),
    )


def with_database(settings: Settings, url: str) -> Settings:
    return replace(settings, database_url=url)
