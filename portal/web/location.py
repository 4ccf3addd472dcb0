"""The location check: parse a point (RD New or WGS84), report what the monitor knows there.

One SQL statement (sql/location.sql) builds the whole report in PostGIS; this module
only parses and checks the input and names the errors a user can fix.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from portal.web.i18n import N_

SQL = (Path(__file__).parent / "sql" / "location.sql").read_text(encoding="utf-8")

# Plausible ranges for the Netherlands: outside them the input is surely a mistake
# (swapped axes, wrong system), which we say instead of answering "outside the city".
RD_X = (0.0, 300_000.0)
RD_Y = (289_000.0, 629_000.0)
LAT = (50.5, 53.8)
LON = (3.0, 7.5)

MESSAGES = {
    "unparseable": N_("The coordinates cannot be read. Give two numbers, e.g. RD "
                      "'81000 455000' or WGS84 '52.078, 4.308'."),
    "missing": N_("Give a point: x and y (RD, EPSG:28992), lat and lon (WGS84) or q."),
    "crs": N_("Unknown coordinate system: use crs=28992 (RD New) or crs=4326 (WGS84)."),
    "not_nl": N_("These coordinates are not in the Netherlands. Check the system (RD or "
                 "WGS84) and the order of the numbers."),
    "outside": N_("This point lies outside the municipality of {city}. The monitor only has "
                  "data within the municipal boundary."),
    "year": N_("The year is not a valid year."),
}


class LocationError(ValueError):
    """Input a user can correct (HTTP 400); `key` names the problem for machines."""

    def __init__(self, key: str):
        super().__init__(MESSAGES[key])
        self.key = key
        self.msgid = MESSAGES[key]
        self.values: dict = {}


@dataclass(frozen=True)
class Point:
    x: float  # easting (RD) or longitude (WGS84)
    y: float  # northing (RD) or latitude (WGS84)
    crs: int  # 28992 or 4326

    def params(self) -> dict[str, str]:
        """As query parameters (a permalink)."""
        return {"x": f"{self.x:g}", "y": f"{self.y:g}", "crs": str(self.crs)}


def _number(text: str | None) -> float:
    if text is None or not text.strip():
        raise LocationError("unparseable")
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise LocationError("unparseable") from None
    if not math.isfinite(value):
        raise LocationError("unparseable")
    return value


_PAIR_DOT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:[,;]\s*|\s+)(-?\d+(?:\.\d+)?)\s*$")
_PAIR_COMMA = re.compile(r"^\s*(-?\d+(?:,\d+)?)\s*(?:;\s*|\s+)(-?\d+(?:,\d+)?)\s*$")


def parse_text(text: str) -> Point:
    """'81000 455000', '81000,455000', '52.078, 4.308', '52,078 4,308', '4.308 52.078'."""
    match = _PAIR_DOT.match(text) or _PAIR_COMMA.match(text)
    if not match:
        raise LocationError("unparseable")
    a, b = (_number(g) for g in match.groups())
    return classify(a, b)


def looks_like_coordinates(text: str) -> bool:
    return bool(_PAIR_DOT.match(text) or _PAIR_COMMA.match(text))


def _within(v: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= v <= bounds[1]


def classify(a: float, b: float) -> Point:
    """Two numbers of unknown system: RD New (metres) or WGS84 (degrees, either order)."""
    if abs(a) < 1000 and abs(b) < 1000:
        if _within(a, LAT) and _within(b, LON):
            return Point(b, a, 4326)
        if _within(a, LON) and _within(b, LAT):
            return Point(a, b, 4326)
        raise LocationError("not_nl")
    if _within(a, RD_X) and _within(b, RD_Y):
        return Point(a, b, 28992)
    if _within(b, RD_X) and _within(a, RD_Y):
        return Point(b, a, 28992)
    raise LocationError("not_nl")


def parse_params(params) -> Point:
    """From query parameters: x/y[/crs], lat/lon, or q (free text)."""
    if params.get("q"):
        return parse_text(params["q"])
    if params.get("lat") is not None or params.get("lon") is not None:
        lat, lon = _number(params.get("lat")), _number(params.get("lon"))
        if not (_within(lat, LAT) and _within(lon, LON)):
            raise LocationError("not_nl")
        return Point(lon, lat, 4326)
    if params.get("x") is None and params.get("y") is None:
        raise LocationError("missing")
    x, y = _number(params.get("x")), _number(params.get("y"))
    crs_text = (params.get("crs") or "28992").strip().upper()
    crs_text = crs_text.rsplit("/", 1)[-1].removeprefix("EPSG:")
    if crs_text in ("4326", "CRS84", "WGS84"):
        if not (_within(y, LAT) and _within(x, LON)):
            raise LocationError("not_nl")
        return Point(x, y, 4326)
    if crs_text not in ("28992", "RD"):
        raise LocationError("crs")
    if not (_within(x, RD_X) and _within(y, RD_Y)):
        raise LocationError("not_nl")
    return Point(x, y, 28992)


def parse_year(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    text = text.strip()  # int() does not take all that strip() drops, e.g. "2020\x1f"
    if not re.fullmatch(r"\d{4}", text):
        raise LocationError("year")
    return int(text)


def report(conn, point: Point, year: int | None, attention: float) -> dict:
    """The report at the point; LocationError('outside') when no area of the city holds it."""
    row = conn.execute(SQL, {"x": point.x, "y": point.y, "crs": point.crs, "year": year,
                             "attention": attention}, prepare=True).fetchone()
    data = row["report"] if isinstance(row, dict) else row[0]
    if not data["areas"]:
        raise LocationError("outside")
    areas = {a["level"]: a for a in data["areas"]}
    indicators = data["indicators"] or []
    demo = any(a.get("demo") for a in data["areas"]) or any(
        (i.get("grid") or {}).get("demo") or (i.get("station") or {}).get("demo")
        or any(v.get("demo") for v in (i.get("area_values") or []))
        for i in indicators)
    return {
        "point": {"x": round(data["x"], 2), "y": round(data["y"], 2), "crs": "EPSG:28992",
                  "lon": round(data["lon"], 6), "lat": round(data["lat"], 6)},
        "year": year,
        "wijk": areas.get("wijk"),
        "buurt": areas.get("buurt"),
        "indicators": indicators,
        "demo": demo,
    }
