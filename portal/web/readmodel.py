"""What the pages read: the tables `portal compute` writes (monitor.area_status,
area_trends, area_goal_progress, status_summary) and the vocabulary's mirror.

Nothing here derives a figure: values, statuses, margins, trends and projections are read
as compute wrote them (rounded there), so a page, the OGC API, a CSV and SPARQL give the
same number. Which norms are in force in a year is the SQL rule monitor.in_force_in_year.
Nothing names a theme or an indicator: whatever monitor.indicator holds is offered.
"""

from __future__ import annotations

INDICATORS_SQL = """
SELECT i.code, i.iri, i.label_nl, i.label_en, i.unit_symbol AS unit, i.theme_iri,
       i.theme_label_nl AS theme_nl, i.theme_label_en AS theme_en,
       min(s.year) FILTER (WHERE s.value IS NOT NULL) AS first_year,
       max(s.year) FILTER (WHERE s.value IS NOT NULL) AS last_year,
       coalesce(bool_or(s.demo), false) AS demo
FROM monitor.indicator i
LEFT JOIN monitor.area_status s ON s.indicator = i.code
GROUP BY i.code
ORDER BY i.theme_label_nl, i.label_nl
"""

YEARS_SQL = ("SELECT DISTINCT year FROM monitor.area_status WHERE value IS NOT NULL"
             " ORDER BY year DESC")

AREAS_SQL = "SELECT code, level, name FROM monitor.area ORDER BY level DESC, name"

BOUNDS_SQL = """
SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n
FROM (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom), 28992), 4326) AS e
      FROM monitor.area WHERE level IN ('wijk', 'buurt') AND monitor.in_city(code, %(city)s)) x
"""

# One indicator and year for every wijk and buurt of the city (areas without a value: no_data).
LEVEL_ROWS_SQL = """
SELECT a.code, a.level, a.name, s.value, coalesce(s.status, 'no_data') AS status,
       s.status_norm_nl AS norm_nl, s.status_norm_en AS norm_en, s.status_margin AS margin,
       coalesce(s.demo, false) AS demo, s.source_kind
FROM monitor.area a
LEFT JOIN monitor.area_status s
  ON s.area_code = a.code AND s.indicator = %(indicator)s AND s.year = %(year)s
WHERE a.level IN ('wijk', 'buurt') AND monitor.in_city(a.code, %(city)s)
ORDER BY a.level DESC, a.name
"""

# Which dataset fed an indicator in a year, and what its values are.
SOURCE_SQL = """
SELECT s.dataset, dv.version, dv.value_kind, dv.demo
FROM monitor.indicator_source s JOIN monitor.dataset_version dv ON dv.id = s.dataset_version_id
WHERE s.indicator = %(indicator)s AND s.year = %(year)s
"""

MAP_SQL = """
SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(
    json_build_object(
        'type', 'Feature', 'id', a.code,
        'geometry', ST_AsGeoJSON(ST_Transform(
            ST_SimplifyPreserveTopology(a.geom, %(tolerance)s), 4326), 5)::json,
        'properties', json_build_object(
            'code', a.code, 'name', a.name, 'level', a.level, 'indicator', %(indicator)s,
            'year', %(year)s::int, 'value', s.value, 'unit', i.unit_symbol,
            'status', coalesce(s.status, 'no_data'),
            'norm_nl', s.status_norm_nl, 'norm_en', s.status_norm_en,
            'margin', s.status_margin, 'demo', coalesce(s.demo, false),
            'source_kind', s.source_kind))
    ORDER BY a.code), '[]'::json))::text AS fc
FROM monitor.area a
LEFT JOIN monitor.indicator i ON i.code = %(indicator)s
LEFT JOIN monitor.area_status s
  ON s.area_code = a.code AND s.indicator = %(indicator)s AND s.year = %(year)s
WHERE a.level = %(level)s
"""

AREA_SQL = "SELECT code, level, name FROM monitor.area WHERE code = %s"

CHILDREN_SQL = """
SELECT code, name FROM monitor.area
WHERE level = 'buurt' AND substr(code, 3, 6) = substr(%s, 3, 6) ORDER BY name
"""

# Every indicator and year of one area, with the city's row of the same indicator and year.
AREA_SERIES_SQL = """
SELECT s.indicator, s.year, s.value, s.status, s.status_margin AS margin,
       s.status_norm_iri AS norm_iri, s.status_norm_nl AS norm_nl, s.status_norm_en AS norm_en,
       s.dataset, s.dataset_version AS version, s.demo, s.source_kind,
       c.value AS city_value, c.status AS city_status
FROM monitor.area_status s
LEFT JOIN monitor.area_status c
  ON c.area_code = %(city)s AND c.indicator = s.indicator AND c.year = s.year
WHERE s.area_code = %(area)s
ORDER BY s.indicator, s.year
"""

# The norms in force in the latest year of each indicator of an area; location-bound ones
# only where their zones cover part of it, with that share.
AREA_NORMS_SQL = """
WITH latest AS (SELECT indicator, max(year) AS year FROM monitor.area_status
                WHERE area_code = %(area)s GROUP BY indicator)
SELECT n.iri, n.indicator, n.label_nl, n.label_en, n.kind_label_nl AS kind_nl,
       n.kind_label_en AS kind_en, n.binding, n.threshold, n.comparator, n.valid_from,
       n.valid_through, n.source_iri, n.citation, n.verified, n.qualitative_text,
       round(z.share::numeric, 1)::float AS zone_share,
       monitor.norm_complies(v.value, n.threshold, n.comparator) AS complies_latest
FROM latest l
JOIN monitor.norm n ON n.indicator = l.indicator
 AND monitor.in_force_in_year(n.valid_from, n.valid_through, l.year)
LEFT JOIN monitor.area_status v
  ON v.area_code = %(area)s AND v.indicator = l.indicator AND v.year = l.year
CROSS JOIN LATERAL (SELECT CASE WHEN n.zones IS NOT NULL
                               THEN monitor.zone_share(%(area)s, n.zones, l.year) END AS share) z
WHERE n.zones IS NULL OR z.share > 0
ORDER BY n.indicator, n.binding DESC, n.valid_from NULLS FIRST, n.iri
"""

# Per indicator the station nearest to (or inside) an area, in its latest year.
AREA_STATIONS_SQL = """
SELECT DISTINCT ON (s.indicator) s.indicator, s.station_id, s.station_name, s.classification,
       s.zone_code, s.zone_name, s.year, s.value, s.capture, s.status, s.status_norm_nl,
       s.status_norm_en, s.exceedance_norm_nl, s.exceedance_norm_en, s.exceedances,
       s.exceedances_allowed, s.source_kind, s.dataset, s.dataset_version AS version,
       round(ST_Distance(s.geom, a.geom))::int AS distance_m, ST_Contains(a.geom, s.geom) AS inside
FROM monitor.area a
JOIN monitor.station_status s ON true
WHERE a.code = %s
ORDER BY s.indicator, s.year DESC, ST_Distance(s.geom, a.geom), s.station_id
"""

TRENDS_SQL = """
SELECT indicator, direction, slope_per_year, first_year, last_year, n_years
FROM monitor.area_trends WHERE area_code = %s
"""

GOAL_PROGRESS_SQL = """
SELECT goal_iri, indicator, target_value, target_year, comparator, last_year, last_value,
       projected_value, status, source_kind, demo
FROM monitor.area_goal_progress WHERE area_code = %s
"""

# The matrix: each indicator in its own latest year for that level, or in the year asked.
MATRIX_SQL = """
WITH years AS (
    SELECT indicator, coalesce(%(year)s::int, max(year) FILTER (WHERE value IS NOT NULL)) AS year
    FROM monitor.area_status WHERE level = %(level)s AND indicator = ANY(%(indicators)s)
    GROUP BY indicator)
SELECT s.area_code AS code, s.area_name AS name, s.indicator, s.year, s.value, s.status, s.demo
FROM monitor.area_status s JOIN years y USING (indicator, year)
WHERE s.level = %(level)s
ORDER BY s.area_name, s.indicator
"""

# The city's series of every indicator, with how many buurten had which status that year.
CITY_SERIES_SQL = """
SELECT s.indicator, s.year, s.value, s.status, s.demo, s.source_kind, s.dataset,
       ss.exceeds, ss.attention, ss.good
FROM monitor.area_status s
LEFT JOIN monitor.status_summary ss
  ON ss.indicator = s.indicator AND ss.year = s.year AND ss.level = 'buurt'
WHERE s.area_code = %s AND s.value IS NOT NULL
ORDER BY s.indicator, s.year
"""

# Norms to draw on a city trend chart: city-wide, in force at some time of the series.
CHART_NORMS_SQL = """
SELECT n.iri, n.indicator, n.label_nl, n.label_en, n.binding, n.threshold, n.comparator,
       n.valid_from, n.valid_through
FROM monitor.norm n
JOIN (SELECT indicator, min(year) AS first, max(year) AS last FROM monitor.area_status
      WHERE area_code = %s GROUP BY indicator) y ON y.indicator = n.indicator
WHERE n.zones IS NULL AND n.threshold IS NOT NULL
  AND monitor.in_force(n.valid_from, n.valid_through, make_date(y.first, 1, 1),
                       make_date(y.last, 12, 31))
ORDER BY n.indicator, n.binding DESC, n.iri
"""

EXPORT_SQL = """
SELECT s.area_code, s.area_name, s.level, s.indicator, s.indicator_label_nl AS label_nl,
       s.indicator_label_en AS label_en, s.theme_label_nl AS theme_nl,
       s.theme_label_en AS theme_en, s.year, s.value, s.unit, s.status,
       s.status_norm_iri AS governing_norm, s.status_margin AS margin, s.source, s.source_kind,
       s.demo
FROM monitor.area_status s
WHERE s.level = %(level)s AND s.indicator = ANY(%(indicators)s)
  AND (%(year)s::int IS NULL OR s.year = %(year)s::int)
ORDER BY s.area_code, s.indicator, s.year
"""

# The downloads of one area (CSV, PDF report): every indicator and year, as the page shows them.
AREA_EXPORT_SQL = """
SELECT s.area_code, s.area_name, s.level, s.indicator, s.indicator_label_nl AS label_nl,
       s.indicator_label_en AS label_en, s.theme_label_nl AS theme_nl,
       s.theme_label_en AS theme_en, s.year, s.value, s.unit, s.status,
       s.status_norm_iri AS governing_norm, s.status_norm_nl AS governing_norm_nl,
       s.status_norm_en AS governing_norm_en, s.status_norm_threshold AS norm_threshold,
       s.status_margin AS margin, s.norms, s.open_norms, s.trend, s.source, s.source_kind,
       s.dataset, s.dataset_version, s.demo
FROM monitor.area_status s
WHERE s.area_code = %s
ORDER BY s.theme_label_nl, s.indicator, s.year
"""

GOALS_EXPORT_SQL = """
SELECT area_code, area_name, level, goal_iri, goal_label_nl, goal_label_en, indicator,
       unit, comparator, target_value, target_year, last_year, last_value, projected_value,
       status, source_kind, demo
FROM monitor.area_goal_progress
WHERE level = %(level)s OR area_code = %(city)s
ORDER BY level = 'gemeente' DESC, area_code, goal_iri
"""
