-- coverage_share: % of each area covered by the polygons of one dataset in a year; the
-- pieces inside the area are dissolved first, so overlapping polygons count once.
DELETE FROM monitor.indicator_value WHERE indicator = %(indicator)s;
INSERT INTO monitor.indicator_value (area_code, indicator, year, value, dataset_version_id)
SELECT a.code, %(indicator)s, y.year,
       100.0 * coalesce(ST_Area(ST_Union(CASE WHEN ST_CoveredBy(p.geom, a.geom) THEN p.geom
                                              ELSE ST_CollectionExtract(
                                                       ST_Intersection(p.geom, a.geom), 3)
                                         END)), 0) / ST_Area(a.geom),
       %(version)s
FROM monitor.area a
CROSS JOIN (SELECT DISTINCT year FROM ({polygons}) s WHERE year IS NOT NULL) y
LEFT JOIN ({polygons}) p ON p.year = y.year AND ST_Intersects(a.geom, p.geom)
GROUP BY a.code, a.geom, y.year;
