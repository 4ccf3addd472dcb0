-- Look-ups of the portal (location check, area pages, dashboard).
-- 1. Latest year per indicator and the grids / observations of one indicator, by index.
CREATE INDEX IF NOT EXISTS indicator_value_indicator_year
    ON monitor.indicator_value (indicator, year);
CREATE INDEX IF NOT EXISTS observation_indicator_year
    ON monitor.observation (indicator, year);
CREATE INDEX IF NOT EXISTS grid_indicator ON monitor.grid (indicator);

-- 2. One cell of a grid without reading the whole band. A band is one real[] of all cells
-- (hundreds of kB, compressed): reading vals[n] decompresses all of it, which made the
-- location check CPU-bound. grid_chunk keeps each band in runs of 256 cells (1 kB, stored
-- inline), filled by a trigger whenever a band is written, so ingest needs no change.
-- Cell n of a band is grid_chunk(chunk = n / 256).vals[n % 256 + 1].
CREATE TABLE monitor.grid_chunk (
    grid_id integer NOT NULL,
    year    integer NOT NULL,
    chunk   integer NOT NULL,
    vals    real[]  NOT NULL,
    PRIMARY KEY (grid_id, year, chunk),
    FOREIGN KEY (grid_id, year) REFERENCES monitor.grid_band (grid_id, year) ON DELETE CASCADE
);

CREATE FUNCTION monitor.grid_band_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v real[] := NEW.vals;  -- detoasted once; slicing below works on the in-memory array
    n integer := coalesce(array_length(NEW.vals, 1), 0);
BEGIN
    DELETE FROM monitor.grid_chunk WHERE grid_id = NEW.grid_id AND year = NEW.year;
    INSERT INTO monitor.grid_chunk (grid_id, year, chunk, vals)
    SELECT NEW.grid_id, NEW.year, k, v[k * 256 + 1 : least((k + 1) * 256, n)]
    FROM generate_series(0, (n - 1) / 256) AS k
    WHERE n > 0;
    RETURN NULL;
END $$;

CREATE TRIGGER grid_band_chunks AFTER INSERT OR UPDATE OF vals ON monitor.grid_band
    FOR EACH ROW EXECUTE FUNCTION monitor.grid_band_chunks();

-- bands loaded before this migration (one band in memory at a time)
DO $$
DECLARE
    b record;
    v real[];
    n integer;
BEGIN
    FOR b IN SELECT grid_id, year FROM monitor.grid_band LOOP
        SELECT vals INTO v FROM monitor.grid_band WHERE grid_id = b.grid_id AND year = b.year;
        n := coalesce(array_length(v, 1), 0);
        INSERT INTO monitor.grid_chunk (grid_id, year, chunk, vals)
        SELECT b.grid_id, b.year, k, v[k * 256 + 1 : least((k + 1) * 256, n)]
        FROM generate_series(0, (n - 1) / 256) AS k
        WHERE n > 0;
    END LOOP;
END $$;
