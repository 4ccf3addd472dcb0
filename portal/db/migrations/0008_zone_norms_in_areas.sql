-- Location-bound norms in the area status. A norm bound to werkingsgebieden (om:appliesIn)
-- applies to an area when one of its zones, valid that year, covers part of the area; the
-- status says which share. Until now monitor.norm held only the city-wide norms.
ALTER TABLE monitor.norm ADD COLUMN zones text[];  -- its zones' om:zoneId; NULL: city-wide
ALTER TABLE monitor.norm_assessment ADD COLUMN zone_share double precision;  -- NULL: city-wide

-- % of each area inside each zone (portal compute, from the datasets with role: zones)
CREATE TABLE monitor.area_zone (
    area_code     text NOT NULL,
    zone_id       text NOT NULL,
    valid_from    date,
    valid_through date,
    share         double precision NOT NULL CHECK (share > 0 AND share <= 100.000001),
    PRIMARY KEY (area_code, zone_id)
);

-- % of an area inside the zones (of one norm) valid in a year; NULL when none touches it
CREATE FUNCTION monitor.zone_share(area text, zones text[], yr integer)
RETURNS double precision LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s > 100 THEN 100 ELSE s END  -- not least(): it would turn NULL into 100
    FROM (SELECT sum(z.share) AS s FROM monitor.area_zone z
          WHERE z.area_code = area AND z.zone_id = ANY(zones)
            AND (z.valid_from IS NULL OR z.valid_from <= make_date(yr, 12, 31))
            AND (z.valid_through IS NULL OR z.valid_through >= make_date(yr, 1, 1))) x
$$;

-- area-status keeps every column of 0005; the open norms now include the location-bound
-- ones that apply to (part of) the area, and zone_norms says which share they cover.
CREATE OR REPLACE VIEW monitor.area_status AS
SELECT v.area_code || ':' || v.indicator || ':' || v.year AS id,
       a.code AS area_code, a.name AS area_name, a.level,
       v.indicator, i.label_nl AS indicator_label_nl, i.label_en AS indicator_label_en,
       v.year, round(v.value::numeric, 2)::double precision AS value, i.unit_symbol AS unit,
       v.status, n.label_nl AS status_norm_nl, n.label_en AS status_norm_en,
       n.threshold AS status_norm_threshold,
       round(v.status_margin::numeric, 2)::double precision AS status_margin,
       dv.dataset || ' v' || dv.version AS source, dv.demo,
       a.geom,
       i.iri AS indicator_iri, i.unit_iri, i.theme_iri,
       v.status_norm AS status_norm_iri,
       (SELECT string_agg(na.norm_iri, ' ' ORDER BY na.norm_iri)
          FROM monitor.norm_assessment na
         WHERE na.area_code = v.area_code AND na.indicator = v.indicator
           AND na.year = v.year) AS norms,
       o.open_norms, o.open_norm_iris,
       i.theme_label_nl, i.theme_label_en,
       t.direction AS trend,
       zn.zone_norms
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
      AND (on_.valid_from IS NULL OR on_.valid_from <= make_date(v.year, 12, 31))
      AND (on_.valid_through IS NULL OR on_.valid_through >= make_date(v.year, 1, 1))
      AND (on_.zones IS NULL OR monitor.zone_share(v.area_code, on_.zones, v.year) > 0)
) o ON true
LEFT JOIN LATERAL (
    SELECT string_agg(zn_.label_nl || ': ' || round(s.share::numeric, 1) || ' % van het gebied',
                      ' | ' ORDER BY zn_.iri) AS zone_norms
    FROM monitor.norm zn_
    CROSS JOIN LATERAL (SELECT monitor.zone_share(v.area_code, zn_.zones, v.year) AS share) s
    WHERE zn_.indicator = v.indicator AND zn_.zones IS NOT NULL AND s.share > 0
      AND (zn_.valid_from IS NULL OR zn_.valid_from <= make_date(v.year, 12, 31))
      AND (zn_.valid_through IS NULL OR zn_.valid_through >= make_date(v.year, 1, 1))
) zn ON true;
