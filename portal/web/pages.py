"""The portal for residents, policy staff and permit officers.

- `/`                 resident map: theme switcher, wijk/buurt by zoom, legend, search, table
- `/gebied/{code}`    area page: every indicator's status, value, norm, trend, city comparison
- `/dashboard`        themes × areas matrix, city trends with norm lines and goals; `.csv` export
- `/locatie`          location check report (HTML, printable, permalink)
- `/zoek`             search: area name, coordinates, or the configured geocoder
- `/api/location`     the location report as JSON (documented in README "Portal")
- `/api/map`          area status GeoJSON for the map, built in PostGIS, simplified

Everything is generic over monitor.indicator: a new theme or indicator shows up without
code. Demo data are labelled wherever a value shows.
"""

from __future__ import annotations

import csv
import io
import json
from itertools import groupby
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from portal.ingest.manifest import all_manifests
from portal.settings import CONFIG_DIR, Settings
from portal.vocabulary.rebase import CANONICAL, rebase_iri
from portal.web import location, zones
from portal.web.charts import line_chart
from portal.web.data import (
    AREA_VALUES_SQL,
    AREA_ZONE_SHARES_SQL,
    CITY_SQL,
    EXPORT_SQL,
    INDICATORS_SQL,
    MAP_SQL,
    MATRIX_SQL,
    NORMS_SQL,
    Cache,
    judge_goal,
    vocab_extras,
)
from portal.web.geocoder import GeocoderError, from_config
from portal.web.map import STATUS, render_map

HERE = Path(__file__).parent
BUURT_ZOOM = 13  # at this zoom and closer the map shows buurten, further out wijken
COMPARATOR = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">"}
COURSE = {
    "on_course": {"icon": "✓", "nl": "op koers", "en": "on course"},
    "off_course": {"icon": "✕", "nl": "niet op koers", "en": "off course"},
    "open": {"icon": "–", "nl": "open doel, niet in een getal", "en": "open goal, no number"},
    "no_data": {"icon": "?", "nl": "geen gegevens", "en": "no data"},
}
TEXT = {
    "nl": {
        "title": "Omgevingsmonitor Den Haag", "skip": "Direct naar de inhoud",
        "nav": "Hoofdmenu", "nav_map": "Kaart", "nav_dashboard": "Dashboard",
        "nav_location": "Locatiecheck", "api": "Open data (OGC API)", "other": "English",
        "lead": "Hoe staat het met de leefomgeving in uw buurt? Kies een onderwerp. De kaart "
                "kleurt wijken, en buurten als u inzoomt, naar de toets aan de normen.",
        "indicator": "Onderwerp", "year": "Jaar", "show": "Toon", "legend": "Legenda",
        "search": "Zoek een buurt, wijk, adres of coördinaat",
        "search_hint": "Bijvoorbeeld 'Kortenbos', '81000 455000' (RD) of '52.078, 4.308' (WGS84).",
        "search_button": "Zoek", "no_data": "geen gegevens",
        "demo": "Let op: DEMOGEGEVENS, geen metingen. Ze dienen om de monitor te tonen.",
        "demo_short": "demo", "table_wijk": "Alle wijken", "table_buurt": "Alle buurten",
        "area": "Gebied", "value": "Waarde", "status": "Status", "norm": "Bepalende norm",
        "margin": "Marge tot norm", "sources": "Bronnen", "wijk": "Wijk", "buurt": "Buurt",
        "gemeente": "Gemeente",
        "map": "Kaart", "map_help": "Klik op de kaart voor een locatiecheck op dat punt. "
                                    "Zonder muis: gebruik de zoekfunctie of de tabellen.",
        "city": "Stad", "trend": "Verloop", "latest": "Laatste jaar",
        "compare": "Vergelijking met de stad", "norms": "Normen", "explain": "Uitleg",
        "what_city_does": "Wat doet de gemeente?", "buurten_in": "Buurten in deze wijk",
        "part_of": "Ligt in", "no_values": "Voor dit gebied zijn (nog) geen waarden.",
        "without_data": "Onderwerpen zonder gegevens voor dit gebied",
        "dashboard": "Dashboard voor beleid", "theme": "Thema", "goal": "Beleidsdoel",
        "all": "Alle", "level": "Niveau", "filter": "Filter", "matrix": "Status per gebied",
        "trends": "Stedelijk verloop met normen en doelen", "goals": "Beleidsdoelen",
        "export": "Download als CSV", "course": "Koers", "target": "Doel",
        "projected": "Verwacht in doeljaar", "location": "Locatiecheck",
        "location_lead": "Alle waarden en normen op één punt, met bron en versie: voor "
                         "vergunningverlening. Geef RD- of WGS84-coördinaten, of klik op de kaart.",
        "x": "x (RD, meter) of lengtegraad", "y": "y (RD, meter) of breedtegraad",
        "crs": "Coördinatenstelsel", "check": "Controleer", "or_text": "Of in één veld",
        "point": "Punt", "permalink": "Vaste link naar dit rapport", "print": "Afdrukken",
        "at_point": "Waarde op het punt", "grid": "Rastercel", "station": "Dichtstbijzijnd meetstation",
        "distance": "afstand", "area_values": "Gebiedswaarden", "basis": "Grondslag",
        "legal": "Bron (wet of richtlijn)", "fixed": "vaste norm", "open": "open norm",
        "binding": "juridisch bindend", "not_binding": "niet bindend",
        "dataset": "Dataset en versie", "verified": "geverifieerd tegen de bron",
        "unverified": "nog niet geverifieerd", "valid": "geldig", "api_doc": "Als JSON",
        "error": "Fout", "results": "Zoekresultaten", "no_results": "Niets gevonden voor",
        "geocoder_off": "Adressen zoeken staat uit (geen geocoder ingesteld); zoek op "
                        "buurt, wijk of coördinaten.",
        "geocoder_failed": "De adreszoekdienst antwoordt niet; zoek op buurt, wijk of coördinaten.",
        "cell": "cel", "loaded": "geladen", "complies": "voldoet", "fails": "voldoet niet",
        "explain_fixed": "Dit is een vaste norm: een getal waaraan de waarde wordt getoetst.",
        "explain_binding": "De norm is wettelijk bindend: boven de grens is de status "
                           "'overschreden'.",
        "explain_advisory": "De norm is niet wettelijk bindend (advies of streefwaarde): wie er "
                            "niet aan voldoet krijgt de status 'aandacht'.",
        "explain_open": "Dit is een open norm: geen vast getal, maar een beschrijving die per "
                        "geval wordt afgewogen.",
        "zone_share": "Geldt alleen in een werkingsgebied: {share} % van dit gebied ligt erin.",
        "higher": "hoger dan", "lower": "lager dan", "equal": "gelijk aan",
        "than_city": "het stedelijk gemiddelde",
    },
    "en": {
        "title": "Environment monitor of The Hague", "skip": "Skip to the content",
        "nav": "Main menu", "nav_map": "Map", "nav_dashboard": "Dashboard",
        "nav_location": "Location check", "api": "Open data (OGC API)", "other": "Nederlands",
        "lead": "How is the living environment in your neighbourhood? Choose a topic. The map "
                "colours districts, and neighbourhoods when you zoom in, by the norm test.",
        "indicator": "Topic", "year": "Year", "show": "Show", "legend": "Legend",
        "search": "Find a neighbourhood, district, address or coordinate",
        "search_hint": "For example 'Kortenbos', '81000 455000' (RD) or '52.078, 4.308' (WGS84).",
        "search_button": "Search", "no_data": "no data",
        "demo": "Note: DEMO DATA, not measurements. They serve to show the monitor.",
        "demo_short": "demo", "table_wijk": "All districts", "table_buurt": "All neighbourhoods",
        "area": "Area", "value": "Value", "status": "Status", "norm": "Governing norm",
        "margin": "Margin to norm", "sources": "Sources", "wijk": "District",
        "buurt": "Neighbourhood", "gemeente": "Municipality", "map": "Map",
        "map_help": "Click the map for a location check at that point. Without a mouse: use "
                    "the search or the tables.",
        "city": "City", "trend": "Trend", "latest": "Latest year",
        "compare": "Compared with the city", "norms": "Norms", "explain": "Explanation",
        "what_city_does": "What does the municipality do?",
        "buurten_in": "Neighbourhoods in this district", "part_of": "Lies in",
        "no_values": "There are no values for this area (yet).",
        "without_data": "Topics without data for this area",
        "dashboard": "Policy dashboard", "theme": "Theme", "goal": "Policy goal", "all": "All",
        "level": "Level", "filter": "Filter", "matrix": "Status per area",
        "trends": "City-wide trends with norms and goals", "goals": "Policy goals",
        "export": "Download as CSV", "course": "Course", "target": "Target",
        "projected": "Expected in target year", "location": "Location check",
        "location_lead": "Every value and norm at one point, with source and version: for "
                         "permits. Give RD or WGS84 coordinates, or click the map.",
        "x": "x (RD, metres) or longitude", "y": "y (RD, metres) or latitude",
        "crs": "Coordinate system", "check": "Check", "or_text": "Or in one field",
        "point": "Point", "permalink": "Permanent link to this report", "print": "Print",
        "at_point": "Value at the point", "grid": "Grid cell", "station": "Nearest station",
        "distance": "distance", "area_values": "Area values", "basis": "Basis",
        "legal": "Source (law or directive)", "fixed": "fixed norm", "open": "open norm",
        "binding": "legally binding", "not_binding": "not binding",
        "dataset": "Dataset and version", "verified": "verified against the source",
        "unverified": "not yet verified", "valid": "valid", "api_doc": "As JSON",
        "error": "Error", "results": "Search results", "no_results": "Nothing found for",
        "geocoder_off": "Address search is off (no geocoder configured); search by "
                        "neighbourhood, district or coordinates.",
        "geocoder_failed": "The address service does not answer; search by neighbourhood, "
                           "district or coordinates.",
        "cell": "cell", "loaded": "loaded", "complies": "complies", "fails": "does not comply",
        "explain_fixed": "This is a fixed norm: a number the value is tested against.",
        "explain_binding": "The norm is legally binding: beyond it the status is 'exceeds'.",
        "explain_advisory": "The norm is not legally binding (guideline or target): not meeting "
                            "it gives the status 'attention'.",
        "explain_open": "This is an open norm: no fixed number but a description weighed case "
                        "by case.",
        "zone_share": "Applies only inside a zone: {share} % of this area lies in it.",
        "higher": "higher than", "lower": "lower than", "equal": "equal to",
        "than_city": "the city average",
    },
}
STATUS_TEXT = {"open": {"icon": "§", "nl": "open norm", "en": "open norm"},
               "no_value": {"icon": "?", "nl": "geen waarde", "en": "no value"}}


def portal_config() -> dict:
    return yaml.safe_load((CONFIG_DIR / "portal.yml").read_text(encoding="utf-8")) or {}


def routes(settings: Settings, pool, knowledge, apool) -> list[Route]:
    config = portal_config()
    geocoder = from_config(config.get("geocoder"))
    tile_layer = config.get("tile_layer") or None
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())
    public = settings.public_url
    static = f"{public}/static"
    goals, definitions = vocab_extras(knowledge.canonical)
    cache = Cache()
    attention = settings.attention_margin_fraction
    zone_norms = zones.VocabularyNorms.of(knowledge.canonical)

    def lang_of(request: Request) -> str:
        return "en" if request.query_params.get("lang") == "en" else "nl"

    def iri(value: str) -> str:
        """A vocabulary IRI as this app serves it (resolvable), others untouched."""
        return rebase_iri(value, knowledge.base, source=CANONICAL)

    # --- cached reads ------------------------------------------------------------------
    def indicators() -> list[dict]:
        def make():
            with pool.connection() as conn:
                return conn.execute(INDICATORS_SQL).fetchall()
        return cache.get("indicators", make)

    def city() -> dict[str, list[dict]]:
        def make():
            with pool.connection() as conn:
                rows = conn.execute(CITY_SQL).fetchall()
            return {k: list(g) for k, g in groupby(rows, key=lambda r: r["indicator"])}
        return cache.get("city", make)

    def norms() -> dict[str, list[dict]]:
        def make():
            with pool.connection() as conn:
                rows = conn.execute(NORMS_SQL).fetchall()
            return {k: list(g) for k, g in groupby(rows, key=lambda r: r["indicator"])}
        return cache.get("norms", make)

    def areas() -> list[dict]:
        def make():
            with pool.connection() as conn:
                return conn.execute(
                    "SELECT code, level, name FROM monitor.area ORDER BY level DESC, name"
                ).fetchall()
        return cache.get("areas", make)

    def bounds() -> list[list[float]]:
        def make():
            with pool.connection() as conn:
                r = conn.execute(
                    "SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n"
                    " FROM (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom), 28992), 4326) AS e"
                    " FROM monitor.area) x").fetchone()
            if r["w"] is None:
                return [[52.0, 4.2], [52.14, 4.4]]
            return [[r["s"], r["w"]], [r["n"], r["e"]]]
        return cache.get("bounds", make)

    def valid_norms(code: str, year: int | None,
                    zone_shares: dict[str, float] | None = None) -> list[dict]:
        """City-wide norms, plus the location-bound ones in `zone_shares` (norm → % of the
        area its zones cover)."""
        out = []
        for n in norms().get(code, []):
            if n["zones"]:
                if not zone_shares or n["iri"] not in zone_shares:
                    continue
                n = {**n, "zone_share": zone_shares[n["iri"]]}
            if year is not None:
                if n["valid_from"] and n["valid_from"].year > year:
                    continue
                if n["valid_through"] and n["valid_through"].year < year:
                    continue
            out.append({**n, "link": iri(n["iri"])})
        return out

    def goals_for(code: str | None = None) -> list:
        series = city()
        out = []
        for g in goals:
            if code is None or g.indicator == code:
                out.append(judge_goal(g, series.get(g.indicator, [])))
        return out

    def manifests() -> list:
        return [m for m in all_manifests(settings.datasets_dir) if m.access == "public"]

    def render(name: str, request: Request, status_code: int = 200, **ctx) -> HTMLResponse:
        lang = ctx.pop("lang", None) or lang_of(request)
        other = "en" if lang == "nl" else "nl"
        query = dict(request.query_params)
        query["lang"] = other
        switch = request.url.path + "?" + "&".join(
            f"{k}={v}" for k, v in query.items() if k != "lang" or other == "en")
        html = env.get_template(name).render(
            t=TEXT[lang], lang=lang, other=other, switch=switch.rstrip("?"), static=static,
            home=public, ogc=f"{public}/ogc", status=STATUS, status_text=STATUS_TEXT,
            course=COURSE, comparator=COMPARATOR, path=request.url.path, iri=iri,
            manifests=manifests(), **ctx)
        return HTMLResponse(html, status_code=status_code)

    def q(lang: str) -> str:
        return "&lang=en" if lang == "en" else ""

    def pick_indicator(request: Request) -> tuple[dict | None, int | None]:
        inds = indicators()
        asked = request.query_params.get("indicator")
        with_data = [i for i in inds if i["last_year"] is not None]
        chosen = next((i for i in inds if i["code"] == asked), None)
        if chosen is None:
            chosen = with_data[0] if with_data else (inds[0] if inds else None)
        year_text = request.query_params.get("year", "")
        year = int(year_text) if year_text.isdigit() else None
        if year is None and chosen is not None:
            year = settings.default_year or chosen["last_year"]
        return chosen, year

    def years() -> list[int]:
        return sorted({r["year"] for rows in city().values() for r in rows}, reverse=True)

    # --- resident map ----------------------------------------------------------------
    def home(request: Request) -> HTMLResponse:
        lang = lang_of(request)
        chosen, year = pick_indicator(request)
        code = chosen["code"] if chosen else ""
        with pool.connection() as conn:
            rows = conn.execute(
                "SELECT a.code, a.level, a.name, round(v.value::numeric, 2)::float AS value,"
                " CASE WHEN v.value IS NULL THEN 'no_data' ELSE v.status END AS status,"
                " n.label_nl AS norm_nl, n.label_en AS norm_en,"
                " round(v.status_margin::numeric, 2)::float AS margin, dv.demo"
                " FROM monitor.area a LEFT JOIN monitor.indicator_value v ON v.area_code = a.code"
                " AND v.indicator = %s AND v.year = %s"
                " LEFT JOIN monitor.norm n ON n.iri = v.status_norm"
                " LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id"
                " ORDER BY a.level DESC, a.name", (code, year)).fetchall()
        demo = any(r["demo"] for r in rows)
        themes = [(k, list(g)) for k, g in groupby(indicators(), key=lambda i: i[f"theme_{lang}"])]
        config_js = {
            "api": f"{public}/api/map", "location": f"{public}/api/location",
            "report": f"{public}/locatie", "area": f"{public}/gebied/",
            "indicator": code, "year": year, "lang": lang, "buurtZoom": BUURT_ZOOM,
            "status": STATUS, "unit": chosen["unit"] if chosen else "",
            "text": {k: TEXT[lang][k] for k in ("no_data", "demo_short", "value", "status",
                                                 "norm", "margin", "wijk", "buurt",
                                                 "at_point", "location", "error")},
        }
        m = render_map(static, config_js, bounds(), tile_layer)
        return render("home.html", request, lang=lang, chosen=chosen, year=year, rows=rows,
                      demo=demo, themes=themes, years=years(), map=m, areas=areas(),
                      geocoder=geocoder)

    def map_data(request: Request) -> Response:
        code = request.query_params.get("indicator", "")
        level = request.query_params.get("level", "wijk")
        year_text = request.query_params.get("year", "")
        if level not in ("wijk", "buurt") or not year_text.isdigit() or \
                code not in {i["code"] for i in indicators()}:
            raise HTTPException(400, "give indicator (a code of monitor.indicator), "
                                     "year (4 digits) and level (wijk or buurt)")
        key = ("map", code, int(year_text), level)

        def make() -> bytes:
            with pool.connection() as conn:
                fc = conn.execute(MAP_SQL, {"indicator": code, "year": int(year_text),
                                            "level": level, "tolerance": 4.0}).fetchone()["fc"]
            return json.dumps(fc, separators=(",", ":")).encode()
        body = cache.get(key, make)
        return Response(body, media_type="application/geo+json",
                        headers={"Cache-Control": "public, max-age=60"})

    # --- area page ---------------------------------------------------------------------
    def area_page(request: Request) -> HTMLResponse:
        lang = lang_of(request)
        code = request.path_params["code"]
        with pool.connection() as conn:
            area = conn.execute("SELECT code, level, name FROM monitor.area WHERE code = %s",
                                (code,)).fetchone()
            if area is None:
                raise HTTPException(404, f"no wijk or buurt with code {code}")
            values = conn.execute(AREA_VALUES_SQL, (code,)).fetchall()
            shares = {r["iri"]: float(r["share"])
                      for r in conn.execute(AREA_ZONE_SHARES_SQL, (code,)).fetchall()}
            parent = children = None
            if area["level"] == "buurt":
                parent = conn.execute("SELECT code, name FROM monitor.area WHERE code = %s",
                                      ("WK" + code[2:8],)).fetchone()
            else:
                children = conn.execute(
                    "SELECT code, name FROM monitor.area WHERE level = 'buurt' AND code LIKE %s"
                    " ORDER BY name", ("BU" + code[2:] + "%",)).fetchall()
        by_ind = {k: list(g) for k, g in groupby(values, key=lambda r: r["indicator"])}
        city_series = city()
        blocks, without = [], []
        for ind in indicators():
            series = by_ind.get(ind["code"])
            if not series:
                without.append(ind)
                continue
            latest = series[-1]
            cs = {r["year"]: r["value"] for r in city_series.get(ind["code"], [])}
            city_latest = cs.get(latest["year"])
            ns = valid_norms(ind["code"], latest["year"], shares)
            ind_goals = goals_for(ind["code"])
            label = ind[f"label_{lang}"]
            chart = line_chart(
                [(r["year"], r["value"]) for r in series],
                [(n[f"label_{lang}"][:38], n["threshold"], "6 3" if n["binding"] else "2 2")
                 for n in ns if n["threshold"] is not None],
                f"{TEXT[lang]['trend']} {label}: {latest['value']} {ind['unit']} "
                f"({latest['year']})",
                compare=[(y, v) for y, v in sorted(cs.items())])
            blocks.append({"ind": ind, "series": series, "latest": latest, "city": cs,
                           "city_latest": city_latest, "norms": ns, "goals": ind_goals,
                           "chart": chart, "definition": definitions.get(ind["code"], {}),
                           "demo": any(r["demo"] for r in series)})
        return render("area.html", request, lang=lang, area=area, blocks=blocks,
                      without=without, parent=parent, children=children,
                      demo=any(b["demo"] for b in blocks), q=q(lang))

    # --- dashboard ---------------------------------------------------------------------
    def dashboard_filters(request: Request) -> dict:
        p = request.query_params
        inds = [i for i in indicators() if i["last_year"] is not None]
        theme = p.get("theme") or ""
        goal = p.get("goal") or ""
        if theme:
            inds = [i for i in inds if i["theme_iri"] == theme]
        if goal:
            steered = {g.indicator for g in goals if g.iri == goal}
            inds = [i for i in inds if i["code"] in steered]
        level = p.get("level") if p.get("level") in ("wijk", "buurt") else "wijk"
        year_text = p.get("year", "")
        year = int(year_text) if year_text.isdigit() else None
        return {"indicators": inds, "theme": theme, "goal": goal, "level": level, "year": year}

    def dashboard(request: Request) -> HTMLResponse:
        lang = lang_of(request)
        f = dashboard_filters(request)
        all_years = years()
        year = f["year"] or (all_years[0] if all_years else None)
        codes = [i["code"] for i in f["indicators"]]
        with pool.connection() as conn:
            cells = conn.execute(MATRIX_SQL, {"year": year, "level": f["level"],
                                              "indicators": codes}).fetchall()
        matrix = {}
        for c in cells:
            row = matrix.setdefault(c["code"], {"code": c["code"], "name": c["name"], "cells": {}})
            row["cells"][c["indicator"]] = c
        city_series = city()
        trends = []
        for ind in f["indicators"]:
            series = city_series.get(ind["code"], [])
            ns = valid_norms(ind["code"], None)
            ind_goals = [g for g in goals_for(ind["code"]) if not f["goal"] or g.iri == f["goal"]]
            numeric_goal = next((g for g in ind_goals if g.target is not None and g.year), None)
            label = ind[f"label_{lang}"]
            chart = line_chart(
                [(r["year"], r["value"]) for r in series],
                [(n[f"label_{lang}"][:38], n["threshold"], "6 3" if n["binding"] else "2 2")
                 for n in ns if n["threshold"] is not None and (
                     n["valid_through"] is None
                     or (series and n["valid_through"].year >= series[0]["year"]))],
                f"{TEXT[lang]['trend']} {label}, {TEXT[lang]['city'].lower()}",
                goal=(numeric_goal.year, numeric_goal.target) if numeric_goal else None)
            trends.append({"ind": ind, "series": series, "norms": ns, "goals": ind_goals,
                           "chart": chart, "demo": any(r["demo"] for r in series)})
        themes = sorted({(i["theme_iri"], i[f"theme_{lang}"]) for i in indicators()
                         if i["last_year"] is not None}, key=lambda t: t[1])
        export = f"{public}/dashboard.csv?level={f['level']}&theme={f['theme']}" \
                 f"&goal={f['goal']}&year={year or ''}"
        return render("dashboard.html", request, lang=lang, f=f, year=year, years=all_years,
                      matrix=list(matrix.values()), trends=trends, themes=themes, goals=goals,
                      all_goals=goals_for(), export=export, q=q(lang),
                      demo=any(t["demo"] for t in trends))

    def dashboard_csv(request: Request) -> Response:
        f = dashboard_filters(request)
        with pool.connection() as conn:
            rows = conn.execute(EXPORT_SQL, {"level": f["level"], "year": f["year"],
                                             "indicators": [i["code"] for i in f["indicators"]]}
                                ).fetchall()
        out = io.StringIO()
        fields = ["area_code", "area_name", "level", "indicator", "label_nl", "label_en",
                  "theme_nl", "theme_en", "year", "value", "unit", "status", "governing_norm",
                  "margin", "source", "demo"]
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": 'attachment; filename="omgevingsmonitor-dashboard.csv"'})

    # --- location check ----------------------------------------------------------------
    def run_report(request: Request) -> tuple[location.Point, dict]:
        point = location.parse_params(request.query_params)
        year = location.parse_year(request.query_params.get("year"))
        day = zones.parse_date(request.query_params.get("date"))
        with pool.connection() as conn:
            data = location.report(conn, point, year, attention)
            data["date"] = day.isoformat()
            data["applicable_norms"] = served(zones.applicable(conn, zone_norms, point, day))
        return point, data

    def served(found: list[dict]) -> list[dict]:
        for n in found:
            n["iri"] = iri(n["iri"])
            for z in n["zones"]:
                z["iri"] = iri(z["iri"])
        return found

    city_norms_json: dict = {}  # date -> [(sort key, JSON)]: the same at every point

    def as_json(value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def city_norm_fragments(day) -> list[tuple[tuple, str]]:
        frags = city_norms_json.get(day)
        if frags is None:
            if len(city_norms_json) > 256:
                city_norms_json.clear()
            frags = city_norms_json[day] = [
                (zones.sort_key(e), as_json(e)) for e in served(zones.city_wide(zone_norms, day))]
        return frags

    async def api_norms_at(request: Request) -> Response:
        """Norms that apply at point P on a date (default today), each with the reason.
        On the permit officer's hot path: async, one query (the zones at P), and the
        city-wide norms of that date serialised once."""
        lang = lang_of(request)
        try:
            point = location.parse_params(request.query_params)
            day = zones.parse_date(request.query_params.get("date"))
            query, params = zones.zones_query(zone_norms, point)
            async with apool.connection() as conn:
                cur = await conn.execute(query, params, prepare=True)
                rows = await cur.fetchall()
            local = served(zones.judge_zones(zone_norms, zones.zones_found(rows), day))
        except location.LocationError as exc:
            return JSONResponse({"code": "InvalidParameterValue", "error": exc.key,
                                 "description": exc.message(lang)}, status_code=400)
        except zones.DateError as exc:
            return JSONResponse({"code": "InvalidParameterValue", "error": "date",
                                 "description": str(exc)}, status_code=400)
        found = sorted(city_norm_fragments(day) + [(zones.sort_key(e), as_json(e)) for e in local])
        head = as_json({"point": {"x": point.x, "y": point.y, "crs": f"EPSG:{point.crs}"},
                        "date": day.isoformat()})
        tail = as_json(f"{public}/api/norms-at?{point.query()}&date={day}")
        body = (f'{head[:-1]},"norms":[{",".join(f for _, f in found)}],"self":{tail}}}')
        return Response(body, media_type="application/json")

    def api_location(request: Request) -> JSONResponse:
        lang = lang_of(request)
        try:
            point, data = run_report(request)
        except location.LocationError as exc:
            return JSONResponse({"code": "InvalidParameterValue", "error": exc.key,
                                 "description": exc.message(lang)}, status_code=400)
        for ind in data["indicators"]:
            for n in ind["norms"] or []:
                n["iri"] = iri(n["iri"])
        data["permalink"] = f"{public}/locatie?{point.query()}"
        data["self"] = f"{public}/api/location?{point.query()}"
        return JSONResponse(data, headers={"Cache-Control": "public, max-age=60"})

    def location_page(request: Request) -> HTMLResponse:
        lang = lang_of(request)
        p = request.query_params
        error = data = point = None
        asked = any(p.get(k) not in (None, "") for k in ("x", "y", "lat", "lon", "q"))
        if asked:
            try:
                point, data = run_report(request)
            except location.LocationError as exc:
                error = exc.message(lang)
        return render("location.html", request, status_code=400 if error else 200, lang=lang,
                      error=error, data=data, point=point, form=dict(p), q=q(lang),
                      permalink=f"{public}/locatie?{point.query()}" if point else None,
                      api=f"{public}/api/location?{point.query()}" if point else None,
                      demo=bool(data and data["demo"]))

    # --- search ------------------------------------------------------------------------
    def search(request: Request) -> Response:
        lang = lang_of(request)
        text = (request.query_params.get("q") or "").strip()
        results, message = [], None
        suffix = "?lang=en" if lang == "en" else ""
        if text and location.looks_like_coordinates(text):
            return RedirectResponse(f"{public}/locatie?q={text.replace(' ', '+')}{q(lang)}",
                                    status_code=303)
        if text:
            low = text.lower()
            exact = [a for a in areas() if a["name"].lower() == low or a["code"].lower() == low]
            if len(exact) == 1:
                return RedirectResponse(f"{public}/gebied/{exact[0]['code']}{suffix}",
                                        status_code=303)
            results = [{"kind": TEXT[lang][a["level"]], "name": a["name"],
                        "url": f"{public}/gebied/{a['code']}{suffix}"}
                       for a in areas() if low in a["name"].lower()]
            if geocoder is None:
                message = TEXT[lang]["geocoder_off"] if not results else None
            else:
                try:
                    for place in geocoder.search(text):
                        results.append({"kind": place.kind, "name": place.name,
                                        "url": f"{public}/locatie?x={place.x:.2f}&y={place.y:.2f}"
                                               f"&crs=28992{q(lang)}"})
                except GeocoderError:
                    message = TEXT[lang]["geocoder_failed"]
        return render("search.html", request, lang=lang, text=text, results=results,
                      message=message)

    return [
        Route("/", home),
        Route("/api/map", map_data),
        Route("/api/location", api_location),
        Route("/api/norms-at", api_norms_at),
        Route("/gebied/{code}", area_page),
        Route("/dashboard", dashboard),
        Route("/dashboard.csv", dashboard_csv),
        Route("/locatie", location_page),
        Route("/zoek", search),
    ]
