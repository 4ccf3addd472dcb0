-- Generic datasets (load.into: features) get a table per version in schema `data`,
-- served through a view data.<name> that a load swaps atomically.
CREATE SCHEMA IF NOT EXISTS data;
