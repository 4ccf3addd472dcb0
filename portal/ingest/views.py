"""The view each dataset is published from (schema `data`), for the targets that are not a
table of their own: hourly measurements (with the station's point and name) and figures per
area (with the area's outline). A view selects the dataset's current version, so it is made
once and stays right after every new load. Features datasets have their view already
(portal/ingest/load.py); grids are coverages, not features."""

from __future__ import annotations

from psycopg import sql

from portal.ingest.manifest import Manifest, table_name

VIEWS = {
    "measurement": """
        SELECT m.id, m.station_id, s.name AS station_name, m.component, m.begin_at, m.value,
               dv.version AS dataset_version, s.geom
        FROM monitor.measurement m
        JOIN monitor.dataset_version dv
          ON dv.id = m.dataset_version_id AND dv.is_current AND dv.dataset = {dataset}
        LEFT JOIN monitor.station s ON s.id = m.station_id""",
    "area_figure": """
        SELECT f.area_code || ':' || f.year || ':' || f.figure AS id, f.area_code,
               a.name AS area_name, f.year, f.figure, f.value, dv.version AS dataset_version,
               a.geom
        FROM monitor.area_figure f
        JOIN monitor.dataset_version dv
          ON dv.id = f.dataset_version_id AND dv.is_current AND dv.dataset = {dataset}
        JOIN monitor.area a ON a.code = f.area_code""",
}


def publish_views(conn, manifests: list[Manifest]) -> None:
    """Create (or replace) the views of measurement and area-figure datasets."""
    for m in manifests:
        if m.target in VIEWS:
            conn.execute(sql.SQL("CREATE OR REPLACE VIEW {} AS {}").format(
                sql.Identifier("data", table_name(m.id)),
                sql.SQL(VIEWS[m.target]).format(dataset=sql.Literal(m.id))))
