"""SPARQL engines on the same graph, same run: Oxigraph (what /sparql runs) against rdflib.

    .venv/bin/python scripts/bench_sparql.py [--repeat 5]

The graph is what the store holds for the loaded database's current data version
(vocabulary, catalogue, area observations, station years, goal progress; canonical IRIs),
written once to N-Triples and loaded into both engines in memory. Five questions users ask;
each is timed (best of --repeat for Oxigraph, of 2 runs for rdflib) and the answers of the
two engines are compared row by row. Prints milliseconds, the ratio and whether they agree.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pyoxigraph as ox
from rdflib import Graph

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal.db.connect import database_url
from portal.settings import get_settings
from portal.vocabulary.rebase import CANONICAL
from portal.vocabulary.triplestore import write_ntriples

P = f"""PREFIX om: <{CANONICAL}/def/> PREFIX sosa: <http://www.w3.org/ns/sosa/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> PREFIX time: <http://www.w3.org/2006/time#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
QUERIES = {
    "count all triples": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "norms valid on 2025-06-01": P + """SELECT ?norm WHERE {
        ?norm a om:Norm ; om:validFrom ?from .
        OPTIONAL { ?norm om:validThrough ?through }
        FILTER (?from <= "2025-06-01"^^xsd:date
                && (!BOUND(?through) || ?through >= "2025-06-01"^^xsd:date)) }""",
    "observations of one area": P + """SELECT ?o ?prop ?value ?status WHERE {
        ?o a sosa:Observation ; om:areaCode "WK051828" ; sosa:observedProperty ?prop ;
           om:status ?status . OPTIONAL { ?o sosa:hasSimpleResult ?value } }""",
    "norms not met in 2021": P + """SELECT ?o ?norm ?status WHERE {
        ?o a sosa:Observation ; om:status ?status ; om:governingNorm ?norm ;
           sosa:phenomenonTime/time:hasBeginning/time:inXSDDate "2021-01-01"^^xsd:date
        FILTER (?status IN ("exceeds", "attention")) }""",
    "goal progress per indicator": P + """SELECT ?indicator (COUNT(?p) AS ?areas)
        (AVG(?projected) AS ?mean) WHERE {
        ?p a om:GoalProgress ; om:towardsGoal/om:steers ?indicator ; om:projectedValue ?projected }
        GROUP BY ?indicator""",
}


def _ox_rows(result) -> list[tuple]:
    return sorted(tuple(_ox_value(s[v]) for v in result.variables) for s in result)


def _ox_value(term) -> str:
    if term is None:
        return ""
    return _number(term.value) if isinstance(term, ox.Literal) else term.value


def _rdf_rows(result) -> list[tuple]:
    return sorted(tuple("" if v is None else _number(str(v)) for v in row) for row in result)


def _number(text: str) -> str:
    """1.50 and 1.5 are the same decimal: compare numbers as numbers."""
    try:
        return f"{float(text):.9g}"
    except ValueError:
        return text


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, \
            psycopg.connect(database_url(get_settings())) as conn:
        source = Path(tmp) / "graph.nt"
        write_ntriples(conn, source)
        store = ox.Store()
        store.bulk_load(path=str(source), format=ox.RdfFormat.N_TRIPLES)
        graph = Graph()
        graph.parse(source, format="nt")
    print(f"graph: {len(store)} triples in Oxigraph, {len(graph)} in rdflib (same N-Triples)")
    print(f"{'query':30} {'oxigraph ms':>12} {'rdflib ms':>10} {'ratio':>7} {'rows':>6}  same")
    worst = float("inf")
    for name, query in QUERIES.items():
        t_ox, ox_rows = best(lambda q=query: _ox_rows(store.query(q)), args.repeat)
        t_rdf, rdf_rows = best(lambda q=query: _rdf_rows(graph.query(q)), 2)
        ratio = t_rdf / t_ox
        worst = min(worst, ratio)
        print(f"{name:30} {t_ox * 1000:12.2f} {t_rdf * 1000:10.1f} {ratio:7.0f} "
              f"{len(ox_rows):6d}  {'yes' if ox_rows == rdf_rows else 'NO'}")
    print(f"lowest ratio rdflib / Oxigraph: {worst:.0f}× (goal ≥ 10×)")


if __name__ == "__main__":
    main()
