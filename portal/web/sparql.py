"""A read-only SPARQL 1.1 Protocol endpoint over vocabulary, catalogue and compute's results.

Queries run on Oxigraph (portal/vocabulary/triplestore.py: one on-disk store per data
version), in worker processes (sparql_worker.py): a query past the time limit has its
process ended and gets 503, so no runaway query can hold the server. rdflib parses each
query first to apply the endpoint's rules: updates are refused (403), malformed queries get
400 with the parser's message, SERVICE and FROM are refused so that a query can never make
the server fetch something from elsewhere. Errors are the app's JSON error shape.

The store keeps canonical IRIs; when the app serves another base (a test server, an
acceptance environment), `Rewriter` maps the served base onto them in the query and back in
the answer.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from pyparsing import ParseException
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from portal.vocabulary import sparql_worker

MAX_QUERY_BYTES = 100_000
RESULT_FORMATS = {  # media type → Oxigraph's QueryResultsFormat
    "application/sparql-results+json": "JSON",
    "application/sparql-results+xml": "XML",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
}
GRAPH_FORMATS = {  # media type → Oxigraph's RdfFormat (CONSTRUCT, DESCRIBE)
    "text/turtle": "TURTLE",
    "application/ld+json": "JSON_LD",
    "application/rdf+xml": "RDF_XML",
    "application/n-triples": "N_TRIPLES",
}
ALIASES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
           "csv": "text/csv", "tsv": "text/tab-separated-values", "ttl": "text/turtle",
           "turtle": "text/turtle", "jsonld": "application/ld+json",
           "rdf": "application/rdf+xml", "nt": "application/n-triples",
           "application/json": "application/sparql-results+json"}
READ_ONLY = "this endpoint is read-only: SPARQL Update is refused"


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
        raise QueryRefused(413, f"query longer than {MAX_QUERY_BYTES} bytes")
    try:
        parsed = parseQuery(text)
    except Exception as exc:  # pyparsing's ParseException and friends
        if _is_update(text):
            raise QueryRefused(403, READ_ONLY)
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


@dataclass(frozen=True)
class Rewriter:
    """Served IRI prefixes ↔ the store's canonical ones (identity when they are the same)."""

    pairs: tuple[tuple[str, str], ...]  # (served, canonical)

    @classmethod
    def of(cls, iri_base: str, public: str, canonical: str) -> Rewriter:
        pairs = [(f"{iri_base}{space}", f"{canonical}{space}") for space in ("/id/", "/def/")]
        pairs += [(f"{public}{space}", f"{canonical}{space}")
                  for space in ("/ogc/", "/sparql", "/catalog", "/vocab")]
        return cls(tuple((s, c) for s, c in pairs if s != c))

    def to_store(self, text: str) -> str:
        for served, canonical in self.pairs:
            text = text.replace(served, canonical)
        return text

    def to_client(self, body: bytes) -> bytes:
        for served, canonical in self.pairs:
            body = body.replace(canonical.encode(), served.encode())
        return body


class SparqlEngine:
    """Worker processes that run queries on the store; ends one that passes the limit."""

    def __init__(self, workers: int = 2, timeout_seconds: float = 10.0):
        self.timeout = timeout_seconds
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._idle: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._size = workers

    def _start(self):
        parent, child = self._context.Pipe()
        proc = self._context.Process(target=sparql_worker.serve, args=(child,), daemon=True,
                                     name="sparql-worker")
        proc.start()
        child.close()
        return proc, parent

    def _take(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._size > 0:
                self._size -= 1
                return self._start()
        try:  # every worker busy: wait for one, within the time limit
            return self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout("every SPARQL worker is busy; try again shortly") from None

    def run(self, store: Path, query: str, kind: str, fmt: str) -> bytes:
        proc, conn = self._take()
        try:
            conn.send((str(store), query, kind, fmt))
            if not conn.poll(self.timeout):
                proc.kill()
                proc.join(1)
                proc = None
                raise QueryTimeout(f"query exceeded the time limit of {self.timeout:g} s")
            status, payload = conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            proc = None  # the worker died: a new one next time
            raise QueryTimeout("the SPARQL worker stopped; try again") from None
        finally:
            if proc is None:
                with self._lock:
                    self._size += 1
                conn.close()
            else:
                self._idle.put((proc, conn))
        if status == "syntax":
            raise QueryRefused(400, f"malformed query: {payload}")
        if status != "ok":
            raise QueryRefused(400, f"query failed: {payload}")
        return payload

    def close(self) -> None:
        while True:
            try:
                proc, conn = self._idle.get_nowait()
            except queue.Empty:
                return
            try:
                conn.send(None)
            except OSError:
                pass
            proc.join(1)
            if proc.is_alive():
                proc.kill()


def execute(engine: SparqlEngine, store: Path, query, text: str, accept: str
            ) -> tuple[bytes, str]:
    """Evaluate a parsed query on the store; (body, media type)."""
    kind = query.algebra.name  # SelectQuery, AskQuery, ConstructQuery, DescribeQuery
    graph = kind in ("ConstructQuery", "DescribeQuery")
    formats = GRAPH_FORMATS if graph else RESULT_FORMATS
    media = _pick(accept, formats)
    return engine.run(store, text, "graph" if graph else "results", formats[media]), media


def _pick(accept: str, offered: dict) -> str:
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        media = ALIASES.get(media, media)
        if media in offered:
            return media
    return next(iter(offered))


def _error(status: int, message: str) -> JSONResponse:
    codes = {400: "InvalidParameterValue", 403: "Forbidden", 413: "PayloadTooLarge",
             415: "UnsupportedMediaType", 503: "ServiceUnavailable"}
    return JSONResponse({"code": codes.get(status, "Error"), "description": message},
                        status_code=status)


def endpoint(engine: SparqlEngine, store: Callable[[], Path], rewriter: Rewriter,
             form_html: Callable[[], str]):
    """The Starlette endpoint for GET and POST /sparql; queries run in worker processes."""

    async def sparql(request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = (await request.body()).decode("utf-8", errors="replace")
            if ctype == "application/sparql-update":
                return _error(403, READ_ONLY)
            if ctype == "application/sparql-query":
                params["query"] = body
            elif ctype == "application/x-www-form-urlencoded":
                params.update({k: v[0] for k, v in parse_qs(body).items()})
            else:
                return _error(415, "POST needs application/sparql-query or "
                                   "application/x-www-form-urlencoded")
        if "update" in params:
            return _error(403, READ_ONLY)
        if "query" not in params:
            return HTMLResponse(form_html())
        accept = ALIASES.get(params.get("format", ""), "") or request.headers.get("accept", "")
        try:
            query = parse(params["query"])
            text = rewriter.to_store(params["query"])
            body, media = await run_in_threadpool(
                lambda: execute(engine, store(), query, text, accept))
        except QueryRefused as exc:
            return _error(exc.status, str(exc))
        except QueryTimeout as exc:
            return _error(503, str(exc))
        return Response(rewriter.to_client(body), media_type=media, headers={"Vary": "Accept"})

    return sparql
