"""One read model: every page, download, OGC collection and SPARQL answer gives the figure
`compute` wrote, and a page is paid for once per data version (ETag / 304)."""

from __future__ import annotations

import csv
import io
import json
import re
import time

import psycopg
import pytest

from portal.settings import REPO, get_settings
from portal.web.i18n import Messages, extract_messages
from tests.conftest import artifacts, run_cli

CITY = get_settings().city.code


def _slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _page_projections(html: str) -> dict[str, float]:
    found = re.findall(r'class="projected" data-goal="([^"]+)">([^<]*)<', html)
    return {_slug(g): float(v) for g, v in found if v.strip() not in ("", "–")}


def test_every_goal_projection_is_the_same_number_everywhere(http, conn, server):
    goals = {_slug(iri): projected for iri, projected in conn.execute(
        "SELECT goal_iri, projected_value FROM monitor.area_goal_progress WHERE area_code = %s",
        (CITY,))}
    assert goals, "compute wrote no goal progress for the city"
    assert all(v is not None for v in goals.values())
    # the dashboard page
    page = _page_projections(http.get("/dashboard").text)
    # the CSV export
    rows = csv.DictReader(io.StringIO(http.get("/dashboard/goals.csv").text))
    exported = {_slug(r["goal_iri"]): float(r["projected_value"]) for r in rows
                if r["area_code"] == CITY}
    # the OGC API collection
    fc = http.get("/ogc/collections/goal-progress/items",
                  params={"f": "json", "area_code": CITY, "limit": 100}).json()
    collection = {_slug(f["properties"]["goal_iri"]): f["properties"]["projected_value"]
                  for f in fc["features"]}
    # SPARQL
    query = f"""PREFIX om: <{server}/def/>
      SELECT ?goal ?projected WHERE {{ ?p a om:GoalProgress ; om:areaCode "{CITY}" ;
        om:towardsGoal ?goal ; om:projectedValue ?projected }}"""
    res = http.get("/sparql", params={"query": query},
                   headers={"Accept": "application/sparql-results+json"}).json()
    sparql = {_slug(b["goal"]["value"]): float(b["projected"]["value"])
              for b in res["results"]["bindings"]}
    for slug, value in goals.items():
        assert page[slug] == exported[slug] == collection[slug] == sparql[slug] == value, slug


def test_the_city_figure_on_an_area_page_is_the_city_row(http, conn):
    html = http.get("/gebied/WK051828").text
    cells = re.findall(r'class="city-value" data-indicator="([^"]+)" data-year="(\d+)">([^<]*)<',
                       html)
    assert len(cells) >= 10
    for indicator, year, text in cells:
        (value,) = conn.execute(
            "SELECT value FROM monitor.area_status WHERE area_code = %s AND indicator = %s"
            " AND year = %s", (CITY, indicator, int(year))).fetchone()
        assert text == ("–" if value is None else f"{value:.2f}"), (indicator, year)


def test_the_dashboard_shows_each_topic_in_its_latest_year(http, conn):
    html = http.get("/dashboard").text
    latest = dict(conn.execute(
        "SELECT indicator, max(year) FROM monitor.area_status WHERE level = 'wijk'"
        " AND value IS NOT NULL GROUP BY indicator"))
    matrix = html[html.index('class="matrix"'):html.index("</table>", html.index('class="matrix"'))]
    body = matrix[matrix.index("<tbody>"):]
    # no topic column is all dashes: every indicator has its own latest year
    assert body.count('class="cell ') == len(latest) * 44
    for year in set(latest.values()):
        assert f", {year}</th>" in matrix
    # and the statuses are coloured cells with words and icons
    assert 'class="cell cell-exceeds"' in body or 'class="cell cell-attention"' in body


def test_a_repeated_request_is_304_and_a_new_compute_changes_the_etag(http, loaded_db):
    first = http.get("/gebied/WK051828")
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    assert "last-modified" in first.headers
    again = http.get("/gebied/WK051828", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    since = http.get("/gebied/WK051828",
                     headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    # the same for an OGC answer and map data
    for path in ("/ogc/collections/area-status/items?f=json&limit=5",
                 "/api/map?indicator=no2_annual_mean&year=2024&level=wijk"):
        tag = http.get(path).headers["etag"]
        assert http.get(path, headers={"If-None-Match": tag}).status_code == 304
    res = run_cli("compute", env={"DATABASE_URL": loaded_db})
    assert res.returncode == 0, res.stderr
    deadline = time.monotonic() + 15
    while True:  # the app hears of the new version through NOTIFY
        now = http.get("/gebied/WK051828", headers={"If-None-Match": etag})
        if now.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert now.status_code == 200 and now.headers["etag"] != etag


def test_rules_are_sql_functions_shared_by_assessment_goals_and_location(conn):
    def one(sql, *args):
        return conn.execute(sql, args).fetchone()[0]
    assert one("SELECT monitor.norm_complies(40, 40, 'le')") is True
    assert one("SELECT monitor.norm_complies(40, 40, 'lt')") is False
    assert one("SELECT monitor.norm_margin(35, 40, 'le')") == 5
    assert one("SELECT monitor.norm_status(true, 37, 40, 'le', 0.1)") == "attention"
    assert one("SELECT monitor.norm_status(false, 11, 10, 'le', 0.1)") == "attention"
    assert one("SELECT monitor.norm_status(true, 41, 40, 'le', 0.1)") == "exceeds"
    assert one("SELECT monitor.in_force_in_year('2024-01-01', NULL, 2023)") is False
    for name in ("assess", "goals"):
        text = (REPO / "portal/indicators/sql" / f"{name}.sql").read_text()
        assert "monitor.norm_complies" in text or "monitor.norm_status" in text
        assert "'le', 'lt'" not in text  # no comparator written out again
    location = (REPO / "portal/web/sql/location.sql").read_text()
    assert "monitor.norm_status" in location and "'le', 'lt'" not in location


def test_one_log_line_per_request(http):
    http.get("/gebied/WK051828?lang=en")
    time.sleep(0.3)
    lines = [json.loads(x) for x in (artifacts() / "server.log").read_text().splitlines()
             if x.startswith("{")]
    requests = [x for x in lines if x.get("logger") == "portal.request"]
    hit = [x for x in requests if x["path"] == "/gebied/WK051828"]
    assert hit and {"method", "path", "status", "ms", "cache"} <= set(hit[-1])


def test_every_message_has_a_dutch_translation():
    nl = Messages().translations["nl"]
    same_in_dutch = {"Norm", "Status", "demo", "Datasets", "Dashboard", "Filter", "Account",
                     "Dataset",
                     "Open data (OGC API)", "open norm", "Menu", "Privacy"}
    missing = [m for m in extract_messages() if nl.gettext(m) == m and m not in same_in_dutch]
    assert not missing, f"run scripts/messages.py and translate: {missing}"


@pytest.mark.parametrize("path", ["/gebied/WK99", "/gebied/%00", "/dashboard?level=city",
                                  "/api/map?indicator=no2_annual_mean&year=20x4&level=wijk",
                                  "/?indicator=does-not-exist"])
def test_bad_input_is_a_4xx_with_a_message(http, path):
    r = http.get(path)  # an API client: the JSON error shape
    assert 400 <= r.status_code < 500
    assert set(r.json()) >= {"code", "description"} and r.json()["description"]
    page = http.get(path, headers={"Accept": "text/html"})  # a browser: the error page
    assert page.status_code == r.status_code
    assert 'id="page-error"' in page.text or "/api/" in path


def test_the_read_tables_are_indexed_for_filtered_pages(conn: psycopg.Connection):
    plan = conn.execute(
        "EXPLAIN SELECT * FROM monitor.area_status WHERE indicator = 'no2_annual_mean'"
        " ORDER BY id LIMIT 50").fetchall()
    assert "Index" in " ".join(r[0] for r in plan)
