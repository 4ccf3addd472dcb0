"""Remote sources against a real HTTP server on loopback (fixtures: tests/fixtures/remote):
fetch → ingest for the plain-file and the Luchtmeetnet connectors, 304 makes no new
version, and offline, 500, slow, truncated and malformed answers each leave the previous
version serving with one clear line; `portal update` twice: the second does nothing."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import yaml
from psycopg.conninfo import make_conninfo

from portal.db.connect import create_database, drop_database
from portal.db.migrate import migrate
from portal.settings import DATASETS_DIR, REPO
from tests.conftest import free_port, run_cli

FIXTURES = REPO / "tests" / "fixtures" / "remote"
STATIONS = {"NL10404": 0.90, "NL10445": 0.89}  # share of the year's hours with a value
YEAR = 2023
UTC_PLUS_1 = timezone(timedelta(hours=1))  # Luchtmeetnet's local standard time
# the shipped bulk file the first fetch starts from: two days of 2022 (kept) and the first
# hours of 2023 with other values (replaced by the API's)
SHIPPED_HOURS = [datetime(2022, 6, 1, tzinfo=UTC_PLUS_1) + timedelta(hours=h) for h in range(48)] \
    + [datetime(YEAR, 1, 1, tzinfo=UTC_PLUS_1) + timedelta(hours=h) for h in range(5)]
GCN_YEARS = (2019, 2020)


class Upstream:
    """What the fake upstream does next: serve, fail, hang, cut short or garble."""

    def __init__(self):
        self.mode = "ok"
        self.body = (FIXTURES / "bomen.csv").read_bytes()
        self.seen: list[dict] = []
        self.figures: dict[str, int] = {}  # buurtcode → aantal_inwoners (CBS key figure)
        self.parks_zip = b""  # a zipped shapefile, as a city portal offers polygons

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


def _measurements(query: dict) -> dict:
    """Luchtmeetnet-shaped page: hourly values, end-labelled, for the hours of the window;
    a station misses the hours beyond its share of the year (every 100th hour onwards)."""
    station, start = query["station_number"][0], query["start"][0]
    end, page = query["end"][0], int(query.get("page", ["1"])[0])
    t0 = datetime.fromisoformat(start)
    t1 = datetime.fromisoformat(end)
    year0 = datetime(YEAR, 1, 1, tzinfo=UTC_PLUS_1)
    rows = []
    t = t0
    while t <= t1:
        hour = int((t - timedelta(hours=1) - year0).total_seconds() // 3600)
        if hour % 100 < round(STATIONS[station] * 100):
            rows.append({"station_number": station, "formula": query["formula"][0],
                         "value": 20.0 + hour % 7, "timestamp_measured": t.isoformat()})
        t += timedelta(hours=1)
    size = 100
    last = max(1, -(-len(rows) // size))
    return {"pagination": {"current_page": page, "first_page": 1, "last_page": last},
            "data": rows[(page - 1) * size: page * size]}


def _ogcapi(up: Upstream, path: str) -> dict | None:
    """A small OGC API – Features (Part 1: landing page, conformance, collections, items)
    with CBS key figures per buurt, one of them the CBS code for a missing value."""
    base = up.base + "/ogcapi"
    coll = {"id": "buurten", "title": "Buurten", "itemType": "feature",
            "links": [{"rel": "items", "type": "application/geo+json",
                       "href": f"{base}/collections/buurten/items"},
                      {"rel": "self", "type": "application/json",
                       "href": f"{base}/collections/buurten"}]}
    if path in ("/ogcapi", "/ogcapi/"):
        return {"title": "CBS (test)", "links": [
            {"rel": "data", "type": "application/json", "href": f"{base}/collections"},
            {"rel": "conformance", "type": "application/json", "href": f"{base}/conformance"}]}
    if path == "/ogcapi/conformance":
        return {"conformsTo": ["http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                               "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"]}
    if path == "/ogcapi/collections":
        return {"collections": [coll], "links": []}
    if path == "/ogcapi/collections/buurten":
        return coll
    if path == "/ogcapi/collections/buurten/items":
        feats = [{"type": "Feature", "id": i, "geometry": {"type": "Point",
                                                          "coordinates": [4.3, 52.07]},
                  "properties": {"buurtcode": code, "gemeentecode": "GM0518",
                                 "aantal_inwoners": value}}
                 for i, (code, value) in enumerate(up.figures.items())]
        return {"type": "FeatureCollection", "features": feats, "numberMatched": len(feats),
                "numberReturned": len(feats), "links": []}
    return None


def _handler(up: Upstream):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urlsplit(self.path)
            up.seen.append({"path": url.path, "headers": dict(self.headers)})
            if up.mode == "500":
                self.send_error(500, "upstream broke")
                return
            if up.mode == "slow":
                time.sleep(3)
            if url.path.startswith("/ogcapi"):
                doc = _ogcapi(up, url.path)
                if doc is None:
                    self.send_error(404)
                    return
                self._send(json.dumps(doc).encode(), "application/json")
                return
            if url.path == "/files/parken.zip":
                self._send(up.parks_zip, "application/zip")
                return
            if url.path.startswith("/gcn/"):  # RIVM's yearly GCN grids (our shipped copies)
                self._send((DATASETS_DIR / "rivm-gcn-no2" / Path(url.path).name).read_bytes(),
                           "text/plain")
                return
            if url.path.startswith("/open_api/measurements"):
                body = json.dumps(_measurements(parse_qs(url.query))).encode()
                if up.mode == "malformed":
                    body = body[: len(body) // 2]
                self._send(body, "application/json")
                return
            if self.headers.get("If-None-Match") == up.etag and up.mode == "ok":
                self.send_response(304)
                self.send_header("ETag", up.etag)
                self.end_headers()
                return
            body = up.body if up.mode != "malformed" else b"\xff\xfe\x00garbage\xff"
            self._send(body, "text/csv", truncate=up.mode == "truncated")

        def _send(self, body: bytes, ctype: str, truncate: bool = False):
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body) + (500 if truncate else 0)))
            self.send_header("ETag", up.etag)
            self.send_header("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT")
            self.end_headers()
            self.wfile.write(body)
            if truncate:
                self.wfile.flush()
                self.connection.close()
    return Handler


@pytest.fixture(scope="module")
def upstream():
    up = Upstream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(up))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    up.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield up
    server.shutdown()


@pytest.fixture(scope="module")
def world(upstream, db_url, tmp_path_factory):
    """A database of its own, and a datasets folder with the real stations, the city's
    boundaries and two remote datasets pointing at the loopback upstream."""
    db = make_conninfo(db_url, dbname=psycopg.conninfo.conninfo_to_dict(db_url)["dbname"]
                       + "_fetch")
    drop_database(db)
    create_database(db)
    with psycopg.connect(db) as conn:
        migrate(conn)
    root = tmp_path_factory.mktemp("remote")
    datasets, sources = root / "datasets", root / "sources"
    datasets.mkdir()
    for name in ("lml-stations", "cbs-buurten-2024", "cbs-wijken-2024"):
        shutil.copytree(DATASETS_DIR / name, datasets / name)
    trees = {
        "id": "remote-bomen", "title": {"nl": "Bomen (portaal)", "en": "Trees (portal)"},
        "description": {"nl": "Test: bomen van het open-dataportaal.",
                        "en": "Test: trees from the open-data portal."},
        "publisher": "Gemeente Den Haag", "attribution": "Gemeente Den Haag",
        "license": "CC0-1.0", "source_url": upstream.base, "demo": False, "update": "daily",
        "source": {"path": "bomen.csv", "format": "csv", "sep": ";", "crs": "EPSG:28992",
                   "x": "x", "y": "y",
                   "fetch": {"connector": "http", "url": f"{upstream.base}/files/bomen.csv",
                             "timeout_s": 1, "retries": 1}},
        "load": {"into": "features", "geometry": "point", "id_field": "boomnummer",
                 "fields": {"boomnummer": {"source": "boomnummer", "type": "integer"},
                            "soort": "soort"}}}
    hourly = {
        "id": "luchtmeetnet-uurwaarden", "title": {"nl": "Uurwaarden (API)", "en": "Hourly (API)"},
        "description": {"nl": "Test: Luchtmeetnet API.", "en": "Test: Luchtmeetnet API."},
        "publisher": "RIVM", "attribution": "RIVM, Luchtmeetnet", "license": "CC-BY-4.0",
        "source_url": upstream.base, "demo": False, "update": "daily",
        "source": {"path": "hourly_{component}.csv.gz", "format": "csv",
                   "fetch": {"connector": "luchtmeetnet", "url": f"{upstream.base}/open_api",
                             "stations": list(STATIONS), "components": ["NO2"],
                             "years": [YEAR], "timeout_s": 1, "retries": 1}},
        "load": {"into": "measurement", "time": "begin", "stations": list(STATIONS),
                 "valid_range": [-50, 2000]}}
    inhabitants = {
        "id": "remote-inwoners", "title": {"nl": "Inwoners (PDOK)", "en": "Inhabitants (PDOK)"},
        "description": {"nl": "Test: CBS-kerncijfers via OGC API.",
                        "en": "Test: CBS key figures through OGC API."},
        "publisher": "CBS", "attribution": "CBS", "license": "CC-BY-4.0",
        "source_url": upstream.base, "demo": False, "update": "yearly",
        "source": {"path": "inwoners.csv", "format": "csv",
                   "fetch": {"connector": "ogcapi", "url": f"{upstream.base}/ogcapi",
                             "collection": "buurten", "where": "gemeentecode = 'GM0518'",
                             "properties": ["buurtcode", "gemeentecode", "aantal_inwoners"],
                             "rename": {"aantal_inwoners": "inwoners_2024"},
                             "merge_on": "buurtcode", "timeout_s": 2, "retries": 0}},
        "load": {"into": "area_figure", "area_code": "buurtcode", "years": [2023, 2024],
                 "fields": {"inwoners": {"source": "inwoners_{year}", "type": "integer",
                                         "range": [0, None]}}}}
    gcn = {
        "id": "remote-gcn-no2", "title": {"nl": "GCN NO2 (RIVM)", "en": "GCN NO2 (RIVM)"},
        "description": {"nl": "Test: RIVM GCN-kaarten per jaar.", "en": "Test: RIVM GCN maps."},
        "publisher": "RIVM", "attribution": "RIVM, GCN", "license": "CC-BY-4.0",
        "source_url": upstream.base, "demo": False, "value_kind": "modelled", "update": "yearly",
        "source": {"path": "conc_no2_{year}_denhaag_rd.asc", "format": "asciigrid",
                   "crs": "EPSG:28992",
                   "fetch": {"connector": "http", "timeout_s": 2, "retries": 0, "files": {
                       f"conc_no2_{y}_denhaag_rd.asc":
                           f"{upstream.base}/gcn/conc_no2_{y}_denhaag_rd.asc"
                       for y in GCN_YEARS}}},
        "load": {"into": "grid", "indicator": "no2_annual_mean", "valid_range": [0, 200]}}
    parks = {
        "id": "remote-parken", "title": {"nl": "Parken (portaal)", "en": "Parks (portal)"},
        "description": {"nl": "Test: gezipte shapefile.", "en": "Test: zipped shapefile."},
        "publisher": "Gemeente Den Haag", "attribution": "Gemeente Den Haag",
        "license": "CC0-1.0", "source_url": upstream.base, "demo": False, "update": "yearly",
        "source": {"path": "parken.zip", "format": "shp",
                   "fetch": {"connector": "http", "url": f"{upstream.base}/files/parken.zip",
                             "timeout_s": 2, "retries": 0}},
        "load": {"into": "features", "geometry": "polygon", "id_field": "park_id",
                 "fields": {"park_id": {"source": "park_id", "type": "integer"},
                            "naam": "naam"}}}
    for m in (trees, hourly, inhabitants, gcn, parks):
        (datasets / m["id"]).mkdir()
        (datasets / m["id"] / "dataset.yml").write_text(yaml.safe_dump(m, allow_unicode=True))
    env = {"DATABASE_URL": db, "OM_DATASETS_DIR": str(datasets), "OM_SOURCES_DIR": str(sources)}
    res = run_cli("ingest", "lml-stations", "cbs-buurten-2024", "cbs-wijken-2024", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    with psycopg.connect(db) as conn:
        codes = [r[0] for r in conn.execute(
            "SELECT code FROM monitor.area WHERE level = 'buurt' ORDER BY code LIMIT 3")]
    upstream.figures = dict(zip(codes, [1250, -99997, 4385], strict=True))
    # shipped beside the manifests, as the real ones are: what the first fetch starts from
    (datasets / "remote-inwoners" / "inwoners.csv").write_text(
        "buurtcode,inwoners_2023,inwoners_2024\n"
        + "".join(f"{c},{1000 * (i + 1)},{i + 1}\n" for i, c in enumerate(codes)))
    with gzip.open(datasets / "luchtmeetnet-uurwaarden" / "hourly_NO2.csv.gz", "wt") as f:
        f.write("year,begin,end,NL10404,NL10445\n" + "".join(
            f"{t.year},{t:%Y%m%d %H:%M},{t + timedelta(hours=1):%Y%m%d %H:%M},99.5,\n"
            for t in SHIPPED_HOURS))
    upstream.parks_zip = _zipped_shapefile(root / "shp")
    yield {"db": db, "env": env, "sources": sources}
    drop_database(db)


def _zipped_shapefile(folder: Path) -> bytes:
    import io
    import zipfile

    import geopandas as gpd
    from shapely import box

    folder.mkdir()
    gpd.GeoDataFrame({"park_id": [1, 2], "naam": ["Zuiderpark", "Westbroekpark"]},
                     geometry=[box(80000, 452000, 80500, 452400),
                               box(81500, 457000, 81900, 457300)],
                     crs="EPSG:28992").to_file(folder / "parken.shp")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for part in folder.iterdir():
            z.write(part, part.name)
    return out.getvalue()


def _fetch_and_ingest(env: dict, dataset: str) -> str:
    """`portal fetch` then `portal ingest` of one dataset; what fetch printed."""
    fetched = run_cli("fetch", dataset, env=env)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    res = run_cli("ingest", dataset, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    return fetched.stdout


def _current(db: str, dataset: str):
    with psycopg.connect(db) as conn:
        return conn.execute("SELECT version, provenance, rows_loaded FROM monitor.dataset_version"
                            " WHERE dataset = %s AND is_current", (dataset,)).fetchone()


def test_plain_file_fetch_ingest_then_304_makes_no_new_version(world, upstream):
    env, db = world["env"], world["db"]
    res = run_cli("fetch", "remote-bomen", env=env)
    assert res.returncode == 0, res.stderr
    assert "remote-bomen: new files" in res.stdout
    assert run_cli("ingest", "remote-bomen", env=env).returncode == 0
    version, provenance, rows = _current(db, "remote-bomen")
    assert rows == 3
    got = provenance["files"]["bomen.csv"]
    assert got["url"] == f"{upstream.base}/files/bomen.csv" and got["etag"] == upstream.etag
    assert got["sha256"] == hashlib.sha256(upstream.body).hexdigest()
    assert provenance["retrieved_at"] and got["last_modified"]

    res = run_cli("fetch", "remote-bomen", env=env)
    assert "unchanged upstream" in res.stdout, res.stdout
    assert upstream.seen[-1]["headers"].get("If-None-Match") == upstream.etag
    assert run_cli("ingest", "remote-bomen", env=env).returncode == 0
    assert _current(db, "remote-bomen")[0] == version  # no new version

    upstream.body += b"4;Beuk;80300.0;455300.0\n"
    assert "new files" in run_cli("fetch", "remote-bomen", env=env).stdout
    assert run_cli("ingest", "remote-bomen", env=env).returncode == 0
    assert _current(db, "remote-bomen")[:3:2] == (version + 1, 4)


@pytest.mark.parametrize("mode,words", [
    ("500", "HTTP 500"), ("slow", "no answer within 1 s"),
    ("truncated", "truncated"), ("malformed", "not a whole csv file"),
    ("offline", "cannot connect")])
def test_failed_fetches_leave_the_previous_version_serving(world, upstream, mode, words):
    env, db = world["env"], world["db"]
    before = _current(db, "remote-bomen")
    current = (world["sources"] / "remote-bomen" / "current").resolve()
    if mode == "offline":
        env = {**env}
        manifest = Path(env["OM_DATASETS_DIR"]) / "remote-bomen" / "dataset.yml"
        saved = manifest.read_text()
        manifest.write_text(saved.replace(upstream.base, f"http://127.0.0.1:{free_port()}"))
    upstream.mode = mode
    try:
        res = run_cli("fetch", "remote-bomen", env=env)
    finally:
        upstream.mode = "ok"
        if mode == "offline":
            manifest.write_text(saved)
    assert res.returncode == 1
    line = res.stderr.strip().splitlines()[-1]
    assert "remote-bomen" in line and "/files/bomen.csv" in line and words in line, line
    assert "keeps serving" in line
    assert (world["sources"] / "remote-bomen" / "current").resolve() == current
    assert not list((world["sources"] / "remote-bomen").glob("*.part"))
    assert run_cli("ingest", "remote-bomen", env=env).returncode == 0
    assert _current(db, "remote-bomen") == before


def test_luchtmeetnet_fetch_pages_weeks_keeps_other_years_and_applies_the_data_capture_rule(
        world, upstream):
    env, db = world["env"], world["db"]
    res = run_cli("fetch", "luchtmeetnet-uurwaarden", env=env)
    assert res.returncode == 0, res.stderr
    pages = [s for s in upstream.seen if s["path"].startswith("/open_api/measurements")]
    assert len(pages) > 2 * 53  # two stations, a request per week, and its further pages
    res = run_cli("ingest", "luchtmeetnet-uurwaarden", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    with psycopg.connect(db) as conn:
        counts = {(r[0], r[1]): r[2] for r in conn.execute(
            "SELECT extract(year FROM m.begin_at AT TIME ZONE 'Etc/GMT-1')::int, station_id,"
            " count(*) FROM monitor.measurement m JOIN monitor.dataset_version dv"
            " ON dv.id = m.dataset_version_id AND dv.is_current WHERE dv.dataset = %s"
            " GROUP BY 1, 2", ("luchtmeetnet-uurwaarden",))}
    hours = 365 * 24
    kept = {s: [h for h in range(hours) if h % 100 < round(share * 100)]
            for s, share in STATIONS.items()}
    # the API's year replaces the shipped hours of that year; 2022 stays as shipped
    assert counts == {**{(YEAR, s): len(h) for s, h in kept.items()},
                      (2022, "NL10404"): sum(t.year == 2022 for t in SHIPPED_HOURS)}
    # the EU rule (90 % of the hours) as `portal compute` applies it (its station step;
    # the whole compute needs every dataset of config/indicators.yml), by hand alongside
    from portal.indicators.compute import _current_versions, compute_stations, sync_vocabulary
    from portal.ingest.manifest import all_manifests
    from portal.settings import CONFIG_DIR

    settings = yaml.safe_load((CONFIG_DIR / "indicators.yml").read_text())["stations"]
    manifests = {m.id: m for m in all_manifests(Path(env["OM_DATASETS_DIR"]))}
    with psycopg.connect(db, autocommit=True) as conn, conn.transaction():
        sync_vocabulary(conn)
        compute_stations(conn, settings, manifests, _current_versions(conn), 0.1)
    with psycopg.connect(db) as conn:
        years = {r[0]: r[1:] for r in conn.execute(
            "SELECT station_id, capture, sufficient, value FROM monitor.station_year"
            " WHERE component = 'NO2' AND year = %s", (YEAR,))}
    local = kept  # the year of local standard time (UTC+1) is the year asked for
    capture, sufficient, value = years["NL10404"]
    assert capture / 100 == pytest.approx(len(local["NL10404"]) / hours) and capture >= 90
    assert sufficient
    assert value == pytest.approx(sum(20.0 + h % 7 for h in local["NL10404"])
                                  / len(local["NL10404"]))
    capture, sufficient, value = years["NL10445"]  # 89 %: insufficient, never a value
    assert capture / 100 == pytest.approx(len(local["NL10445"]) / hours) and capture < 90
    assert not sufficient and value is None


def test_ogc_api_fetch_keeps_shipped_years_and_cbs_missing_codes_out_of_the_numbers(
        world, upstream):
    env, db = world["env"], world["db"]
    assert "remote-inwoners: new files" in _fetch_and_ingest(env, "remote-inwoners")
    missing = next(c for c, v in upstream.figures.items() if v == -99997)
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT f.year, f.area_code, f.value FROM monitor.area_figure f JOIN"
            " monitor.dataset_version dv ON dv.id = f.dataset_version_id AND dv.is_current"
            " WHERE dv.dataset = 'remote-inwoners'").fetchall()
        reason = conn.execute(
            "SELECT q.reason, q.raw_value FROM monitor.quarantine q JOIN monitor.dataset_version dv"
            " ON dv.id = q.dataset_version_id AND dv.is_current"
            " WHERE dv.dataset = 'remote-inwoners'").fetchall()
    values = {c: v for y, c, v in rows if y == 2024}
    assert missing not in values and all(v >= 0 for v in values.values())
    assert {k: v for k, v in upstream.figures.items() if v >= 0} == values
    # 2023 is the shipped year, kept as it was beside the fetched 2024
    assert {c: v for y, c, v in rows if y == 2023} == {
        c: 1000 * (i + 1) for i, c in enumerate(upstream.figures)}
    assert reason == [("onbekend (CBS -99997)", "-99997")]
    assert "unchanged upstream" in run_cli("fetch", "remote-inwoners", env=env).stdout


def test_rivm_gcn_grids_fetch_per_year_and_load_as_grids(world, upstream):
    env, db = world["env"], world["db"]
    assert "remote-gcn-no2: new files (2 file(s)" in _fetch_and_ingest(env, "remote-gcn-no2")
    import rasterio

    with psycopg.connect(db) as conn:
        bands = dict(conn.execute(
            "SELECT b.year, b.vals FROM monitor.grid g JOIN monitor.dataset_version dv"
            " ON dv.id = g.dataset_version_id AND dv.is_current JOIN monitor.grid_band b"
            " ON b.grid_id = g.id WHERE dv.dataset = 'remote-gcn-no2'").fetchall())
    assert sorted(bands) == list(GCN_YEARS)
    for year in GCN_YEARS:
        with rasterio.open(DATASETS_DIR / "rivm-gcn-no2" / f"conc_no2_{year}_denhaag_rd.asc") as ds:
            cells, nodata = ds.read(1).ravel(), ds.nodata
        expected = [None if c == nodata else pytest.approx(float(c), abs=1e-4) for c in cells]
        assert bands[year] == expected and any(v is not None for v in bands[year])
    assert "unchanged upstream" in run_cli("fetch", "remote-gcn-no2", env=env).stdout


def test_a_zipped_shapefile_over_http_loads_as_polygons(world):
    assert "remote-parken: new files" in _fetch_and_ingest(world["env"], "remote-parken")
    with psycopg.connect(world["db"]) as conn:
        rows = conn.execute("SELECT park_id, naam, round(ST_Area(geom)) FROM data.remote_parken"
                            " ORDER BY park_id").fetchall()
    assert rows == [(1, "Zuiderpark", 200000), (2, "Westbroekpark", 120000)]


WORLD_INDICATORS = """
trend: {method: theil-sen, last_years: 10, min_points: 3, stable_fraction: 0.01}
indicators:
  no2_annual_mean: {kind: grid_mean, dataset: remote-gcn-no2}
  tree_density: {kind: point_density, dataset: remote-bomen, better: higher, year: 2025}
stations:
  dataset: luchtmeetnet-uurwaarden
  min_capture: 0.9
  min_hours_per_day: 18
  components:
    NO2: {annual: no2_annual_mean, daily: no2_daily, hourly: no2_hourly}
"""


def test_compute_derives_the_figures_from_what_was_fetched(world, tmp_path):
    """fetch → ingest → compute: the indicators of this world (config like
    config/indicators.yml, naming the fetched datasets) come from the fetched files."""
    from portal.indicators.compute import compute
    from portal.ingest.manifest import all_manifests

    config = tmp_path / "indicators.yml"
    config.write_text(WORLD_INDICATORS)
    db = world["db"]
    manifests = all_manifests(Path(world["env"]["OM_DATASETS_DIR"]))
    with psycopg.connect(db, autocommit=True) as conn:
        compute(conn, 0.1, full=True, config_path=config, manifests=manifests)
        no2 = dict(conn.execute(
            "SELECT year, count(*) FROM monitor.area_status WHERE indicator = 'no2_annual_mean'"
            " AND level = 'buurt' AND value IS NOT NULL GROUP BY year").fetchall())
        sources = {r[0] for r in conn.execute(
            "SELECT DISTINCT dataset FROM monitor.area_status WHERE indicator IN"
            " ('no2_annual_mean', 'tree_density')")}
        trees = conn.execute("SELECT sum(value) FROM monitor.area_status WHERE indicator ="
                             " 'tree_density' AND level = 'buurt'").fetchone()[0]
        stations = conn.execute("SELECT count(*) FROM monitor.station_year WHERE year = %s",
                                (YEAR,)).fetchone()[0]
    assert set(no2) == set(GCN_YEARS) and min(no2.values()) > 100  # every buurt, each year
    assert sources == {"remote-gcn-no2", "remote-bomen"}
    assert trees and trees > 0
    assert stations == 2


def test_update_twice_the_second_run_fetches_and_recomputes_nothing(world, upstream):
    env = world["env"]
    first = run_cli("update", "--force", env=env, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    second = run_cli("update", env=env, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "remote-bomen: not due" in second.stdout
    assert "luchtmeetnet-uurwaarden: not due" in second.stdout
    assert "nothing new: nothing recomputed" in second.stdout


def test_the_shipped_real_manifests_name_their_remote_sources():
    """The real datasets keep themselves current: Luchtmeetnet's API for this year and
    last, PDOK's OGC API for the CBS figures — each through a connector that exists."""
    from portal.fetch.connectors import CONNECTORS
    from portal.fetch.connectors.luchtmeetnet import STANDARD_TIME, Luchtmeetnet
    from portal.fetch.run import remote
    from portal.ingest.manifest import all_manifests

    fetched = {m.id: m for m in remote(all_manifests(DATASETS_DIR))}
    assert {"luchtmeetnet-uurwaarden", "cbs-inwoners"} <= set(fetched)
    assert all(m.source["fetch"]["connector"] in CONNECTORS and not m.demo
               for m in fetched.values())
    this_year = datetime.now(STANDARD_TIME).year
    lml = Luchtmeetnet(fetched["luchtmeetnet-uurwaarden"])
    try:
        assert lml.years() == [this_year - 1, this_year]
    finally:
        lml.close()
    assert fetched["cbs-inwoners"].source["fetch"]["url"].startswith("https://api.pdok.nl/")
