"""Dereferenceable vocabulary IRIs, whole-vocabulary downloads and the SPARQL endpoint.

Every /id/... and /def/... IRI the vocabulary or catalogue defines answers here with
content negotiation (Turtle, JSON-LD, RDF/XML, N-Triples, HTML; `Vary: Accept`, with
`?format=` as a fallback for links). IRIs are served under `Settings.iri_base_url`, so a
test server hands out IRIs that resolve on itself; production uses the canonical domain.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, OWL, RDFS, SKOS
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from portal.settings import Settings
from portal.vocabulary.graph import OM
from portal.vocabulary.rebase import CANONICAL, rebase_iri
from portal.web import sparql
from portal.web.knowledge import Knowledge
from portal.web.negotiation import FORMATS, RDF_ORDER, NotAcceptable, choose
from portal.web.resource_page import TEXT, label, page_model

HERE = Path(__file__).parent
DOWNLOADS = {"vocab": "omgevingsmonitor-vocabulaire", "catalog": "omgevingsmonitor-catalogus"}


def routes(settings: Settings, pool, knowledge: Knowledge | None = None) -> list[Route]:
    """Routes to splice into the app; `knowledge` may be given by tests."""
    know = knowledge or Knowledge(settings, pool)
    pages = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape())
    static = f"{settings.public_url}/static"
    home = settings.public_url

    def lang_of(request: Request) -> str:
        asked = request.query_params.get("lang")
        if asked in TEXT:
            return asked
        return "en" if request.headers.get("accept-language", "").lower().startswith("en") \
            else "nl"

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

    def resource(request: Request, space: str) -> Response:
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
        canonical_iri = URIRef(rebase_iri(iri, CANONICAL, source=know.base))
        model = page_model(know.canonical, know.canonical.cbd(canonical_iri), canonical_iri,
                           lang_of(request), know.base)
        html = pages.get_template("semantic/resource.html").render(
            m=model, static=static, home=home, self_url=iri,
            formats=[FORMATS[k] for k in RDF_ORDER if k != "html"])
        return HTMLResponse(html, headers={"Vary": "Accept"})

    def id_resource(request: Request) -> Response:
        return resource(request, "id")

    def def_resource(request: Request) -> Response:
        return resource(request, "def")

    def whole(name: str, graph_of) -> Route:
        def endpoint(request: Request) -> Response:
            ext = request.path_params.get("ext")
            fmt = FORMATS.get(ext) if ext else negotiate(request)
            if fmt is None:
                raise HTTPException(404, f"no download in format {ext!r}")
            if fmt.rdflib:
                return rdf_response(graph_of(), fmt, DOWNLOADS[name] if ext else None)
            lang = lang_of(request)
            html = pages.get_template("semantic/index.html").render(
                lang=lang, t=TEXT[lang], name=name, sections=_sections(know, name, lang),
                static=static, home=home, self_url=f"{home}/{name}",
                formats=[FORMATS[k] for k in RDF_ORDER if k != "html"])
            return HTMLResponse(html, headers={"Vary": "Accept"})
        return endpoint

    form = pages.get_template("semantic/sparql.html").render(
        static=static, home=home, endpoint=f"{home}/sparql", base=know.base)
    return [
        Route("/id/{path:path}", id_resource),
        Route("/def/", def_resource),
        Route("/def/{path:path}", def_resource),
        Route("/vocab", whole("vocab", lambda: know.vocabulary)),
        Route("/vocab.{ext}", whole("vocab", lambda: know.vocabulary)),
        Route("/catalog", whole("catalog", lambda: know.catalogue)),
        Route("/catalog.{ext}", whole("catalog", lambda: know.catalogue)),
        Route("/sparql", sparql.endpoint(know.dataset, settings.sparql_timeout_seconds, form),
              methods=["GET", "POST"]),
    ]


def _sections(know: Knowledge, name: str, lang: str) -> list[dict]:
    """Lists of links for the HTML index of the vocabulary or the catalogue."""
    g = know.described

    def items(rdf_type) -> list[dict]:
        found = [{"href": str(s), "text": label(g, s, lang)} for s in know.subjects_of_type(rdf_type)
                 if isinstance(s, URIRef)]
        return sorted(found, key=lambda i: i["text"].lower())

    nl = lang == "nl"
    if name == "catalog":
        return [{"title": "Datasets", "items": items(DCAT.Dataset)},
                {"title": "Diensten" if nl else "Services", "items": items(DCAT.DataService)}]
    return [
        {"title": "Begrippenkaders" if nl else "Concept schemes", "items": items(SKOS.ConceptScheme)},
        {"title": "Thema's" if nl else "Themes", "items": items(OM.Theme)},
        {"title": "Indicatoren" if nl else "Indicators", "items": items(OM.Indicator)},
        {"title": "Normsoorten" if nl else "Kinds of norms", "items": items(OM.NormKind)},
        {"title": "Normen" if nl else "Norms", "items": items(OM.Norm)},
        {"title": "Beleidsdoelen" if nl else "Policy goals", "items": items(OM.PolicyGoal)},
        {"title": "Ontologie" if nl else "Ontology",
         "items": items(OWL.Ontology) + items(OWL.Class)
         + sorted(({"href": str(s), "text": label(g, s, lang)}
                   for t in (OWL.ObjectProperty, OWL.DatatypeProperty)
                   for s in know.subjects_of_type(t)), key=lambda i: i["text"].lower())},
    ]

