-- The city as an area of level 'gemeente': the union of its wijken (or, without wijken, of
-- its buurten), coded GM + the municipality number in the CBS codes (WK0518xx -> GM0518).
-- It belongs to the dataset version of the wijken it was built from, so reloading them
-- removes it and the next compute builds it again.
DELETE FROM monitor.area c
WHERE c.level = 'gemeente'
  AND c.dataset_version_id IN (SELECT dataset_version_id FROM monitor.area
                               WHERE level IN ('wijk', 'buurt'));
INSERT INTO monitor.area (code, level, name, dataset_version_id, geom)
SELECT 'GM' || substr(a.code, 3, 4), 'gemeente', %(city_name)s, min(a.dataset_version_id),
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(a.geom)), 3))
FROM monitor.area a
WHERE a.level = (SELECT CASE WHEN bool_or(level = 'wijk') THEN 'wijk' ELSE 'buurt' END
                 FROM monitor.area WHERE level IN ('wijk', 'buurt'))
  AND NOT EXISTS (SELECT 1 FROM monitor.area g WHERE g.level = 'gemeente'
                  AND g.code = 'GM' || substr(a.code, 3, 4))
GROUP BY substr(a.code, 3, 4);
