-- Area-weighted mean of every current grid, per area and year (cells without data left out).
DELETE FROM monitor.indicator_value v
USING monitor.grid g
WHERE v.indicator = g.indicator;
INSERT INTO monitor.indicator_value (area_code, indicator, year, value, dataset_version_id)
SELECT w.area_code, g.indicator, b.year, sum(u.v * w.weight) / sum(w.weight), g.dataset_version_id
FROM monitor.grid g
JOIN monitor.dataset_version dv ON dv.id = g.dataset_version_id AND dv.is_current
JOIN monitor.grid_band b ON b.grid_id = g.id
CROSS JOIN LATERAL unnest(b.vals) WITH ORDINALITY AS u(v, n)
JOIN monitor.area_cell_weight w ON w.grid_id = g.id AND w.cell = u.n - 1
WHERE u.v IS NOT NULL
GROUP BY w.area_code, g.indicator, b.year, g.dataset_version_id;
