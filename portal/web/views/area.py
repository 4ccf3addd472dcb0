"""`/gebied/{code}`: a wijk or buurt at a glance, then every detail. It opens with one card
per theme: each topic's status in words and icon, its value against every fixed norm in
force in one plain sentence (complies or not: monitor.norm_complies, the read model's rule),
the trend and what the city does (policy goals). Below, folded, per indicator: norms, the
city's figure for the same year (its own row in the read model), lineage and the data table
per year. Every figure is a row of monitor.area_status, as the `area-status` API serves it."""

from __future__ import annotations

import re
from itertools import groupby

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from portal.web import readmodel
from portal.web.charts import line_chart
from portal.web.errors import ApiError
from portal.web.i18n import N_
from portal.web.views.common import lang_of

CBS_CODE = re.compile(r"^(GM|WK|BU)[0-9]{4,8}$")


def _by_indicator(rows: list[dict]) -> dict[str, list[dict]]:
    return {k: list(g) for k, g in groupby(rows, key=lambda r: r["indicator"])}


def routes(state) -> list[Route]:
    def area_page(request: Request) -> HTMLResponse:
        lang = lang_of(request)
        code = request.path_params["code"]
        found = state.query(readmodel.AREA_SQL, (code,)) if CBS_CODE.match(code) else []
        if not found:
            raise ApiError(404, N_("no wijk or buurt with code {code}"), code=code[:40])
        area = found[0]
        city = state.settings.city.code
        series = _by_indicator(state.query(readmodel.AREA_SERIES_SQL,
                                           {"area": code, "city": city}))
        norms = _by_indicator(state.query(readmodel.AREA_NORMS_SQL, {"area": code}))
        trends = {r["indicator"]: r for r in state.query(readmodel.TRENDS_SQL, (code,))}
        progress = {r["goal_iri"]: r for r in state.query(readmodel.GOAL_PROGRESS_SQL, (code,))}
        stations = {r["indicator"]: r for r in state.query(readmodel.AREA_STATIONS_SQL, (code,))}
        blocks, without = [], []
        for ind in state.indicators():
            rows = series.get(ind["code"])
            if not rows:
                without.append(ind)
                continue
            block = _block(state, lang, ind, rows, norms.get(ind["code"], []),
                           trends.get(ind["code"]), progress)
            block["station"] = stations.get(ind["code"])
            blocks.append(block)
        parent = children = None
        if area["level"] == "buurt":
            parent = next(iter(state.query(readmodel.AREA_SQL, ("WK" + code[2:8],))), None)
        elif area["level"] == "wijk":
            children = state.query(readmodel.CHILDREN_SQL, (code,))
        html = state.templates.render(
            lang, "area.html", request, area=area, blocks=blocks, without=without,
            cards=_cards(blocks, lang),
            parent=parent, children=children, demo=any(b["demo"] for b in blocks))
        return HTMLResponse(html)

    return [Route("/gebied/{code}", area_page)]


def _cards(blocks: list[dict], lang: str) -> list[dict]:
    """The summary: the blocks by theme (in the vocabulary's order), each theme's goals once."""
    cards: dict[str, dict] = {}
    for b in blocks:
        card = cards.setdefault(b["ind"][f"theme_{lang}"], {
            "theme": b["ind"][f"theme_{lang}"], "blocks": [], "goals": {}})
        card["blocks"].append(b)
        for g in b["goals"]:
            card["goals"].setdefault(g["goal"].iri, g | {"unit": b["ind"]["unit"]})
    return [c | {"goals": list(c["goals"].values())} for c in cards.values()]


def _block(state, lang: str, ind: dict, rows: list[dict], norms: list[dict],
           trend: dict | None, progress: dict) -> dict:
    latest = rows[-1]
    label = ind[f"label_{lang}"]
    title = state.messages.gettext(lang, N_("Trend {indicator}: {value} {unit} ({year})"),
                                   indicator=label, value=latest["value"], unit=ind["unit"],
                                   year=latest["year"])
    chart = line_chart(
        [(r["year"], r["value"]) for r in rows],
        [(n[f"label_{lang}"][:38], n["threshold"], "6 3" if n["binding"] else "2 2")
         for n in norms if n["threshold"] is not None],
        title, compare=[(r["year"], r["city_value"]) for r in rows],
        demo_years=frozenset(r["year"] for r in rows if r["demo"]))
    goals = [{"goal": g, "progress": progress.get(g.iri)} for g in state.goals_for(ind["code"])]
    # the sentence of the summary: the latest value against each city-wide fixed norm
    against = [n for n in norms if n["threshold"] is not None and n["zone_share"] is None
               and n["complies_latest"] is not None]
    return {"ind": ind, "series": rows, "latest": latest, "norms": norms, "goals": goals,
            "against": against,
            "trend": trend, "chart": chart, "demo": any(r["demo"] for r in rows),
            "definition": state.vocab.definitions.get(ind["code"], {})}
