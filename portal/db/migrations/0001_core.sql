-- Core schema: catalogue of loads, areas, stations, grids, vocabulary mirror, results.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA IF NOT EXISTS monitor;

-- Every load of a dataset is a version; exactly one version per dataset is current.
CREATE TABLE monitor.dataset_version (
    id            serial PRIMARY KEY,
    dataset       text        NOT NULL,
    version       integer     NOT NULL,
    checksum      text        NOT NULL,
    source        text        NOT NULL,
    demo          boolean     NOT NULL,
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    rows_read     integer     NOT NULL,
    rows_loaded   integer     NOT NULL,
    rows_repaired integer     NOT NULL DEFAULT 0,
    rows_rejected integer     NOT NULL DEFAULT 0,
    code_version  text        NOT NULL,
    is_current    boolean     NOT NULL DEFAULT true,
    UNIQUE (dataset, version)
);
CREATE UNIQUE INDEX dataset_version_current ON monitor.dataset_version (dataset) WHERE is_current;

-- Rows a load could not use, with the reason; loaded + quarantined = read.
CREATE TABLE monitor.quarantine (
    dataset_version_id integer NOT NULL REFERENCES monitor.dataset_version (id) ON DELETE CASCADE,
    source_row         integer,
    field              text,
    raw_value          text,
    reason             text    NOT NULL
);

CREATE TABLE monitor.area (
    code               text PRIMARY KEY,
    level              text NOT NULL CHECK (level IN ('gemeente', 'wijk', 'buurt')),
    name               text NOT NULL,
    dataset_version_id integer NOT NULL REFERENCES monitor.dataset_version (id),
    geom               geometry(MultiPolygon, 28992) NOT NULL
);
CREATE INDEX area_geom ON monitor.area USING gist (geom);

CREATE TABLE monitor.station (
    id                 text PRIMARY KEY,
    name               text NOT NULL,
    classification     text,
    dataset_version_id integer NOT NULL REFERENCES monitor.dataset_version (id),
    geom               geometry(Point, 28992) NOT NULL
);
CREATE INDEX station_geom ON monitor.station USING gist (geom);

CREATE TABLE monitor.observation (
    station_id         text    NOT NULL,
    indicator          text    NOT NULL,
    year               integer NOT NULL,
    value              double precision NOT NULL,
    dataset_version_id integer NOT NULL REFERENCES monitor.dataset_version (id),
    PRIMARY KEY (station_id, indicator, year)
);

-- A regular grid in RD New: cell n is row n / ncols, column n % ncols from the upper-left corner.
CREATE TABLE monitor.grid (
    id                 serial PRIMARY KEY,
    dataset_version_id integer NOT NULL REFERENCES monitor.dataset_version (id),
    indicator          text    NOT NULL,
    x_min              double precision NOT NULL,
    y_max              double precision NOT NULL,
    cell_size          double precision NOT NULL,
    ncols              integer NOT NULL,
    nrows              integer NOT NULL
);
-- One band per year; values in cell order, NULL = no data.
CREATE TABLE monitor.grid_band (
    grid_id integer NOT NULL REFERENCES monitor.grid (id) ON DELETE CASCADE,
    year    integer NOT NULL,
    vals    real[]  NOT NULL,
    PRIMARY KEY (grid_id, year)
);
-- Area of each cell inside each area (m²): the exact coverage used for weighted means.
CREATE TABLE monitor.area_cell_weight (
    grid_id   integer NOT NULL REFERENCES monitor.grid (id) ON DELETE CASCADE,
    area_code text    NOT NULL,
    cell      integer NOT NULL,
    weight    double precision NOT NULL,
    PRIMARY KEY (grid_id, area_code, cell)
);

-- Mirror of the vocabulary (vocab/*.ttl), refreshed by `portal compute`.
CREATE TABLE monitor.indicator (
    code           text PRIMARY KEY,
    iri            text NOT NULL,
    label_nl       text NOT NULL,
    label_en       text NOT NULL,
    unit_symbol    text NOT NULL,
    theme_iri      text NOT NULL,
    theme_label_nl text NOT NULL,
    theme_label_en text NOT NULL
);
CREATE TABLE monitor.norm (
    iri              text PRIMARY KEY,
    indicator        text    NOT NULL REFERENCES monitor.indicator (code),
    label_nl         text    NOT NULL,
    label_en         text    NOT NULL,
    kind_label_nl    text    NOT NULL,
    kind_label_en    text    NOT NULL,
    binding          boolean NOT NULL,
    threshold        double precision,
    comparator       text    NOT NULL CHECK (comparator IN ('le', 'lt', 'ge', 'gt')),
    valid_from       date,
    valid_through    date,
    source_iri       text    NOT NULL,
    citation         text,
    verified         boolean NOT NULL,
    qualitative_text text
);

CREATE TABLE monitor.indicator_value (
    area_code          text    NOT NULL,
    indicator          text    NOT NULL,
    year               integer NOT NULL,
    value              double precision,
    dataset_version_id integer REFERENCES monitor.dataset_version (id) ON DELETE CASCADE,
    status             text CHECK (status IN ('good', 'attention', 'exceeds', 'no_norm')),
    status_norm        text,
    status_margin      double precision,
    PRIMARY KEY (area_code, indicator, year)
);

CREATE TABLE monitor.norm_assessment (
    area_code text    NOT NULL,
    indicator text    NOT NULL,
    year      integer NOT NULL,
    norm_iri  text    NOT NULL,
    threshold double precision NOT NULL,
    margin    double precision NOT NULL,  -- positive = room left below (or above) the norm
    complies  boolean NOT NULL,
    near      boolean NOT NULL,           -- complies, but within the attention margin of a binding norm
    PRIMARY KEY (area_code, indicator, year, norm_iri),
    FOREIGN KEY (area_code, indicator, year)
        REFERENCES monitor.indicator_value (area_code, indicator, year) ON DELETE CASCADE
);
