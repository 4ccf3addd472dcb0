"""`/api/stations?indicator=…&year=…`: the measuring stations as GeoJSON for the map layer —
annual mean, data capture, status, exceedances and EU air-quality zone, as compute wrote them
(monitor.station_status; also the OGC collection `station-status`). A station-year below the
minimum data capture has status insufficient_data_capture and no value."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.web.errors import ApiError
from portal.web.i18n import N_
from portal.web.views.common import year_param

STATIONS_SQL = """
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
    json_build_object('type', 'Feature', 'id', s.id,
        'geometry', ST_AsGeoJSON(ST_Transform(s.geom, 4326), 6)::json,
        'properties', json_build_object(
            'station', s.station_id, 'name', s.station_name, 'classification', s.classification,
            'zone_code', s.zone_code, 'zone_name', s.zone_name, 'indicator', s.indicator,
            'year', s.year, 'value', s.value, 'unit', s.unit, 'capture', s.capture,
            'status', s.status, 'norm_nl', s.status_norm_nl, 'norm_en', s.status_norm_en,
            'margin', s.status_margin, 'exceedance_norm_nl', s.exceedance_norm_nl,
            'exceedance_norm_en', s.exceedance_norm_en, 'exceedances', s.exceedances,
            'exceedances_allowed', s.exceedances_allowed, 'source_kind', s.source_kind,
            'source', s.source, 'demo', s.demo))
    ORDER BY s.station_id), '[]'::json))::text AS fc
FROM monitor.station_status s
WHERE s.indicator = %(indicator)s AND s.year = %(year)s
"""


def routes(state) -> list[Route]:
    def stations(request: Request) -> Response:
        code = request.query_params.get("indicator", "")
        year = year_param(request)
        if year is None or state.indicator(code) is None:
            raise ApiError(400, N_("give indicator (a code of monitor.indicator) and year "
                                   "(4 digits)"))
        row = state.query(STATIONS_SQL, {"indicator": code, "year": year})[0]
        return Response(row["fc"], media_type="application/geo+json")

    return [Route("/api/stations", stations)]
