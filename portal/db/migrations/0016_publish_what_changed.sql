-- The read model is written where it changed (sql/publish.sql); when the areas changed
-- (their codes, levels or versions: new geometries) it is written whole. This is the area
-- signature it was last written for.
ALTER TABLE monitor.data_state ADD COLUMN published_areas text;
