-- Fetched sources (portal fetch): where a dataset version's files came from — URL,
-- retrieval time, HTTP validators and checksum per file (portal/fetch/store.py's record).
ALTER TABLE monitor.dataset_version ADD COLUMN IF NOT EXISTS provenance jsonb;
