"""Compute's results as RDF for the SPARQL store: N-Triples written straight from the rows.

- one sosa:Observation per area, indicator and year (`monitor.area_status`), named by its
  OGC API item of `area-status`, so SPARQL and the item's JSON-LD describe one resource;
- one per station, indicator and year (`monitor.station_status`): below the minimum data
  capture it has a status and no result, never a value;
- one om:GoalProgress per area and policy goal (`monitor.area_goal_progress`).

Values are written as compute rounded them; what each value is (measured, modelled, demo)
goes with it (om:sourceKind, om:demo). Written as text, not through an rdflib graph: the
store takes the lines as they come, and a few hundred thousand triples cost a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

from psycopg.rows import dict_row

from portal.vocabulary.graph import OM, QUDT, SOSA

TIME = "http://www.w3.org/2006/time#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
AREA_COLLECTIONS = {"buurt": "buurten", "wijk": "wijken"}

QUERY = """
SELECT id, area_code, level, indicator_iri, unit_iri, year, value, status,
       status_norm_iri, status_margin, norms, demo, source_kind
FROM monitor.area_status
WHERE monitor.in_scope(indicator, %(scope)s)
"""

STATIONS_QUERY = """
SELECT s.id, s.station_id, i.iri AS indicator_iri, i.unit_iri, s.year, s.value, s.status,
       s.status_norm_iri, s.status_margin, s.capture, s.demo, s.source_kind
FROM monitor.station_status s JOIN monitor.indicator i ON i.code = s.indicator
"""

GOALS_QUERY = """
SELECT id, area_code, level, goal_iri, last_year, last_value, projected_value, status, demo,
       source_kind
FROM monitor.area_goal_progress
"""


def iri(value: str) -> str:
    return f"<{value}>"


def text(value: str) -> str:
    return json.dumps(str(value), ensure_ascii=False)  # N-Triples string escapes = JSON's here


def decimal(value) -> str:
    return f'"{Decimal(str(round(float(value), 4)))}"^^<{XSD}decimal>'


def boolean(value) -> str:
    return f'"{"true" if value else "false"}"^^<{XSD}boolean>'


class _Writer:
    def __init__(self, public: str):
        self.public = public.rstrip("/")
        self.years: set[int] = set()
        self.lines: list[str] = []

    def add(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o} .\n")

    def year(self, year: int) -> str:
        """One time:ProperInterval per year, shared by its observations. Named, not blank: the
        store adds the observations of a compute's scope to those kept, and a blank node
        would be a new interval at every such load."""
        node = iri(f"{self.public}/id/year/{year}")
        if year not in self.years:
            self.years.add(year)
            self.add(node, iri(RDF_TYPE), iri(f"{TIME}ProperInterval"))
            for prop, day, end in (("hasBeginning", f"{year}-01-01", "begin"),
                                   ("hasEnd", f"{year}-12-31", "end")):
                instant = iri(f"{self.public}/id/year/{year}/{end}")
                self.add(node, iri(f"{TIME}{prop}"), instant)
                self.add(instant, iri(RDF_TYPE), iri(f"{TIME}Instant"))
                self.add(instant, iri(f"{TIME}inXSDDate"), f'"{day}"^^<{XSD}date>')
        return node

    def flush(self) -> Iterator[str]:
        lines, self.lines = self.lines, []
        yield from lines

    def item(self, collection: str, ident: str, fragment: str = "") -> str:
        return iri(f"{self.public}/ogc/collections/{collection}/items/{ident}{fragment}")

    def common(self, node: str, r: dict) -> None:
        if r.get("status"):
            self.add(node, iri(f"{OM}status"), text(r["status"]))
        if r.get("status_norm_iri"):
            self.add(node, iri(f"{OM}governingNorm"), iri(r["status_norm_iri"]))
        if r.get("status_margin") is not None:
            self.add(node, iri(f"{OM}statusMargin"), decimal(r["status_margin"]))
        if r.get("source_kind"):
            self.add(node, iri(f"{OM}sourceKind"), text(r["source_kind"]))
        if r.get("demo") is not None:
            self.add(node, iri(f"{OM}demo"), boolean(r["demo"]))


def _of_area(w: _Writer, node: str, r: dict) -> None:
    """The wijk, buurt or city a row is about: its feature and its CBS code."""
    if r.get("level") in AREA_COLLECTIONS:
        w.add(node, iri(f"{SOSA}hasFeatureOfInterest"),
              w.item(AREA_COLLECTIONS[r["level"]], r["area_code"]))
    w.add(node, iri(f"{OM}areaCode"), text(r["area_code"]))


def _area(w: _Writer, r: dict) -> None:
    obs = w.item("area-status", r["id"])
    w.add(obs, iri(RDF_TYPE), iri(f"{SOSA}Observation"))
    w.add(obs, iri(f"{SOSA}observedProperty"), iri(r["indicator_iri"]))
    _of_area(w, obs, r)
    w.add(obs, iri(f"{SOSA}phenomenonTime"), w.year(int(r["year"])))
    if r.get("value") is not None:
        result = w.item("area-status", r["id"], "#result")  # named: replaced with its observation
        w.add(obs, iri(f"{SOSA}hasResult"), result)
        w.add(result, iri(RDF_TYPE), iri(f"{QUDT}QuantityValue"))
        w.add(result, iri(f"{QUDT}numericValue"), decimal(r["value"]))
        if r.get("unit_iri"):
            w.add(result, iri(f"{QUDT}hasUnit"), iri(r["unit_iri"]))
        w.add(obs, iri(f"{SOSA}hasSimpleResult"), decimal(r["value"]))
    for norm in (r.get("norms") or "").split():
        w.add(obs, iri(f"{OM}assessedAgainst"), iri(norm))
    w.common(obs, r)


def _station(w: _Writer, r: dict) -> None:
    obs = w.item("station-status", r["id"])
    w.add(obs, iri(RDF_TYPE), iri(f"{SOSA}Observation"))
    w.add(obs, iri(f"{SOSA}observedProperty"), iri(r["indicator_iri"]))
    w.add(obs, iri(f"{SOSA}hasFeatureOfInterest"), w.item("stations", r["station_id"]))
    w.add(obs, iri(f"{SOSA}phenomenonTime"), w.year(int(r["year"])))
    if r.get("value") is not None:
        w.add(obs, iri(f"{SOSA}hasSimpleResult"), decimal(r["value"]))
    w.add(obs, iri(f"{OM}dataCapture"), decimal(r["capture"]))
    w.common(obs, r)


def _goal(w: _Writer, r: dict) -> None:
    node = w.item("goal-progress", r["id"])
    w.add(node, iri(RDF_TYPE), iri(f"{OM}GoalProgress"))
    w.add(node, iri(f"{OM}towardsGoal"), iri(r["goal_iri"]))
    _of_area(w, node, r)
    w.add(node, iri(f"{OM}lastYear"), f'"{r["last_year"]}"^^<{XSD}gYear>')
    w.add(node, iri(f"{OM}lastValue"), decimal(r["last_value"]))
    if r.get("projected_value") is not None:
        w.add(node, iri(f"{OM}projectedValue"), decimal(r["projected_value"]))
    w.add(node, iri(f"{OM}progressStatus"), text(r["status"]))
    w.common(node, {**r, "status": None})


def result_ntriples(conn, public_url: str, scope: list[str] | None = None) -> Iterator[str]:
    """Area observations of the indicators in `scope` (None: all) and goal progress as
    N-Triples lines; item IRIs under `public_url`. These change only when a compute changes
    them (triplestore.py keeps them otherwise, or replaces those of its scope)."""
    w = _Writer(public_url)
    with conn.cursor(name="area_status_rdf", row_factory=dict_row) as cur:
        for r in cur.execute(QUERY, {"scope": scope}):
            _area(w, r)
            if len(w.lines) > 50_000:
                yield from w.flush()
    for r in conn.cursor(row_factory=dict_row).execute(GOALS_QUERY):
        _goal(w, r)
    yield from w.flush()


def station_ntriples(conn, public_url: str) -> Iterator[str]:
    """Station observations (a few hundred) as N-Triples lines."""
    w = _Writer(public_url)
    for r in conn.cursor(row_factory=dict_row).execute(STATIONS_QUERY):
        _station(w, r)
    yield from w.flush()
