"""`/api/map?indicator=…&year=…&level=wijk|buurt`: area status as GeoJSON for the map,
built in PostGIS from the read model (simplified 4 m, 5 decimals). The open-data route to
the same figures is the OGC API collection `area-status`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.web import readmodel
from portal.web.errors import ApiError
from portal.web.i18n import N_
from portal.web.views.common import year_param

SIMPLIFY_METRES = 4.0


def routes(state) -> list[Route]:
    def map_data(request: Request) -> Response:
        code = request.query_params.get("indicator", "")
        level = request.query_params.get("level", "wijk")
        year = year_param(request)
        if level not in ("wijk", "buurt") or year is None or state.indicator(code) is None:
            raise ApiError(400, N_("give indicator (a code of monitor.indicator), year (4 "
                                   "digits) and level (wijk or buurt)"))
        with state.pool.connection() as conn:
            row = conn.execute(readmodel.MAP_SQL, {"indicator": code, "year": year,
                                                   "level": level,
                                                   "tolerance": SIMPLIFY_METRES}).fetchone()
        return Response(row["fc"], media_type="application/geo+json")

    return [Route("/api/map", map_data)]
