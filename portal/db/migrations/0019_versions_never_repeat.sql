-- A data version is never used twice, also not by a database dropped and made again under
-- the same name: it names ETags that browsers and proxies keep, and SPARQL stores on disk
-- (var/sparql/…/v<version>), which a new database at a reused number would take for its own.
-- Versions now start at the clock (milliseconds since 1970) and count up from there.
UPDATE monitor.data_state
   SET version = greatest(version, (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
