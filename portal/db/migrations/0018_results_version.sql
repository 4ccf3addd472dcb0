-- The data version at which compute last changed its results (area status, trends, goal
-- progress). The SPARQL store of a later version that only loaded datasets keeps the results
-- graph of the store before it (portal/vocabulary/triplestore.py): at national size that
-- graph is 23 million triples, three minutes to load.
ALTER TABLE monitor.data_state ADD COLUMN results_version bigint;
