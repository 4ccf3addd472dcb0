"""The grid a coverage collection serves, stated in its JSON description.

pygeoapi 0.24 describes a coverage collection by its WGS 84 bounding box and cell counts
only. GDAL's OGCAPI driver (3.6, Debian 12) then guesses a grid in degrees and asks for
`bbox=` in degrees — useless for a 1 km grid in RD New. With a CIS `domainSet` (axis
labels x/y, bounds and resolution in EPSG:28992) and `rangeType` it sizes the raster right
and asks `subset=x(…),y(…)` in the storage CRS, which the rasterio provider serves as is.
This middleware adds those two members to the collection's JSON answer, read once from
the file the collection is served from.

It also checks `bbox` and `bbox-crs` of a coverage request before pygeoapi sees them:
pygeoapi 0.24 answers a malformed bbox with 500, and takes `bbox-crs` only as a bare EPSG
number (a CRS URI, as OGC API clients send it, is a 500 too). A bad value is 400 here; a
CRS URI is handed on as its EPSG number.
"""

from __future__ import annotations

import json
import re
from functools import cache
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse

_COLLECTION = re.compile(r"/collections/([^/]+)/?$")
_COVERAGE = re.compile(r"/collections/([^/]+)/coverage/?$")
_EPSG_URI = re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/([0-9]{4,6})$")
CRS84_URIS = ("http://www.opengis.net/def/crs/OGC/1.3/CRS84",
              "https://www.opengis.net/def/crs/OGC/1.3/CRS84")


class BadCoverageRequest(ValueError):
    pass


def checked_query(query: str) -> str:
    """The coverage request's query string with bbox and bbox-crs checked (and bbox-crs as
    the EPSG number pygeoapi wants); raises BadCoverageRequest."""
    import math

    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    pairs = parse_qsl(query, keep_blank_values=True)
    out = []
    for key, value in pairs:
        if key == "bbox":
            try:
                numbers = [float(v) for v in value.split(",")]
            except ValueError:
                raise BadCoverageRequest("bbox: four numbers minx,miny,maxx,maxy") from None
            if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers) \
                    or numbers[0] >= numbers[2] or numbers[1] >= numbers[3]:
                raise BadCoverageRequest("bbox: four numbers minx,miny,maxx,maxy with "
                                         "minx < maxx and miny < maxy (a grid has no height)")
        if key == "bbox-crs":
            m = _EPSG_URI.match(value)
            code = "4326" if value in CRS84_URIS else m.group(1) if m else value
            try:
                CRS.from_epsg(int(code))
            except (ValueError, CRSError):
                raise BadCoverageRequest(
                    f"bbox-crs: {value[:80]!r} is not an EPSG CRS (e.g. "
                    "http://www.opengis.net/def/crs/EPSG/0/28992 or 28992)") from None
            value = code
        out.append((key, value))
    return urlencode(out)
RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"


@cache
def describe_grid(path: str) -> dict:
    """CIS 1.1 domain set and range type of one GeoTIFF."""
    import rasterio

    with rasterio.open(path) as ds:
        left, bottom, right, top = ds.bounds
        resx, resy = ds.res
        bands = [{"type": "Quantity", "name": ds.descriptions[i] or str(i + 1),
                  "definition": "FLOAT32" if ds.dtypes[i] == "float32" else ds.dtypes[i].upper(),
                  "nodata": ds.nodata} for i in range(ds.count)]
    return {
        "domainSet": {"type": "DomainSet", "generalGrid": {
            "type": "GeneralGridCoverage", "srsName": RD_URI, "axisLabels": ["x", "y"],
            "axis": [{"type": "RegularAxis", "axisLabel": "x", "lowerBound": left,
                      "upperBound": right, "uomLabel": "m", "resolution": resx},
                     {"type": "RegularAxis", "axisLabel": "y", "lowerBound": bottom,
                      "upperBound": top, "uomLabel": "m", "resolution": resy}]}},
        "rangeType": {"type": "DataRecord", "field": bands},
    }


def _outside_is_400(send, path: str):
    """pygeoapi's rasterio provider fails (500, "query error") when the requested bbox or
    subset does not overlap the grid; with bbox and bbox-crs checked, that is what a 500
    means here: the client asked for an area the coverage does not have."""
    state = {"swallow": False}

    async def sending(message):
        if message["type"] == "http.response.start" and message["status"] == 500:
            state["swallow"] = True
            axis = describe_grid(path)["domainSet"]["generalGrid"]["axis"]
            response = JSONResponse({"code": "InvalidParameterValue", "description": (
                "bbox/subset: the coverage cannot be cut to the requested area; it covers x "
                f"{axis[0]['lowerBound']:.0f}–{axis[0]['upperBound']:.0f}, y "
                f"{axis[1]['lowerBound']:.0f}–{axis[1]['upperBound']:.0f} in EPSG:28992")},
                status_code=400)
            await response({"type": "http"}, None, send)
            return
        if not state["swallow"]:
            await send(message)
    return sending


class CoverageDescription:
    def __init__(self, app, resources: dict):
        self.app = app
        self.files = {cid: p["data"] for cid, r in resources.items()
                      for p in r.get("providers", []) if p.get("type") == "coverage"}

    async def __call__(self, scope, receive, send):
        cov = _COVERAGE.search(scope.get("path", "")) if scope["type"] == "http" else None
        if cov and cov.group(1) in self.files:
            try:
                query = checked_query(scope.get("query_string", b"").decode("latin-1"))
            except BadCoverageRequest as exc:
                response = JSONResponse({"code": "InvalidParameterValue",
                                         "description": str(exc)}, status_code=400)
                await response(scope, receive, send)
                return
            scope = {**scope, "query_string": query.encode()}
            await self.app(scope, receive, _outside_is_400(send, self.files[cov.group(1)]))
            return
        m = _COLLECTION.search(scope.get("path", "")) if scope["type"] == "http" else None
        if not m or m.group(1) not in self.files or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start: dict = {}
        body = bytearray()

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    await self._send(send, start, bytes(body), self.files[m.group(1)])

        await self.app(scope, receive, capture)

    @staticmethod
    async def _send(send, start: dict, body: bytes, path: str) -> None:
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        if start.get("status") == 200 and headers.get("content-type", "").startswith(
                "application/json") and "content-encoding" not in headers:
            doc = json.loads(body)
            doc.update(describe_grid(path))
            body = json.dumps(doc).encode()
            headers["content-length"] = str(len(body))
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})
