"""OGC API – Tiles: Mapbox Vector Tiles of every vector collection, built by PostGIS.

`/ogc/tileMatrixSets[/{id}]`, `/ogc/collections/{id}/tiles[/{tms}]` (tileset metadata with
the URL template) and `/ogc/collections/{id}/tiles/{tms}/{z}/{row}/{col}`: one layer named
after the collection, in WebMercatorQuad (EPSG:3857, what web maps and QGIS' XYZ layers
use) or NetherlandsRDNewQuad (EPSG:28992, PDOK's tile matrix set). A tile is one SQL
statement: the features whose bounding box meets the tile (GiST index on the RD geometry),
simplified to a quarter of the zoom level's pixel (`ST_Simplify`: generalised per zoom),
clipped and quantised by `ST_AsMVTGeom`, encoded by `ST_AsMVT`. Query parameters that name
a property filter by equality (`?indicator=no2_annual_mean&year=2021` on `area-status`);
`properties=` keeps only those. Answers are cached per data version with an ETag by the
response cache (portal/web/httpcache.py) and gated like the collection's other paths.
"""

from __future__ import annotations

import math
import re

import psycopg
from psycopg import sql
from psycopg_pool import PoolTimeout
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from portal.ogc.query import BAD_VALUE_ERRORS, RD, FeatureQuery, QueryError, where_sql

MVT = "application/vnd.mapbox-vector-tile"
EXTENT, BUFFER = 4096, 64
_TMS = re.compile(r"/tileMatrixSets(?:/([^/]+))?/?$")
_TILESETS = re.compile(r"/collections/([^/]+)/tiles(?:/([^/]+))?/?$")
_TILE = re.compile(r"/collections/([^/]+)/tiles/([^/]+)/(\d{1,2})/(\d{1,7})/(\d{1,7})/?$")
WEB_MERCATOR_HALF = 20037508.3427892


def _tms(id_: str, crs: str, srid: int, origin: tuple[float, float], cell0: float,
         scale0: float, zooms: int, title: str) -> dict:
    return {"id": id_, "title": title, "srid": srid, "crs": crs, "origin": origin,
            "cell0": cell0, "zooms": zooms,
            "definition": {
                "id": id_, "title": title, "crs": crs, "orderedAxes": ["E", "N"],
                "uri": f"http://www.opengis.net/def/tilematrixset/OGC/1.0/{id_}",
                "tileMatrices": [{
                    "id": str(z), "scaleDenominator": scale0 / 2 ** z, "cellSize": cell0 / 2 ** z,
                    "cornerOfOrigin": "topLeft", "pointOfOrigin": list(origin),
                    "tileWidth": 256, "tileHeight": 256,
                    "matrixWidth": 2 ** z, "matrixHeight": 2 ** z} for z in range(zooms + 1)]}}


MATRIX_SETS = {t["id"]: t for t in (
    _tms("WebMercatorQuad", "http://www.opengis.net/def/crs/EPSG/0/3857", 3857,
         (-WEB_MERCATOR_HALF, WEB_MERCATOR_HALF), 156543.03392804097, 559082264.0287178, 22,
         "Google Maps Compatible for the World"),
    _tms("NetherlandsRDNewQuad", "http://www.opengis.net/def/crs/EPSG/0/28992", 28992,
         (-285401.92, 903401.92), 3440.640, 12288000.0, 16,
         "NetherlandsRDNewQuad (PDOK)"),
)}
# ground metres per Web Mercator metre at the latitude of the Netherlands (about 52°)
MERCATOR_GROUND = math.cos(math.radians(52.1))


def tile_bounds(tms: dict, z: int, row: int, col: int) -> tuple[float, float, float, float]:
    size = tms["cell0"] / 2 ** z * 256
    x0, y0 = tms["origin"]
    return (x0 + col * size, y0 - (row + 1) * size, x0 + (col + 1) * size, y0 - row * size)


def tile_sql(relation: sql.Composable, geom: str, props: list[str], where: sql.Composable,
             tms: dict, z: int, row: int, col: int, layer: str) -> sql.Composable:
    xmin, ymin, xmax, ymax = tile_bounds(tms, z, row, col)
    pixel = tms["cell0"] / 2 ** z * (MERCATOR_GROUND if tms["srid"] == 3857 else 1.0)
    env = sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(
        *map(sql.Literal, (xmin, ymin, xmax, ymax, tms["srid"])))
    g = sql.Identifier(geom)
    drawn = sql.SQL("ST_Simplify({}, {})").format(g, sql.Literal(pixel / 4))
    if tms["srid"] != RD:
        drawn = sql.SQL("ST_Transform({}, {})").format(drawn, sql.Literal(tms["srid"]))
    return sql.SQL(
        "WITH b AS (SELECT {env} AS env) "
        "SELECT ST_AsMVT(t, {layer}, {extent}, 'geom') FROM ("
        " SELECT {props}{sep}ST_AsMVTGeom({drawn}, b.env, {extent}, {buffer}, true) AS geom"
        " FROM {rel}, b WHERE {g} && ST_Transform(b.env, {rd}) AND {where}) t"
        " WHERE t.geom IS NOT NULL").format(
        env=env, layer=sql.Literal(layer), extent=sql.Literal(EXTENT),
        buffer=sql.Literal(BUFFER), drawn=drawn, rel=relation, g=g, rd=sql.Literal(RD),
        where=where, props=sql.SQL(", ").join(map(sql.Identifier, props)),
        sep=sql.SQL(", ") if props else sql.SQL(""))


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "description": message}, status_code=status)


class VectorTiles:
    """The Tiles paths in front of the Features fast path (whose collections and pools
    they share); everything else goes on."""

    def __init__(self, app, features):
        self.app, self.features = app, features

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"]
            response = None
            if m := _TILE.search(path):
                response = await self._tile(Request(scope, receive), *m.groups())
            elif (m := _TILESETS.search(path)) and m.group(1) in self.features.meta:
                response = self._tilesets(m.group(1), m.group(2))
            elif m := _TMS.search(path):
                response = self._matrix_sets(m.group(1))
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _matrix_sets(self, tms_id: str | None) -> Response:
        base = self.features.base
        if tms_id is None:
            return JSONResponse({"tileMatrixSets": [
                {"id": t, "title": d["title"], "uri": d["definition"]["uri"], "links": [
                    {"rel": "self", "type": "application/json",
                     "href": f"{base}/tileMatrixSets/{t}"}]} for t, d in MATRIX_SETS.items()]})
        if tms_id not in MATRIX_SETS:
            return _error(404, "NotFound", f"tile matrix set {tms_id!r}: one of "
                          + ", ".join(MATRIX_SETS))
        return JSONResponse(MATRIX_SETS[tms_id]["definition"])

    def _tilesets(self, cid: str, tms_id: str | None) -> Response:
        base = f"{self.features.base}/collections/{cid}/tiles"
        if tms_id is not None and tms_id not in MATRIX_SETS:
            return _error(404, "NotFound", f"tile matrix set {tms_id!r}: one of "
                          + ", ".join(MATRIX_SETS))

        def tileset(t: str) -> dict:
            return {"title": f"{cid} ({t})", "dataType": "vector", "crs": MATRIX_SETS[t]["crs"],
                    "tileMatrixSetURI": MATRIX_SETS[t]["definition"]["uri"],
                    "links": [
                        {"rel": "self", "type": "application/json", "href": f"{base}/{t}"},
                        {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                         "type": "application/json",
                         "href": f"{self.features.base}/tileMatrixSets/{t}"},
                        {"rel": "item", "type": MVT, "templated": True,
                         "href": f"{base}/{t}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"}],
                    "layers": [{"id": cid, "dataType": "vector"}]}
        if tms_id is None:
            return JSONResponse({"tilesets": [tileset(t) for t in MATRIX_SETS]})
        return JSONResponse(tileset(tms_id))

    async def _tile(self, request: Request, cid: str, tms_id: str, z: str, row: str,
                    col: str) -> Response | None:
        if cid not in self.features.meta:
            return None  # not a vector collection of ours: pygeoapi answers (404)
        tms = MATRIX_SETS.get(tms_id)
        if tms is None:
            return _error(404, "NotFound", f"tile matrix set {tms_id!r}: one of "
                          + ", ".join(MATRIX_SETS))
        z_, row_, col_ = int(z), int(row), int(col)
        if z_ > tms["zooms"] or row_ >= 2 ** z_ or col_ >= 2 ** z_:
            return _error(404, "NotFound", f"no tile {z}/{row}/{col} in {tms_id} (zoom 0–"
                          f"{tms['zooms']}, row and column below 2^zoom)")
        try:
            await self.features.ready()
            collection = await self.features._collection(cid)
            params = {k: v for k, v in request.query_params.items() if k != "f"}
            props = [p.strip() for p in params.pop("properties", "").split(",") if p.strip()] \
                or [p for p in collection.fields if p != collection.geom]
            unknown = [k for k in [*params, *props] if k not in collection.fields]
            if unknown:
                raise QueryError(unknown[0], "unknown parameter or property; queryables: "
                                 + ", ".join(collection.fields))
            stmt = tile_sql(collection.relation, collection.geom, props,
                            where_sql(collection, FeatureQuery(equals=params)),
                            tms, z_, row_, col_, cid)
            async with self.features.pool.connection() as conn:
                body = (await (await conn.execute(stmt)).fetchone())[0]
        except QueryError as exc:
            return _error(400, "InvalidParameterValue", str(exc))
        except BAD_VALUE_ERRORS as exc:
            return _error(400, "InvalidParameterValue",
                          f"a value does not fit its property: {str(exc).splitlines()[0]}")
        except (psycopg.OperationalError, PoolTimeout):
            return JSONResponse({"code": "ServiceUnavailable",
                                 "description": "the database does not answer right now; "
                                                "try again in a few seconds"},
                                status_code=503, headers={"Retry-After": "5"})
        return Response(bytes(body or b""), media_type=MVT)
