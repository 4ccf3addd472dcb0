-- Assess every area value against every norm valid in its year, then derive the status with
-- the rules of migration 0009 (monitor.norm_margin / norm_complies / norm_near / norm_rank):
--   exceeds   a binding norm is not met;
--   attention only a non-binding norm is not met, or the value is within
--             %(attention)s × threshold of a binding norm;
--   good      otherwise;  no_norm  no norm applies that year.
-- The governing norm is the one that decides the status (else the tightest binding norm).
-- A location-bound norm (zones) counts for an area only where one of its zones valid that
-- year covers part of the area; zone_share says how much (%).
DELETE FROM monitor.norm_assessment;
INSERT INTO monitor.norm_assessment (area_code, indicator, year, norm_iri, threshold, margin, complies, near,
                                     zone_share)
SELECT v.area_code, v.indicator, v.year, n.iri, n.threshold,
       monitor.norm_margin(v.value, n.threshold, n.comparator),
       monitor.norm_complies(v.value, n.threshold, n.comparator),
       monitor.norm_near(n.binding, v.value, n.threshold, n.comparator, %(attention)s), z.share
FROM monitor.indicator_value v
JOIN monitor.norm n
  ON n.indicator = v.indicator AND n.threshold IS NOT NULL
 AND monitor.in_force_in_year(n.valid_from, n.valid_through, v.year)
CROSS JOIN LATERAL (
    SELECT CASE WHEN n.zones IS NOT NULL THEN monitor.zone_share(v.area_code, n.zones, v.year)
           END AS share
) z
WHERE v.value IS NOT NULL AND (n.zones IS NULL OR z.share > 0);

UPDATE monitor.indicator_value v
SET status = 'no_norm', status_norm = NULL, status_margin = NULL;

UPDATE monitor.indicator_value v
SET status = s.status, status_norm = s.norm_iri, status_margin = s.margin
FROM (
    SELECT DISTINCT ON (a.area_code, a.indicator, a.year)
           a.area_code, a.indicator, a.year, a.norm_iri, a.margin,
           monitor.norm_status(n.binding, iv.value, n.threshold, n.comparator, %(attention)s)
               AS status
    FROM monitor.norm_assessment a
    JOIN monitor.norm n ON n.iri = a.norm_iri
    JOIN monitor.indicator_value iv
      ON iv.area_code = a.area_code AND iv.indicator = a.indicator AND iv.year = a.year
    ORDER BY a.area_code, a.indicator, a.year, monitor.norm_rank(n.binding, a.complies, a.near),
             a.margin
) s
WHERE v.area_code = s.area_code AND v.indicator = s.indicator AND v.year = s.year;
