"""Remote sources: `portal fetch` and `portal update` (connectors in connectors/)."""
