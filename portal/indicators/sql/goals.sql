-- Progress per area towards every policy goal with a target value: the Theil–Sen line of the
-- area's series (trends.sql) projected to the target year, judged with the same comparator
-- rule as the norms (monitor.norm_complies, migration 0009).
--   reached     the last value already meets the target;
--   on_course   the projection meets it in the target year (and that year is still ahead);
--   off_course  otherwise;  insufficient_data  too few years for a trend.
DELETE FROM monitor.goal_progress;
INSERT INTO monitor.goal_progress (area_code, goal_iri, indicator, last_year, last_value,
                                   projected_value, status)
SELECT t.area_code, g.iri, g.indicator, t.last_year, t.last_value, p.projected,
       CASE WHEN monitor.norm_complies(t.last_value, g.target_value, g.comparator)
                THEN 'reached'
            WHEN t.direction = 'insufficient_data' THEN 'insufficient_data'
            WHEN t.last_year < g.target_year
             AND coalesce(monitor.norm_complies(p.projected, g.target_value, g.comparator), false)
                THEN 'on_course'
            ELSE 'off_course' END
FROM monitor.goal g
JOIN monitor.indicator_trend t ON t.indicator = g.indicator
CROSS JOIN LATERAL (SELECT t.intercept + t.slope * g.target_year AS projected) p;
