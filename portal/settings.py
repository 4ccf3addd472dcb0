"""Typed settings: config/portal.yml, overridden by environment variables.

One place for every runtime knob, so the CLI, the web app and the tests agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / "config"
DATASETS_DIR = REPO / "datasets"
VAR_DIR = REPO / "var"


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
    )


def with_database(settings: Settings, url: str) -> Settings:
    return replace(settings, database_url=url)
