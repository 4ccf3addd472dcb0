-- area_per_capita: m² of the (dissolved) polygons inside each area per inhabitant, for every
-- year in which both the polygons and the population have data. An area where nobody lives
-- (Oostduinen) gets no value and the note not_applicable: never a division by zero.
DELETE FROM monitor.indicator_value WHERE indicator = %(indicator)s;
INSERT INTO monitor.indicator_value (area_code, indicator, year, value, dataset_version_id, note)
SELECT a.code, %(indicator)s, y.year, CASE WHEN pop.n > 0 THEN m2.m2 / pop.n END, %(version)s,
       CASE WHEN pop.n = 0 THEN 'not_applicable' END
FROM monitor.area a
CROSS JOIN (SELECT DISTINCT year FROM ({polygons}) s WHERE year IS NOT NULL
            INTERSECT SELECT DISTINCT year FROM ({population}) s) y
CROSS JOIN LATERAL (
    SELECT coalesce(ST_Area(ST_Union(ST_CollectionExtract(ST_Intersection(p.geom, a.geom), 3))),
                    0) AS m2
    FROM ({polygons}) p WHERE p.year = y.year AND ST_Intersects(a.geom, p.geom)
) m2
CROSS JOIN LATERAL (
    SELECT sum(q.value) AS n
    FROM ({population}) q WHERE q.year = y.year AND ST_Intersects(a.geom, q.geom)
) pop
WHERE pop.n IS NOT NULL;
