-- Exact coverage of grid cells by areas (m² of each cell inside each area), for
-- area-weighted means. Only cells in each area's bounding box are tested, and
-- ST_Intersection runs only on cells the boundary crosses.
DELETE FROM monitor.area_cell_weight;
INSERT INTO monitor.area_cell_weight (grid_id, area_code, cell, weight)
SELECT g.id, a.code, r.i * g.ncols + c.j,
       CASE WHEN ST_Contains(a.geom, e.env) THEN g.cell_size * g.cell_size
            ELSE ST_Area(ST_Intersection(a.geom, e.env)) END
FROM monitor.grid g
JOIN monitor.dataset_version dv ON dv.id = g.dataset_version_id AND dv.is_current
CROSS JOIN monitor.area a
CROSS JOIN LATERAL (
    SELECT greatest(0, floor((ST_XMin(a.geom) - g.x_min) / g.cell_size))::int AS c0,
           least(g.ncols - 1, floor((ST_XMax(a.geom) - g.x_min) / g.cell_size))::int AS c1,
           greatest(0, floor((g.y_max - ST_YMax(a.geom)) / g.cell_size))::int AS r0,
           least(g.nrows - 1, floor((g.y_max - ST_YMin(a.geom)) / g.cell_size))::int AS r1
) b
CROSS JOIN LATERAL generate_series(b.r0, b.r1) AS r(i)
CROSS JOIN LATERAL generate_series(b.c0, b.c1) AS c(j)
CROSS JOIN LATERAL (
    SELECT ST_MakeEnvelope(g.x_min + c.j * g.cell_size, g.y_max - (r.i + 1) * g.cell_size,
                           g.x_min + (c.j + 1) * g.cell_size, g.y_max - r.i * g.cell_size,
                           28992) AS env
) e
WHERE ST_Intersects(a.geom, e.env)
  AND NOT ST_Touches(a.geom, e.env);
