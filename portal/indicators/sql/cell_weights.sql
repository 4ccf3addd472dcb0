-- Exact coverage of the cells of grid %(grid_id)s by every area (m² of each cell inside each
-- area), for area-weighted statistics. Only cells in each area's bounding box are tested;
-- cells inside the area need only ST_Contains, ST_Intersection runs only on cells the
-- boundary crosses, and cells that merely touch (weight 0) are left out.
DELETE FROM monitor.area_cell_weight WHERE grid_id = %(grid_id)s;
INSERT INTO monitor.area_cell_weight (grid_id, area_code, cell, weight)
SELECT grid_id, code, cell, weight FROM (
    SELECT g.id AS grid_id, a.code, r.i * g.ncols + c.j AS cell,
           CASE WHEN ST_Contains(a.geom, e.env) THEN g.cell_size * g.cell_size
                WHEN ST_Intersects(a.geom, e.env) THEN ST_Area(ST_Intersection(a.geom, e.env))
                ELSE 0 END AS weight
    FROM monitor.grid g
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
    WHERE g.id = %(grid_id)s
      AND a.code NOT IN (
          -- a city that its wijken tile without overlap: summed below instead
          SELECT c.code FROM monitor.area c
          JOIN monitor.area k ON k.level = 'wijk' AND 'GM' || substr(k.code, 3, 4) = c.code
          WHERE c.level = 'gemeente'
          GROUP BY c.code, c.geom
          HAVING abs(ST_Area(c.geom) - sum(ST_Area(k.geom))) <= 1e-6 * ST_Area(c.geom))
) x
WHERE weight > 0;
-- The city's weights as the sum of its wijken's: exact when the wijken tile the city (the
-- area check above: the areas of the wijken add up to the area of their union).
INSERT INTO monitor.area_cell_weight (grid_id, area_code, cell, weight)
SELECT %(grid_id)s, c.code, w.cell, least(sum(w.weight), max(g.cell_size * g.cell_size))
FROM monitor.area c
JOIN monitor.area k ON k.level = 'wijk' AND 'GM' || substr(k.code, 3, 4) = c.code
JOIN monitor.area_cell_weight w ON w.grid_id = %(grid_id)s AND w.area_code = k.code
JOIN monitor.grid g ON g.id = %(grid_id)s
WHERE c.level = 'gemeente'
  AND c.code IN (
      SELECT c2.code FROM monitor.area c2
      JOIN monitor.area k2 ON k2.level = 'wijk' AND 'GM' || substr(k2.code, 3, 4) = c2.code
      WHERE c2.level = 'gemeente'
      GROUP BY c2.code, c2.geom
      HAVING abs(ST_Area(c2.geom) - sum(ST_Area(k2.geom))) <= 1e-6 * ST_Area(c2.geom))
GROUP BY c.code, w.cell;
