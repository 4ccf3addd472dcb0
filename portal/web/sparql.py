"""A read-only SPARQL 1.1 Protocol endpoint over vocabulary, catalogue and observations.

rdflib evaluates queries in Python, so a runaway query would hold a worker for ever:
each query runs under a trace hook that aborts it at the time limit. Updates are refused
(403), malformed queries get 400 with the parser's message, and SERVICE / FROM are
refused so that a query can never make the server fetch something from elsewhere.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from urllib.parse import parse_qs

from pyparsing import ParseException
from rdflib import Graph
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

MAX_QUERY_BYTES = 100_000
RESULT_FORMATS = {  # media type → rdflib result serializer
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "txt",
}
GRAPH_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}
ALIASES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
           "csv": "text/csv", "tsv": "text/tab-separated-values", "ttl": "text/turtle",
           "turtle": "text/turtle", "jsonld": "application/ld+json",
           "rdf": "application/rdf+xml", "nt": "application/n-triples",
           "application/json": "application/sparql-results+json"}


class QueryRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class QueryTimeout(Exception):
    """The query ran longer than the endpoint's time limit."""


def parse(text: str):
    """Parse and translate, or raise QueryRefused with the status the protocol asks for."""
    if not text.strip():
        raise QueryRefused(400, "missing query")
    if len(text.encode("utf-8")) > MAX_QUERY_BYTES:
        raise QueryRefused(400, f"query longer than {MAX_QUERY_BYTES} bytes")
    try:
        parsed = parseQuery(text)
    except Exception as exc:  # pyparsing's ParseException and friends
        if _is_update(text):
            raise QueryRefused(403, "this endpoint is read-only: SPARQL Update is refused")
        raise QueryRefused(400, f"malformed query: {exc}") from exc
    try:
        query = translateQuery(parsed)
    except Exception as exc:
        raise QueryRefused(400, f"malformed query: {exc}") from exc
    if getattr(query.algebra, "datasetClause", None):
        raise QueryRefused(400, "FROM / FROM NAMED are not supported: query the default graph")
    if _contains(query.algebra, "ServiceGraphPattern"):
        raise QueryRefused(400, "SERVICE (federated query) is not supported")
    return query


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except (ParseException, ValueError):
        return False
    return True


def _contains(node, name: str) -> bool:
    if isinstance(node, CompValue):
        if node.name == name:
            return True
        return any(_contains(v, name) for v in node.values())
    if isinstance(node, list | tuple):
        return any(_contains(v, name) for v in node)
    return False


def with_deadline(fn: Callable[[], bytes], seconds: float) -> bytes:
    """Run fn, raising QueryTimeout inside it once `seconds` have passed."""
    deadline = time.monotonic() + seconds

    def tracer(frame, event, arg):
        if time.monotonic() > deadline:
            raise QueryTimeout(f"query exceeded the time limit of {seconds:g} s")

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return fn()
    finally:
        sys.settrace(previous)


def execute(graph: Graph, query, accept: str, seconds: float) -> tuple[bytes, str]:
    """Evaluate and serialise within the time limit; return (body, media type)."""
    kind = query.algebra.name  # SelectQuery, AskQuery, ConstructQuery, DescribeQuery
    graph_result = kind in ("ConstructQuery", "DescribeQuery")
    media = _pick(accept, GRAPH_FORMATS if graph_result else RESULT_FORMATS)

    def run() -> bytes:
        result = graph.query(query)
        if graph_result:
            out = Graph()
            for prefix, ns in graph.namespaces():
                out.bind(prefix, ns)
            out += result.graph
            body = out.serialize(format=GRAPH_FORMATS[media])
            return body.encode("utf-8") if isinstance(body, str) else body
        return result.serialize(format=RESULT_FORMATS[media])

    return with_deadline(run, seconds), media


def _pick(accept: str, offered: dict) -> str:
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        media = ALIASES.get(media, media)
        if media in offered:
            return media
    return next(iter(offered))


def endpoint(dataset: Callable[[], Graph], timeout_seconds: float, form_html: str):
    """The Starlette endpoint for GET and POST /sparql; evaluation runs in a worker thread."""

    async def sparql(request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = (await request.body()).decode("utf-8", errors="replace")
            if ctype == "application/sparql-update":
                return PlainTextResponse("this endpoint is read-only: SPARQL Update is refused",
                                         status_code=403)
            if ctype == "application/sparql-query":
                params["query"] = body
            elif ctype == "application/x-www-form-urlencoded":
                params.update({k: v[0] for k, v in parse_qs(body).items()})
            else:
                return PlainTextResponse("POST needs application/sparql-query or "
                                         "application/x-www-form-urlencoded", status_code=415)
        if "update" in params:
            return PlainTextResponse("this endpoint is read-only: SPARQL Update is refused",
                                     status_code=403)
        if "query" not in params:
            return HTMLResponse(form_html)
        accept = ALIASES.get(params.get("format", ""), "") or request.headers.get("accept", "")
        try:
            query = parse(params["query"])
            body, media = await run_in_threadpool(
                lambda: execute(dataset(), query, accept, timeout_seconds))
        except QueryRefused as exc:
            return PlainTextResponse(str(exc), status_code=exc.status)
        except QueryTimeout as exc:
            return PlainTextResponse(str(exc), status_code=503)
        return Response(body, media_type=media, headers={"Vary": "Accept"})

    return sparql
