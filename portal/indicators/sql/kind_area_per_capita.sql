-- area_per_capita: m² of the (dissolved) polygons inside each area per inhabitant, for every
-- year in which both the polygons and the population points have data.
DELETE FROM monitor.indicator_value WHERE indicator = %(indicator)s;
INSERT INTO monitor.indicator_value (area_code, indicator, year, value, dataset_version_id)
SELECT a.code, %(indicator)s, y.year, m2.m2 / pop.n, %(version)s
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
WHERE pop.n > 0;
