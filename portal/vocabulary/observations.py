"""The area indicator results as SOSA/QUDT observations, for the SPARQL endpoint.

One observation per area, indicator and year. Its IRI is the OGC API item of the
`area-status` collection, so the SPARQL results and the item's JSON-LD describe the same
resource. Likewise one om:GoalProgress per area and policy goal, named by its
`goal-progress` item. Both are read from compute's tables, as written. Indicator, unit and norm IRIs come from the database mirror of the vocabulary
(canonical IRIs; the web layer rebases them).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from portal.vocabulary.graph import OM, QUDT, SOSA

TIME = Namespace("http://www.w3.org/2006/time#")
AREA_COLLECTIONS = {"buurt": "buurten", "wijk": "wijken"}

QUERY = """
SELECT id, area_code, level, indicator_iri, unit_iri, year, value, status,
       status_norm_iri, status_margin, norms, demo, source_kind
FROM monitor.area_status
"""

STATIONS_QUERY = """
SELECT s.id, s.station_id, i.iri AS indicator_iri, i.unit_iri, s.year, s.value, s.status,
       s.status_norm_iri, s.status_margin, s.capture, s.demo, s.source_kind
FROM monitor.station_status s JOIN monitor.indicator i ON i.code = s.indicator
"""

GOALS_QUERY = """
SELECT id, area_code, level, goal_iri, last_year, last_value, projected_value, status, demo
FROM monitor.area_goal_progress
"""


def observation_iri(public_url: str, item_id: str) -> URIRef:
    return URIRef(f"{public_url.rstrip('/')}/ogc/collections/area-status/items/{item_id}")


def observations_graph(rows: Iterable[dict], public_url: str,
                       goal_rows: Iterable[dict] = (), station_rows: Iterable[dict] = ()
                       ) -> Graph:
    g = Graph()
    g.bind("sosa", SOSA)
    g.bind("qudt", QUDT)
    g.bind("om", OM)
    g.bind("time", TIME)
    public = public_url.rstrip("/")
    years: dict[int, BNode] = {}  # one interval per year, shared by its observations
    for r in rows:
        obs = observation_iri(public, r["id"])
        g.add((obs, RDF.type, SOSA.Observation))
        if r.get("indicator_iri"):
            g.add((obs, SOSA.observedProperty, URIRef(r["indicator_iri"])))
        collection = AREA_COLLECTIONS.get(r.get("level"))
        if collection:
            g.add((obs, SOSA.hasFeatureOfInterest,
                   URIRef(f"{public}/ogc/collections/{collection}/items/{r['area_code']}")))
        g.add((obs, OM.areaCode, Literal(r["area_code"])))
        year = int(r["year"])
        if year not in years:
            years[year] = _year(g, year)
        g.add((obs, SOSA.phenomenonTime, years[year]))
        if r.get("value") is not None:
            result = BNode()
            g.add((obs, SOSA.hasResult, result))
            g.add((result, RDF.type, QUDT.QuantityValue))
            g.add((result, QUDT.numericValue, _decimal(r["value"])))
            if r.get("unit_iri"):
                g.add((result, QUDT.hasUnit, URIRef(r["unit_iri"])))
            g.add((obs, SOSA.hasSimpleResult, _decimal(r["value"])))
        if r.get("status"):
            g.add((obs, OM.status, Literal(r["status"])))
        if r.get("status_norm_iri"):
            g.add((obs, OM.governingNorm, URIRef(r["status_norm_iri"])))
        if r.get("status_margin") is not None:
            g.add((obs, OM.statusMargin, _decimal(r["status_margin"])))
        for norm in (r.get("norms") or "").split():
            g.add((obs, OM.assessedAgainst, URIRef(norm)))
        if r.get("demo") is not None:
            g.add((obs, OM.demo, Literal(bool(r["demo"]))))
        if r.get("source_kind"):
            g.add((obs, OM.sourceKind, Literal(r["source_kind"])))
    for r in station_rows:
        _station(g, public, r, years)
    for r in goal_rows:
        _goal_progress(g, public, r)
    return g


def _station(g: Graph, public: str, r: dict, years: dict[int, BNode]) -> None:
    """A station-year: below the minimum data capture its status says so and it has no
    result — never a value."""
    obs = URIRef(f"{public}/ogc/collections/station-status/items/{r['id']}")
    g.add((obs, RDF.type, SOSA.Observation))
    g.add((obs, SOSA.observedProperty, URIRef(r["indicator_iri"])))
    g.add((obs, SOSA.hasFeatureOfInterest,
           URIRef(f"{public}/ogc/collections/stations/items/{r['station_id']}")))
    year = int(r["year"])
    if year not in years:
        years[year] = _year(g, year)
    g.add((obs, SOSA.phenomenonTime, years[year]))
    if r.get("value") is not None:
        g.add((obs, SOSA.hasSimpleResult, _decimal(r["value"])))
    g.add((obs, OM.status, Literal(r["status"])))
    g.add((obs, OM.dataCapture, _decimal(r["capture"])))
    if r.get("status_norm_iri"):
        g.add((obs, OM.governingNorm, URIRef(r["status_norm_iri"])))
    g.add((obs, OM.sourceKind, Literal(r["source_kind"])))
    g.add((obs, OM.demo, Literal(bool(r["demo"]))))


def _goal_progress(g: Graph, public: str, r: dict) -> None:
    node = URIRef(f"{public}/ogc/collections/goal-progress/items/{r['id']}")
    g.add((node, RDF.type, OM.GoalProgress))
    g.add((node, OM.towardsGoal, URIRef(r["goal_iri"])))
    collection = AREA_COLLECTIONS.get(r.get("level"))
    if collection:
        g.add((node, SOSA.hasFeatureOfInterest,
               URIRef(f"{public}/ogc/collections/{collection}/items/{r['area_code']}")))
    g.add((node, OM.areaCode, Literal(r["area_code"])))
    g.add((node, OM.lastYear, Literal(str(r["last_year"]), datatype=XSD.gYear)))
    g.add((node, OM.lastValue, _decimal(r["last_value"])))
    if r.get("projected_value") is not None:
        g.add((node, OM.projectedValue, _decimal(r["projected_value"])))
    g.add((node, OM.progressStatus, Literal(r["status"])))
    g.add((node, OM.demo, Literal(bool(r["demo"]))))


def _decimal(value) -> Literal:
    return Literal(Decimal(str(round(float(value), 4))), datatype=XSD.decimal)


def _year(g: Graph, year: int) -> BNode:
    interval = BNode()
    g.add((interval, RDF.type, TIME.ProperInterval))
    for prop, day in ((TIME.hasBeginning, f"{year}-01-01"), (TIME.hasEnd, f"{year}-12-31")):
        instant = BNode()
        g.add((interval, prop, instant))
        g.add((instant, RDF.type, TIME.Instant))
        g.add((instant, TIME.inXSDDate, Literal(day, datatype=XSD.date)))
    return interval
