"""The grid a coverage collection serves, stated in its JSON description.

pygeoapi 0.24 describes a coverage collection by its WGS 84 bounding box and cell counts
only. GDAL's OGCAPI driver (3.6, Debian 12) then guesses a grid in degrees and asks for
`bbox=` in degrees — useless for a 1 km grid in RD New. With a CIS `domainSet` (axis
labels x/y, bounds and resolution in EPSG:28992) and `rangeType` it sizes the raster right
and asks `subset=x(…),y(…)` in the storage CRS, which the rasterio provider serves as is.
This middleware adds those two members to the collection's JSON answer, read once from
the file the collection is served from.
"""

from __future__ import annotations

import json
import re
from functools import cache

from starlette.datastructures import MutableHeaders

_COLLECTION = re.compile(r"/collections/([^/]+)/?$")
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


class CoverageDescription:
    def __init__(self, app, resources: dict):
        self.app = app
        self.files = {cid: p["data"] for cid, r in resources.items()
                      for p in r.get("providers", []) if p.get("type") == "coverage"}

    async def __call__(self, scope, receive, send):
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
