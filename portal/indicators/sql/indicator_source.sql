-- Which dataset version fed each indicator in each year (the location check reads the grid
-- cell of exactly that dataset; the legend names it).
DELETE FROM monitor.indicator_source;
INSERT INTO monitor.indicator_source (indicator, year, dataset, dataset_version_id)
SELECT DISTINCT ON (v.indicator, v.year) v.indicator, v.year, dv.dataset, v.dataset_version_id
FROM monitor.indicator_value v
JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id
ORDER BY v.indicator, v.year, v.dataset_version_id;
