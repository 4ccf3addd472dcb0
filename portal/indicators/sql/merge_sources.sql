-- An indicator fed by several datasets (config/indicators.yml `datasets`), each computed under
-- its own code (indicator@dataset): every year comes from the first dataset that has values
-- in that year — for all areas, so one year never mixes sources.
DELETE FROM monitor.indicator_value WHERE indicator = %(indicator)s;
INSERT INTO monitor.indicator_value (area_code, indicator, year, value, dataset_version_id, note)
WITH best AS (
    SELECT year, min(array_position(%(staged)s::text[], indicator)) AS rank
    FROM monitor.indicator_value
    WHERE indicator = ANY(%(staged)s::text[])
    GROUP BY year
)
SELECT v.area_code, %(indicator)s, v.year, v.value, v.dataset_version_id, v.note
FROM monitor.indicator_value v
JOIN best b ON b.year = v.year AND array_position(%(staged)s::text[], v.indicator) = b.rank
WHERE v.indicator = ANY(%(staged)s::text[]);
DELETE FROM monitor.indicator_value WHERE indicator = ANY(%(staged)s::text[]);
