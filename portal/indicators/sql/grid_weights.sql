-- Exact coverage of the cells of grid %(grid_id)s by one layer of areas that do not overlap
-- (%(codes)s, numbered 1..n in that order), written as layer %(layer)s of the grid:
--   * a cell whose centre lies inside area i and that no boundary crosses gets label i
--     (weight: the whole cell);
--   * a cell a boundary passes through gets label n + 1 + cell, with the m² of the cell in
--     each area it touches (ST_ClipByBox2D);
--   * other cells: NULL (in no area of the layer).
-- Set-based and arithmetic where it can be: the boundaries are split into segments; the rows
-- of cell centres each segment crosses give the inside runs of every row (even-odd rule),
-- and the cells each segment passes through are the boundary cells. Only boundary cells
-- (a few %% of the grid) are clipped. Cell (r, c) spans x_min + c·s .. x_min + (c+1)·s and
-- y_max - (r+1)·s .. y_max - r·s; its number is r·ncols + c.
SET LOCAL jit = off;
CREATE TEMP TABLE w_seg AS
SELECT u.idx::integer AS idx, ST_X(ST_StartPoint(s.geom)) AS x1, ST_Y(ST_StartPoint(s.geom)) AS y1,
       ST_X(ST_EndPoint(s.geom)) AS x2, ST_Y(ST_EndPoint(s.geom)) AS y2
FROM unnest(%(codes)s::text[]) WITH ORDINALITY AS u(code, idx)
JOIN monitor.area a ON a.code = u.code
CROSS JOIN LATERAL ST_DumpSegments(ST_Boundary(a.geom)) AS s;
-- inside runs: between the 1st and 2nd, 3rd and 4th … crossing of a row of cell centres
-- (a segment counts for centres with min(y) <= y < max(y), so a vertex counts once)
CREATE TEMP TABLE w_run AS
SELECT idx, r, greatest(0, ceil((xa - x_min) / s - 0.5))::integer AS c0,
       least(ncols - 1, floor((xb - x_min) / s - 0.5))::integer AS c1
FROM (
    SELECT x.*, lead(x.x) OVER w AS xb, x.x AS xa, row_number() OVER w AS k
    FROM (
        SELECT sg.idx, r.r, g.x_min, g.cell_size AS s, g.ncols,
               sg.x1 + (g.y_max - (r.r + 0.5::float8) * g.cell_size - sg.y1)
                     * (sg.x2 - sg.x1) / (sg.y2 - sg.y1) AS x
        FROM w_seg sg
        JOIN monitor.grid g ON g.id = %(grid_id)s
        CROSS JOIN LATERAL generate_series(
            greatest(0, floor((g.y_max - greatest(sg.y1, sg.y2)) / g.cell_size - 0.5)::integer + 1),
            least(g.nrows - 1, floor((g.y_max - least(sg.y1, sg.y2)) / g.cell_size - 0.5)::integer)
        ) AS r(r)
        WHERE sg.y1 <> sg.y2
    ) x
    WINDOW w AS (PARTITION BY x.idx, x.r ORDER BY x.x)
) p
WHERE k %% 2 = 1;
-- boundary cells: in each row band a segment spans, the columns of its x-range there
CREATE TEMP TABLE w_crossed AS
SELECT DISTINCT sg.idx, r.r * g.ncols + c.c AS cell
FROM w_seg sg
JOIN monitor.grid g ON g.id = %(grid_id)s
CROSS JOIN LATERAL generate_series(
    greatest(0, floor((g.y_max - greatest(sg.y1, sg.y2)) / g.cell_size)::integer),
    least(g.nrows - 1, floor((g.y_max - least(sg.y1, sg.y2)) / g.cell_size)::integer)) AS r(r)
CROSS JOIN LATERAL (
    SELECT greatest(least(sg.y1, sg.y2), g.y_max - (r.r + 1) * g.cell_size) AS ylo,
           least(greatest(sg.y1, sg.y2), g.y_max - r.r * g.cell_size) AS yhi) b
CROSS JOIN LATERAL (
    SELECT CASE WHEN sg.y1 = sg.y2 THEN sg.x1
                ELSE sg.x1 + (b.ylo - sg.y1) * (sg.x2 - sg.x1) / (sg.y2 - sg.y1) END AS xa,
           CASE WHEN sg.y1 = sg.y2 THEN sg.x2
                ELSE sg.x1 + (b.yhi - sg.y1) * (sg.x2 - sg.x1) / (sg.y2 - sg.y1) END AS xb) e
CROSS JOIN LATERAL generate_series(
    greatest(0, floor((least(e.xa, e.xb) - g.x_min) / g.cell_size)::integer),
    least(g.ncols - 1, floor((greatest(e.xa, e.xb) - g.x_min) / g.cell_size)::integer)) AS c(c);
CREATE TEMP TABLE w_edge AS
SELECT DISTINCT x.cell, x.cell / g.ncols AS r, x.cell %% g.ncols AS c
FROM w_crossed x JOIN monitor.grid g ON g.id = %(grid_id)s;
-- the layer: its label array first (the FK of the weights needs it)
INSERT INTO monitor.grid_layer (grid_id, layer, labels)
WITH runs AS (
    SELECT row_number() OVER () AS id, * FROM w_run WHERE c0 <= c1
), stops AS (  -- a run is cut at each boundary cell in it
    SELECT id, idx, r, c0 - 1 AS c FROM runs
    UNION ALL SELECT id, idx, r, c1 + 1 FROM runs
    UNION ALL SELECT ru.id, ru.idx, ru.r, e.c FROM runs ru JOIN w_edge e ON e.r = ru.r
                                                           AND e.c BETWEEN ru.c0 AND ru.c1
), pieces AS (  -- (first cell, last cell, label), disjoint
    SELECT s.r * g.ncols + s.c + 1 AS p0, s.r * g.ncols + s.nxt - 1 AS p1, s.idx AS label
    FROM (SELECT *, lead(c) OVER (PARTITION BY id ORDER BY c) AS nxt FROM stops) s
    JOIN monitor.grid g ON g.id = %(grid_id)s
    WHERE s.nxt > s.c + 1
    UNION ALL
    SELECT cell, cell, cardinality(%(codes)s::text[]) + 1 + cell FROM w_edge
), ordered AS (
    SELECT p0, p1, label, coalesce(lag(p1) OVER (ORDER BY p0), -1) AS prev FROM pieces
)
SELECT %(grid_id)s, %(layer)s, ('{' || rtrim(
           coalesce((SELECT string_agg(repeat('NULL,', (p0 - prev - 1)::integer)
                                       || repeat(label || ',', (p1 - p0 + 1)::integer), ''
                                       ORDER BY p0) FROM ordered), '')
           || repeat('NULL,', (g.ncols * g.nrows - 1
                               - coalesce((SELECT max(p1) FROM pieces), -1))::integer),
           ',') || '}')::integer[]
FROM monitor.grid g WHERE g.id = %(grid_id)s;
-- weights: whole cells for the inside labels; clipped m² for the boundary cells, plus the
-- whole cell for an area whose centre run covers a boundary cell its own boundary misses
INSERT INTO monitor.grid_label_weight (grid_id, layer, label, area_code, weight)
SELECT %(grid_id)s, %(layer)s, u.idx, u.code, g.cell_size * g.cell_size
FROM unnest(%(codes)s::text[]) WITH ORDINALITY AS u(code, idx)
JOIN monitor.grid g ON g.id = %(grid_id)s
UNION ALL
SELECT %(grid_id)s, %(layer)s, cardinality(%(codes)s::text[]) + 1 + cell, code, weight
FROM (
    SELECT x.cell, u.code, ST_Area(ST_ClipByBox2D(a.geom, ST_MakeEnvelope(
               g.x_min + (x.cell %% g.ncols) * g.cell_size,
               g.y_max - (x.cell / g.ncols + 1) * g.cell_size,
               g.x_min + (x.cell %% g.ncols + 1) * g.cell_size,
               g.y_max - (x.cell / g.ncols) * g.cell_size))) AS weight
    FROM w_crossed x
    JOIN monitor.grid g ON g.id = %(grid_id)s
    JOIN unnest(%(codes)s::text[]) WITH ORDINALITY AS u(code, idx) ON u.idx = x.idx
    JOIN monitor.area a ON a.code = u.code
    UNION ALL
    SELECT e.cell, u.code, g.cell_size * g.cell_size
    FROM w_edge e
    JOIN w_run ru ON ru.r = e.r AND e.c BETWEEN ru.c0 AND ru.c1
    JOIN monitor.grid g ON g.id = %(grid_id)s
    JOIN unnest(%(codes)s::text[]) WITH ORDINALITY AS u(code, idx) ON u.idx = ru.idx
    WHERE NOT EXISTS (SELECT 1 FROM w_crossed x WHERE x.cell = e.cell AND x.idx = ru.idx)
) w
WHERE weight > 0;
DROP TABLE w_seg, w_run, w_crossed, w_edge;
