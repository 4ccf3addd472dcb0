"""Compute at national scale, one run (issue: national scale): full compute, one new year,
and our zonal statistics against exactextract on the same grid and areas.

    .venv/bin/portal demo --scale nl
    export OM_CONFIG_DIR=$PWD/var/scale-nl/config OM_DATASETS_DIR=$PWD/var/scale-nl/datasets \\
           OM_DATABASE_NAME=omgevingsmonitor_nl
    .venv/bin/portal db && .venv/bin/portal ingest
    .venv/bin/python scripts/bench_national.py [--dataset demo-no2-grid]

1. Full compute (`compute(full=True)`: cell weights for every level, the three grids × 15
   years × every area, status, trends, goals, read model): wall time per step, and the peak
   resident memory of this process and of the PostgreSQL backend that served it. Then the
   SPARQL store of that version (what `portal compute` builds after it), timed apart.
2. One new year: a 2026 band for the NO2 grid (the 2025 file × 0.98) is ingested (timed on
   its own; its store keeps the results graph of the one before) and `compute()`
   (incremental) is timed: only that band is summed, the other years are kept, and status,
   trends and read model are redone for that grid's indicators only. Then its SPARQL store.
   Then the file is removed and the set ingested back as it was.
3. Zonal statistics of the NO2 grid (mean and max, every gemeente, wijk and buurt, 15
   years): ours from scratch (cell weights + band pass, rolled back) against `exactextract`
   on the same GeoTIFFs and polygons (scripts/bench_indicators.py): both times, the ratio
   (goal ≤ 1.5) and the largest relative difference of the values (goal ≤ 0.1 %).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_indicators import grid_setup, ours, theirs

from portal.db.connect import connect
from portal.indicators.compute import compute
from portal.ingest.gridfiles import ensure_grid_files
from portal.ingest.load import load
from portal.ingest.manifest import all_manifests
from portal.vocabulary.triplestore import ensure_store


def backend_peak_kb(conn) -> int:
    """VmHWM of the PostgreSQL process serving `conn` (the private cluster is local)."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def steps(report) -> str:
    grid = sum(v for k, v in report.timings.items() if k.startswith("grid:"))
    other = {k: v for k, v in report.timings.items() if ":" not in k}
    return ", ".join(f"{k} {v:.1f} s" for k, v in other.items()) + f", grid passes {grid:.1f} s"


def store(url: str) -> float:
    t = time.perf_counter()
    ensure_store(url)
    return time.perf_counter() - t


def ingest(conn, dataset: str) -> float:
    manifest = next(m for m in all_manifests() if m.id == dataset)
    t = time.perf_counter()
    load(conn, manifest)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="demo-no2-grid")
    args = ap.parse_args()
    settings, url, files = grid_setup(args.dataset)
    with connect(url, autocommit=True) as conn:
        n = dict(conn.execute("SELECT level, count(*) FROM monitor.area GROUP BY level"))
        if n.get("buurt", 0) < 10_000:
            sys.exit("not the national set: see the docstring (portal demo --scale nl, …)")
        cells = conn.execute("SELECT ncols::bigint * nrows FROM monitor.grid LIMIT 1").fetchone()[0]
        print(f"national set: {n.get('gemeente', 0):,} gemeenten, {n.get('wijk', 0):,} wijken, "
              f"{n.get('buurt', 0):,} buurten; grids of {cells:,} cells × {len(files)} years")

        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        report = compute(conn, settings.attention_margin_fraction, full=True)
        full = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        values = conn.execute("SELECT count(*) FROM monitor.indicator_value").fetchone()[0]
        print(f"1. full compute: {full:.1f} s for {values:,} values ({steps(report)})")
        print(f"   peak RSS: this process {rss / 1024:.0f} MB (before compute {rss0 / 1024:.0f} MB),"
              f" its PostgreSQL backend {backend_peak_kb(conn) / 1024:.0f} MB")
        triples = conn.execute("SELECT count(*) FROM monitor.area_status").fetchone()[0]
        print(f"   then its SPARQL store ({triples:,} observations): {store(url):.1f} s")

        new = files[-1].with_name(files[-1].name.replace(str(max(_year(f) for f in files)),
                                                         "2026"))
        with rasterio.open(files[-1]) as src:
            profile, band = src.profile, src.read(1)
        with rasterio.open(new, "w", **profile) as dst:
            dst.write(np.where(band == profile.get("nodata"), band, band * 0.98), 1)
        try:
            t_ingest = ingest(conn, args.dataset)
            t_ingest_store = store(url)
            t = time.perf_counter()
            report = compute(conn, settings.attention_margin_fraction)
            incremental = time.perf_counter() - t
            kept = report.bands.get(args.dataset, (0, 0))
            print(f"2. one new year (2026 of {args.dataset}): ingest {t_ingest:.1f} s (its SPARQL"
                  f" store {t_ingest_store:.1f} s), compute {incremental:.1f} s — bands summed "
                  f"{kept[0]}, kept {kept[1]}; status and read model redone for "
                  f"{', '.join(report.scope or ['every indicator'])} ({steps(report)}); "
                  f"{incremental / full:.2f} of the full compute")
            print(f"   then its SPARQL store: {store(url):.1f} s")
        finally:
            new.unlink(missing_ok=True)
            ingest(conn, args.dataset)
            compute(conn, settings.attention_margin_fraction)
            store(url)  # so that an app started next serves at once (not timed) …
            ensure_grid_files(url, all_manifests())  # … with its coverage files written

        s, agg, ours_values = ours(conn, args.dataset)
        s_theirs, their_values = theirs(conn, files)
    joined = pd.concat({"ours": ours_values, "exactextract": their_values}, axis=1).dropna()
    rel = (joined["ours"] - joined["exactextract"]).abs() / joined["exactextract"].abs()
    print(f"3. zonal statistics of {args.dataset} (mean + max, {sum(n.values()):,} areas × "
          f"{len(files)} years):")
    print(f"   ours, cell weights from scratch + band pass: {s:.1f} s (band pass alone {agg:.1f} s)")
    print(f"   exactextract on the same GeoTIFFs:           {s_theirs:.1f} s")
    print(f"   ratio ours / exactextract: {s / s_theirs:.2f} (goal ≤ 1.5); band pass alone "
          f"{agg / s_theirs:.2f}")
    print(f"   values compared: {len(joined):,}; max relative difference {rel.max() * 100:.5f} %"
          f" (goal ≤ 0.1 %); missing on one side: "
          f"{len(ours_values) + len(their_values) - 2 * len(joined)}")


def _year(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])


if __name__ == "__main__":
    main()
