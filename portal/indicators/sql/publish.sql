-- The read model: what every page, API, download and SPARQL answer reads. Rebuilt from the
-- compute tables at the end of `portal compute`, in its transaction, so readers see the old
-- rows until the new ones are committed. Figures are rounded here, once, as they are shown.
-- Only rows that changed are written: at national size there are 1.6 million, each with
-- its area's geometry, and a new year of one grid changes 18,000 of them. The rows are
-- built without geometry; rows that differ or left are deleted, new and changed ones
-- inserted with their area's geometry. (compute empties the table first when the areas
-- changed: then every row is new.)
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
       (SELECT string_agg(na.norm_iri, ' ' ORDER BY na.norm_iri)
          FROM monitor.norm_assessment na
         WHERE na.area_code = v.area_code AND na.indicator = v.indicator AND na.year = v.year)
           AS norms,
       o.open_norms, o.open_norm_iris,
       i.theme_label_nl, i.theme_label_en,
       t.direction AS trend,
       zn.zone_norms,
       dv.dataset, dv.version AS dataset_version,
       dv.value_kind AS source_kind
FROM monitor.indicator_value v
JOIN monitor.area a ON a.code = v.area_code
JOIN monitor.indicator i ON i.code = v.indicator
LEFT JOIN monitor.norm n ON n.iri = v.status_norm
LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id
LEFT JOIN monitor.indicator_trend t ON t.area_code = v.area_code AND t.indicator = v.indicator
LEFT JOIN LATERAL (
    SELECT string_agg(on_.label_nl || ': ' || on_.qualitative_text, ' | ' ORDER BY on_.iri)
               AS open_norms,
           string_agg(on_.iri, ' ' ORDER BY on_.iri) AS open_norm_iris
    FROM monitor.norm on_
    WHERE on_.indicator = v.indicator AND on_.threshold IS NULL
      AND on_.qualitative_text IS NOT NULL
      AND monitor.in_force_in_year(on_.valid_from, on_.valid_through, v.year)
      AND (on_.zones IS NULL OR monitor.zone_share(v.area_code, on_.zones, v.year) > 0)
) o ON true
LEFT JOIN LATERAL (
    SELECT string_agg(zn_.label_nl || ': ' || round(s.share::numeric, 1) || ' % van het gebied',
                      ' | ' ORDER BY zn_.iri) AS zone_norms
    FROM monitor.norm zn_
    CROSS JOIN LATERAL (SELECT monitor.zone_share(v.area_code, zn_.zones, v.year) AS share) s
    WHERE zn_.indicator = v.indicator AND zn_.zones IS NOT NULL AND s.share > 0
      AND monitor.in_force_in_year(zn_.valid_from, zn_.valid_through, v.year)
) zn ON true;

DELETE FROM monitor.area_status s
WHERE NOT EXISTS (
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

DELETE FROM monitor.area_trends;
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
LEFT JOIN monitor.indicator_method m ON m.indicator = t.indicator;

DELETE FROM monitor.area_goal_progress;
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
JOIN monitor.indicator i ON i.code = p.indicator;

DELETE FROM monitor.status_summary;
INSERT INTO monitor.status_summary
SELECT indicator, year, level, count(*),
       count(*) FILTER (WHERE status = 'exceeds'),
       count(*) FILTER (WHERE status = 'attention'),
       count(*) FILTER (WHERE status = 'good'),
       count(*) FILTER (WHERE status = 'no_norm')
FROM monitor.area_status
GROUP BY indicator, year, level;

ANALYZE monitor.area_trends;
ANALYZE monitor.area_goal_progress;
ANALYZE monitor.status_summary;
SELECT monitor.bump_data_version('compute');
