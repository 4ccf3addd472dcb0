-- Assess every area value against every norm valid in its year, then derive the status with
-- the rules of migration 0009 (monitor.norm_margin / norm_complies / norm_near / norm_rank):
--   exceeds   a binding norm is not met;
--   attention only a non-binding norm is not met, or the value is within
--             %(attention)s × threshold of a binding norm;
--   good      otherwise;  no_norm  no norm applies that year.
-- The governing norm is the one that decides the status (else the tightest binding norm).
-- A location-bound norm (zones) counts for an area only where one of its zones valid that
-- year covers part of the area; zone_share says how much (%).
-- Only the indicators in this compute's scope (monitor.in_scope; NULL: all) are redone, and
-- only assessments that changed are written (a new year of a grid: that year's).
CREATE TEMP TABLE assessed AS
SELECT v.area_code, v.indicator, v.year, n.iri AS norm_iri, n.threshold,
       monitor.norm_margin(v.value, n.threshold, n.comparator) AS margin,
       monitor.norm_complies(v.value, n.threshold, n.comparator) AS complies,
       monitor.norm_near(n.binding, v.value, n.threshold, n.comparator, %(attention)s) AS near,
       z.share AS zone_share
FROM monitor.indicator_value v
JOIN monitor.norm n
  ON n.indicator = v.indicator AND n.threshold IS NOT NULL
 AND monitor.in_force_in_year(n.valid_from, n.valid_through, v.year)
CROSS JOIN LATERAL (
    SELECT CASE WHEN n.zones IS NOT NULL THEN monitor.zone_share(v.area_code, n.zones, v.year)
           END AS share
) z
WHERE v.value IS NOT NULL AND (n.zones IS NULL OR z.share > 0)
  AND monitor.in_scope(v.indicator, %(scope)s);

DELETE FROM monitor.norm_assessment a
WHERE monitor.in_scope(a.indicator, %(scope)s) AND NOT EXISTS (
    SELECT 1 FROM assessed n
    WHERE (n.area_code, n.indicator, n.year, n.norm_iri) = (a.area_code, a.indicator, a.year,
                                                            a.norm_iri)
      AND (n.threshold, n.margin, n.complies, n.near, n.zone_share)
          IS NOT DISTINCT FROM (a.threshold, a.margin, a.complies, a.near, a.zone_share));

INSERT INTO monitor.norm_assessment (area_code, indicator, year, norm_iri, threshold, margin,
                                     complies, near, zone_share)
SELECT n.area_code, n.indicator, n.year, n.norm_iri, n.threshold, n.margin, n.complies,
       n.near, n.zone_share
FROM assessed n
WHERE NOT EXISTS (SELECT 1 FROM monitor.norm_assessment a
                  WHERE (a.area_code, a.indicator, a.year, a.norm_iri)
                        = (n.area_code, n.indicator, n.year, n.norm_iri));
DROP TABLE assessed;

-- Every value gets its status, no_norm where no norm was assessed; only rows whose status
-- changed are written (two updates of every row took 37 s at national size).
UPDATE monitor.indicator_value v
SET status = g.status, status_norm = g.norm_iri, status_margin = g.margin
FROM (
    SELECT DISTINCT ON (a.area_code, a.indicator, a.year)
           a.area_code, a.indicator, a.year, a.norm_iri, a.margin,
           monitor.norm_status(n.binding, iv.value, n.threshold, n.comparator, %(attention)s)
               AS status
    FROM monitor.norm_assessment a
    JOIN monitor.norm n ON n.iri = a.norm_iri
    JOIN monitor.indicator_value iv
      ON iv.area_code = a.area_code AND iv.indicator = a.indicator AND iv.year = a.year
    WHERE monitor.in_scope(a.indicator, %(scope)s)
    ORDER BY a.area_code, a.indicator, a.year, monitor.norm_rank(n.binding, a.complies, a.near),
             a.margin
) g
WHERE v.area_code = g.area_code AND v.indicator = g.indicator AND v.year = g.year
  AND (v.status, v.status_norm, v.status_margin)
      IS DISTINCT FROM (g.status, g.norm_iri, g.margin);

UPDATE monitor.indicator_value v
SET status = 'no_norm', status_norm = NULL, status_margin = NULL
WHERE (v.status, v.status_norm, v.status_margin) IS DISTINCT FROM ('no_norm', NULL, NULL)
  AND monitor.in_scope(v.indicator, %(scope)s)
  AND NOT EXISTS (SELECT 1 FROM monitor.norm_assessment a
                  WHERE a.area_code = v.area_code AND a.indicator = v.indicator
                    AND a.year = v.year);
