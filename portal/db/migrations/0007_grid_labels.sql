-- Grid coverage as cell labels instead of one weight row per (area, cell).
--
-- Zonal statistics used to join every cell of every band to a table of (area, cell, weight):
-- millions of rows per recompute. Now each cell of a grid carries one label per layer of
-- areas that do not overlap (usually one layer: the buurten). A cell inside one area is
-- labelled with that area's number; a cell a boundary crosses gets a label of its own whose
-- exact weights (m² of the cell in each area it touches) are in grid_label_weight. Areas that
-- are the union of areas of a layer (wijken, the city) are summed from those parts
-- (grid_area_part). One pass over the cells per band then groups by label.
DROP TABLE monitor.area_cell_weight;

CREATE TABLE monitor.grid_layer (
    grid_id integer NOT NULL REFERENCES monitor.grid (id) ON DELETE CASCADE,
    layer   integer NOT NULL,
    labels  integer[] NOT NULL,  -- per cell, row by row from the top left; NULL: in no area
    PRIMARY KEY (grid_id, layer)
);

CREATE TABLE monitor.grid_label_weight (
    grid_id   integer NOT NULL,
    layer     integer NOT NULL,
    label     integer NOT NULL,
    area_code text    NOT NULL,
    weight    double precision NOT NULL,  -- m² of each cell with this label inside the area
    PRIMARY KEY (grid_id, layer, label, area_code),
    FOREIGN KEY (grid_id, layer) REFERENCES monitor.grid_layer (grid_id, layer) ON DELETE CASCADE
);

CREATE TABLE monitor.grid_area_part (
    grid_id   integer NOT NULL REFERENCES monitor.grid (id) ON DELETE CASCADE,
    area_code text    NOT NULL,  -- e.g. a wijk
    part_code text    NOT NULL,  -- e.g. one of its buurten, in a labelled layer
    PRIMARY KEY (grid_id, area_code, part_code)
);

-- The coverage weights spelled out per (area, cell), for inspection and tests only.
CREATE VIEW monitor.area_cell_weight AS
WITH labelled AS (
    SELECT l.grid_id, w.area_code, (u.n - 1)::integer AS cell, w.weight
    FROM monitor.grid_layer l
    CROSS JOIN LATERAL unnest(l.labels) WITH ORDINALITY AS u(label, n)
    JOIN monitor.grid_label_weight w
      ON w.grid_id = l.grid_id AND w.layer = l.layer AND w.label = u.label
)
SELECT grid_id, area_code, cell, weight FROM labelled
UNION ALL
SELECT p.grid_id, p.area_code, x.cell, sum(x.weight)
FROM monitor.grid_area_part p
JOIN labelled x ON x.grid_id = p.grid_id AND x.area_code = p.part_code
GROUP BY p.grid_id, p.area_code, x.cell;

-- weights are computed again, in the new form, by the next `portal compute`
DELETE FROM monitor.grid_weight_state;
