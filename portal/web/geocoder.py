"""Pluggable geocoder: text (an address, a street) to a point in RD New.

Off by default (`geocoder.provider: none` in config/portal.yml): the portal then calls
no outside host at all. `provider: pdok` uses PDOK Locatieserver's free-search endpoint,
server-side (the browser never talks to PDOK), filtered to the municipality.
Another provider is a class with a `search(text) -> list[Place]` method in PROVIDERS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import httpx

_POINT = re.compile(r"POINT\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)")


@dataclass(frozen=True)
class Place:
    name: str
    kind: str
    x: float  # RD New easting
    y: float  # RD New northing


class GeocoderError(RuntimeError):
    """The geocoding service failed (unreachable, timeout, bad answer)."""


class Geocoder(Protocol):
    name: str

    def search(self, text: str) -> list[Place]: ...


class PdokLocatieserver:
    """PDOK Locatieserver v3.1 `free` endpoint (Solr): `response.docs[]` with
    `weergavenaam`, `type` and `centroide_rd` as WKT `POINT(x y)`."""

    name = "PDOK Locatieserver"

    def __init__(self, url: str, filter_query: str | None = None,
                 rows: int = 5, timeout: float = 3.0,
                 transport: httpx.BaseTransport | None = None):
        self.url = url
        self.filter_query = filter_query
        self.rows = rows
        self.client = httpx.Client(timeout=timeout, transport=transport,
                                   headers={"User-Agent": "omgevingsmonitor-den-haag"})

    def search(self, text: str) -> list[Place]:
        params = {"q": text, "rows": str(self.rows),
                  "fl": "weergavenaam,type,centroide_rd"}
        if self.filter_query:
            params["fq"] = self.filter_query
        try:
            resp = self.client.get(self.url, params=params)
            resp.raise_for_status()
            docs = resp.json()["response"]["docs"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise GeocoderError(f"{self.name}: {exc}") from None
        places = []
        for doc in docs:
            match = _POINT.match(str(doc.get("centroide_rd", "")))
            if match:
                places.append(Place(str(doc.get("weergavenaam", "")), str(doc.get("type", "")),
                                    float(match.group(1)), float(match.group(2))))
        return places


PROVIDERS = {"pdok": PdokLocatieserver}


def from_config(config: dict | None, transport: httpx.BaseTransport | None = None,
                city_number: str | None = None) -> Geocoder | None:
    """`geocoder:` block of config/portal.yml; None when switched off. Without a `filter`
    the search is limited to the city (`city_number`, the digits of its CBS code)."""
    config = config or {}
    provider = str(config.get("provider") or "none").lower()
    if provider in ("none", "off", "false"):
        return None
    if provider not in PROVIDERS:
        raise ValueError(f"config/portal.yml: key 'geocoder.provider': {provider!r} is not one "
                         f"of none, {', '.join(PROVIDERS)}")
    if not config.get("url"):  # the endpoint is configuration, stated once: config/portal.yml
        raise ValueError(f"config/portal.yml: key 'geocoder.url' is required for {provider!r}")
    kwargs = {"transport": transport, "url": str(config["url"])}
    if "filter" in config:
        kwargs["filter_query"] = config["filter"] or None
    elif city_number:
        kwargs["filter_query"] = f"gemeentecode:{city_number}"
    if config.get("timeout_seconds"):
        kwargs["timeout"] = float(config["timeout_seconds"])
    return PROVIDERS[provider](**kwargs)
