-- A new year of a national grid should cost one band, not fifteen (portal/indicators/gridpass.py):
-- every band carries a digest of its cells (written at ingest), and every grid figure
-- remembers the signature (method, weights, band digest) it was computed from.
ALTER TABLE monitor.grid_band ADD COLUMN digest text;  -- NULL (older bands): always computed
CREATE TABLE monitor.grid_year_state (
    indicator text    NOT NULL,
    year      integer NOT NULL,
    signature text    NOT NULL,
    PRIMARY KEY (indicator, year)
);

-- Which areas are the city's (config/portal.yml city.code): CBS codes carry the gemeente's
-- number (WK0518xx, BU0518xxxx for GM0518). One rule for the city row and the city's tables,
-- also when the database holds the whole country.
CREATE FUNCTION monitor.in_city(code text, city text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN substr(code, 3, 4) = substr(city, 3, 4);
