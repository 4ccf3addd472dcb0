-- Grid kinds (grid_mean, grid_max, grid_share_above) over the current version of one grid
-- dataset, every indicator of that dataset in one pass: every area and every band (year);
-- cells without data are left out. The weights are the exact m² of each cell inside each
-- area, as cell labels (grid_weights.sql; shared by grids of the same shape):
--   1. one pass over the cells of each band, in step with the labels of each layer
--      (unnest in the select list walks both arrays together), sums per label;
--   2. per area: the label sums times the label's m² in the area;
--   3. areas made of parts (wijk, city): the sums of their parts.
-- {label_above}/{area_above}/{part_above} count the cells above each share threshold,
-- {values} pick one value per indicator from the sums (w: m² with data, s: Σ m²·value).
SET LOCAL jit = off;
DELETE FROM monitor.indicator_value WHERE indicator = ANY(%(indicators)s);
INSERT INTO monitor.indicator_value (area_code, indicator, year, value, dataset_version_id)
WITH cells AS (
    SELECT l.layer, b.year, g.dataset_version_id, unnest(b.vals) AS v, unnest(l.labels) AS label
    FROM monitor.grid g
    JOIN monitor.dataset_version dv ON dv.id = g.dataset_version_id AND dv.is_current
    JOIN monitor.grid_band b ON b.grid_id = g.id
    JOIN monitor.grid_layer l ON l.grid_id = %(weights_grid)s
    WHERE dv.dataset = %(dataset)s
), per_label AS (
    SELECT layer, year, dataset_version_id, label, count(v) AS n, sum(v::float8) AS s,
           max(v) AS mx {label_above}
    FROM cells
    WHERE label IS NOT NULL AND v IS NOT NULL
    GROUP BY layer, year, dataset_version_id, label
), per_area AS (
    SELECT w.area_code, p.year, p.dataset_version_id, sum(w.weight * p.n) AS w,
           sum(w.weight * p.s) AS s, max(p.mx) AS mx {area_above}
    FROM per_label p
    JOIN monitor.grid_label_weight w
      ON w.grid_id = %(weights_grid)s AND w.layer = p.layer AND w.label = p.label
    GROUP BY w.area_code, p.year, p.dataset_version_id
), all_areas AS (
    SELECT * FROM per_area
    UNION ALL
    SELECT pa.area_code, a.year, a.dataset_version_id, sum(a.w), sum(a.s), max(a.mx)
           {part_above}
    FROM monitor.grid_area_part pa
    JOIN per_area a ON a.area_code = pa.part_code
    WHERE pa.grid_id = %(weights_grid)s
    GROUP BY pa.area_code, a.year, a.dataset_version_id
)
SELECT a.area_code, x.indicator, a.year, x.value, a.dataset_version_id
FROM all_areas a
CROSS JOIN LATERAL (VALUES {values}) AS x(indicator, value)
WHERE a.w > 0;
