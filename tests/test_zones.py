"""Location-bound norms: which norms apply depends on the werkingsgebieden a point lies in."""

from __future__ import annotations

import pytest

from portal.vocabulary.graph import load_vocabulary, validate

INSIDE = {"x": 81950, "y": 453350}  # centre of the demo attention area Laakhaven (r = 160 m)
OUTSIDE = {"x": 82350, "y": 453350}  # 400 m east: outside it
NORM = "aandachtsgebied-brand-laakhaven"
OLD_ZONE_ONLY = {"x": 82000, "y": 454050}  # in the 2010–2020 noise zone, not in the 2021 one


def norms_at(http, **params) -> dict:
    r = http.get("/api/norms-at", params=params)
    assert r.status_code == 200, r.text
    return {n["iri"].rsplit("/", 1)[1]: n for n in r.json()["norms"]}


def test_two_points_close_together_get_different_norms_with_the_reason(http):
    inside = norms_at(http, **INSIDE, date="2025-06-01")
    outside = norms_at(http, **OUTSIDE, date="2025-06-01")
    assert inside[NORM]["applies"] is True
    assert "inside zone" in inside[NORM]["reason_en"]
    assert "ligt in werkingsgebied" in inside[NORM]["reason_nl"]
    assert outside[NORM]["applies"] is False
    assert "outside zone" in outside[NORM]["reason_en"] and "m away" in outside[NORM]["reason_en"]
    # city-wide norms apply at both, and say so
    eu = "eu-2008-50-no2-jaar"
    assert inside[eu]["applies"] and outside[eu]["applies"]
    assert inside[eu]["reason_en"] == "applies city-wide"


def test_a_norm_whose_zone_ended_does_not_apply_at_that_date(http):
    then = norms_at(http, **OLD_ZONE_ONLY, date="2018-06-01")
    now = norms_at(http, **OLD_ZONE_ONLY, date="2025-06-01")
    norm = "geluidzone-binckhorst-zonegrens"
    assert then[norm]["applies"] is True and "2010" in then[norm]["reason_en"]
    assert now[norm]["applies"] is False
    # the attention area's norm only exists from 2024: not listed in 2018
    assert NORM in norms_at(http, **INSIDE, date="2025-01-01")
    assert NORM not in norms_at(http, **INSIDE, date="2018-01-01")


@pytest.mark.parametrize(("params", "needle"), [
    ({"x": 95000, "y": 445000}, "buiten de gemeente"),
    ({"x": "abc", "y": 1}, "niet te lezen"),
    ({"x": 81950, "y": 453350, "date": "2025-13-01"}, "date:"),
])
def test_bad_points_and_dates_are_400_with_a_message(http, params, needle):
    r = http.get("/api/norms-at", params=params)
    assert r.status_code == 400
    assert needle in r.json()["description"]


def test_the_location_check_page_shows_the_difference(http):
    inside = http.get("/locatie", params={**INSIDE, "date": "2025-06-01"}).text
    outside = http.get("/locatie", params={**OUTSIDE, "date": "2025-06-01"}).text
    assert "ligt in werkingsgebied Aandachtsgebied brand rond opslag Laakhaven" in inside
    assert "ligt in werkingsgebied Aandachtsgebied" not in outside
    assert "buiten werkingsgebied Aandachtsgebied" in outside


def test_zones_are_a_collection_and_zone_bound_norms_are_marked(http, server):
    fc = http.get("/ogc/collections/werkingsgebieden/items", params={"f": "json"}).json()
    assert {f["properties"]["soort"] for f in fc["features"]} >= {
        "milieuzone", "geluidzone", "aandachtsgebied", "stiltegebied", "ontwikkelgebied"}
    # the zone-free part through SPARQL: norms without om:appliesIn apply city-wide
    query = f"""PREFIX om: <{server}/def/>
      SELECT ?norm WHERE {{ ?norm a om:Norm FILTER NOT EXISTS {{ ?norm om:appliesIn ?zone }} }}"""
    rows = http.get("/sparql", params={"query": query},
                    headers={"Accept": "application/sparql-results+json"}).json()
    city_wide = {b["norm"]["value"].rsplit("/", 1)[1] for b in rows["results"]["bindings"]}
    assert "eu-2008-50-no2-jaar" in city_wide and NORM not in city_wide


def test_a_norm_pointing_at_something_that_is_not_a_zone_is_caught():
    g = load_vocabulary()
    from rdflib import URIRef

    from portal.vocabulary.graph import OM
    g.add((URIRef("https://omgevingsmonitor.denhaag.nl/id/norm/eu-2008-50-no2-jaar"),
           OM.appliesIn, URIRef("https://omgevingsmonitor.denhaag.nl/id/theme/luchtkwaliteit")))
    assert any("appliesIn" in m for m in validate(g))


def test_area_status_uses_zone_bound_norms_where_they_apply_with_their_share(conn, http):
    """The demo low-emission zone (valid from 2016) covers part of wijk Centrum (WK051828):
    its open norm is listed for that wijk from 2016 on, with the share it covers, and not
    for a wijk it does not touch."""
    rows = dict(conn.execute(
        "SELECT year, coalesce(open_norm_iris, '') || '|' || coalesce(zone_norms, '')"
        " FROM monitor.area_status WHERE area_code = 'WK051828'"
        " AND indicator = 'no2_annual_mean'").fetchall())
    share = conn.execute("SELECT share FROM monitor.area_zone WHERE area_code = 'WK051828'"
                         " AND zone_id = 'milieuzone-centrum'").fetchone()[0]
    assert 0 < share < 100
    assert "milieuzone-toegang" in rows[2020]
    assert f"{round(share, 1)} % van het gebied" in rows[2020]
    assert "milieuzone" not in rows[2015]  # the zone was not valid yet
    elsewhere = conn.execute(
        "SELECT count(*) FROM monitor.area_status WHERE area_code = 'WK051801'"
        " AND (open_norm_iris LIKE '%%milieuzone%%' OR zone_norms LIKE '%%Milieuzone%%')"
    ).fetchone()[0]
    assert elsewhere == 0
    # the area page says it too, in words; a wijk the zone misses does not mention it
    page = http.get("/gebied/WK051828").text
    assert f"{round(share, 1)} % van dit gebied" in page
    assert "Milieuzone" not in http.get("/gebied/WK051801").text
