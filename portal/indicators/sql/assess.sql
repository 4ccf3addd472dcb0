-- Assess every area value against every norm valid in its year, then derive the status:
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
SELECT v.area_code, v.indicator, v.year, n.iri, n.threshold, m.margin, c.complies,
       n.binding AND c.complies AND m.margin <= %(attention)s * abs(n.threshold), z.share
FROM monitor.indicator_value v
JOIN monitor.norm n
  ON n.indicator = v.indicator AND n.threshold IS NOT NULL
 AND (n.valid_from IS NULL OR n.valid_from <= make_date(v.year, 12, 31))
 AND (n.valid_through IS NULL OR n.valid_through >= make_date(v.year, 1, 1))
CROSS JOIN LATERAL (
    SELECT CASE WHEN n.zones IS NOT NULL THEN monitor.zone_share(v.area_code, n.zones, v.year)
           END AS share
) z
CROSS JOIN LATERAL (
    SELECT CASE WHEN n.comparator IN ('le', 'lt') THEN n.threshold - v.value
                ELSE v.value - n.threshold END AS margin
) m
CROSS JOIN LATERAL (
    SELECT CASE WHEN n.comparator IN ('le', 'ge') THEN m.margin >= 0 ELSE m.margin > 0 END AS complies
) c
WHERE v.value IS NOT NULL AND (n.zones IS NULL OR z.share > 0);

UPDATE monitor.indicator_value v
SET status = 'no_norm', status_norm = NULL, status_margin = NULL;

UPDATE monitor.indicator_value v
SET status = s.status, status_norm = s.norm_iri, status_margin = s.margin
FROM (
    SELECT DISTINCT ON (a.area_code, a.indicator, a.year)
           a.area_code, a.indicator, a.year, a.norm_iri, a.margin,
           CASE WHEN n.binding AND NOT a.complies THEN 'exceeds'
                WHEN NOT a.complies OR a.near THEN 'attention'
                ELSE 'good' END AS status
    FROM monitor.norm_assessment a
    JOIN monitor.norm n ON n.iri = a.norm_iri
    ORDER BY a.area_code, a.indicator, a.year,
             CASE WHEN n.binding AND NOT a.complies THEN 0
                  WHEN NOT a.complies THEN 1
                  WHEN a.near THEN 2
                  WHEN n.binding THEN 3
                  ELSE 4 END,
             a.margin
) s
WHERE v.area_code = s.area_code AND v.indicator = s.indicator AND v.year = s.year;
