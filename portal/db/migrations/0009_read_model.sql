-- One read model. `portal compute` is the only place that derives figures; pages, APIs,
-- downloads and SPARQL read the tables it writes here. The rules that judge a value
-- against a norm (comparator, margin, validity, status) are SQL functions, written once
-- and called by the assessment, the goal projections and the location check alike.

-- 1. Rules ---------------------------------------------------------------------------------

-- Room left to the threshold: positive = complies with room to spare, in the value's unit.
CREATE FUNCTION monitor.norm_margin(value double precision, threshold double precision,
                                    comparator text)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN comparator IN ('le', 'lt') THEN threshold - value
                ELSE value - threshold END
$$;

-- Does the value meet `comparator threshold` (le ≤, lt <, ge ≥, gt >)? NULL without a value.
CREATE FUNCTION monitor.norm_complies(value double precision, threshold double precision,
                                      comparator text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN comparator IN ('le', 'ge')
                THEN monitor.norm_margin(value, threshold, comparator) >= 0
                ELSE monitor.norm_margin(value, threshold, comparator) > 0 END
$$;

-- Is something valid from `valid_from` through `valid_through` (NULL = open) in force at
-- some moment of the period [period_start, period_end]? For norms, zones and goals.
CREATE FUNCTION monitor.in_force(valid_from date, valid_through date, period_start date,
                                 period_end date)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (valid_from IS NULL OR valid_from <= period_end)
       AND (valid_through IS NULL OR valid_through >= period_start)
$$;

CREATE FUNCTION monitor.in_force_in_year(valid_from date, valid_through date, yr integer)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT monitor.in_force(valid_from, valid_through, make_date(yr, 1, 1), make_date(yr, 12, 31))
$$;

CREATE FUNCTION monitor.in_force_on(valid_from date, valid_through date, day date)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT monitor.in_force(valid_from, valid_through, day, day)
$$;

-- A complying value within `attention` × |threshold| of a binding norm is flagged.
CREATE FUNCTION monitor.norm_near(binding boolean, value double precision,
                                  threshold double precision, comparator text,
                                  attention double precision)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT binding AND monitor.norm_complies(value, threshold, comparator)
       AND monitor.norm_margin(value, threshold, comparator) <= attention * abs(threshold)
$$;

-- Status of a value against one norm: exceeds (a binding norm not met), attention (a
-- non-binding norm not met, or near a binding one), good; NULL without a value.
CREATE FUNCTION monitor.norm_status(binding boolean, value double precision,
                                    threshold double precision, comparator text,
                                    attention double precision)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN value IS NULL OR threshold IS NULL THEN NULL
                WHEN binding AND NOT monitor.norm_complies(value, threshold, comparator)
                    THEN 'exceeds'
                WHEN NOT monitor.norm_complies(value, threshold, comparator)
                  OR monitor.norm_near(binding, value, threshold, comparator, attention)
                    THEN 'attention'
                ELSE 'good' END
$$;

-- Which norm governs when several apply: the worst verdict first, then binding before
-- advisory; ties go to the smallest margin.
CREATE FUNCTION monitor.norm_rank(binding boolean, complies boolean, near boolean)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN binding AND NOT complies THEN 0
                WHEN NOT complies THEN 1
                WHEN near THEN 2
                WHEN binding THEN 3
                ELSE 4 END
$$;

CREATE OR REPLACE FUNCTION monitor.zone_share(area text, zones text[], yr integer)
RETURNS double precision LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s > 100 THEN 100 ELSE s END  -- not least(): it would turn NULL into 100
    FROM (SELECT sum(z.share) AS s FROM monitor.area_zone z
          WHERE z.area_code = area AND z.zone_id = ANY(zones)
            AND monitor.in_force_in_year(z.valid_from, z.valid_through, yr)) x
$$;

-- 2. Data version --------------------------------------------------------------------------
-- Bumped in the transaction of every ingest and compute; the app keys its response cache
-- and ETags on it and hears of a new one through NOTIFY (sent at commit).
CREATE TABLE monitor.data_state (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version    bigint      NOT NULL,
    changed_at timestamptz NOT NULL,
    reason     text        NOT NULL
);
INSERT INTO monitor.data_state VALUES (true, 1, now(), 'migration 0009');

CREATE FUNCTION monitor.bump_data_version(why text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
BEGIN
    UPDATE monitor.data_state
       SET version = version + 1, changed_at = date_trunc('second', clock_timestamp()), reason = why
     RETURNING version INTO v;
    PERFORM pg_notify('monitor_data_version', v::text);
    RETURN v;
END $$;

-- 3. Read tables, written by compute (sql/publish.sql) in its transaction ------------------
DROP VIEW monitor.area_status;
DROP VIEW monitor.area_trends;
DROP VIEW monitor.goal_progress_view;

-- Per area (city, wijk, buurt), indicator and year: value, status, governing norm, margin.
-- Columns as the view of 0008 had them, plus where the value comes from.
CREATE TABLE monitor.area_status (
    id                    text PRIMARY KEY,
    area_code             text    NOT NULL,
    area_name             text    NOT NULL,
    level                 text    NOT NULL,
    indicator             text    NOT NULL,
    indicator_label_nl    text    NOT NULL,
    indicator_label_en    text    NOT NULL,
    year                  integer NOT NULL,
    value                 double precision,
    unit                  text    NOT NULL,
    status                text    NOT NULL,
    status_norm_nl        text,
    status_norm_en        text,
    status_norm_threshold double precision,
    status_margin         double precision,
    source                text,
    demo                  boolean NOT NULL,
    geom                  geometry(MultiPolygon, 28992) NOT NULL,
    indicator_iri         text    NOT NULL,
    unit_iri              text,
    theme_iri             text    NOT NULL,
    status_norm_iri       text,
    norms                 text,
    open_norms            text,
    open_norm_iris        text,
    theme_label_nl        text    NOT NULL,
    theme_label_en        text    NOT NULL,
    trend                 text,
    zone_norms            text,
    dataset               text,
    dataset_version       integer
);
CREATE INDEX area_status_indicator ON monitor.area_status (indicator, id);
CREATE INDEX area_status_indicator_year ON monitor.area_status (indicator, year, level, id);
CREATE INDEX area_status_area ON monitor.area_status (area_code, indicator, year);
CREATE INDEX area_status_level ON monitor.area_status (level, id);
CREATE INDEX area_status_geom ON monitor.area_status USING gist (geom);

-- Per area and indicator: the Theil–Sen trend.
CREATE TABLE monitor.area_trends (
    id                 text PRIMARY KEY,
    area_code          text    NOT NULL,
    area_name          text    NOT NULL,
    level              text    NOT NULL,
    indicator          text    NOT NULL,
    indicator_label_nl text    NOT NULL,
    indicator_label_en text    NOT NULL,
    theme_label_nl     text    NOT NULL,
    theme_label_en     text    NOT NULL,
    unit               text    NOT NULL,
    first_year         integer NOT NULL,
    last_year          integer NOT NULL,
    n_years            integer NOT NULL,
    last_value         double precision NOT NULL,
    slope_per_year     double precision,
    intercept          double precision,
    direction          text    NOT NULL,
    better             text,
    method             text    NOT NULL,
    indicator_iri      text    NOT NULL,
    demo               boolean NOT NULL,
    geom               geometry(MultiPolygon, 28992) NOT NULL
);
CREATE INDEX area_trends_indicator ON monitor.area_trends (indicator, level, id);
CREATE INDEX area_trends_area ON monitor.area_trends (area_code);
CREATE INDEX area_trends_geom ON monitor.area_trends USING gist (geom);

-- Per area and policy goal: last value, projection to the target year, verdict.
CREATE TABLE monitor.area_goal_progress (
    id              text PRIMARY KEY,
    area_code       text    NOT NULL,
    area_name       text    NOT NULL,
    level           text    NOT NULL,
    goal_iri        text    NOT NULL,
    goal_label_nl   text    NOT NULL,
    goal_label_en   text    NOT NULL,
    indicator       text    NOT NULL,
    indicator_label_nl text NOT NULL,
    indicator_label_en text NOT NULL,
    unit            text    NOT NULL,
    target_value    double precision NOT NULL,
    target_year     integer NOT NULL,
    comparator      text    NOT NULL,
    last_year       integer NOT NULL,
    last_value      double precision NOT NULL,
    projected_value double precision,
    status          text    NOT NULL,
    demo            boolean NOT NULL,
    geom            geometry(MultiPolygon, 28992) NOT NULL
);
CREATE INDEX area_goal_progress_goal ON monitor.area_goal_progress (goal_iri, level, id);
CREATE INDEX area_goal_progress_area ON monitor.area_goal_progress (area_code);
CREATE INDEX area_goal_progress_geom ON monitor.area_goal_progress USING gist (geom);

-- Per indicator, year and level: how many areas have which status (the dashboard's counts).
CREATE TABLE monitor.status_summary (
    indicator text    NOT NULL,
    year      integer NOT NULL,
    level     text    NOT NULL,
    areas     integer NOT NULL,
    exceeds   integer NOT NULL,
    attention integer NOT NULL,
    good      integer NOT NULL,
    no_norm   integer NOT NULL,
    PRIMARY KEY (indicator, year, level)
);
