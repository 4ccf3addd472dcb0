"""`/`: the resident map — areas coloured by status (wijken zoomed out, buurten zoomed in),
topic and year switch, legend in words and icons, search, and the same data as tables."""

from __future__ import annotations

from itertools import groupby

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from portal.web import readmodel
from portal.web.i18n import N_
from portal.web.map import render_map
from portal.web.views.common import lang_of, pick_indicator

BUURT_ZOOM = 13  # at this zoom and closer the map shows buurten, further out wijken
JS_TEXT = {  # what portal-map.js shows, from the catalogue
    "no_data": N_("no data"),
    "demo_short": N_("demo"),
    "value": N_("Value"),
    "status": N_("Status"),
    "norm_short": N_("Norm"),
    "margin": N_("Margin to norm"),
    "wijk": N_("District"),
    "buurt": N_("Neighbourhood"),
    "at_point": N_("Value at the point"),
    "location": N_("Location check"),
    "error": N_("Error"),
    "map_failed": N_("The map data could not be loaded"),
    "checking": N_("Checking…"),
    "full_report": N_("Full report with norms and sources"),
    "eu_zone": N_("EU air-quality zone"),
    "capture": N_("data capture"),
    "allowed": N_("allowed"),
}


def area_collections(manifests) -> dict[str, str]:
    """level -> the public collection of its areas (a manifest loaded into `area`)."""
    return {m.load["level"]: m.publish["collection"] for m in manifests
            if m.target == "area" and m.publish and m.load.get("level")}


def routes(state) -> list[Route]:
    def home(request: Request) -> HTMLResponse:
        lang = lang_of(request)
        chosen, year = pick_indicator(state, request)
        code = chosen["code"] if chosen else ""
        rows = state.query(readmodel.LEVEL_ROWS_SQL, {"indicator": code, "year": year,
                                                      "city": state.settings.city.code})
        source = next(iter(state.query(readmodel.SOURCE_SQL, {"indicator": code, "year": year})),
                      None)
        urls = state.urls
        outlines = area_collections(state.vocab.public_manifests)
        config_js = {
            "tiles": urls.to("/ogc/collections/area-status/tiles/WebMercatorQuad"),
            "outlines": {level: urls.to(f"/ogc/collections/{c}/tiles/WebMercatorQuad")
                         for level, c in outlines.items()},
            "outlineLayers": outlines,
            "location": urls.to("/api/location"),
            "stations": urls.to("/api/stations"),
            "report": urls.to("/locatie"), "area": urls.to("/gebied/"),
            "indicator": code, "year": year, "lang": lang, "buurtZoom": BUURT_ZOOM,
            "status": state.templates.palettes[lang]["point_status"],
            "kinds": {k: v["label"] for k, v in
                      state.templates.palettes[lang]["source_kind"].items()},
            "unit": chosen["unit"] if chosen else "",
            "text": {k: state.messages.gettext(lang, v) for k, v in JS_TEXT.items()},
        }
        m = render_map(urls.static, config_js, state.settings.city.map_centre, state.bounds(),
                       state.settings.tile_layer)
        themes = [(k, list(g)) for k, g in groupby(state.indicators(),
                                                   key=lambda i: i[f"theme_{lang}"])]
        html = state.templates.render(
            lang, "home.html", request, chosen=chosen, year=year, rows=rows,
            demo=any(r["demo"] for r in rows), themes=themes, years=state.years(), map=m,
            areas=state.areas(), geocoder=state.geocoder, source=source,
            zones_url=urls.to("/ogc/collections/werkingsgebieden/items", f="json", limit=1000))
        return HTMLResponse(html)

    return [Route("/", home)]
