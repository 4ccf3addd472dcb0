"""The access gate: every request passes here after `Identity`, before the response cache.

- restricted pages (config/roles.yml `pages`) and anything of a restricted dataset — its OGC
  API collection and everything under it (items, item, queryables, schema, coverage), its
  downloads — are refused as the policy says: 404 for anonymous users, 403 for a signed-in
  user without the role, 401 for a session that no longer verifies;
- the OGC collection list and the OpenAPI document are shown without the collections the
  asker may not see (so their existence is not confirmed);
- every allowed read of a restricted dataset is written to auth.access_log before its
  answer starts (no audit, no data: 503).

Signed-in users' answers are never taken from or put into the shared response cache
(httpcache.py skips requests with a principal).
"""

from __future__ import annotations

import json
import re

import psycopg
from anyio import to_thread
from psycopg_pool import PoolTimeout
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from portal.auth.policy import ANONYMOUS, Denied, Principal, audit
from portal.web.guard import SecurityHeaders, refuse
from portal.web.i18n import N_

_COLLECTION = re.compile(r"^/ogc/collections/([^/]+)")
_DOWNLOAD = re.compile(r"^/download/([a-z0-9][a-z0-9-]*?)(?:\.[a-z]+)?(?:/|$)")
_COVERAGE = re.compile(r"^(.+)-([0-9]{4})$")
MESSAGES = {
    404: N_("Not found: {path}"),
    403: N_("You are signed in as {name}, without a role that may see this."),
    401: N_("Your session is no longer valid: sign in again."),
}
CODES = {404: "NotFound", 403: "Forbidden", 401: "Unauthorized"}


class AccessGate:
    def __init__(self, app, state):
        self.app = app
        self.state = state

    def _dataset_of(self, path: str) -> str | None:
        m = _COLLECTION.match(path)
        if m:
            known = self.state.vocab.collection_datasets
            cid = m.group(1)
            year = _COVERAGE.match(cid)  # a grid's coverage of one year: <dataset>-<year>
            return known.get(cid) or (known.get(year.group(1)) if year else None)
        m = _DOWNLOAD.match(path)
        return m.group(1) if m else None

    def _hidden(self, principal: Principal) -> set[str]:
        """Collections this principal may not know of."""
        policy = self.state.vocab.policy
        hidden = {cid for cid, ds in self.state.vocab.collection_datasets.items()
                  if not policy.readable(principal, ds)}
        return hidden | {cid for cid in self.state.ogc_collections
                         if (m := _COVERAGE.match(cid)) and m.group(1) in hidden}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        principal = scope.get("principal", ANONYMOUS)
        policy = self.state.vocab.policy
        path = scope["path"]
        dataset = self._dataset_of(path)
        try:
            policy.require_page(principal, path)
            if dataset:
                policy.require_dataset(principal, dataset)
        except Denied as d:
            await refuse(self.state, scope, receive, send, d.status, CODES[d.status],
                         MESSAGES[d.status], path=path, name=principal.name or "")
            return
        if scope["method"] in ("GET", "HEAD") and path.rstrip("/") in (
                "/ogc/collections", "/ogc/openapi"):
            hidden = self._hidden(principal)  # only the lists need it, not every request
            if hidden:
                await self._filtered(scope, receive, send, hidden)
                return
        if dataset and policy.restricted(dataset):
            await self._audited(scope, receive, send, principal, dataset)
            return
        await self.app(scope, receive, send)

    async def _audited(self, scope, receive, send, principal: Principal, dataset: str):
        """The read is written to the audit table before the answer starts: no restricted
        data leaves unrecorded, and when the audit cannot be written (the database is away)
        the client gets 503 with Retry-After instead of a connection dropped mid-answer."""
        refused = {"done": False}

        def write(status: int):
            with self.state.primary.connection() as conn:
                audit(conn, principal, dataset, scope["method"], scope["path"], status)

        async def sending(message):
            if refused["done"]:
                return  # the app's own answer is replaced by the 503 below
            if message["type"] == "http.response.start" and message["status"] < 400:
                try:
                    await to_thread.run_sync(write, message["status"])
                except (psycopg.OperationalError, PoolTimeout):
                    refused["done"] = True
                    await refuse(self.state, scope, receive, send, 503, "ServiceUnavailable",
                                 N_("The database does not answer right now. Please try "
                                    "again in a few seconds."))
                    return
            await send(message)

        await self.app(scope, receive, sending)

    async def _inner_json(self, scope, receive) -> tuple[int, dict | None]:
        """The same request as JSON, answered by the app behind the gate."""
        query = "&".join(p for p in scope.get("query_string", b"").decode().split("&")
                         if p and not p.startswith("f="))
        inner = {**scope, "query_string": ("f=json&" + query).rstrip("&").encode(),
                 "headers": [(k, v) for k, v in scope["headers"]
                             if k not in (b"accept", b"accept-encoding")]}
        start, chunks = {}, []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner, receive, capture)
        try:
            return start.get("status", 500), json.loads(b"".join(chunks) or b"null")
        except ValueError:
            return start.get("status", 500), None

    async def _filtered(self, scope, receive, send, hidden: set[str]):
        from portal.web.ogc import collections_without, openapi_without

        request = Request(scope, receive)
        status, doc = await self._inner_json(scope, receive)
        if status != 200 or doc is None:
            await refuse(self.state, scope, receive, send, 503, "ServiceUnavailable",
                         N_("The database does not answer right now. Please try again in a "
                            "few seconds."))
            return
        fmt = request.query_params.get("f") or (
            "html" if "text/html" in request.headers.get("accept", "") else "json")
        if scope["path"].rstrip("/") == "/ogc/openapi":
            # the media type as pygeoapi gives it: GDAL refuses the document without version
            response: Response = JSONResponse(
                openapi_without(doc, hidden),
                media_type="application/vnd.oai.openapi+json;version=3.0")
        else:
            body, media = collections_without(doc, hidden, fmt,
                                              request.query_params.get("lang"))
            response = HTMLResponse(body) if media == "text/html" else Response(
                body, media_type=media)
        await SecurityHeaders(response)(scope, receive, send)  # outside the app: add them here
