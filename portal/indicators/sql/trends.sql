-- Trend per area and indicator: Theil–Sen over the years > (last year with data - %(last_years)s),
-- on the area's real (measured or modelled) values when it has any, else on its demo values.
--   slope     = median of the slopes (v_j - v_i) / (y_j - y_i) over all pairs of years i < j
--   intercept = median of v_i - slope × y_i
--   direction = insufficient_data with fewer than %(min_points)s years; stable when |slope| is at
--               most %(stable_fraction)s × |mean of the window| per year; otherwise improving when
--               the slope points the better way (indicator_method.better), else worsening.
DELETE FROM monitor.indicator_trend WHERE monitor.in_scope(indicator, %(scope)s);
INSERT INTO monitor.indicator_trend (area_code, indicator, first_year, last_year, n_years,
                                     last_value, slope, intercept, direction)
WITH vals AS (  -- an area's real values only, when it has any: a trend never mixes in demo
    SELECT v.area_code, v.indicator, v.year, v.value, coalesce(dv.demo, false) AS demo,
           bool_and(coalesce(dv.demo, false)) OVER (PARTITION BY v.area_code, v.indicator)
               AS all_demo
    FROM monitor.indicator_value v
    LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id
    WHERE v.value IS NOT NULL AND monitor.in_scope(v.indicator, %(scope)s)
), usable AS (
    SELECT area_code, indicator, year, value, max(year) OVER (PARTITION BY area_code, indicator)
               AS last
    FROM vals WHERE NOT demo OR all_demo
), win AS (
    SELECT area_code, indicator, year, value FROM usable WHERE year > last - %(last_years)s
), sen AS (
    SELECT a.area_code, a.indicator,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY (b.value - a.value) / (b.year - a.year))
               AS slope
    FROM win a JOIN win b USING (area_code, indicator)
    WHERE a.year < b.year
    GROUP BY a.area_code, a.indicator
), stats AS (
    SELECT w.area_code, w.indicator, min(w.year) AS first_year, max(w.year) AS last_year,
           count(*) AS n, avg(w.value) AS mean,
           (array_agg(w.value ORDER BY w.year DESC))[1] AS last_value,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY w.value - s.slope * w.year) AS intercept,
           s.slope
    FROM win w LEFT JOIN sen s USING (area_code, indicator)
    GROUP BY w.area_code, w.indicator, s.slope
)
SELECT st.area_code, st.indicator, st.first_year, st.last_year, st.n, st.last_value,
       st.slope, st.intercept,
       CASE WHEN st.n < %(min_points)s OR st.slope IS NULL THEN 'insufficient_data'
            WHEN abs(st.slope) <= %(stable_fraction)s * abs(st.mean) THEN 'stable'
            WHEN (st.slope < 0) = (coalesce(m.better, 'lower') = 'lower') THEN 'improving'
            ELSE 'worsening' END
FROM stats st
LEFT JOIN monitor.indicator_method m ON m.indicator = st.indicator;
