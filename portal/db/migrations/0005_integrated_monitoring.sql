-- Integrated monitoring: how each indicator is computed (and from which dataset versions,
-- for incremental recompute), the city as an area, trends, policy goals and their progress.

-- One row per configured indicator: aggregation kind, inputs, and the signature of the
-- inputs it was last computed from (config + dataset versions + areas + SQL).
CREATE TABLE monitor.indicator_method (
    indicator   text PRIMARY KEY,
    kind        text    NOT NULL,
    params      jsonb   NOT NULL,
    datasets    text[]  NOT NULL,
    better      text    NOT NULL CHECK (better IN ('lower', 'higher')),
    signature   text,
    computed_at timestamptz,
    seconds     double precision
);

-- Which areas (signature) the coverage weights of a grid were computed for.
CREATE TABLE monitor.grid_weight_state (
    grid_id integer PRIMARY KEY REFERENCES monitor.grid (id) ON DELETE CASCADE,
    areas   text NOT NULL
);

-- Policy goals of the vocabulary (mirrored by `portal compute`, like norms).
CREATE TABLE monitor.goal (
    iri          text PRIMARY KEY,
    indicator    text NOT NULL,
    label_nl     text NOT NULL,
    label_en     text NOT NULL,
    target_value double precision NOT NULL,
    target_year  integer NOT NULL,
    comparator   text NOT NULL CHECK (comparator IN ('le', 'lt', 'ge', 'gt')),
    source_iri   text NOT NULL
);

-- Per area and indicator: Theil–Sen trend over the last N years with data.
CREATE TABLE monitor.indicator_trend (
    area_code  text    NOT NULL,
    indicator  text    NOT NULL,
    first_year integer NOT NULL,
    last_year  integer NOT NULL,
    n_years    integer NOT NULL,
    last_value double precision NOT NULL,
    slope      double precision,          -- units per year (median of pairwise slopes)
    intercept  double precision,          -- median of value - slope × year
    direction  text NOT NULL CHECK (direction IN ('improving', 'stable', 'worsening',
                                                  'insufficient_data')),
    PRIMARY KEY (area_code, indicator)
);

-- Per area and goal: the trend projected to the goal's target year.
CREATE TABLE monitor.goal_progress (
    area_code       text NOT NULL,
    goal_iri        text NOT NULL REFERENCES monitor.goal (iri) ON DELETE CASCADE,
    indicator       text NOT NULL,
    last_year       integer NOT NULL,
    last_value      double precision NOT NULL,
    projected_value double precision,
    status          text NOT NULL CHECK (status IN ('reached', 'on_course', 'off_course',
                                                    'insufficient_data')),
    PRIMARY KEY (area_code, goal_iri)
);

-- area-status keeps every column of 0003; added at the end: the open norms valid that year
-- (their qualitative text: they never change the status), the theme, and the trend.
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
       t.direction AS trend
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
) o ON true;

-- OGC collection area-trends: one feature per area and indicator.
CREATE VIEW monitor.area_trends AS
SELECT t.area_code || ':' || t.indicator AS id,
       a.code AS area_code, a.name AS area_name, a.level,
       t.indicator, i.label_nl AS indicator_label_nl, i.label_en AS indicator_label_en,
       i.theme_label_nl, i.theme_label_en, i.unit_symbol AS unit,
       t.first_year, t.last_year, t.n_years,
       round(t.last_value::numeric, 2)::double precision AS last_value,
       round(t.slope::numeric, 4)::double precision AS slope_per_year,
       t.direction, m.better, 'theil-sen' AS method,
       i.iri AS indicator_iri, a.geom
FROM monitor.indicator_trend t
JOIN monitor.area a ON a.code = t.area_code
JOIN monitor.indicator i ON i.code = t.indicator
LEFT JOIN monitor.indicator_method m ON m.indicator = t.indicator;

-- OGC collection goal-progress: one feature per area and policy goal.
CREATE VIEW monitor.goal_progress_view AS
SELECT p.area_code || ':' || regexp_replace(p.goal_iri, '^.*/', '') AS id,
       a.code AS area_code, a.name AS area_name, a.level,
       p.goal_iri, g.label_nl AS goal_label_nl, g.label_en AS goal_label_en,
       p.indicator, i.label_nl AS indicator_label_nl, i.unit_symbol AS unit,
       g.target_value, g.target_year, g.comparator,
       p.last_year, round(p.last_value::numeric, 2)::double precision AS last_value,
       round(p.projected_value::numeric, 2)::double precision AS projected_value,
       p.status, a.geom
FROM monitor.goal_progress p
JOIN monitor.goal g ON g.iri = p.goal_iri
JOIN monitor.area a ON a.code = p.area_code
JOIN monitor.indicator i ON i.code = p.indicator;
