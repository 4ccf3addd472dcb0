-- The location check: everything the monitor knows at one point, as one JSON document.
-- Parameters: x, y (EPSG:28992, or lon/lat when crs = 4326), crs, year (NULL = the latest
-- year with data per indicator), attention (README "Status": margin fraction of a limit).
-- Area values are read from the read model (monitor.area_status, written by compute); the
-- value at the point is judged with the same rules (monitor.norm_* and in_force_*).
-- The API (portal/web/location.py) runs exactly this statement; scripts/bench_portal.py
-- runs it straight in PostGIS to compare.
WITH pt AS (
    SELECT CASE WHEN %(crs)s::int = 4326
                THEN ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326), 28992)
                ELSE ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 28992) END AS g
),
here AS (
    SELECT a.code, a.level, a.name, dv.dataset, dv.version, dv.source, dv.demo, dv.loaded_at
    FROM monitor.area a
    JOIN pt ON ST_Intersects(a.geom, pt.g)
    JOIN monitor.dataset_version dv ON dv.id = a.dataset_version_id
),
ind AS (  -- every indicator with data, and the year reported for it
    SELECT i.code, i.iri, i.label_nl, i.label_en, i.unit_symbol, i.theme_iri,
           i.theme_label_nl, i.theme_label_en, COALESCE(%(year)s::int, y.year) AS year
    FROM monitor.indicator i
    CROSS JOIN LATERAL (SELECT GREATEST(
        (SELECT max(s.year) FROM monitor.area_status s WHERE s.indicator = i.code),
        (SELECT max(b.year) FROM monitor.grid g JOIN monitor.grid_band b ON b.grid_id = g.id
          WHERE g.indicator = i.code),
        (SELECT max(o.year) FROM monitor.station_status o WHERE o.indicator = i.code)) AS year) y
    WHERE y.year IS NOT NULL
),
cell AS (  -- the grid cell under the point (cell n = row n / ncols, column n %% ncols)
    SELECT DISTINCT ON (ind.code) ind.code AS indicator, g.cell_size, rc.col, rc.row,
           round(b.vals[(rc.row * g.ncols + rc.col) %% 256 + 1]::numeric, 2)::double precision
               AS value,
           dv.dataset, dv.version, dv.source, dv.demo, dv.loaded_at, dv.value_kind
    FROM ind
    JOIN monitor.grid g ON g.indicator = ind.code
    JOIN monitor.dataset_version dv ON dv.id = g.dataset_version_id AND dv.is_current
    -- the grid of the dataset that fed the indicator that year (indicator_source), if any
    LEFT JOIN monitor.indicator_source src ON src.indicator = ind.code AND src.year = ind.year
    CROSS JOIN pt
    CROSS JOIN LATERAL (SELECT floor((ST_X(pt.g) - g.x_min) / g.cell_size)::int AS col,
                               floor((g.y_max - ST_Y(pt.g)) / g.cell_size)::int AS row) rc
    JOIN monitor.grid_chunk b  -- 256 cells of the band (migration 0006), not the whole band
      ON b.grid_id = g.id AND b.year = ind.year AND b.chunk = (rc.row * g.ncols + rc.col) / 256
    WHERE rc.col BETWEEN 0 AND g.ncols - 1 AND rc.row BETWEEN 0 AND g.nrows - 1
      AND (src.dataset_version_id IS NULL OR src.dataset_version_id = g.dataset_version_id)
    ORDER BY ind.code, g.cell_size, g.id DESC
),
station AS (  -- the nearest station measuring the indicator that year (monitor.station_status)
    SELECT DISTINCT ON (ind.code) ind.code AS indicator, s.station_id AS id,
           s.station_name AS name, s.classification, s.zone_code, s.zone_name,
           round(ST_Distance(s.geom, pt.g)) AS distance_m, s.value, s.capture, s.status,
           s.status_norm_nl AS norm_nl, s.status_norm_en AS norm_en, s.status_margin,
           s.exceedance_norm_nl, s.exceedance_norm_en, s.exceedances, s.exceedances_allowed,
           ST_X(ST_Transform(s.geom, 4326)) AS lon, ST_Y(ST_Transform(s.geom, 4326)) AS lat,
           dv.dataset, dv.version, dv.source, dv.demo, dv.loaded_at, dv.value_kind
    FROM ind
    CROSS JOIN pt
    JOIN monitor.station_status s ON s.indicator = ind.code AND s.year = ind.year
    JOIN monitor.dataset_version dv ON dv.dataset = s.dataset AND dv.version = s.dataset_version
    ORDER BY ind.code, s.geom <-> pt.g
),
areaval AS (
    SELECT s.indicator, h.code, h.level, h.name, s.value, s.status, s.status_margin,
           s.status_norm_nl AS norm_nl, s.status_norm_en AS norm_en, s.source_kind,
           dv.dataset, dv.version, dv.source, dv.demo, dv.loaded_at, dv.value_kind
    FROM here h
    JOIN ind ON true
    JOIN monitor.area_status s
      ON s.area_code = h.code AND s.indicator = ind.code AND s.year = ind.year
    LEFT JOIN monitor.dataset_version dv ON dv.dataset = s.dataset AND dv.version = s.dataset_version
),
pointval AS (  -- the value at the point: the grid cell, else the buurt's, else the wijk's
    SELECT ind.code AS indicator, pv.value, pv.basis
    FROM ind
    CROSS JOIN LATERAL (
        SELECT * FROM (
            SELECT c.value, 'grid' AS basis, 0 AS rank FROM cell c
             WHERE c.indicator = ind.code AND c.value IS NOT NULL
            UNION ALL
            SELECT a.value, a.level, CASE a.level WHEN 'buurt' THEN 1 WHEN 'wijk' THEN 2 ELSE 3 END FROM areaval a
             WHERE a.indicator = ind.code AND a.value IS NOT NULL
        ) o ORDER BY rank LIMIT 1) pv
),
judged AS (  -- every norm valid that year, fixed or open, judged at the point
    SELECT ind.code AS indicator, n.iri, n.label_nl, n.label_en, n.kind_label_nl,
           n.kind_label_en, n.binding, n.threshold, n.comparator, n.valid_from,
           n.valid_through, n.source_iri, n.citation, n.verified, n.qualitative_text,
           monitor.norm_margin(p.value, n.threshold, n.comparator) AS margin,
           monitor.norm_complies(p.value, n.threshold, n.comparator) AS complies,
           monitor.norm_near(n.binding, p.value, n.threshold, n.comparator,
                             %(attention)s) AS near,
           CASE WHEN n.threshold IS NULL THEN 'open'
                WHEN p.value IS NULL THEN 'no_value'
                ELSE monitor.norm_status(n.binding, p.value, n.threshold, n.comparator,
                                         %(attention)s) END AS status
    FROM ind
    JOIN monitor.norm n  -- city-wide; location-bound norms: /api/norms-at (zones.py)
      ON n.indicator = ind.code AND n.zones IS NULL
     AND monitor.in_force_in_year(n.valid_from, n.valid_through, ind.year)
    LEFT JOIN pointval p ON p.indicator = ind.code
)
SELECT json_build_object(
    'x', ST_X(pt.g), 'y', ST_Y(pt.g),
    'lon', ST_X(ST_Transform(pt.g, 4326)), 'lat', ST_Y(ST_Transform(pt.g, 4326)),
    'areas', (SELECT json_agg(to_json(h) ORDER BY h.level DESC) FROM here h),
    'indicators', (SELECT json_agg(json_build_object(
        'code', ind.code, 'iri', ind.iri, 'label_nl', ind.label_nl, 'label_en', ind.label_en,
        'unit', ind.unit_symbol, 'theme_iri', ind.theme_iri,
        'theme_nl', ind.theme_label_nl, 'theme_en', ind.theme_label_en, 'year', ind.year,
        'value', (SELECT p.value FROM pointval p WHERE p.indicator = ind.code),
        'basis', (SELECT p.basis FROM pointval p WHERE p.indicator = ind.code),
        'grid', (SELECT to_json(c) FROM cell c WHERE c.indicator = ind.code),
        'station', (SELECT to_json(s) FROM station s WHERE s.indicator = ind.code),
        'area_values', (SELECT json_agg(to_json(a) ORDER BY a.level) FROM areaval a
                         WHERE a.indicator = ind.code),
        'norms', (SELECT json_agg(json_build_object(
            'iri', j.iri, 'label_nl', j.label_nl, 'label_en', j.label_en,
            'kind_nl', j.kind_label_nl, 'kind_en', j.kind_label_en, 'binding', j.binding,
            'open', j.threshold IS NULL, 'threshold', j.threshold, 'comparator', j.comparator,
            'valid_from', j.valid_from, 'valid_through', j.valid_through,
            'margin', round(j.margin::numeric, 2)::double precision, 'complies', j.complies, 'status', j.status,
            'source_iri', j.source_iri, 'citation', j.citation, 'verified', j.verified,
            'qualitative_text', j.qualitative_text)
            ORDER BY j.binding DESC, j.threshold IS NULL, j.iri)
            FROM judged j WHERE j.indicator = ind.code),
        -- the governing norm: the rule of the read model (monitor.norm_rank, then margin)
        'governing', (SELECT json_build_object(
            'iri', j.iri, 'label_nl', j.label_nl, 'label_en', j.label_en,
            'threshold', j.threshold, 'comparator', j.comparator,
            'margin', round(j.margin::numeric, 2)::double precision, 'status', j.status)
            FROM judged j WHERE j.indicator = ind.code AND j.complies IS NOT NULL
            ORDER BY monitor.norm_rank(j.binding, j.complies, j.near), j.margin, j.iri LIMIT 1),
        'status', (SELECT CASE
            WHEN bool_or(j.status = 'exceeds') THEN 'exceeds'
            WHEN bool_or(j.status = 'attention') THEN 'attention'
            WHEN bool_or(j.status = 'good') THEN 'good'
            ELSE 'no_norm' END FROM judged j WHERE j.indicator = ind.code)
        ) ORDER BY ind.theme_label_nl, ind.code)
        FROM ind
        WHERE EXISTS (SELECT 1 FROM pointval p WHERE p.indicator = ind.code)
           OR EXISTS (SELECT 1 FROM station s WHERE s.indicator = ind.code))
) AS report
FROM pt
