-- Point kinds (point_density, point_mean): the points of one dataset inside each area, per
-- year of the points; an area without points gets 0 per ha (density) or no value (mean).
DELETE FROM monitor.indicator_value WHERE indicator = %(indicator)s;
INSERT INTO monitor.indicator_value (area_code, indicator, year, value, dataset_version_id)
SELECT a.code, %(indicator)s, y.year, {agg}, %(version)s
FROM monitor.area a
CROSS JOIN (SELECT DISTINCT year FROM ({points}) s WHERE year IS NOT NULL) y
LEFT JOIN ({points}) p ON p.year = y.year AND ST_Intersects(a.geom, p.geom)
GROUP BY a.code, a.geom, y.year
HAVING {having};
