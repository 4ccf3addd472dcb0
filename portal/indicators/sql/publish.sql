-- The read model: what every page, API, download and SPARQL answer reads. Rebuilt from the
-- compute tables at the end of `portal compute`, in its transaction, so readers see the old
-- rows until the new ones are committed. Figures are rounded here, once, as they are shown.
DELETE FROM monitor.area_status;
INSERT INTO monitor.area_status
SELECT v.area_code || ':' || v.indicator || ':' || v.year,
       a.code, a.name, a.level,
       v.indicator, i.label_nl, i.label_en,
       v.year, round(v.value::numeric, 2)::double precision, i.unit_symbol,
       CASE WHEN v.note = 'not_applicable' THEN 'not_applicable'
            WHEN v.value IS NULL THEN 'no_data' ELSE coalesce(v.status, 'no_norm') END,
       n.label_nl, n.label_en, n.threshold,
       round(v.status_margin::numeric, 2)::double precision,
       dv.dataset || ' v' || dv.version, coalesce(dv.demo, false),
       a.geom,
       i.iri, i.unit_iri, i.theme_iri,
       v.status_norm,
       (SELECT string_agg(na.norm_iri, ' ' ORDER BY na.norm_iri)
          FROM monitor.norm_assessment na
         WHERE na.area_code = v.area_code AND na.indicator = v.indicator AND na.year = v.year),
       o.open_norms, o.open_norm_iris,
       i.theme_label_nl, i.theme_label_en,
       t.direction,
       zn.zone_norms,
       dv.dataset, dv.version,
       dv.value_kind
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
