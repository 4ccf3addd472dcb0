"""What the portal pages read from PostGIS and the vocabulary, generically.

Nothing here names a theme or an indicator: every indicator of monitor.indicator is
offered, whatever the vocabulary holds; pages show what has values.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from rdflib import Graph

from portal.vocabulary.graph import _PREFIXES

CACHE_SECONDS = 60.0

INDICATORS_SQL = """
SELECT i.code, i.iri, i.label_nl, i.label_en, i.unit_symbol AS unit, i.theme_iri,
       i.theme_label_nl AS theme_nl, i.theme_label_en AS theme_en,
       y.first_year, y.last_year, COALESCE(y.demo, false) AS demo
FROM monitor.indicator i
LEFT JOIN LATERAL (
    SELECT min(v.year) AS first_year, max(v.year) AS last_year, bool_or(dv.demo) AS demo
    FROM monitor.indicator_value v
    LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id
    WHERE v.indicator = i.code) y ON true
ORDER BY i.theme_label_nl, i.label_nl
"""

# Area-weighted mean over the buurten: the city-wide figure per indicator and year.
CITY_SQL = """
SELECT v.indicator, v.year,
       sum(v.value * ST_Area(a.geom)) / NULLIF(sum(ST_Area(a.geom)), 0) AS value,
       count(*) AS areas,
       count(*) FILTER (WHERE v.status = 'exceeds') AS exceeds,
       count(*) FILTER (WHERE v.status = 'attention') AS attention,
       count(*) FILTER (WHERE v.status = 'good') AS good,
       bool_or(dv.demo) AS demo
FROM monitor.indicator_value v
JOIN monitor.area a ON a.code = v.area_code AND a.level = 'buurt'
LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id
WHERE v.value IS NOT NULL
GROUP BY v.indicator, v.year
ORDER BY v.indicator, v.year
"""

NORMS_SQL = """
SELECT n.iri, n.indicator, n.label_nl, n.label_en, n.kind_label_nl AS kind_nl,
       n.kind_label_en AS kind_en, n.binding, n.threshold, n.comparator, n.valid_from,
       n.valid_through, n.source_iri, n.citation, n.verified, n.qualitative_text, n.zones
FROM monitor.norm n
ORDER BY n.indicator, n.binding DESC, n.valid_from NULLS FIRST, n.iri
"""

MAP_SQL = """
SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(
    json_build_object(
        'type', 'Feature', 'id', a.code,
        'geometry', ST_AsGeoJSON(ST_Transform(
            ST_SimplifyPreserveTopology(a.geom, %(tolerance)s), 4326), 5)::json,
        'properties', json_build_object(
            'code', a.code, 'name', a.name, 'level', a.level, 'indicator', %(indicator)s,
            'year', %(year)s::int, 'value', round(v.value::numeric, 2), 'unit', i.unit_symbol,
            'status', CASE WHEN v.value IS NULL THEN 'no_data' ELSE v.status END,
            'norm_nl', n.label_nl, 'norm_en', n.label_en,
            'margin', round(v.status_margin::numeric, 2), 'demo', COALESCE(dv.demo, false)))
    ORDER BY a.code), '[]'::json)) AS fc
FROM monitor.area a
LEFT JOIN monitor.indicator i ON i.code = %(indicator)s
LEFT JOIN monitor.indicator_value v
  ON v.area_code = a.code AND v.indicator = %(indicator)s AND v.year = %(year)s
LEFT JOIN monitor.norm n ON n.iri = v.status_norm
LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id
WHERE a.level = %(level)s
"""

AREA_VALUES_SQL = """
SELECT v.indicator, v.year, round(v.value::numeric, 2)::double precision AS value,
       COALESCE(v.status, 'no_norm') AS status,
       round(v.status_margin::numeric, 2)::double precision AS margin,
       v.status_norm AS norm_iri, n.label_nl AS norm_nl, n.label_en AS norm_en,
       dv.dataset, dv.version, dv.demo
FROM monitor.indicator_value v
LEFT JOIN monitor.norm n ON n.iri = v.status_norm
LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id
WHERE v.area_code = %s
ORDER BY v.indicator, v.year
"""

MATRIX_SQL = """
SELECT a.code, a.name, a.level, v.indicator, round(v.value::numeric, 2)::double precision AS value,
       COALESCE(v.status, 'no_norm') AS status, dv.demo
FROM monitor.area a
JOIN monitor.indicator_value v ON v.area_code = a.code AND v.year = %(year)s
LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id
WHERE a.level = %(level)s AND v.indicator = ANY(%(indicators)s)
ORDER BY a.name, v.indicator
"""

EXPORT_SQL = """
SELECT a.code AS area_code, a.name AS area_name, a.level, v.indicator, i.label_nl, i.label_en,
       i.theme_label_nl AS theme_nl, i.theme_label_en AS theme_en, v.year,
       round(v.value::numeric, 4)::double precision AS value, i.unit_symbol AS unit,
       COALESCE(v.status, 'no_norm') AS status, v.status_norm AS governing_norm,
       round(v.status_margin::numeric, 4)::double precision AS margin,
       dv.dataset || ' v' || dv.version AS source, COALESCE(dv.demo, false) AS demo
FROM monitor.indicator_value v
JOIN monitor.area a ON a.code = v.area_code
JOIN monitor.indicator i ON i.code = v.indicator
LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id
WHERE a.level = %(level)s AND v.indicator = ANY(%(indicators)s)
  AND (%(year)s::int IS NULL OR v.year = %(year)s::int)
ORDER BY a.code, v.indicator, v.year
"""

GOALS_QUERY = """
SELECT ?goal ?code ?labelNl ?labelEn ?definitionNl ?definitionEn ?value ?year ?comparator
       ?source ?textNl ?textEn ?verified
WHERE {
    ?goal a om:PolicyGoal ; om:steers/om:code ?code ; dct:source ?source .
    OPTIONAL { ?goal om:targetValue/qudt:numericValue ?value }
    OPTIONAL { ?goal om:targetYear ?year }
    OPTIONAL { ?goal om:comparator/skos:notation ?comparator }
    OPTIONAL { ?goal om:verified ?verified }
    OPTIONAL { ?goal skos:prefLabel ?labelNl FILTER (langMatches(lang(?labelNl), "nl")) }
    OPTIONAL { ?goal skos:prefLabel ?labelEn FILTER (langMatches(lang(?labelEn), "en")) }
    OPTIONAL { ?goal skos:definition ?definitionNl FILTER (langMatches(lang(?definitionNl), "nl")) }
    OPTIONAL { ?goal skos:definition ?definitionEn FILTER (langMatches(lang(?definitionEn), "en")) }
    OPTIONAL { ?goal om:qualitativeText ?textNl FILTER (langMatches(lang(?textNl), "nl")) }
    OPTIONAL { ?goal om:qualitativeText ?textEn FILTER (langMatches(lang(?textEn), "en")) }
}
"""

DEFINITIONS_QUERY = """
SELECT ?code ?nl ?en WHERE {
    ?i a om:Indicator ; om:code ?code .
    OPTIONAL { ?i skos:definition ?nl FILTER (langMatches(lang(?nl), "nl")) }
    OPTIONAL { ?i skos:definition ?en FILTER (langMatches(lang(?en), "en")) }
}
"""


@dataclass
class Goal:
    iri: str
    indicator: str
    label_nl: str
    label_en: str
    definition_nl: str
    definition_en: str
    target: float | None
    year: int | None
    comparator: str
    source_iri: str
    text_nl: str | None
    text_en: str | None
    verified: bool
    course: str = "no_data"  # on_course / off_course / open / no_data
    projected: float | None = None
    slug: str = field(init=False)

    def __post_init__(self):
        self.slug = self.iri.rstrip("/").rsplit("/", 1)[-1]


def vocab_extras(graph: Graph) -> tuple[list[Goal], dict[str, dict]]:
    """Policy goals (numeric and open) and indicator definitions from the vocabulary."""
    goals: dict[str, Goal] = {}
    for r in sorted(graph.query(GOALS_QUERY, initNs=_PREFIXES),
                    key=lambda r: tuple(str(v) for v in r)):
        if str(r.goal) in goals:
            continue
        year = None
        if r.year is not None:
            digits = "".join(ch for ch in str(r.year)[:4] if ch.isdigit())
            year = int(digits) if digits else None
        goals[str(r.goal)] = Goal(
            iri=str(r.goal), indicator=str(r.code), label_nl=str(r.labelNl or r.goal),
            label_en=str(r.labelEn or r.labelNl or r.goal),
            definition_nl=str(r.definitionNl or ""), definition_en=str(r.definitionEn or ""),
            target=None if r.value is None else float(r.value.toPython()), year=year,
            comparator=str(r.comparator or "le"), source_iri=str(r.source),
            text_nl=None if r.textNl is None else str(r.textNl),
            text_en=None if r.textEn is None else str(r.textEn),
            verified=bool(r.verified is not None and r.verified.toPython()))
    definitions = {str(r.code): {"nl": str(r.nl or ""), "en": str(r.en or "")}
                   for r in graph.query(DEFINITIONS_QUERY, initNs=_PREFIXES)}
    return sorted(goals.values(), key=lambda g: (g.indicator, g.year or 0, g.iri)), definitions


def satisfies(value: float, comparator: str, threshold: float) -> bool:
    return {"le": value <= threshold, "lt": value < threshold,
            "ge": value >= threshold, "gt": value > threshold}.get(comparator, False)


def judge_goal(goal: Goal, series: list[dict]) -> Goal:
    """On course when the linear trend of the last five years meets the target in its year."""
    points = [(s["year"], s["value"]) for s in series if s["value"] is not None][-5:]
    if goal.target is None:
        goal.course = "open"
        return goal
    if not points:
        goal.course = "no_data"
        return goal
    last_year, last_value = points[-1]
    target_year = goal.year or last_year
    if len(points) >= 2 and target_year > last_year:
        n = len(points)
        mx = sum(p[0] for p in points) / n
        my = sum(p[1] for p in points) / n
        sxx = sum((p[0] - mx) ** 2 for p in points)
        slope = sum((p[0] - mx) * (p[1] - my) for p in points) / sxx if sxx else 0.0
        projected = my + slope * (target_year - mx)
    else:
        projected = last_value
    goal.projected = None if math.isnan(projected) else round(projected, 2)
    goal.course = "on_course" if satisfies(projected, goal.comparator, goal.target) \
        else "off_course"
    return goal


class Cache:
    """Small time-boxed cache: the data change only when `portal compute` runs."""

    def __init__(self, seconds: float = CACHE_SECONDS):
        self.seconds = seconds
        self._lock = threading.Lock()
        self._items: dict = {}

    def get(self, key, make):
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit and now - hit[0] < self.seconds:
                return hit[1]
        value = make()
        with self._lock:
            self._items[key] = (now, value)
        return value

# The share of an area each location-bound norm covers, in the latest year of its indicator.
AREA_ZONE_SHARES_SQL = """
SELECT n.iri, round(monitor.zone_share(v.area_code, n.zones, v.year)::numeric, 1) AS share
FROM monitor.norm n
JOIN (SELECT area_code, indicator, max(year) AS year FROM monitor.indicator_value
      WHERE area_code = %s GROUP BY area_code, indicator) v ON v.indicator = n.indicator
WHERE n.zones IS NOT NULL AND monitor.zone_share(v.area_code, n.zones, v.year) > 0
"""
