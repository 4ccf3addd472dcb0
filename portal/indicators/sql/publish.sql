-- The read model: what every page, API, download and SPARQL answer reads. Rebuilt from the
-- compute tables at the end of `portal compute`, in its transaction, so readers see the old
-- rows until the new ones are committed. Figures are rounded here, once, as they are shown.
-- Only rows that changed are written: at national size there are 1.6 million, each with
-- its area's geometry, and a new year of one grid changes 18,000 of them. The rows are
-- built without geometry; rows that differ or left are deleted, new and changed ones
-- inserted with their area's geometry. (compute empties the table first when the areas
-- changed: then every row is new.)
-- The norms shown beside a value other than the governing one, set-based (a subquery per
-- row took 45 of the 50 s at national size): open norms (a text, no threshold) and
-- location-bound ones, per indicator and year in force; a location-bound norm counts for an
-- area where its zones cover part of it (monitor.zone_share, the rule assess.sql uses).
CREATE TEMP TABLE shown_norm AS
SELECT iy.indicator, iy.year, n.iri, n.label_nl, n.qualitative_text, n.zones,
       n.threshold IS NULL AND n.qualitative_text IS NOT NULL AS open
FROM (SELECT DISTINCT indicator, year FROM monitor.indicator_value
      WHERE monitor.in_scope(indicator, %(scope)s)) iy
JOIN monitor.norm n ON n.indicator = iy.indicator
 AND monitor.in_force_in_year(n.valid_from, n.valid_through, iy.year)
WHERE n.zones IS NOT NULL OR (n.threshold IS NULL AND n.qualitative_text IS NOT NULL);

CREATE TEMP TABLE zone_norm_share AS
SELECT area_code, indicator, year, iri, monitor.zone_share(area_code, zones, year) AS share
FROM (SELECT DISTINCT az.area_code, sn.indicator, sn.year, sn.iri, sn.zones
      FROM shown_norm sn JOIN monitor.area_zone az ON az.zone_id = ANY(sn.zones)) x;
DELETE FROM zone_norm_share WHERE share IS NULL OR share <= 0;

-- the open norms of an indicator and year for every area without zones of its own …
CREATE TEMP TABLE open_texts AS
SELECT indicator, year,
       string_agg(label_nl || ': ' || qualitative_text, ' | ' ORDER BY iri) AS open_norms,
       string_agg(iri, ' ' ORDER BY iri) AS open_norm_iris
FROM shown_norm WHERE open AND zones IS NULL
GROUP BY indicator, year;

-- … and for an area where location-bound norms apply: those, with the city-wide open ones
CREATE TEMP TABLE zone_texts AS
SELECT za.area_code, za.indicator, za.year,
       string_agg(sn.label_nl || ': ' || sn.qualitative_text, ' | ' ORDER BY sn.iri)
           FILTER (WHERE sn.open) AS open_norms,
       string_agg(sn.iri, ' ' ORDER BY sn.iri) FILTER (WHERE sn.open) AS open_norm_iris,
       string_agg(sn.label_nl || ': ' || round(z.share::numeric, 1) || ' % van het gebied',
                  ' | ' ORDER BY sn.iri) FILTER (WHERE z.share IS NOT NULL) AS zone_norms
FROM (SELECT DISTINCT area_code, indicator, year FROM zone_norm_share) za
JOIN shown_norm sn ON sn.indicator = za.indicator AND sn.year = za.year
LEFT JOIN zone_norm_share z
  ON z.area_code = za.area_code AND z.indicator = za.indicator AND z.year = za.year
 AND z.iri = sn.iri
WHERE sn.zones IS NULL OR z.share IS NOT NULL
GROUP BY za.area_code, za.indicator, za.year;

CREATE TEMP TABLE assessed_norms AS
SELECT area_code, indicator, year, string_agg(norm_iri, ' ' ORDER BY norm_iri) AS norms
FROM monitor.norm_assessment WHERE monitor.in_scope(indicator, %(scope)s)
GROUP BY area_code, indicator, year;

CREATE TEMP TABLE status_rows AS
SELECT v.area_code || ':' || v.indicator || ':' || v.year AS id,
       a.code AS area_code, a.name AS area_name, a.level,
       v.indicator, i.label_nl AS indicator_label_nl, i.label_en AS indicator_label_en,
       v.year, round(v.value::numeric, 2)::double precision AS value, i.unit_symbol AS unit,
       CASE WHEN v.note = 'not_applicable' THEN 'not_applicable'
            WHEN v.value IS NULL THEN 'no_data' ELSE coalesce(v.status, 'no_norm') END AS status,
       n.label_nl AS status_norm_nl, n.label_en AS status_norm_en,
       n.threshold AS status_norm_threshold,
       round(v.status_margin::numeric, 2)::double precision AS status_margin,
       dv.dataset || ' v' || dv.version AS source, coalesce(dv.demo, false) AS demo,
       i.iri AS indicator_iri, i.unit_iri, i.theme_iri,
       v.status_norm AS status_norm_iri,
       an.norms,
       CASE WHEN zt.area_code IS NULL THEN ot.open_norms ELSE zt.open_norms END AS open_norms,
       CASE WHEN zt.area_code IS NULL THEN ot.open_norm_iris ELSE zt.open_norm_iris END
           AS open_norm_iris,
       i.theme_label_nl, i.theme_label_en,
       t.direction AS trend,
       zt.zone_norms,
       dv.dataset, dv.version AS dataset_version,
       dv.value_kind AS source_kind
FROM monitor.indicator_value v
JOIN monitor.area a ON a.code = v.area_code
JOIN monitor.indicator i ON i.code = v.indicator
LEFT JOIN monitor.norm n ON n.iri = v.status_norm
LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id
LEFT JOIN monitor.indicator_trend t ON t.area_code = v.area_code AND t.indicator = v.indicator
LEFT JOIN assessed_norms an
  ON an.area_code = v.area_code AND an.indicator = v.indicator AND an.year = v.year
LEFT JOIN open_texts ot ON ot.indicator = v.indicator AND ot.year = v.year
LEFT JOIN zone_texts zt
  ON zt.area_code = v.area_code AND zt.indicator = v.indicator AND zt.year = v.year
WHERE monitor.in_scope(v.indicator, %(scope)s);
DROP TABLE shown_norm, zone_norm_share, open_texts, zone_texts, assessed_norms;

DELETE FROM monitor.area_status s
WHERE monitor.in_scope(s.indicator, %(scope)s) AND NOT EXISTS (
    SELECT 1 FROM status_rows r
    WHERE r.id = s.id AND ROW(
       r.area_code, r.area_name, r.level, r.indicator, r.indicator_label_nl,
       r.indicator_label_en, r.year, r.value, r.unit, r.status, r.status_norm_nl,
       r.status_norm_en, r.status_norm_threshold, r.status_margin, r.source, r.demo,
       r.indicator_iri, r.unit_iri, r.theme_iri, r.status_norm_iri, r.norms, r.open_norms,
       r.open_norm_iris, r.theme_label_nl, r.theme_label_en, r.trend, r.zone_norms,
       r.dataset, r.dataset_version, r.source_kind) IS NOT DISTINCT FROM ROW(
       s.area_code, s.area_name, s.level, s.indicator, s.indicator_label_nl,
       s.indicator_label_en, s.year, s.value, s.unit, s.status, s.status_norm_nl,
       s.status_norm_en, s.status_norm_threshold, s.status_margin, s.source, s.demo,
       s.indicator_iri, s.unit_iri, s.theme_iri, s.status_norm_iri, s.norms, s.open_norms,
       s.open_norm_iris, s.theme_label_nl, s.theme_label_en, s.trend, s.zone_norms,
       s.dataset, s.dataset_version, s.source_kind));

INSERT INTO monitor.area_status (
    id, area_code, area_name, level, indicator, indicator_label_nl, indicator_label_en, year,
    value, unit, status, status_norm_nl, status_norm_en, status_norm_threshold, status_margin,
    source, demo, geom, indicator_iri, unit_iri, theme_iri, status_norm_iri, norms,
    open_norms, open_norm_iris, theme_label_nl, theme_label_en, trend, zone_norms, dataset,
    dataset_version, source_kind)
SELECT r.id, r.area_code, r.area_name, r.level, r.indicator, r.indicator_label_nl,
       r.indicator_label_en, r.year, r.value, r.unit, r.status, r.status_norm_nl,
       r.status_norm_en, r.status_norm_threshold, r.status_margin, r.source, r.demo, a.geom,
       r.indicator_iri, r.unit_iri, r.theme_iri, r.status_norm_iri, r.norms, r.open_norms,
       r.open_norm_iris, r.theme_label_nl, r.theme_label_en, r.trend, r.zone_norms,
       r.dataset, r.dataset_version, r.source_kind
FROM status_rows r
JOIN monitor.area a ON a.code = r.area_code
WHERE NOT EXISTS (SELECT 1 FROM monitor.area_status s WHERE s.id = r.id);
DROP TABLE status_rows;

ANALYZE monitor.area_status;

DELETE FROM monitor.area_trends WHERE monitor.in_scope(indicator, %(scope)s);
INSERT INTO monitor.area_trends
SELECT t.area_code || ':' || t.indicator,
       a.code, a.name, a.level,
       t.indicator, i.label_nl, i.label_en, i.theme_label_nl, i.theme_label_en, i.unit_symbol,
       t.first_year, t.last_year, t.n_years,
       round(t.last_value::numeric, 2)::double precision,
       round(t.slope::numeric, 4)::double precision,
       t.intercept,
       t.direction, m.better, 'theil-sen', i.iri,
       k.demo, a.geom, k.kind
FROM monitor.indicator_trend t
CROSS JOIN LATERAL (SELECT * FROM monitor.series_kind(t.area_code, t.indicator)) k
JOIN monitor.area a ON a.code = t.area_code
JOIN monitor.indicator i ON i.code = t.indicator
LEFT JOIN monitor.indicator_method m ON m.indicator = t.indicator
WHERE monitor.in_scope(t.indicator, %(scope)s);

DELETE FROM monitor.area_goal_progress WHERE monitor.in_scope(indicator, %(scope)s);
INSERT INTO monitor.area_goal_progress
SELECT p.area_code || ':' || regexp_replace(p.goal_iri, '^.*/', ''),
       a.code, a.name, a.level,
       p.goal_iri, g.label_nl, g.label_en,
       p.indicator, i.label_nl, i.label_en, i.unit_symbol,
       g.target_value, g.target_year, g.comparator,
       p.last_year, round(p.last_value::numeric, 2)::double precision,
       round(p.projected_value::numeric, 2)::double precision,
       p.status, k.demo, a.geom, k.kind
FROM monitor.goal_progress p
CROSS JOIN LATERAL (SELECT * FROM monitor.series_kind(p.area_code, p.indicator)) k
JOIN monitor.goal g ON g.iri = p.goal_iri
JOIN monitor.area a ON a.code = p.area_code
JOIN monitor.indicator i ON i.code = p.indicator
WHERE monitor.in_scope(p.indicator, %(scope)s);

DELETE FROM monitor.status_summary WHERE monitor.in_scope(indicator, %(scope)s);
INSERT INTO monitor.status_summary
SELECT indicator, year, level, count(*),
       count(*) FILTER (WHERE status = 'exceeds'),
       count(*) FILTER (WHERE status = 'attention'),
       count(*) FILTER (WHERE status = 'good'),
       count(*) FILTER (WHERE status = 'no_norm')
FROM monitor.area_status
WHERE monitor.in_scope(indicator, %(scope)s)
GROUP BY indicator, year, level;

ANALYZE monitor.area_trends;
ANALYZE monitor.area_goal_progress;
ANALYZE monitor.status_summary;
SELECT monitor.bump_data_version('compute');
