"""`/dashboard`: for policy staff — every theme × area as a matrix of statuses (each
indicator in its latest year with data, unless a year is chosen), the city's series with
norm lines, and each policy goal's projection, all read from the read model: the same rows
as the OGC collections `area-status` and `goal-progress` and the CSV exports."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from portal.web import readmodel
from portal.web.charts import line_chart
from portal.web.errors import ApiError
from portal.web.i18n import N_
from portal.web.views.common import lang_of, year_param

LEVELS = ("wijk", "buurt")


@dataclass(frozen=True)
class Filters:
    indicators: list[dict]
    theme: str
    goal: str
    level: str
    year: int | None

    def query(self) -> dict:
        return {"level": self.level, "theme": self.theme or None, "goal": self.goal or None,
                "year": self.year}


def filters(state, request: Request) -> Filters:
    """The dashboard's (and its exports') filters; indicators with data only."""
    p = request.query_params
    level = p.get("level") or "wijk"
    if level not in LEVELS:
        raise ApiError(400, N_("level: '{value}' is not wijk or buurt"), value=level[:20])
    inds = [i for i in state.indicators() if i["last_year"] is not None]
    theme, goal = p.get("theme") or "", p.get("goal") or ""
    if theme:
        inds = [i for i in inds if i["theme_iri"] == theme]
    if goal:
        steered = {g.indicator for g in state.vocab.goals if g.iri == goal}
        inds = [i for i in inds if i["code"] in steered]
    return Filters(inds, theme, goal, level, year_param(request))


def _matrix(state, f: Filters) -> tuple[list[dict], dict[str, int]]:
    cells = state.query(readmodel.MATRIX_SQL, {"year": f.year, "level": f.level,
                                               "indicators": [i["code"] for i in f.indicators]})
    rows: dict[str, dict] = {}
    years: dict[str, int] = {}
    for c in cells:
        row = rows.setdefault(c["code"], {"code": c["code"], "name": c["name"], "cells": {}})
        row["cells"][c["indicator"]] = c
        years[c["indicator"]] = c["year"]
    return list(rows.values()), years


def _goal_rows(state, f: Filters, progress: dict) -> list[dict]:
    return [{"goal": g, "progress": progress.get(g.iri)} for g in state.vocab.goals
            if not f.goal or g.iri == f.goal]


def _trend(state, lang: str, ind: dict, series: list[dict], norms: list[dict],
           goals: list[dict]) -> dict:
    label = ind[f"label_{lang}"]
    numeric = next((g for g in goals if g["progress"] and g["progress"]["projected_value"]
                    is not None), None)
    projection = None
    if numeric:
        p = numeric["progress"]
        projection = [(p["last_year"], p["last_value"]), (p["target_year"], p["projected_value"])]
    chart = line_chart(
        [(r["year"], r["value"]) for r in series],
        [(n[f"label_{lang}"][:38], n["threshold"], "6 3" if n["binding"] else "2 2")
         for n in norms],
        state.messages.gettext(lang, N_("Trend {indicator}, city"), indicator=label),
        goal=(numeric["progress"]["target_year"], numeric["progress"]["target_value"])
        if numeric else None, compare=projection,
        demo_years=frozenset(r["year"] for r in series if r["demo"]))
    return {"ind": ind, "series": series, "norms": norms, "goals": goals, "chart": chart,
            "demo": any(r["demo"] for r in series)}


def routes(state) -> list[Route]:
    def dashboard(request: Request) -> HTMLResponse:
        lang = lang_of(request)
        f = filters(state, request)
        city = state.settings.city.code
        matrix, matrix_years = _matrix(state, f)
        series = {k: list(g) for k, g in groupby(state.query(readmodel.CITY_SERIES_SQL, (city,)),
                                                 key=lambda r: r["indicator"])}
        norms = {k: list(g) for k, g in groupby(state.query(readmodel.CHART_NORMS_SQL, (city,)),
                                                key=lambda r: r["indicator"])}
        progress = {r["goal_iri"]: r for r in state.query(readmodel.GOAL_PROGRESS_SQL, (city,))}
        goals = _goal_rows(state, f, progress)
        trends = [_trend(state, lang, ind, series.get(ind["code"], []), norms.get(ind["code"], []),
                         [g for g in goals if g["goal"].indicator == ind["code"]])
                  for ind in f.indicators]
        themes = sorted({(i["theme_iri"], i[f"theme_{lang}"]) for i in state.indicators()
                         if i["last_year"] is not None}, key=lambda t: t[1])
        html = state.templates.render(
            lang, "dashboard.html", request, f=f, years=state.years(), matrix=matrix,
            matrix_years=matrix_years, trends=trends, themes=themes, goals=goals,
            all_goals=state.vocab.goals,
            export=state.urls.to("/dashboard.csv", lang=None, **f.query()),
            goals_export=state.urls.to("/dashboard/goals.csv", level=f.level),
            demo=any(t["demo"] for t in trends))
        return HTMLResponse(html)

    return [Route("/dashboard", dashboard)]
