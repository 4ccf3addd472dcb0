"""Dereferenceable vocabulary IRIs, whole-vocabulary downloads and the SPARQL endpoint.

Every /id/... and /def/... IRI the vocabulary or catalogue defines answers here with
content negotiation (Turtle, JSON-LD, RDF/XML, N-Triples, HTML; `Vary: Accept`, with
`?format=` as a fallback for links). IRIs are served under `Settings.iri_base_url`, so a
test server hands out IRIs that resolve on itself; production uses the canonical domain.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, OWL, RDFS, SKOS
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from portal.vocabulary.graph import OM
from portal.vocabulary.rebase import CANONICAL, rebase_iri
from portal.web import sparql
from portal.web.i18n import N_, language
from portal.web.knowledge import Knowledge
from portal.web.negotiation import FORMATS, RDF_ORDER, NotAcceptable, choose
from portal.web.resource_page import label, page_model

DOWNLOADS = {"vocab": "omgevingsmonitor-vocabulaire", "catalog": "omgevingsmonitor-catalogus"}
SECTIONS = {  # index page headings, as catalogue messages
    "datasets": N_("Datasets"), "services": N_("Services"),
    "schemes": N_("Concept schemes"), "themes": N_("Themes"), "indicators": N_("Indicators"),
    "kinds": N_("Kinds of norms"), "norms": N_("Norms"), "goals": N_("Policy goals"),
    "ontology": N_("Ontology"),
}


def lang_of(request: Request) -> str:
    """`?lang=`, else the client's Accept-Language (these pages negotiate), else Dutch."""
    return language(request.query_params, request.headers.get("accept-language", ""))


def negotiate(request: Request):
    try:
        return choose(request)
    except NotAcceptable as exc:
        raise HTTPException(406, str(exc)) from exc


def rdf_response(graph: Graph, fmt, filename: str | None = None) -> Response:
    if fmt.key == "jsonld":
        context = {p: str(ns) for p, ns in graph.namespaces() if p}
        body = graph.serialize(format="json-ld", context=context, auto_compact=True)
    else:
        body = graph.serialize(format=fmt.rdflib)
    headers = {"Vary": "Accept"}
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}.{fmt.extension}"'
    media = fmt.media_type + ("; charset=utf-8" if fmt.key != "rdf" else "")
    return Response(body, media_type=media, headers=headers)


class SemanticViews:
    """IRIs, whole-graph downloads and SPARQL over the knowledge of the data version served
    (`state.vocab.knowledge`, rebuilt when the version changes)."""

    def __init__(self, state):
        self.state = state
        self.formats = [FORMATS[k] for k in RDF_ORDER if k != "html"]

    @property
    def know(self) -> Knowledge:
        return self.state.vocab.knowledge

    def resource(self, request: Request, space: str) -> Response:
        know = self.know
        path = request.path_params.get("path", "")
        iri = f"{know.base}/{space}/{path}"
        if not know.knows(iri):
            raise HTTPException(404, f"{iri} is not defined by the vocabulary or catalogue")
        fmt = negotiate(request)
        description = know.describe(iri)
        if space == "def" and path == "":  # the ontology: all its terms
            for term in know.described.subjects(RDFS.isDefinedBy, URIRef(iri)):
                description += know.described.cbd(term)
        if fmt.rdflib:
            return rdf_response(description, fmt)
        lang = lang_of(request)
        canonical_iri = URIRef(rebase_iri(iri, CANONICAL, source=know.base))
        model = page_model(know.canonical, know.canonical.cbd(canonical_iri), canonical_iri,
                           lang, know.base, self.state.messages)
        html = self.state.templates.render(lang, "semantic/resource.html", request, m=model,
                                           self_url=iri, formats=self.formats)
        return HTMLResponse(html, headers={"Vary": "Accept"})

    def id_resource(self, request: Request) -> Response:
        return self.resource(request, "id")

    def def_resource(self, request: Request) -> Response:
        return self.resource(request, "def")

    def whole(self, name: str) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            ext = request.path_params.get("ext")
            fmt = FORMATS.get(ext) if ext else negotiate(request)
            if fmt is None:
                raise HTTPException(404, f"no download in format {ext!r}")
            know = self.know
            if fmt.rdflib:
                graph = know.vocabulary if name == "vocab" else know.catalogue
                return rdf_response(graph, fmt, DOWNLOADS[name] if ext else None)
            lang = lang_of(request)
            sections = [{"title": self.state.messages.gettext(lang, SECTIONS[key]),
                         "items": items} for key, items in _sections(know, name, lang)]
            html = self.state.templates.render(
                lang, "semantic/index.html", request, name=name, sections=sections,
                self_url=self.state.urls.to(f"/{name}"), formats=self.formats)
            return HTMLResponse(html, headers={"Vary": "Accept"})
        return endpoint

    def sparql_form(self) -> str:
        return self.state.templates.render("nl", "semantic/sparql.html", None,
                                           endpoint=self.state.urls.to("/sparql"),
                                           base=self.know.base)


def _store(state) -> Path:
    if state.sparql_store is None:
        raise sparql.QueryTimeout("the SPARQL store is being prepared; try again shortly")
    return state.sparql_store


def routes(state) -> list[Route]:
    v = SemanticViews(state)
    s = state.settings
    rewriter = sparql.Rewriter.of(s.iri_base_url, s.public_url, CANONICAL)
    return [
        Route("/id/{path:path}", v.id_resource),
        Route("/def/", v.def_resource),
        Route("/def/{path:path}", v.def_resource),
        Route("/vocab", v.whole("vocab")),
        Route("/vocab.{ext}", v.whole("vocab")),
        Route("/catalog", v.whole("catalog")),
        Route("/catalog.{ext}", v.whole("catalog")),
        Route("/sparql", sparql.endpoint(state.sparql, lambda: _store(state), rewriter,
                                         v.sparql_form), methods=["GET", "POST"]),
    ]


def _sections(know: Knowledge, name: str, lang: str) -> list[tuple[str, list[dict]]]:
    """(heading key, links) for the HTML index of the vocabulary or the catalogue."""
    g = know.described

    def items(rdf_type) -> list[dict]:
        found = [{"href": str(s), "text": label(g, s, lang)} for s in know.subjects_of_type(rdf_type)
                 if isinstance(s, URIRef)]
        return sorted(found, key=lambda i: i["text"].lower())

    if name == "catalog":
        return [("datasets", items(DCAT.Dataset)), ("services", items(DCAT.DataService))]
    properties = sorted(({"href": str(s), "text": label(g, s, lang)}
                         for t in (OWL.ObjectProperty, OWL.DatatypeProperty)
                         for s in know.subjects_of_type(t)), key=lambda i: i["text"].lower())
    return [
        ("schemes", items(SKOS.ConceptScheme)), ("themes", items(OM.Theme)),
        ("indicators", items(OM.Indicator)), ("kinds", items(OM.NormKind)),
        ("norms", items(OM.Norm)), ("goals", items(OM.PolicyGoal)),
        ("ontology", items(OWL.Ontology) + items(OWL.Class) + properties),
    ]
