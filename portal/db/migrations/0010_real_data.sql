-- Real data beside demo data: what each value is (measured, modelled, demo), hourly station
-- measurements and the station statistics compute derives from them, figures per area (CBS),
-- and which dataset fed each indicator in each year.

-- measured | modelled | demo, from the manifest (demo: true → demo), per loaded version
ALTER TABLE monitor.dataset_version ADD COLUMN value_kind text
    CHECK (value_kind IN ('measured', 'modelled', 'demo'));
UPDATE monitor.dataset_version SET value_kind = CASE WHEN demo THEN 'demo' ELSE 'measured' END;

-- norms over short periods: the threshold may be passed a number of times a year
ALTER TABLE monitor.norm ADD COLUMN averaging_period text;      -- xsd:duration: PT1H, P1D, P1Y
ALTER TABLE monitor.norm ADD COLUMN allowed_exceedances integer;

-- why a value is missing where one could be expected (not_applicable: no inhabitants)
ALTER TABLE monitor.indicator_value ADD COLUMN note text;

-- Hourly means as published (load.into: measurement), begin of the hour.
CREATE TABLE monitor.measurement (
    dataset_version_id integer     NOT NULL REFERENCES monitor.dataset_version (id) ON DELETE CASCADE,
    station_id         text        NOT NULL,
    component          text        NOT NULL,
    begin_at           timestamptz NOT NULL,
    value              double precision NOT NULL,
    PRIMARY KEY (dataset_version_id, station_id, component, begin_at)
);

-- Figures per area and year (load.into: area_figure), e.g. CBS inhabitants per buurt.
CREATE TABLE monitor.area_figure (
    dataset_version_id integer NOT NULL REFERENCES monitor.dataset_version (id) ON DELETE CASCADE,
    area_code          text    NOT NULL,
    year               integer NOT NULL,
    figure             text    NOT NULL,
    value              double precision NOT NULL,
    PRIMARY KEY (dataset_version_id, area_code, year, figure)
);

-- Per station, component and year (compute, sql/station_years.sql): data capture and the
-- annual mean — NULL when capture is below the directive's minimum.
CREATE TABLE monitor.station_year (
    station_id         text    NOT NULL,
    component          text    NOT NULL,
    indicator          text    NOT NULL,   -- the annual-mean indicator it feeds
    year               integer NOT NULL,
    hours_in_year      integer NOT NULL,
    valid_hours        integer NOT NULL,
    capture            double precision NOT NULL,  -- valid hours / hours in the year, %
    sufficient         boolean NOT NULL,
    mean_all_hours     double precision NOT NULL,  -- mean of the valid hours, whatever the capture
    value              double precision,           -- the annual mean, only when sufficient
    valid_days         integer NOT NULL,           -- days with enough valid hours for a daily mean
    dataset_version_id integer NOT NULL,
    PRIMARY KEY (station_id, component, year)
);

-- Per station, year and short-period norm: hours or days above its threshold.
CREATE TABLE monitor.station_exceedance (
    station_id   text    NOT NULL,
    year         integer NOT NULL,
    norm_iri     text    NOT NULL,
    indicator    text    NOT NULL,   -- the annual-mean indicator of the same component
    periods      integer NOT NULL,   -- hours or days above the threshold
    allowed      integer NOT NULL,
    PRIMARY KEY (station_id, year, norm_iri)
);

-- Which dataset (version) fed an indicator in a year: the first of its configured datasets
-- that has the year (config/indicators.yml `datasets`).
CREATE TABLE monitor.indicator_source (
    indicator          text    NOT NULL,
    year               integer NOT NULL,
    dataset            text    NOT NULL,
    dataset_version_id integer NOT NULL,
    PRIMARY KEY (indicator, year)
);

-- Read model: per station, annual-mean indicator and year, judged like the area values;
-- below the minimum data capture the status is insufficient_data_capture and there is no value.
CREATE TABLE monitor.station_status (
    id                   text PRIMARY KEY,
    station_id           text    NOT NULL,
    station_name         text    NOT NULL,
    classification       text,
    zone_code            text,
    zone_name            text,
    indicator            text    NOT NULL,
    indicator_label_nl   text    NOT NULL,
    indicator_label_en   text    NOT NULL,
    unit                 text    NOT NULL,
    year                 integer NOT NULL,
    value                double precision,
    capture              double precision NOT NULL,
    valid_hours          integer NOT NULL,
    hours_in_year        integer NOT NULL,
    status               text    NOT NULL,
    status_norm_iri      text,
    status_norm_nl       text,
    status_norm_en       text,
    status_margin        double precision,
    exceedance_norm_iri  text,
    exceedance_norm_nl   text,
    exceedance_norm_en   text,
    exceedances          integer,
    exceedances_allowed  integer,
    source_kind          text    NOT NULL,
    source               text    NOT NULL,
    dataset              text    NOT NULL,
    dataset_version      integer NOT NULL,
    demo                 boolean NOT NULL,
    geom                 geometry(Point, 28992) NOT NULL
);
CREATE INDEX station_status_indicator ON monitor.station_status (indicator, year, id);
CREATE INDEX station_status_geom ON monitor.station_status USING gist (geom);

-- every value says what it is; trends and projections what they were computed from
ALTER TABLE monitor.area_status ADD COLUMN source_kind text;
ALTER TABLE monitor.area_trends ADD COLUMN source_kind text;
ALTER TABLE monitor.area_goal_progress ADD COLUMN source_kind text;

-- What an area's trend and projection rest on: its real values when it has any (trends.sql),
-- so demo only when all its values are demo; kind lists the kinds used (e.g. modelled).
CREATE FUNCTION monitor.series_kind(area text, ind text, OUT demo boolean, OUT kind text)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(bool_and(s.demo), false),
           coalesce(string_agg(DISTINCT s.source_kind, ', ') FILTER (WHERE NOT s.demo),
                    CASE WHEN bool_and(s.demo) THEN 'demo' END)
    FROM monitor.area_status s
    WHERE s.area_code = area AND s.indicator = ind AND s.value IS NOT NULL
$$;
