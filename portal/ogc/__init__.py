"""OGC API Features on PostGIS: SQL that builds GeoJSON, a pygeoapi provider, a fast JSON path."""
