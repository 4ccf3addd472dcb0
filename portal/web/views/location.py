"""The location check for permit officers: `/locatie` (a printable report with a permalink)
and `/api/location` (the same as JSON, documented in README "Portal"). One SQL statement
builds the report (sql/location.sql); the norms that apply at the point on a date come
from zones.py. Input errors are 400 with the catalogue's message."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from portal.web import location, zones
from portal.web.views.common import lang_of


def _served(state, found: list[dict]) -> list[dict]:
    """Vocabulary IRIs as this app serves them."""
    for n in found:
        n["iri"] = state.iri(n["iri"])
        for z in n.get("zones", []):
            z["iri"] = state.iri(z["iri"])
    return found


def run_report(state, request: Request) -> tuple[location.Point, dict]:
    """LocationError / DateError for input the user can correct."""
    point = location.parse_params(request.query_params)
    year = location.parse_year(request.query_params.get("year"))
    day = zones.parse_date(request.query_params.get("date"))
    with state.pool.connection() as conn:
        data = location.report(conn, point, year, state.settings.attention_margin_fraction)
        data["date"] = day.isoformat()
        data["applicable_norms"] = _served(state, zones.applicable(
            conn, state.vocab.zone_norms, point, day, state.messages))
    notes = {m.id: m.value_note for m in state.vocab.manifests if m.value_note}
    for ind in data["indicators"]:
        for n in ind["norms"] or []:
            n["iri"] = state.iri(n["iri"])
        for part in [ind.get("grid"), ind.get("station"), *(ind.get("area_values") or [])]:
            if part and part.get("dataset") in notes:
                part["value_note"] = notes[part["dataset"]]  # e.g. modelled 1 × 1 km background
    return point, data


def routes(state) -> list[Route]:
    urls = state.urls

    def api_location(request: Request) -> JSONResponse:
        point, data = run_report(state, request)
        data["permalink"] = urls.to("/locatie", **point.params())
        data["self"] = urls.to("/api/location", **point.params())
        return JSONResponse(data)

    def location_page(request: Request) -> HTMLResponse:
        lang = lang_of(request)
        p = request.query_params
        error = data = point = None
        if any(p.get(k) not in (None, "") for k in ("x", "y", "lat", "lon", "q")):
            try:
                point, data = run_report(state, request)
            except location.LocationError as exc:
                error = state.messages.gettext(lang, exc.msgid, **exc.values)
            except zones.DateError as exc:
                error = str(exc)
        html = state.templates.render(
            lang, "location.html", request, error=error, data=data, point=point, form=dict(p),
            permalink=urls.to("/locatie", **point.params()) if point else None,
            api=urls.to("/api/location", **point.params()) if point else None,
            demo=bool(data and data["demo"]))
        return HTMLResponse(html, status_code=400 if error else 200)

    return [Route("/api/location", api_location), Route("/locatie", location_page)]
