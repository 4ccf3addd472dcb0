"""Compute area indicator values, their status, trends and goal progress, set-based in PostGIS.

The vocabulary is mirrored into monitor.indicator / monitor.norm / monitor.goal first, so the
SQL that assesses values never contains a norm value of its own. How each indicator is
aggregated per area is configuration (config/indicators.yml, portal/indicators/methods.py);
each aggregation kind is one SQL file, run for all areas and years at once.

Recompute is incremental: an indicator is recomputed only when its signature changed — its
configuration, the current versions of its datasets, the areas, or the SQL of its kind.
Assessment, trends and the read model are then redone for the recomputed indicators only,
unless something else they rest on changed (norms, goals, zones, rules, settings: see
`read_inputs`); then for every indicator. At national size a new year of one grid is
redone in seconds where a full pass over 1.6 million values takes minutes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from portal.errors import UserError
from portal.indicators.gridpass import CODE_HASH, Stat, run_grid
from portal.indicators.methods import (
    Method,
    load_methods,
    population_datasets,
    station_settings,
)
from portal.indicators.sqlfiles import run_sql, sql_hash
from portal.indicators.weights import ensure_weights
from portal.ingest.manifest import Manifest, all_manifests, table_name
from portal.ingest.views import publish_views
from portal.settings import City, get_settings
from portal.vocabulary.graph import VOCAB_DIR, indicators, load_vocabulary, norms, validate
from portal.vocabulary.zones import zone_bound, zone_tables, zones_sql

log = logging.getLogger("portal.compute")
GRID_AGG = ("grid_mean", "grid_max", "grid_share_above")  # gridpass.py
POINT_AGG = {  # (aggregate, HAVING)
    "point_density": ("count(p.geom) / (ST_Area(a.geom) / 10000.0)", "true"),
    "point_mean": ("avg(p.value)", "count(p.value) > 0"),
}


@dataclass
class ComputeReport:
    timings: dict[str, float] = field(default_factory=dict)
    computed: list[str] = field(default_factory=list)  # indicators recomputed
    skipped: list[str] = field(default_factory=list)  # unchanged inputs: kept as they were
    bands: dict[str, tuple[int, int]] = field(default_factory=dict)  # grid: (summed, kept)
    # indicators whose status, trends and read-model rows were redone (None: all of them)
    scope: list[str] | None = None


# --- vocabulary -----------------------------------------------------------------------------

_GOALS_QUERY = """
SELECT ?goal ?code ?labelNl ?labelEn ?value ?year ?comparator ?source
WHERE {
    ?goal a om:PolicyGoal ;
        om:steers/om:code ?code ;
        om:targetValue/qudt:numericValue ?value ;
        om:targetYear ?year ;
        om:comparator/skos:notation ?comparator ;
        dct:source ?source .
    OPTIONAL { ?goal skos:prefLabel ?labelNl FILTER (langMatches(lang(?labelNl), "nl")) }
    OPTIONAL { ?goal skos:prefLabel ?labelEn FILTER (langMatches(lang(?labelEn), "en")) }
}
"""


def _goals(graph) -> list[tuple]:
    from portal.vocabulary.graph import _PREFIXES

    rows = {}
    for r in graph.query(_GOALS_QUERY, initNs=_PREFIXES):
        rows.setdefault(str(r.goal), (
            str(r.goal), str(r.code), str(r.labelNl or ""), str(r.labelEn or ""),
            float(r.value.toPython()), int(re.match(r"-?\d+", str(r.year)).group()),
            str(r.comparator), str(r.source)))
    return sorted(rows.values())


def sync_vocabulary(conn: psycopg.Connection, graph=None) -> tuple[int, int]:
    """Mirror indicators, norms and goals of the (validated) vocabulary into the database."""
    graph = graph if graph is not None else load_vocabulary()
    problems = validate(graph)
    if problems:
        raise UserError("the vocabulary is invalid: " + "; ".join(problems[:5]))
    # Location-bound norms (om:appliesIn) carry their zones' ids: they apply to an area only
    # where a zone valid that year covers part of it (assess.sql, monitor.zone_share).
    bound = {iri: sorted({i for z in zs for i in z.zone_ids}) for iri, zs in zone_bound(graph).items()}
    inds, nrms = indicators(graph), norms(graph)
    conn.execute("DELETE FROM monitor.norm")
    conn.execute("DELETE FROM monitor.goal")
    conn.execute("DELETE FROM monitor.indicator WHERE code <> ALL(%s)", ([i.code for i in inds],))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO monitor.indicator (code, iri, label_nl, label_en, unit_symbol, theme_iri,"
            " theme_label_nl, theme_label_en, unit_iri) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (code) DO UPDATE SET iri = EXCLUDED.iri, label_nl = EXCLUDED.label_nl,"
            " label_en = EXCLUDED.label_en, unit_symbol = EXCLUDED.unit_symbol,"
            " theme_iri = EXCLUDED.theme_iri, theme_label_nl = EXCLUDED.theme_label_nl,"
            " theme_label_en = EXCLUDED.theme_label_en, unit_iri = EXCLUDED.unit_iri",
            [(i.code, str(i.iri), i.label_nl, i.label_en, i.unit_symbol, str(i.theme_iri),
              i.theme_label_nl, i.theme_label_en, str(i.unit_iri)) for i in inds])
        cur.executemany(
            "INSERT INTO monitor.norm (iri, indicator, label_nl, label_en, kind_label_nl,"
            " kind_label_en, binding, threshold, comparator, valid_from, valid_through,"
            " source_iri, citation, verified, qualitative_text, zones, averaging_period,"
            " allowed_exceedances)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(str(n.iri), n.indicator_code, n.label_nl, n.label_en, n.kind_label_nl,
              n.kind_label_en, n.binding, n.threshold, n.comparator, n.valid_from,
              n.valid_through, str(n.source_iri), n.citation, n.verified, n.qualitative_text,
              bound.get(str(n.iri)), n.averaging_period, n.allowed_exceedances) for n in nrms])
        cur.executemany(
            "INSERT INTO monitor.goal (iri, indicator, label_nl, label_en, target_value,"
            " target_year, comparator, source_iri) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [g for g in _goals(graph) if g[1] in {i.code for i in inds}])
    return len(inds), len(nrms)


def assess(conn: psycopg.Connection, attention: float, scope: list[str] | None = None) -> None:
    """Status of the values of the indicators in `scope` (None: all) against the norms and
    the zones' shares of the areas (`area_zones`)."""
    run_sql(conn, "assess", {"attention": attention, "scope": scope})


READ_SQL = ("area_zones", "assess", "trends", "goals", "publish")


def read_inputs(conn: psycopg.Connection, attention: float, trend: dict, areas: str) -> str:
    """Signature of everything status, trends, goal progress and the read model rest on
    besides the values themselves: the mirrored vocabulary (indicators, norms, goals), the
    zones' shares of the areas, which way is better per indicator, the areas, the settings
    and the SQL of these steps. While it stays the same, an indicator whose values did not
    change keeps its rows."""
    tables = conn.execute(
        "SELECT md5(concat_ws('|',"
        " (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM monitor.indicator t),"
        " (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM monitor.norm t),"
        " (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM monitor.goal t),"
        " (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM monitor.area_zone t),"
        " (SELECT string_agg(indicator || ':' || coalesce(better, ''), ',' ORDER BY indicator)"
        "    FROM monitor.indicator_method)))").fetchone()[0]
    doc = {"tables": tables, "attention": attention, "trend": trend, "areas": areas,
           "sql": sql_hash(*READ_SQL)}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:24]


def area_zones(conn: psycopg.Connection, manifests: list[Manifest]) -> None:
    """% of every area inside every werkingsgebied (datasets with role: zones)."""
    tables = zone_tables(manifests)
    conn.execute("DELETE FROM monitor.area_zone")
    if tables:
        run_sql(conn, "area_zones", parts={"zones": zones_sql(tables)})


# --- areas and grid weights -------------------------------------------------------------------

def derive_city(conn: psycopg.Connection, city: City) -> None:
    run_sql(conn, "city", {"city_code": city.code, "city_name": city.name})


def area_signature(conn: psycopg.Connection) -> str:
    row = conn.execute(
        "SELECT md5(coalesce(string_agg(code || ':' || level || ':' || dataset_version_id,"
        " ',' ORDER BY code), '')) FROM monitor.area").fetchone()
    return row[0]


# --- indicators -----------------------------------------------------------------------------

def _current_versions(conn: psycopg.Connection) -> dict[str, int]:
    return dict(conn.execute(
        "SELECT dataset, id FROM monitor.dataset_version WHERE is_current").fetchall())


def _source(m: Manifest, versions: dict[str, int], year_field: str | None,
            value_field: str | None = None, year: int | None = None) -> sql.Composable:
    """A subquery (geom, year[, value]) over the current rows of a dataset."""
    if m.target == "observation":
        return sql.SQL(
            "SELECT s.geom, o.year, o.value::float8 AS value FROM monitor.observation o"
            " JOIN monitor.station s ON s.id = o.station_id"
            " WHERE o.dataset_version_id = {}").format(sql.Literal(versions[m.id]))
    if m.target == "area_figure":  # a figure per buurt, as a point inside it
        if not value_field:
            raise UserError(f"config/indicators.yml: dataset {m.id} holds figures per area; "
                            "use it as a population (with its field)")
        return sql.SQL(
            "SELECT ST_PointOnSurface(a.geom) AS geom, f.year, f.value::float8 AS value"
            " FROM monitor.area_figure f JOIN monitor.area a ON a.code = f.area_code"
            " WHERE f.dataset_version_id = {} AND f.figure = {}").format(
                sql.Literal(versions[m.id]), sql.Literal(value_field))
    if m.target != "features":
        raise UserError(f"config/indicators.yml: dataset {m.id} is loaded into {m.target}; "
                        "point and polygon kinds need a features (or observation) dataset")
    fields = {f.name for f in m.fields}
    if year is not None:
        year_sql = sql.Literal(int(year))
    elif year_field in fields:
        year_sql = sql.Identifier(year_field)
    else:
        raise UserError(f"config/indicators.yml: dataset {m.id} has no field {year_field!r}; "
                        "set year_field, or year for a dataset without one")
    value_sql = sql.SQL("")
    if value_field:
        if value_field not in fields:
            raise UserError(f"config/indicators.yml: dataset {m.id} has no field {value_field!r}")
        value_sql = sql.SQL(", {}::float8 AS value").format(sql.Identifier(value_field))
    return sql.SQL("SELECT geom, {}::int AS year{} FROM {}").format(
        year_sql, value_sql, sql.Identifier("data", table_name(m.id)))


def _first_per_year(parts: list[sql.Composable]) -> sql.Composable:
    """The rows of the first subquery that has a year, for every year (real before demo)."""
    if len(parts) == 1:
        return parts[0]
    ranked = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT s.*, {} AS rank FROM ({}) s").format(sql.Literal(i), q)
        for i, q in enumerate(parts))
    return sql.SQL("SELECT geom, year, value FROM (SELECT r.*, min(r.rank) OVER (PARTITION BY"
                   " r.year) AS best FROM ({}) r) x WHERE rank = best").format(ranked)


def _population(pop: dict, manifests: dict[str, Manifest],
                versions: dict[str, int]) -> sql.Composable | None:
    ids = [d for d in population_datasets({"population": pop}) if d in versions]
    if not ids:
        return None
    return _first_per_year([_source(manifests[d], versions, pop.get("year_field", "jaar"),
                                    pop["field"], pop.get("year")) for d in ids])


def _threshold(conn: psycopg.Connection, method: Method) -> float:
    if method.params.get("threshold_norm"):
        ref = str(method.params["threshold_norm"])
        row = conn.execute("SELECT threshold FROM monitor.norm WHERE (iri = %s OR iri LIKE %s)"
                           " AND threshold IS NOT NULL", (ref, "%/" + ref)).fetchone()
        if row is None:
            raise UserError(f"config/indicators.yml: {method.indicator}: threshold_norm {ref} is "
                            "not a norm with a threshold in the vocabulary")
        return float(row[0])
    return float(method.params["threshold"])


def compute_grid(conn: psycopg.Connection, methods: list[Method],
                 versions: dict[str, int], weights: dict[str, int], *, reuse: bool = True,
                 on_band: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Every grid-kind indicator of one grid dataset in one pass over its bands
    (gridpass.py); years whose band and method did not change are kept unless not `reuse`.
    Returns (bands computed, bands kept)."""
    dataset = methods[0].dataset
    codes = [mt.indicator for mt in methods]
    if dataset not in versions or dataset not in weights:
        conn.execute("DELETE FROM monitor.indicator_value WHERE indicator = ANY(%s)", (codes,))
        conn.execute("DELETE FROM monitor.grid_year_state WHERE indicator = ANY(%s)", (codes,))
        return 0, 0
    stats = [Stat(mt.indicator, mt.kind, _threshold(conn, mt)
                  if mt.kind == "grid_share_above" else None) for mt in methods]
    return run_grid(conn, dataset, stats, weights[dataset], reuse=reuse, on_band=on_band)


def compute_indicator(conn: psycopg.Connection, method: Method,
                      manifests: dict[str, Manifest], versions: dict[str, int]) -> None:
    m = manifests[method.dataset]
    if m.id not in versions:
        conn.execute("DELETE FROM monitor.indicator_value WHERE indicator = %s",
                     (method.indicator,))
        return
    p = method.params
    params = {"indicator": method.indicator, "dataset": m.id, "version": versions[m.id]}
    year_field, year = p.get("year_field", "jaar"), p.get("year")
    if method.kind in POINT_AGG:
        agg, having = POINT_AGG[method.kind]
        points = _source(m, versions, year_field, p.get("field") if method.kind == "point_mean"
                         else None, year)
        run_sql(conn, "kind_point", params,
                {"agg": sql.SQL(agg), "having": sql.SQL(having), "points": points})
    elif method.kind == "coverage_share":
        run_sql(conn, "kind_coverage_share", params,
                {"polygons": _source(m, versions, year_field, None, year)})
    elif method.kind == "distance_share":
        params["distance"] = float(p["distance"])
        run_sql(conn, "kind_distance_share", params,
                {"features": _source(m, versions, year_field, None, year)})
    elif method.kind == "area_per_capita":
        population = _population(p["population"], manifests, versions)
        if population is None:
            conn.execute("DELETE FROM monitor.indicator_value WHERE indicator = %s",
                         (method.indicator,))
            return
        run_sql(conn, "kind_area_per_capita", params, {
            "polygons": _source(m, versions, year_field, None, year),
            "population": population})
    else:  # load_methods checks the kinds; this is a programming error
        raise ValueError(method.kind)


def compute_stations(conn: psycopg.Connection, settings: dict | None,
                     manifests: dict[str, Manifest], versions: dict[str, int],
                     attention: float) -> None:
    """Annual means, data capture and exceedances per station from the hourly measurements,
    judged against the norms (sql/stations.sql); nothing when no stations are configured."""
    if settings is None or settings["dataset"] not in versions:
        for table in ("station_status", "station_exceedance", "station_year"):
            conn.execute(f"DELETE FROM monitor.{table}")
        return
    if manifests.get(settings["dataset"]) is None or \
            manifests[settings["dataset"]].target != "measurement":
        raise UserError("config/indicators.yml: key 'stations.dataset': "
                        f"{settings['dataset']} is not a dataset loaded into measurement")
    components = sql.SQL(", ").join(
        sql.SQL("({}, {}, {}, {})").format(sql.Literal(c), sql.Literal(s["annual"]),
                                           sql.Literal(s.get("daily")), sql.Literal(s.get("hourly")))
        for c, s in settings["components"].items())
    zm = manifests.get(settings.get("zones") or "")
    zones = sql.SQL("SELECT zone_code, zone_naam, geom FROM {}").format(
        sql.Identifier("data", table_name(zm.id))) if zm is not None and zm.id in versions \
        else sql.SQL("SELECT NULL::text AS zone_code, NULL::text AS zone_naam,"
                     " NULL::geometry AS geom WHERE false")  # no zones loaded
    run_sql(conn, "stations", {"version": versions[settings["dataset"]],
                               "min_capture": float(settings["min_capture"]),
                               "min_hours": int(settings["min_hours_per_day"]),
                               "attention": attention},
            {"components": components, "zones": zones})


def merge_sources(conn: psycopg.Connection, method: Method, signature: str) -> None:
    """An indicator fed by several datasets: each year from the first that has the year."""
    staged = [s.indicator for s in method.staged()]
    run_sql(conn, "merge_sources", {"indicator": method.indicator, "staged": staged})
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO monitor.indicator_method (indicator, kind, params, datasets, better,"
            " signature, computed_at, seconds) VALUES (%s, %s, %s, %s, %s, %s, now(), 0)"
            " ON CONFLICT (indicator) DO UPDATE SET kind = EXCLUDED.kind,"
            " params = EXCLUDED.params, datasets = EXCLUDED.datasets, better = EXCLUDED.better,"
            " signature = EXCLUDED.signature, computed_at = EXCLUDED.computed_at",
            (method.indicator, method.kind, json.dumps(method.params), list(method.datasets),
             method.better, signature))


def _signature(method: Method, versions: dict[str, int], areas: str) -> str:
    doc = {"method": method.as_dict(), "versions": [versions.get(d) for d in method.datasets],
           "areas": areas,  # grid kinds also depend on how their coverage weights are made
           "sql": CODE_HASH if method.kind in GRID_AGG else sql_hash(method.sql_name)}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:24]


def compute(conn: psycopg.Connection, attention: float,
            progress: Callable[[str, float], None] | None = None, *, full: bool = False,
            bands: Callable[[str, int, int], None] | None = None,
            vocab_dir: Path = VOCAB_DIR, config_path: Path | None = None,
            manifests: list[Manifest] | None = None, city: City | None = None) -> ComputeReport:
    """Recompute what changed (everything with `full`) in one transaction, then rebuild the
    read model (sql/publish.sql) and bump the data version, so that readers see the old
    figures until the new ones are all there. `bands(dataset, done, total)` follows the
    grid passes band by band (the CLI's progress bar)."""
    report = ComputeReport()
    city = city or get_settings().city
    manifests = all_manifests() if manifests is None else manifests
    by_id = {m.id: m for m in manifests}

    def step(name: str, t: float) -> None:
        report.timings[name] = report.timings.get(name, 0.0) + time.perf_counter() - t
        log.info("compute step", extra={"step": name, "ms": round(1000 * (
            time.perf_counter() - t), 1)})
        if progress:
            progress(name, report.timings[name])

    with conn.transaction():
        t = time.perf_counter()
        graph = load_vocabulary(vocab_dir)
        sync_vocabulary(conn, graph)
        publish_views(conn, manifests)
        known = {i.code for i in indicators(graph)}
        methods = load_methods(config_path, manifests, known, graph)
        step("vocabulary", t)

        t = time.perf_counter()
        derive_city(conn, city)
        areas = area_signature(conn)
        versions = _current_versions(conn)
        stored = dict(conn.execute(
            "SELECT indicator, signature FROM monitor.indicator_method").fetchall())
        todo = [mt for mt in methods
                if full or stored.get(mt.indicator) != _signature(mt, versions, areas)]
        grid_sets = {d for mt in todo if mt.kind in GRID_AGG for d in mt.sources or [mt.dataset]}
        weights = ensure_weights(conn, grid_sets, areas, force=full)
        step("cell_weights", t)

        configured = [mt.indicator for mt in methods]
        conn.execute("DELETE FROM monitor.indicator_value WHERE indicator <> ALL(%s)",
                     (configured,))
        conn.execute("DELETE FROM monitor.indicator_method WHERE indicator <> ALL(%s)",
                     (configured,))
        groups: dict[str, list[Method]] = {}
        for mt in methods:
            if mt not in todo:
                report.skipped.append(mt.indicator)
                continue
            for part in mt.staged() or [mt]:  # grid kinds of one dataset share a pass
                key = f"grid:{part.dataset}" if part.kind in GRID_AGG else f"one:{part.indicator}"
                groups.setdefault(key, []).append(part)
        for key, group in groups.items():
            t0 = time.perf_counter()
            if key.startswith("grid:"):
                if by_id[group[0].dataset].target != "grid":
                    raise UserError(f"config/indicators.yml: {group[0].indicator}: "
                                    f"{group[0].kind} needs a grid dataset, {group[0].dataset} "
                                    f"is loaded into {by_id[group[0].dataset].target}")
                dataset = group[0].dataset
                done, kept = compute_grid(
                    conn, group, versions, weights, reuse=not full,
                    on_band=(lambda i, n, d=dataset: bands(d, i, n)) if bands else None)
                report.bands[dataset] = (done, kept)
                log.info("grid pass", extra={"dataset": dataset, "bands": done, "kept": kept})
            else:
                compute_indicator(conn, group[0], by_id, versions)
            seconds = time.perf_counter() - t0
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO monitor.indicator_method (indicator, kind, params, datasets,"
                    " better, signature, computed_at, seconds)"
                    " VALUES (%s, %s, %s, %s, %s, %s, now(), %s)"
                    " ON CONFLICT (indicator) DO UPDATE SET kind = EXCLUDED.kind,"
                    " params = EXCLUDED.params, datasets = EXCLUDED.datasets,"
                    " better = EXCLUDED.better, signature = EXCLUDED.signature,"
                    " computed_at = EXCLUDED.computed_at, seconds = EXCLUDED.seconds",
                    [(mt.indicator, mt.kind, json.dumps(mt.params), list(mt.datasets), mt.better,
                      _signature(mt, versions, areas), seconds) for mt in group
                     if "@" not in mt.indicator])
            report.computed += [mt.indicator for mt in group if "@" not in mt.indicator]
            step(key, t0)
        for mt in todo:
            if mt.sources:
                merge_sources(conn, mt, _signature(mt, versions, areas))
                report.computed.append(mt.indicator)
        run_sql(conn, "indicator_source")

        # `better` may change without a recompute of the values (it is not an input)
        with conn.cursor() as cur:
            cur.executemany("UPDATE monitor.indicator_method SET better = %s WHERE indicator = %s",
                            [(mt.better, mt.indicator) for mt in methods])
        t = time.perf_counter()
        # fresh rows in this transaction have no statistics yet: without them the planner
        # picks nested loops for the pairwise trend slopes (minutes instead of a second)
        conn.execute("ANALYZE monitor.indicator_value")
        # sorts and hashes over a million values: a batch job may use more than a page does
        conn.execute("SET LOCAL work_mem = '256MB'")
        area_zones(conn, manifests)
        trend = methods_trend_params(config_path)
        inputs = read_inputs(conn, attention, trend, areas)
        unchanged = not full and conn.execute(
            "SELECT published_inputs = %s FROM monitor.data_state", (inputs,)).fetchone()[0]
        scope = sorted(set(report.computed)) if unchanged else None
        report.scope = scope
        assess(conn, attention, scope)
        step("assess", t)
        t = time.perf_counter()
        compute_stations(conn, station_settings(config_path), by_id, versions, attention)
        step("stations", t)
        t = time.perf_counter()
        run_sql(conn, "trends", {**trend, "scope": scope})
        run_sql(conn, "goals")
        step("trends_goals", t)
        t = time.perf_counter()
        if conn.execute("SELECT published_areas IS DISTINCT FROM %s FROM monitor.data_state",
                        (areas,)).fetchone()[0]:  # new geometries: every row is new
            conn.execute("DELETE FROM monitor.area_status")
            conn.execute("UPDATE monitor.data_state SET published_areas = %s", (areas,))
        run_sql(conn, "publish", {"scope": scope})
        conn.execute("UPDATE monitor.data_state SET published_inputs = %s", (inputs,))
        if scope != []:  # results changed: the SPARQL store replaces those of the scope
            conn.execute("UPDATE monitor.data_state SET results_base = results_version,"
                         " results_scope = %s, results_version = version", (scope,))
        step("publish", t)
    return report


def methods_trend_params(config_path: Path | None = None) -> dict:
    from portal.indicators.methods import trend_settings

    return trend_settings(config_path)
