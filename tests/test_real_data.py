"""Real data: station annual means computed from the shipped hourly values, the EU data-capture
rule wherever a station-year shows, GCN as the modelled NO2 series, CBS inhabitants, and every
value saying whether it is measured, modelled or demo."""

from __future__ import annotations

import csv
import gzip
import re
import shutil
from pathlib import Path

import pytest

from portal.ingest.manifest import read_manifest
from portal.ingest.wide import check_area_figures, check_measurements
from portal.settings import DATASETS_DIR, get_settings

HOURLY = DATASETS_DIR / "luchtmeetnet-uurwaarden" / "hourly_denhaag_NO2_2017_2023.csv.gz"
NEHERKADE = {"lat": 52.0626, "lon": 4.3184}  # next to station NL10450 (traffic, from 2022)
CITY = get_settings().city.code


def _by_hand(station: str, year: int) -> tuple[float, float]:
    """Mean of the valid hours and data capture (%), plain Python over the shipped file."""
    values = []
    with gzip.open(HOURLY, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["year"] == str(year) and row[station].strip():
                values.append(float(row[station]))
    hours = 8784 if year % 4 == 0 else 8760
    return sum(values) / len(values), 100.0 * len(values) / hours


@pytest.mark.parametrize("station", ["NL10445", "NL10404"])
def test_the_2019_no2_annual_mean_is_computed_from_the_hourly_values(conn, station):
    mean, capture = _by_hand(station, 2019)
    value, got_capture, sufficient = conn.execute(
        "SELECT value, capture, sufficient FROM monitor.station_year"
        " WHERE station_id = %s AND component = 'NO2' AND year = 2019", (station,)).fetchone()
    assert sufficient and capture >= 90
    assert value == pytest.approx(mean, abs=0.05)
    assert got_capture == pytest.approx(capture, abs=0.05)


def test_below_90_percent_capture_is_insufficient_data_capture_everywhere(conn, http, server):
    capture, value = conn.execute(
        "SELECT capture, value FROM monitor.station_year"
        " WHERE station_id = 'NL10450' AND component = 'PM10' AND year = 2022").fetchone()
    assert capture < 90 and value is None
    # the read table and the OGC collection
    item = http.get("/ogc/collections/station-status/items/NL10450:pm10_annual_mean:2022",
                    params={"f": "json"}).json()["properties"]
    assert item["status"] == "insufficient_data_capture" and item["value"] is None
    assert item["exceedances"] is None  # no count of a year that does not count
    # the map's station layer
    fc = http.get("/api/stations", params={"indicator": "pm10_annual_mean", "year": 2022}).json()
    neherkade = next(f for f in fc["features"] if f["properties"]["station"] == "NL10450")
    assert neherkade["properties"]["status"] == "insufficient_data_capture"
    assert neherkade["properties"]["value"] is None
    # the location check next to the station
    report = http.get("/api/location", params={**NEHERKADE, "year": 2022}).json()
    pm10 = next(i for i in report["indicators"] if i["code"] == "pm10_annual_mean")
    assert pm10["station"]["id"] == "NL10450"
    assert pm10["station"]["status"] == "insufficient_data_capture"
    assert pm10["station"]["value"] is None
    page = http.get("/locatie", params={**NEHERKADE, "year": 2022}).text
    assert "onvoldoende meetdekking" in page
    # SPARQL: a status, never a result
    query = f"""PREFIX om: <{server}/def/> PREFIX sosa: <http://www.w3.org/ns/sosa/>
      SELECT ?status ?result WHERE {{
        ?o om:status ?status ; om:dataCapture ?capture .
        FILTER (STRENDS(STR(?o), "NL10450:pm10_annual_mean:2022"))
        OPTIONAL {{ ?o sosa:hasSimpleResult ?result }} }}"""
    rows = http.get("/sparql", params={"query": query},
                    headers={"Accept": "application/sparql-results+json"}).json()
    (b,) = rows["results"]["bindings"]
    assert b["status"]["value"] == "insufficient_data_capture" and "result" not in b


def test_exceedances_are_counted_against_the_allowed_number(conn):
    rows = dict(conn.execute(
        "SELECT regexp_replace(norm_iri, '^.*/', ''), periods FROM monitor.station_exceedance"
        " WHERE station_id = 'NL10445' AND year = 2017"))
    assert 0 <= rows["eu-2008-50-pm10-dag"] <= 35 and rows["eu-2008-50-no2-uur"] <= 18
    # PM10 days by hand: daily means over days with at least 18 valid hours
    days: dict[str, list[float]] = {}
    path = DATASETS_DIR / "luchtmeetnet-uurwaarden" / "hourly_denhaag_PM10_2017_2023.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["year"] == "2017" and row["NL10445"].strip():
                days.setdefault(row["begin"][:8], []).append(float(row["NL10445"]))
    above = sum(1 for v in days.values() if len(v) >= 18 and sum(v) / len(v) > 50)
    assert rows["eu-2008-50-pm10-dag"] == above


def test_the_city_no2_series_comes_from_gcn_labelled_modelled(conn, http):
    kinds = dict(conn.execute(
        "SELECT year, source_kind FROM monitor.area_status WHERE area_code = %s"
        " AND indicator = 'no2_annual_mean'", (CITY,)))
    assert {kinds[y] for y in range(2011, 2022)} == {"modelled"}
    assert {k for y, k in kinds.items() if y > 2021} <= {"demo"}
    goal = conn.execute(
        "SELECT last_year, source_kind, demo, projected_value FROM monitor.area_goal_progress"
        " WHERE area_code = %s AND goal_iri LIKE %s", (CITY, "%no2-2030")).fetchone()
    assert goal[:3] == (2021, "modelled", False)  # the WHO 2030 goal: GCN, not demo
    html = http.get("/dashboard").text
    article = html[html.index('id="trend-no2_annual_mean"'):]
    article = article[:article.index("</article>")]
    assert re.search(r'<th scope="row">2019</th><td>[\d.]+</td><td class="kind kind-modelled">'
                     r'gemodelleerd', article)
    assert "gemodelleerde achtergrond op 1 × 1 km (RIVM GCN)" in article
    assert f'data-goal="{goal_iri(conn)}">{goal[3]:.2f}<' in html


def goal_iri(conn) -> str:
    return conn.execute("SELECT iri FROM monitor.goal WHERE iri LIKE '%no2-2030'").fetchone()[0]


def test_every_value_says_what_it_is_and_demo_keeps_its_label(conn):
    bad = conn.execute(
        "SELECT count(*) FROM monitor.area_status s"
        " JOIN monitor.dataset_version dv ON dv.dataset = s.dataset AND dv.version = s.dataset_version"
        " WHERE s.source_kind IS DISTINCT FROM dv.value_kind"
        "    OR s.demo <> (s.source_kind = 'demo') OR dv.demo <> s.demo").fetchone()[0]
    assert bad == 0
    total, real = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT demo) FROM monitor.area_status").fetchone()
    assert total > 0 and 0 < real < total
    assert conn.execute("SELECT count(*) FROM monitor.area_status WHERE source_kind IS NULL"
                        " AND value IS NOT NULL").fetchone()[0] == 0


def test_the_gcn_cell_and_the_station_both_show_in_the_location_check(http):
    report = http.get("/api/location", params={"x": 81000, "y": 455000, "year": 2019}).json()
    no2 = next(i for i in report["indicators"] if i["code"] == "no2_annual_mean")
    assert no2["basis"] == "grid" and no2["grid"]["dataset"] == "rivm-gcn-no2"
    assert no2["grid"]["value_kind"] == "modelled"
    assert no2["grid"]["value_note"]["en"] == "modelled 1 × 1 km background (RIVM GCN)"
    assert no2["station"]["value_kind"] == "measured" and no2["station"]["value"] > 0


def test_cbs_inhabitants_feed_per_capita_and_nobody_living_there_is_not_applicable(conn):
    status, value = conn.execute(
        "SELECT status, value FROM monitor.area_status WHERE area_code = 'BU05180170'"
        " AND indicator = 'public_green_per_inhabitant' AND year = 2024").fetchone()
    assert (status, value) == ("not_applicable", None)
    n = conn.execute("SELECT sum(value) FROM monitor.area_figure f JOIN monitor.dataset_version"
                     " dv ON dv.id = f.dataset_version_id AND dv.is_current"
                     " WHERE dv.dataset = 'cbs-inwoners' AND f.year = 2024").fetchone()[0]
    assert n == 566_175  # CBS, 1 January 2024 (SOURCE.md)


def test_cbs_missing_value_codes_never_become_numbers(tmp_path: Path):
    folder = tmp_path / "cbs-inwoners"
    shutil.copytree(DATASETS_DIR / "cbs-inwoners", folder)
    src = folder / "inwoners_buurt_gm0518_2023_2024.csv"
    lines = src.read_text(encoding="utf-8").splitlines()
    lines[2] = re.sub(r",\d+$", ",-99995", lines[2])  # 2024 inhabitants of one buurt: secret
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    m = read_manifest(folder / "dataset.yml")
    known = {line.split(",")[0] for line in lines[1:]}
    c = check_area_figures(m, src, known)
    assert c.read == len(c.rows) + len(c.rejected) == 2 * 114
    (bad,) = c.rejected.itertuples()
    assert bad._1 == 3 and "-99995" in bad.reason and bad.raw == "-99995"
    assert -99995 not in set(c.rows["value"])


def test_a_bad_hourly_value_is_quarantined_with_its_row(tmp_path: Path):
    folder = tmp_path / "luchtmeetnet-uurwaarden"
    folder.mkdir()
    shutil.copy(DATASETS_DIR / "luchtmeetnet-uurwaarden" / "dataset.yml", folder)
    path = folder / "hourly_denhaag_NO2_2017_2023.csv.gz"
    with gzip.open(HOURLY, "rt") as f:
        head = [next(f) for _ in range(4)]
    head[2] = head[2].replace(",45,", ",nope,")  # row 3, NL10404
    head[3] = re.sub(r",[\d.]+,", ",5000,", head[3], count=1)  # row 4: outside the range
    with gzip.open(path, "wt") as f:
        f.writelines(head)
    c = check_measurements(read_manifest(folder / "dataset.yml"), path)
    assert c.read == len(c.rows) + len(c.rejected)
    reasons = {(r._1, r.field, r.reason) for r in c.rejected.itertuples()}
    assert reasons == {(3, "NL10404", "not a valid number"),
                       (4, "NL10404", "outside valid range -50–2000")}
    assert str(c.rows["begin_at"].min()) == "2016-12-31 23:00:00+00:00"  # 00:00 UTC+1


def test_the_air_quality_zone_is_a_collection_and_named_for_each_station(http):
    fc = http.get("/ogc/collections/luchtkwaliteitszones/items", params={"f": "json"}).json()
    assert [f["properties"]["zone_code"] for f in fc["features"]] == ["NL0231"]
    stations = http.get("/api/stations", params={"indicator": "no2_annual_mean",
                                                 "year": 2023}).json()["features"]
    assert len(stations) == 4
    assert {f["properties"]["zone_code"] for f in stations} == {"NL0231"}
