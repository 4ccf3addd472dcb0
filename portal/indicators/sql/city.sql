-- The city as an area of level 'gemeente' (config/portal.yml `city`): the union of its
-- wijken (or, without wijken, of its buurten) — the areas whose CBS code carries the city's
-- number (WK0518xx, BU0518xxxx for GM0518).
-- It belongs to the dataset version of the wijken it was built from, so reloading them
-- removes it and the next compute builds it again.
-- Gemeenten loaded as a dataset of their own (the national set) are not the city row: they
-- stay, and a loaded row with the city's code makes building one unnecessary.
DELETE FROM monitor.area c
WHERE c.level = 'gemeente'
  AND c.dataset_version_id IN (SELECT dataset_version_id FROM monitor.area
                               WHERE level IN ('wijk', 'buurt'));
INSERT INTO monitor.area (code, level, name, dataset_version_id, geom)
SELECT %(city_code)s, 'gemeente', %(city_name)s, min(a.dataset_version_id),
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(a.geom)), 3))
FROM monitor.area a
WHERE monitor.in_city(a.code, %(city_code)s)
  AND a.level = (SELECT CASE WHEN bool_or(level = 'wijk') THEN 'wijk' ELSE 'buurt' END
                 FROM monitor.area WHERE level IN ('wijk', 'buurt'))
  AND NOT EXISTS (SELECT 1 FROM monitor.area g WHERE g.code = %(city_code)s)
HAVING count(*) > 0;
