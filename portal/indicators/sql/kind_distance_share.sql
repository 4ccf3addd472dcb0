-- distance_share: % of each area within %(distance)s m (straight line) of a feature of one
-- dataset in a year: the features' buffers are dissolved, then cut by the area.
DELETE FROM monitor.indicator_value WHERE indicator = %(indicator)s;
INSERT INTO monitor.indicator_value (area_code, indicator, year, value, dataset_version_id)
SELECT a.code, %(indicator)s, y.year,
       100.0 * coalesce(ST_Area(ST_Intersection(
           ST_Union(ST_Buffer(p.geom, %(distance)s, 16)), a.geom)), 0) / ST_Area(a.geom),
       %(version)s
FROM monitor.area a
CROSS JOIN (SELECT DISTINCT year FROM ({features}) s WHERE year IS NOT NULL) y
LEFT JOIN ({features}) p ON p.year = y.year AND ST_DWithin(a.geom, p.geom, %(distance)s)
GROUP BY a.code, a.geom, y.year;
