-- A new year of one grid changes the figures of its own indicators only: assessment, trends,
-- goal progress and the read model are then redone for those indicators (their scope), the
-- others kept. The scope is everything when anything else they rest on changed (norms,
-- indicators, goals, zones, the rules' SQL, settings): `published_inputs` is the signature
-- of those inputs the read model was last written for (portal/indicators/compute.py).
ALTER TABLE monitor.data_state ADD COLUMN published_inputs text;

-- One rule for "this indicator is redone in this compute" (NULL scope: every indicator).
CREATE FUNCTION monitor.in_scope(indicator text, scope text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN scope IS NULL OR indicator = ANY(scope);
