"""Serve the vocabulary under the app's own base URL.

The Turtle keeps the canonical https://omgevingsmonitor.denhaag.nl/ IRIs; a test server
or an acceptance environment rewrites them so every IRI it hands out resolves there.
Only the /id/ and /def/ spaces are rewritten: other pages on the canonical domain
(e.g. /demo) are not ours to redirect.
"""

from __future__ import annotations

from rdflib import Graph, URIRef

CANONICAL = "https://omgevingsmonitor.denhaag.nl"
SPACES = ("/id/", "/def/")


def rebase_iri(iri: str, base: str, *, source: str = CANONICAL) -> str:
    base = base.rstrip("/")
    for space in SPACES:
        if iri.startswith(source + space):
            return base + iri[len(source):]
    return iri


def rebase(graph: Graph, base: str, *, source: str = CANONICAL) -> Graph:
    """A copy of the graph with canonical /id/ and /def/ IRIs moved to `base`."""
    base = base.rstrip("/")
    out = Graph()
    for prefix, ns in graph.namespaces():
        out.bind(prefix, URIRef(rebase_iri(str(ns), base, source=source)), replace=True)
    if base == source:
        out += graph
        return out

    def move(term):
        return URIRef(rebase_iri(str(term), base, source=source)) if isinstance(term, URIRef) else term

    for s, p, o in graph:
        out.add((move(s), move(p), move(o)))
    return out
