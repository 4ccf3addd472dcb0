-- % of every area inside every werkingsgebied; {zones} is the union of the zone datasets.
-- The location-bound norms apply to an area where a zone of theirs covers part of it.
INSERT INTO monitor.area_zone (area_code, zone_id, valid_from, valid_through, share)
SELECT code, zone_id, geldig_vanaf, geldig_tot, least(100, share)
FROM (
    SELECT a.code, z.zone_id, z.geldig_vanaf, z.geldig_tot,
           100 * ST_Area(ST_Intersection(a.geom, z.geom)) / ST_Area(a.geom) AS share
    FROM monitor.area a
    JOIN ({zones}) z ON a.geom && z.geom AND ST_Intersects(a.geom, z.geom)
    WHERE ST_Area(a.geom) > 0
) x
WHERE share > 0;
