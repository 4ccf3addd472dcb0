-- Grid kinds (grid_mean, grid_max, grid_share_above) over the current version of one grid
-- dataset, every indicator of that dataset in one pass: every area and every band (year);
-- cells without data are left out, and the weights are the exact m² of each cell inside the
-- area (cell_weights.sql; shared by grids of the same shape). {aggs} are the kinds'
-- aggregates, {values} pick one per indicator.
-- The planner cannot estimate unnest(): without this it may probe the weights per cell in a
-- nested loop (minutes instead of seconds); a hash join over all cells is always right here.
SET LOCAL enable_nestloop = off;
DELETE FROM monitor.indicator_value WHERE indicator = ANY(%(indicators)s);
INSERT INTO monitor.indicator_value (area_code, indicator, year, value, dataset_version_id)
SELECT a.area_code, x.indicator, a.year, x.value, a.dataset_version_id
FROM (
    SELECT w.area_code, b.year, g.dataset_version_id, {aggs}
    FROM monitor.grid g
    JOIN monitor.dataset_version dv ON dv.id = g.dataset_version_id AND dv.is_current
    JOIN monitor.grid_band b ON b.grid_id = g.id
    CROSS JOIN LATERAL unnest(b.vals) WITH ORDINALITY AS u(v, n)
    JOIN monitor.area_cell_weight w ON w.grid_id = %(weights_grid)s AND w.cell = u.n - 1
    WHERE dv.dataset = %(dataset)s AND u.v IS NOT NULL
    GROUP BY w.area_code, b.year, g.dataset_version_id
) a
CROSS JOIN LATERAL (VALUES {values}) AS x(indicator, value);
SET LOCAL enable_nestloop = on;
