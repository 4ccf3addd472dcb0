-- What a compute changed of the results, for the SPARQL store: a compute with a scope (a new
-- year of one grid) changed the observations of those indicators only (and goal progress,
-- which is always redone), so the store of its version starts from the store of
-- `results_base` and replaces just those (portal/vocabulary/triplestore.py). NULL scope:
-- everything changed, the store is built anew.
ALTER TABLE monitor.data_state ADD COLUMN results_base bigint, ADD COLUMN results_scope text[];
