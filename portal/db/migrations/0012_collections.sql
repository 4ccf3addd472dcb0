-- Every public dataset a collection: hourly measurements get a row id, so that their OGC API
-- collection pages by an indexed key (keyset paging) like every other collection.
ALTER TABLE monitor.measurement ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX measurement_id ON monitor.measurement (id);
