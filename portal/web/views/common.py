"""Small helpers the views share: the language, the chosen indicator and year."""

from __future__ import annotations

import re

from starlette.requests import Request

from portal.web.errors import ApiError
from portal.web.i18n import N_, language


def lang_of(request: Request) -> str:
    """Pages are Dutch unless `?lang=en`: a link gives everyone the same page."""
    return language(request.query_params)


def year_param(request: Request, name: str = "year") -> int | None:
    text = (request.query_params.get(name) or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{4}", text):  # not str.isdigit: '²²²²' is digits to it
        raise ApiError(400, N_("{name}: '{value}' is not a year (4 digits)"), name=name,
                       value=text[:20])
    return int(text)


def pick_indicator(state, request: Request) -> tuple[dict | None, int | None]:
    """The indicator asked for (else the first with data) and the year asked for (else the
    configured default, else that indicator's latest year with data)."""
    inds = state.indicators()
    asked = request.query_params.get("indicator")
    chosen = next((i for i in inds if i["code"] == asked), None)
    if asked and chosen is None:
        raise ApiError(404, N_("indicator: no indicator with code '{code}'"), code=asked[:60])
    if chosen is None:
        chosen = next((i for i in inds if i["last_year"] is not None), inds[0] if inds else None)
    year = year_param(request)
    if year is None and chosen is not None:
        year = state.settings.default_year or chosen["last_year"]
    return chosen, year
