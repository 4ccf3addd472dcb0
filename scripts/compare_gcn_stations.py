"""Why the map and the station differ: the RIVM GCN cell at each station against the annual
mean the monitor computed from the station's hourly values, per year (README "Real and demo
data").

    .venv/bin/python scripts/compare_gcn_stations.py

GCN is a modelled background concentration on 1 × 1 km cells; a traffic station measures at
street level, where local traffic adds to that background. Reads the loaded database.
"""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal.db.connect import database_url
from portal.settings import get_settings

SQL = """
SELECT s.station_id, s.station_name, s.classification, s.year, s.value AS measured,
       s.capture, s.status,
       round((b.vals[(rc.row * g.ncols + rc.col) % 256 + 1])::numeric, 2)::float AS gcn
FROM monitor.station_status s
JOIN monitor.indicator_source src ON src.indicator = s.indicator AND src.year = s.year
JOIN monitor.grid g ON g.dataset_version_id = src.dataset_version_id AND g.indicator = s.indicator
CROSS JOIN LATERAL (SELECT floor((ST_X(s.geom) - g.x_min) / g.cell_size)::int AS col,
                           floor((g.y_max - ST_Y(s.geom)) / g.cell_size)::int AS row) rc
JOIN monitor.grid_chunk b ON b.grid_id = g.id AND b.year = s.year
 AND b.chunk = (rc.row * g.ncols + rc.col) / 256
WHERE s.indicator = 'no2_annual_mean' AND src.dataset = 'rivm-gcn-no2'
ORDER BY s.station_id, s.year
"""


def main() -> None:
    with psycopg.connect(database_url(get_settings())) as conn:
        rows = conn.execute(SQL).fetchall()
    if not rows:
        sys.exit("no station-year with a GCN map of the same year: run `portal up` first")
    print("NO2 annual mean (µg/m³): RIVM GCN 1 × 1 km cell at the station vs the station's "
          "measured mean (computed by the monitor)")
    print(f"{'station':34} {'type':16} {'year':>4} {'GCN cell':>8} {'measured':>9} "
          f"{'capture %':>9} {'diff':>6}")
    for sid, name, kind, year, measured, capture, status, gcn in rows:
        m = "insuff." if measured is None else f"{measured:.2f}"
        d = "" if measured is None or gcn is None else f"{measured - gcn:+.2f}"
        print(f"{sid + ' ' + name:34} {kind or '':16} {year:4d} {gcn or float('nan'):8.2f} "
              f"{m:>9} {capture:9.1f} {d:>6}")


if __name__ == "__main__":
    main()
