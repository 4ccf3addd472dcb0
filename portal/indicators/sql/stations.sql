-- Station statistics from the hourly measurements (config/indicators.yml `stations`), and
-- the station read table. Directive 2008/50/EC Annex I: an annual mean needs at least
-- %(min_capture)s of the hours of the year with a valid value, else the year is
-- insufficient_data_capture and has no value. Hours and days are counted in local standard
-- time (UTC+1), as RIVM publishes them; a day has a daily mean with %(min_hours)s valid hours.
-- {components}: VALUES (component, annual indicator, daily indicator, hourly indicator);
-- {zones}: the EU air-quality zones (zone_code, zone_naam, geom).
DELETE FROM monitor.station_exceedance;
DELETE FROM monitor.station_year;
DROP TABLE IF EXISTS pg_temp.station_hour;
DROP TABLE IF EXISTS pg_temp.station_day;
CREATE TEMP TABLE station_hour ON COMMIT DROP AS
SELECT m.station_id, m.component, m.value,
       (m.begin_at AT TIME ZONE 'Etc/GMT-1') AS local_start
FROM monitor.measurement m
WHERE m.dataset_version_id = %(version)s;
CREATE TEMP TABLE station_day ON COMMIT DROP AS
SELECT station_id, component, local_start::date AS day, count(*) AS n, avg(value) AS mean
FROM station_hour GROUP BY station_id, component, local_start::date;
INSERT INTO monitor.station_year (station_id, component, indicator, year, hours_in_year,
                                  valid_hours, capture, sufficient, mean_all_hours, value,
                                  valid_days, dataset_version_id)
SELECT h.station_id, h.component, c.annual, h.year, h.hours, h.n, 100.0 * h.n / h.hours,
       h.n >= %(min_capture)s * h.hours, h.mean,
       CASE WHEN h.n >= %(min_capture)s * h.hours THEN h.mean END,
       (SELECT count(*) FROM station_day d WHERE d.station_id = h.station_id
          AND d.component = h.component AND extract(year FROM d.day) = h.year
          AND d.n >= %(min_hours)s),
       %(version)s
FROM (SELECT station_id, component, extract(year FROM local_start)::int AS year,
             count(*) AS n, avg(value) AS mean,
             24 * (make_date(extract(year FROM local_start)::int + 1, 1, 1)
                   - make_date(extract(year FROM local_start)::int, 1, 1)) AS hours
      FROM station_hour GROUP BY 1, 2, 3) h
JOIN (VALUES {components}) c (component, annual, daily, hourly) ON c.component = h.component;

-- hours or days above each short-period norm in force that year (comparator rule of 0009)
INSERT INTO monitor.station_exceedance (station_id, year, norm_iri, indicator, periods, allowed)
SELECT sy.station_id, sy.year, n.iri, sy.indicator,
       CASE WHEN n.averaging_period = 'PT1H' THEN
           (SELECT count(*) FROM station_hour h WHERE h.station_id = sy.station_id
              AND h.component = sy.component AND extract(year FROM h.local_start) = sy.year
              AND NOT monitor.norm_complies(h.value, n.threshold, n.comparator))
       ELSE
           (SELECT count(*) FROM station_day d WHERE d.station_id = sy.station_id
              AND d.component = sy.component AND extract(year FROM d.day) = sy.year
              AND d.n >= %(min_hours)s
              AND NOT monitor.norm_complies(d.mean, n.threshold, n.comparator))
       END,
       n.allowed_exceedances
FROM monitor.station_year sy
JOIN (VALUES {components}) c (component, annual, daily, hourly) ON c.component = sy.component
JOIN monitor.norm n
  ON ((n.indicator = c.hourly AND n.averaging_period = 'PT1H')
      OR (n.indicator = c.daily AND n.averaging_period = 'P1D'))
 AND n.threshold IS NOT NULL AND n.allowed_exceedances IS NOT NULL AND n.zones IS NULL
 AND monitor.in_force_in_year(n.valid_from, n.valid_through, sy.year);
ANALYZE monitor.station_year;

-- the read table: each station-year judged like an area value (annual-mean norms), and its
-- exceedance counts against the allowed number; below the minimum capture: no value at all
DELETE FROM monitor.station_status;
INSERT INTO monitor.station_status
SELECT sy.station_id || ':' || sy.indicator || ':' || sy.year, s.id, s.name, s.classification,
       z.zone_code, z.zone_naam, sy.indicator, i.label_nl, i.label_en, i.unit_symbol, sy.year,
       round(sy.value::numeric, 2)::double precision, round(sy.capture::numeric, 1)::double precision,
       sy.valid_hours, sy.hours_in_year,
       CASE WHEN NOT sy.sufficient THEN 'insufficient_data_capture'
            ELSE coalesce((SELECT st FROM unnest(ARRAY[a.status, ew.status]) st
                           ORDER BY CASE st WHEN 'exceeds' THEN 0 WHEN 'attention' THEN 1
                                            WHEN 'good' THEN 2 ELSE 3 END LIMIT 1), 'no_norm')
       END,
       CASE WHEN sy.sufficient THEN a.iri END, CASE WHEN sy.sufficient THEN a.label_nl END,
       CASE WHEN sy.sufficient THEN a.label_en END,
       CASE WHEN sy.sufficient THEN round(a.margin::numeric, 2)::double precision END,
       CASE WHEN sy.sufficient THEN e.iri END, CASE WHEN sy.sufficient THEN e.label_nl END,
       CASE WHEN sy.sufficient THEN e.label_en END,
       CASE WHEN sy.sufficient THEN e.periods END, CASE WHEN sy.sufficient THEN e.allowed END,
       dv.value_kind, dv.dataset || ' v' || dv.version, dv.dataset, dv.version, dv.demo, s.geom
FROM monitor.station_year sy
JOIN monitor.station s ON s.id = sy.station_id
JOIN monitor.indicator i ON i.code = sy.indicator
JOIN monitor.dataset_version dv ON dv.id = sy.dataset_version_id
LEFT JOIN LATERAL (
    SELECT n.iri, n.label_nl, n.label_en,
           monitor.norm_margin(sy.value, n.threshold, n.comparator) AS margin,
           monitor.norm_status(n.binding, sy.value, n.threshold, n.comparator, %(attention)s)
               AS status
    FROM monitor.norm n
    WHERE n.indicator = sy.indicator AND n.threshold IS NOT NULL AND n.zones IS NULL
      AND monitor.in_force_in_year(n.valid_from, n.valid_through, sy.year)
      AND sy.value IS NOT NULL
    ORDER BY monitor.norm_rank(n.binding,
                               monitor.norm_complies(sy.value, n.threshold, n.comparator),
                               monitor.norm_near(n.binding, sy.value, n.threshold,
                                                 n.comparator, %(attention)s)),
             monitor.norm_margin(sy.value, n.threshold, n.comparator)
    LIMIT 1
) a ON true
LEFT JOIN LATERAL (
    SELECT n.iri, n.label_nl, n.label_en, x.periods, x.allowed
    FROM monitor.station_exceedance x
    JOIN monitor.norm n ON n.iri = x.norm_iri
    WHERE x.station_id = sy.station_id AND x.year = sy.year AND x.indicator = sy.indicator
    ORDER BY n.binding DESC, monitor.norm_rank(n.binding, x.periods <= x.allowed, false),
             x.allowed - x.periods
    LIMIT 1
) e ON true                     -- shown: the legal limit (EU), the worst of them
LEFT JOIN LATERAL (
    SELECT CASE WHEN x.periods <= x.allowed THEN 'good'
                WHEN n.binding THEN 'exceeds' ELSE 'attention' END AS status
    FROM monitor.station_exceedance x
    JOIN monitor.norm n ON n.iri = x.norm_iri
    WHERE x.station_id = sy.station_id AND x.year = sy.year AND x.indicator = sy.indicator
    ORDER BY monitor.norm_rank(n.binding, x.periods <= x.allowed, false)
    LIMIT 1
) ew ON true                    -- counted: every short-period norm, guidelines too
LEFT JOIN LATERAL (
    SELECT zz.zone_code, zz.zone_naam FROM ({zones}) zz WHERE ST_Contains(zz.geom, s.geom) LIMIT 1
) z ON true;
ANALYZE monitor.station_status;
