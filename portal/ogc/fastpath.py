"""The hot path: GeoJSON items and queryables answered without pygeoapi's per-request work.

An ASGI wrapper around pygeoapi's app. JSON requests for items, one item and
queryables are answered here: PostGIS builds the features text, Python only
adds the links around it. Everything else (HTML, JSON-LD, landing page …) goes
to pygeoapi, which uses the same SQL through portal.ogc.provider.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from portal.db.replicas import PRIMARY_APP_NAME, AsyncReadPool, replicas_of
from portal.ogc.query import (
    BAD_VALUE_ERRORS,
    COLUMNS_SQL,
    CRS_URIS,
    EXACT_COUNT_BELOW,
    Collection,
    QueryError,
    collection_from_columns,
    count_sql,
    cursor_token,
    estimate_sql,
    item_sql,
    page_sql,
    parse_params,
    possible_id,
)

_PATH = re.compile(r"/collections/([^/]+)/(items|queryables)(?:/([^/]+))?/?$")
GEOJSON = "application/geo+json"
COUNT_TTL = 60.0  # seconds a numberMatched is reused for the same filter (data change by loads)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "description": message}, status_code=status)


class FastFeatures:
    def __init__(self, app, db_url: str, resources: dict, public_ogc_url: str, limits: dict,
                 definitions: dict[str, dict[str, str]] | None = None):
        self.app = app
        self.pool = AsyncReadPool(AsyncConnectionPool(
            db_url, min_size=2, max_size=16, open=False, timeout=3,
            check=AsyncConnectionPool.check_connection,
            kwargs={"autocommit": True, "application_name": PRIMARY_APP_NAME}),
            replicas_of(db_url))
        self.opened = False
        self.base = public_ogc_url
        self.max_limit = int(limits.get("max_items", 10000))
        self.default_limit = int(limits.get("default_items", 100))
        self.defs = definitions or {}
        self.meta = {}
        for cid, res in resources.items():
            for p in res.get("providers", []):
                if p.get("type") == "feature":
                    self.meta[cid] = (p, res["title"])
        self.collections: dict[str, Collection] = {}
        self.counts: dict[tuple, tuple[float, int]] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "POST"):
            m = _PATH.search(scope["path"])
            if m and m.group(1) in self.meta and self._wants_json(scope):
                request = Request(scope, receive)
                response = await self._handle(request, m.group(1), m.group(2), m.group(3))
                if response is not None:
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    @staticmethod
    def _wants_json(scope) -> bool:
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        f = query.get("f")
        if f is not None:
            return f in ("json", "geojson")
        accept = next((v.decode() for k, v in scope["headers"] if k == b"accept"), "*/*")
        return "text/html" not in accept

    async def ready(self) -> None:
        """The pools open at the first request (the lifespan is pygeoapi's)."""
        if not self.opened:
            await self.pool.open()
            self.opened = True

    async def _collection(self, cid: str) -> Collection:
        if cid not in self.collections:
            provider, _ = self.meta[cid]
            schema = provider["data"]["search_path"][0]
            async with self.pool.connection() as conn:
                rows = await (await conn.execute(COLUMNS_SQL, (schema, provider["table"]))
                              ).fetchall()
            self.collections[cid] = collection_from_columns(
                cid, schema, provider["table"], provider["id_field"], rows,
                tuple(provider.get("crs") or CRS_URIS), self.defs.get(cid, {}),
                provider.get("time_field"))
        return self.collections[cid]

    async def _handle(self, request: Request, cid: str, kind: str, fid: str | None):
        try:
            return await self._answer(request, cid, kind, fid)
        except (psycopg.OperationalError, PoolTimeout):
            return JSONResponse({"code": "ServiceUnavailable",
                                 "description": "the database does not answer right now; "
                                                "try again in a few seconds"},
                                status_code=503, headers={"Retry-After": "5"})

    async def _answer(self, request: Request, cid: str, kind: str, fid: str | None):
        await self.ready()
        col = await self._collection(cid)
        params = dict(request.query_params)
        try:
            if kind == "queryables":
                return None if fid else self._queryables(col)
            if fid is not None:
                return await self._item(col, fid, params)
            body = None
            if request.method == "POST":
                try:
                    body = json.loads(await request.body() or b"null")
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise QueryError("filter", f"request body is not JSON: {exc}") from None
                if not isinstance(body, dict):
                    raise QueryError("filter", "POST a CQL2-JSON filter object as the body")
            return await self._items(col, params, body)
        except QueryError as exc:
            return _error(400, "InvalidParameterValue", str(exc))
        except BAD_VALUE_ERRORS as exc:
            # e.g. a filter comparing a number column with text: the value is wrong, not us
            which = "filter" if params.get("filter") or request.method == "POST" else "query"
            return _error(400, "InvalidParameterValue",
                          f"{which}: {exc.diag.message_primary or exc}")

    def _queryables(self, col: Collection) -> Response:
        props = {}
        for name, typ in col.fields.items():
            p = {"title": name, "type": typ}
            if name == col.id_field:
                p["x-ogc-role"] = "id"
            if name in col.definitions:
                p["x-ogc-definition"] = col.definitions[name]
                p["description"] = f"Vocabulary term: {col.definitions[name]}"
            props[name] = p
        props["geometry"] = {"format": "geometry-any", "x-ogc-role": "primary-geometry"}
        return JSONResponse({
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": f"{self.base}/collections/{col.id}/queryables",
            "type": "object", "title": col.id, "properties": props,
            "additionalProperties": False}, media_type="application/schema+json")

    async def _matched(self, conn, col: Collection, q) -> int:
        stmt = count_sql(col, q)
        key = (col.id, stmt.as_string(conn))
        hit = self.counts.get(key)
        if hit and time.monotonic() - hit[0] < COUNT_TTL:
            return hit[1]
        plan = (await (await conn.execute(estimate_sql(col, q))).fetchone())[0]
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        if estimate >= EXACT_COUNT_BELOW:  # large: the planner's estimate, no full count
            n = estimate
        else:
            n = (await (await conn.execute(stmt)).fetchone())[0]
        if len(self.counts) > 1000:
            self.counts.clear()
        self.counts[key] = (time.monotonic(), n)
        return n

    async def _items(self, col: Collection, params: dict, body: dict | None) -> Response:
        q = parse_params(params, col, self.max_limit, self.default_limit, body)
        async with self.pool.connection() as conn:
            matched = await self._matched(conn, col, q)
            if q.hits_only:
                features, returned, last = "[]", 0, None
            else:
                features, returned, last = await (await conn.execute(page_sql(col, q))).fetchone()
        uri = f"{self.base}/collections/{col.id}/items"
        rest = {k: v for k, v in params.items() if k not in ("f", "offset", "cursor")}
        links = [
            {"type": GEOJSON, "rel": "self", "title": "This document as GeoJSON",
             "href": f"{uri}?{urlencode({'f': 'json', **params})}"},
            {"type": "application/ld+json", "rel": "alternate",
             "title": "This document as RDF (JSON-LD)",
             "href": f"{uri}?{urlencode({**params, 'f': 'jsonld'})}"},
            {"type": "text/html", "rel": "alternate", "title": "This document as HTML",
             "href": f"{uri}?{urlencode({**params, 'f': 'html'})}"},
        ]
        if q.offset > 0:
            prev = {"f": "json", "offset": max(0, q.offset - q.limit), **rest}
            links.append({"type": GEOJSON, "rel": "prev", "title": "Items (prev)",
                          "href": f"{uri}?{urlencode(prev)}"})
        if returned == q.limit and q.offset + returned < matched:
            nxt = {"f": "json", "offset": q.offset + returned, **rest}
            if not q.sortby:  # keyset: the next page starts after this page's last id
                nxt["cursor"] = cursor_token(last)
            links.append({"type": GEOJSON, "rel": "next", "title": "Items (next)",
                          "href": f"{uri}?{urlencode(nxt)}"})
        links.append({"type": "application/json", "rel": "collection",
                      "title": self.meta[col.id][1] if isinstance(self.meta[col.id][1], str)
                      else col.id, "href": f"{self.base}/collections/{col.id}"})
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        body_text = (f'{{"type":"FeatureCollection","features":{features},'
                     f'"numberMatched":{matched},"numberReturned":{returned},'
                     f'"timeStamp":"{stamp}","links":{json.dumps(links)}}}')
        return Response(body_text, media_type=GEOJSON, headers={"Content-Crs": f"<{q.crs}>"})

    async def _item(self, col: Collection, fid: str, params: dict) -> Response:
        extra = [k for k in params if k not in ("f", "crs", "lang")]
        if extra:
            raise QueryError(extra[0], "not supported for a single item")
        q = parse_params({k: v for k, v in params.items() if k == "crs"}, col, 1, 1)
        row = None
        if possible_id(col, fid):
            async with self.pool.connection() as conn:
                row = await (await conn.execute(item_sql(col, q.crs, fid))).fetchone()
        if row is None:
            return _error(404, "NotFound", f"item '{fid}' not found in collection '{col.id}'")
        uri = f"{self.base}/collections/{col.id}"
        links = [{"type": GEOJSON, "rel": "self", "title": "This document as GeoJSON",
                  "href": f"{uri}/items/{fid}?f=json"},
                 {"type": "application/json", "rel": "collection", "title": col.id,
                  "href": uri}]
        text = row[0][:-1] + f',"links":{json.dumps(links)}}}'
        return Response(text, media_type=GEOJSON, headers={"Content-Crs": f"<{q.crs}>"})
