"""Database layer: the private cluster, connections and versioned migrations."""
