"""`/zoek?q=`: a buurt or wijk name, RD or WGS84 coordinates (→ the location check), or an
address through the configured geocoder. Not cached: the geocoder may answer differently."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from portal.web import location
from portal.web.geocoder import GeocoderError
from portal.web.i18n import N_
from portal.web.views.common import lang_of

LEVEL_WORDS = {"wijk": N_("District"), "buurt": N_("Neighbourhood"),
               "gemeente": N_("Municipality")}


def routes(state) -> list[Route]:
    urls = state.urls

    def geocoded(lang: str, text: str) -> tuple[list[dict], str | None]:
        if state.geocoder is None:
            return [], N_("Address search is off (no geocoder configured); search by "
                          "neighbourhood, district or coordinates.")
        try:
            return [{"kind": p.kind, "name": p.name,
                     "url": urls.to("/locatie", lang, x=f"{p.x:.2f}", y=f"{p.y:.2f}", crs="28992")}
                    for p in state.geocoder.search(text)], None
        except GeocoderError:
            return [], N_("The address service does not answer; search by neighbourhood, "
                          "district or coordinates.")

    def search(request: Request) -> Response:
        lang = lang_of(request)
        text = (request.query_params.get("q") or "").strip()
        results, message = [], None
        if text and location.looks_like_coordinates(text):
            return RedirectResponse(urls.to("/locatie", lang, q=text), status_code=303)
        if text:
            low = text.lower()
            areas = state.areas()
            exact = [a for a in areas if low in (a["name"].lower(), a["code"].lower())]
            if len(exact) == 1:
                return RedirectResponse(urls.area(exact[0]["code"], lang), status_code=303)
            results = [{"kind": state.messages.gettext(lang, LEVEL_WORDS[a["level"]]),
                        "name": a["name"], "url": urls.area(a["code"], lang)}
                       for a in areas if low in a["name"].lower()]
            found, problem = geocoded(lang, text)
            results += found
            if problem and (state.geocoder is not None or not results):
                message = state.messages.gettext(lang, problem)
        html = state.templates.render(lang, "search.html", request, text=text,
                                      results=results, message=message)
        return HTMLResponse(html)

    return [Route("/zoek", search)]
