"""The location check: JSON API, input parsing and the geocoder adapter (no browser)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from portal.settings import get_settings
from portal.web import location
from portal.web.geocoder import GeocoderError, PdokLocatieserver, from_config
from portal.web.i18n import Messages

MESSAGES = Messages(city=get_settings().city.display_name)
PDOK_URL = get_settings().geocoder["url"]  # the one place it is configured

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("text,expected", [
    ("81000 455000", (81000, 455000, 28992)),
    ("81000,455000", (81000, 455000, 28992)),
    ("455000; 81000", (81000, 455000, 28992)),      # swapped RD axes are recognised
    ("52.078, 4.308", (4.308, 52.078, 4326)),
    ("4.308 52.078", (4.308, 52.078, 4326)),
    ("52,078 4,308", (4.308, 52.078, 4326)),       # Dutch decimal commas
])
def test_parse_text(text, expected):
    p = location.parse_text(text)
    assert (p.x, p.y, p.crs) == pytest.approx(expected)


@pytest.mark.parametrize("text,key", [("abc", "unparseable"), ("81000", "unparseable"),
                                      ("1 2", "not_nl"), ("40.7, -74.0", "not_nl")])
def test_parse_text_errors(text, key):
    with pytest.raises(location.LocationError) as err:
        location.parse_text(text)
    assert err.value.key == key


def test_report_at_an_rd_point(http, conn):
    r = http.get("/api/location", params={"x": 81000, "y": 455000, "crs": 28992})
    assert r.status_code == 200
    body = r.json()
    assert body["buurt"]["code"] == "BU05182811" and body["wijk"]["code"] == "WK051828"
    assert body["buurt"]["dataset"] == "cbs-buurten-2024"
    assert body["demo"] is True
    assert body["permalink"].endswith("/locatie?x=81000&y=455000&crs=28992")
    no2 = next(i for i in body["indicators"] if i["code"] == "no2_annual_mean")
    # the grid cell value equals the raster's cell, read here independently
    g = conn.execute("SELECT g.x_min, g.y_max, g.cell_size, g.ncols, g.id FROM monitor.grid g"
                     " JOIN monitor.indicator_source s ON s.dataset_version_id = g.dataset_version_id"
                     " WHERE s.indicator = 'no2_annual_mean' AND s.year = %s",
                     (no2["year"],)).fetchone()
    col, row = int((81000 - g[0]) // g[2]), int((g[1] - 455000) // g[2])
    cell = conn.execute("SELECT vals[%s] FROM monitor.grid_band WHERE grid_id = %s AND year = %s",
                        (row * g[3] + col + 1, g[4], no2["year"])).fetchone()[0]
    assert no2["grid"]["value"] == pytest.approx(cell, abs=0.01)
    assert no2["value"] == no2["grid"]["value"] and no2["basis"] == "grid"
    assert no2["grid"]["demo"] is True and no2["grid"]["dataset"] == "demo-no2-grid"
    # nearest station: the true nearest among stations measuring that year (2023: the last)
    assert no2["station"] is None  # 2025: no station measured NO2 (the data end in 2023)
    in_2023 = http.get("/api/location", params={"x": 81000, "y": 455000, "year": 2023}).json()
    st = next(i for i in in_2023["indicators"] if i["code"] == "no2_annual_mean")["station"]
    near = conn.execute(
        "SELECT s.station_id, ST_Distance(s.geom, ST_SetSRID(ST_MakePoint(81000, 455000), 28992))"
        " FROM monitor.station_status s WHERE s.indicator = 'no2_annual_mean' AND s.year = 2023"
        " ORDER BY 2 LIMIT 1").fetchone()
    assert st["id"] == near[0]
    assert st["distance_m"] == pytest.approx(near[1], abs=1)
    assert {"wijk", "buurt"} <= {a["level"] for a in no2["area_values"]}
    # every norm valid that year, with margin, status and its legal source
    norms = {n["iri"].rsplit("/", 1)[-1]: n for n in no2["norms"]}
    eu = norms["eu-2008-50-no2-jaar"]
    assert eu["source_iri"] == "http://data.europa.eu/eli/dir/2008/50/oj"
    assert eu["margin"] == pytest.approx(40 - no2["value"], abs=0.01)
    assert eu["status"] in ("good", "attention", "exceeds") and eu["binding"] is True
    assert "who-2021-no2-jaar" in norms
    assert no2["status"] in ("good", "attention", "exceeds")


def test_wgs84_gives_the_same_report(http):
    rd = http.get("/api/location", params={"x": 81000, "y": 455000}).json()
    wgs = http.get("/api/location", params={"lat": rd["point"]["lat"],
                                            "lon": rd["point"]["lon"]}).json()
    assert wgs["buurt"]["code"] == rd["buurt"]["code"]
    assert wgs["point"]["x"] == pytest.approx(81000, abs=0.5)
    same = http.get("/api/location", params={"x": rd["point"]["lon"], "y": rd["point"]["lat"],
                                             "crs": "EPSG:4326"}).json()
    assert same["buurt"]["code"] == rd["buurt"]["code"]


def test_open_norms_are_listed(http):
    body = http.get("/api/location", params={"q": "81000 455000", "year": 2024}).json()
    opens = [n for i in body["indicators"] for n in (i["norms"] or []) if n["open"]]
    for n in opens:
        assert n["status"] == "open" and n["qualitative_text"]


@pytest.mark.parametrize("params,key", [
    ({"x": "abc", "y": "455000"}, "unparseable"),
    ({"x": "81000"}, "unparseable"),
    ({}, "missing"),
    ({"x": "95000", "y": "455000"}, "outside"),          # Zoetermeer: in NL, not in the city
    ({"lat": "52.37", "lon": "4.89"}, "outside"),          # Amsterdam
    ({"x": "455000", "y": "81000"}, "not_nl"),
    ({"x": "81000", "y": "455000", "crs": "3857"}, "crs"),
    ({"x": "nan", "y": "455000"}, "unparseable"),
    ({"q": "81000 455000", "year": "20x4"}, "year"),
])
def test_bad_input_is_a_clear_400(http, params, key):
    r = http.get("/api/location", params=params)
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == key
    assert body["description"] == MESSAGES.gettext("nl", location.MESSAGES[key])
    assert "Traceback" not in r.text


def test_search_resolves_names_and_coordinates(http):
    r = http.get("/zoek", params={"q": "Kortenbos"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/gebied/BU05182811")
    r = http.get("/zoek", params={"q": "52.078, 4.308"}, follow_redirects=False)
    assert r.status_code == 303 and "/locatie?q=" in r.headers["location"]
    r = http.get("/zoek", params={"q": "centrum"})
    assert r.status_code == 200 and "Wijk 28 Centrum" in r.text
    r = http.get("/zoek", params={"q": "Spui 70"})  # geocoder off by default: says so
    assert "Adressen zoeken staat uit" in r.text


def test_dashboard_csv(http):
    r = http.get("/dashboard.csv", params={"level": "wijk", "year": 2024})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0].startswith("area_code,area_name,level,indicator")
    assert any(",no2_annual_mean," in ln and ln.endswith(",True") for ln in lines[1:])
    assert all(",2024," in ln for ln in lines[1:])


def test_map_data_is_small_and_labelled(http):
    r = http.get("/api/map", params={"indicator": "no2_annual_mean", "year": 2024,
                                     "level": "wijk"}, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers.get("content-encoding") == "gzip"
    fc = r.json()
    assert len(fc["features"]) == 44
    assert all(f["properties"]["demo"] for f in fc["features"])
    assert http.get("/api/map", params={"indicator": "nope", "year": 2024}).status_code == 400


# --- geocoder ----------------------------------------------------------------------------

def _replay(name: str, seen: list):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=json.loads((FIXTURES / name).read_text()))
    return httpx.MockTransport(handler)


def test_pdok_adapter_parses_recorded_answer():
    seen: list = []
    geo = from_config({"provider": "pdok", "url": PDOK_URL}, _replay("pdok_free_spui.json", seen),
                      city_number=get_settings().city.number)
    places = geo.search("Spui 70")
    assert places[0].name == "Spui 70, 2511BT 's-Gravenhage" and places[0].kind == "adres"
    assert (places[0].x, places[0].y) == pytest.approx((81621.42, 454874.31))
    q = seen[0].url.params
    assert q["q"] == "Spui 70" and q["fq"] == "gemeentecode:0518"
    assert seen[0].url.path.endswith("/locatieserver/search/v3_1/free")


def test_pdok_adapter_failure_is_a_geocoder_error():
    def down(request):
        raise httpx.ConnectError("no route")
    geo = PdokLocatieserver(PDOK_URL, transport=httpx.MockTransport(down))
    with pytest.raises(GeocoderError):
        geo.search("Spui")
    bad = PdokLocatieserver(PDOK_URL, transport=httpx.MockTransport(lambda r: httpx.Response(200, text="x")))
    with pytest.raises(GeocoderError):
        bad.search("Spui")


def test_geocoder_is_off_by_default_and_configurable():
    assert from_config(get_settings().geocoder) is None
    pdok = {**get_settings().geocoder, "provider": "pdok"}
    assert isinstance(from_config(pdok), PdokLocatieserver)
    with pytest.raises(ValueError, match="geocoder.url"):
        from_config({"provider": "pdok"})
    with pytest.raises(ValueError, match="geocoder.provider"):
        from_config({"provider": "google"})


def test_geocoded_point_feeds_the_location_check(http):
    """The geocoder's RD point is a valid location-check input inside the city."""
    places = PdokLocatieserver(PDOK_URL, transport=_replay("pdok_free_spui.json", [])).search("Spui 70")
    r = http.get("/api/location", params={"x": places[0].x, "y": places[0].y})
    assert r.status_code == 200 and r.json()["wijk"]["code"].startswith("WK0518")
