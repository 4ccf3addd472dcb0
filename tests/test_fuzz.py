"""Fuzzing: schemathesis over both OpenAPI documents against the real server, and hypothesis
property tests of the parsers that take user input.

Against the server (every operation of /api/openapi.json and /ogc/openapi?f=json, fixed
seed, deterministic, a bounded number of examples each, valid and invalid input): no
answer is 5xx, and every 4xx with a JSON body has the error shape {"code", "description"}.
Every request is recorded; the failures are collected (not shrunk, so one run shows all of
them) and asserted at the end; test-artifacts/fuzz-report.json keeps the counts and
test-artifacts/fuzz-server.log the server's log (tracebacks of any 500).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, Unsatisfiable
from schemathesis import GenerationMode

from portal.ogc import cql2
from portal.web import location, zones
from tests.conftest import artifacts, running_server

SEED = 518
EXAMPLES = 8  # per operation and generation mode (valid, invalid): the file stays near 90 s
CONFIG = {
    "seed": SEED,
    "request-timeout": 30,
    "suppress-health-check": ["all"],
    "generation": {"deterministic": True, "no-shrink": True, "database": "none"},
}
schemathesis.serializer.alias("application/sparql-query", "text/plain")

SEEN: Counter = Counter()  # (api, status) → requests
SHAPES: Counter = Counter()  # (api, status, content type) of the 4xx answers
FAILURES: list[dict] = []
TIMES: dict[str, float] = {}  # seconds per operation and mode
SKIPPED: list[str] = []  # operation and mode without cases


@pytest.fixture(scope="module")
def fuzz_server(loaded_db):
    """The real app on its own log, so that its tracebacks are not mixed with other tests'."""
    with running_server(loaded_db, "fuzz-server.log") as base:
        yield base
    (artifacts() / "fuzz-report.json").write_text(json.dumps({
        "seed": SEED, "examples_per_operation_and_mode": EXAMPLES,
        "requests": sum(SEEN.values()),
        "statuses": {f"{api} {status}": n for (api, status), n in sorted(SEEN.items())},
        "client_errors": {f"{api} {status} {ctype}": n
                          for (api, status, ctype), n in sorted(SHAPES.items())},
        "failures": FAILURES, "skipped": SKIPPED,
        "slowest": dict(sorted(TIMES.items(), key=lambda kv: -kv[1])[:15])},
        indent=1, ensure_ascii=False))


def _load(url: str):
    return schemathesis.openapi.from_url(url, config=schemathesis.Config.from_dict(CONFIG))


@pytest.fixture(scope="module")
def portal_schema(fuzz_server):
    return _load(f"{fuzz_server}/api/openapi.json")


@pytest.fixture(scope="module")
def ogc_schema(fuzz_server):
    return _load(f"{fuzz_server}/ogc/openapi?f=json")


def _request(api: str, case) -> dict:
    body = case.body
    if isinstance(body, bytes):
        body = {"bytes": body.decode("latin-1")}
    elif not isinstance(body, str | int | float | bool | dict | list):
        body = None  # none sent
    prefix = "/ogc" if api == "ogc" else ""  # the OGC document's paths are under /ogc
    return {"method": case.method.upper(), "path": prefix + case.formatted_path,
            "query": urlencode(case.query or {}, doseq=True), "body": body,
            "media_type": case.media_type}


def _check(api: str, case) -> None:
    """Record the answer; a 5xx or a JSON 4xx of another shape is a failure."""
    try:
        response = case.call()
    except Exception as exc:  # noqa: BLE001 - a dropped connection is a finding too
        FAILURES.append({**_request(api, case), "api": api, "status": None, "error": repr(exc)})
        return
    status = response.status_code
    SEEN[(api, status)] += 1
    problem = None
    if status >= 500:
        problem = "server error"
    elif status >= 400:
        ctype = response.headers.get("content-type", [""])
        ctype = (ctype[0] if isinstance(ctype, list) else ctype).split(";")[0].strip()
        SHAPES[(api, status, ctype)] += 1
        if ctype == "application/json" or ctype.endswith("+json"):
            try:
                body = json.loads(response.content)
            except ValueError:
                problem = "4xx with a JSON content type that is not JSON"
            else:
                if not (isinstance(body, dict) and isinstance(body.get("code"), str)
                        and isinstance(body.get("description"), str)):
                    problem = "4xx JSON without the {code, description} shape"
    if problem:
        FAILURES.append({**_request(api, case), "api": api, "status": status, "problem": problem,
                         "answer": response.content[:300].decode("utf-8", "replace")})


def _strategies(operation):
    """(name, strategy): valid input, and invalid input where there is something to make
    invalid. A CQL2-JSON body (POST …/items) is drawn from `_cql2_bodies` rather than by
    schemathesis: its negative generation of that recursive schema takes seconds per case."""
    yield "positive", operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    if operation.method.upper() == "POST" and operation.path.endswith("/items"):
        yield "invalid-body", _cql2_bodies().flatmap(lambda body: operation.as_strategy(
            generation_mode=GenerationMode.POSITIVE, body=body, media_type="application/json"))
    elif len(operation.query) or len(operation.body):
        yield "negative", operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)


# A grid is one collection per year (`demo-no2-grid-2017`, …): the same provider, the same
# parameters. One year stands for the others; fuzzing all 50 took two of the file's minutes.
_YEAR_OF_GRID = re.compile(r"(/collections/[^/]+)-(?:19|20)\d\d(?=/|$)")


def _fuzz(api: str, schema) -> None:
    """Every operation (one year of each per-year grid), valid and invalid input, a fixed
    number of cases each.

    (schemathesis' own pytest integration, `schema.parametrize()`, fails on pytest 9.2: it
    sets `request.node._nodeid`, which pytest no longer has; so the operations are walked
    here, each with its Hypothesis strategy.)"""
    operations = 0
    fuzzed: set[tuple[str, str]] = set()
    for result in schema.get_all_operations():
        operation = result.ok()  # an operation schemathesis cannot read fails the test here
        shape = (operation.method.upper(), _YEAR_OF_GRID.sub(r"\1-YYYY", operation.path))
        if shape in fuzzed:
            continue
        fuzzed.add(shape)
        operations += 1
        for name, strategy in _strategies(operation):

            @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.generate])
            @given(strategy)
            def run(case):
                _check(api, case)

            start = time.monotonic()
            try:
                run()
            except (Unsatisfiable, InvalidArgument) as exc:
                SKIPPED.append(f"{operation.label} {name}: {exc!r}"[:300])
            TIMES[f"{operation.label} {name}"] = round(time.monotonic() - start, 2)
    assert operations > 0


def test_fuzz_portal_api(portal_schema):
    _fuzz("portal", portal_schema)


def test_fuzz_ogc_api(ogc_schema):
    _fuzz("ogc", ogc_schema)


def test_fuzzing_found_no_server_errors_and_only_json_error_shapes(fuzz_server):
    """After the two fuzz tests (pytest runs a file in order): what they found."""
    if not SEEN:
        pytest.skip("run together with test_fuzz_portal_api and test_fuzz_ogc_api")
    assert sum(n for (api, _), n in SEEN.items() if api == "portal") > 0
    assert sum(n for (api, _), n in SEEN.items() if api == "ogc") > 0
    distinct = {json.dumps({k: v for k, v in f.items() if k != "answer"}, sort_keys=True): f
                for f in FAILURES}
    assert not distinct, (f"{len(distinct)} failing requests (server log: "
                          f"test-artifacts/fuzz-server.log):\n"
                          + "\n".join(json.dumps(f, ensure_ascii=False)
                                      for f in distinct.values()))


# Requests the fuzzing (or a property test) found answered 500 once: kept as explicit cases.
FOUND = [
    ("GET", "/api/location?x=81000&y=455000&year=2020%1F", None),  # parse_year (fixed)
    ("GET", "/api/map?indicator=no2_annual_mean&level=wijk&year=%C2%B2%C2%B2%C2%B2%C2%B2", None),
    ("GET", "/dashboard.csv?year=%C2%B2%C2%B2%C2%B2%C2%B2", None),  # '²²²²'.isdigit()
    ("POST", "/ogc/collections/buurten/items", b"{\xf4\x80}"),  # JSON body, not UTF-8
    ("GET", "/ogc/collections/parken/items/geometry?f=html", None),  # integer ids
    ("GET", "/ogc/collections/parken/items/%C3%AB?f=jsonld", None),
    ("POST", "/ogc/collections/buurten/items",  # LIKE whose pattern is not text
     (b'{"op": "not", "args": [{"op": "like", "args": [{"property": "buurtnaam"},'
      b' {"property": "buurtcode"}]}]}')),
]


@pytest.mark.parametrize("method,url,body", FOUND)
def test_found_requests_are_client_errors(fuzz_server, method, url, body):
    r = httpx.request(method, fuzz_server + url, content=body, timeout=30,
                      headers={"Content-Type": "application/json"} if body else {})
    assert r.status_code < 500, r.text[:300]
    if r.headers.get("content-type", "").startswith("application/json") and r.status_code >= 400:
        assert {"code", "description"} <= set(r.json())


# --- property tests of the parsers ------------------------------------------------------

PROPERTY = settings(max_examples=300, derandomize=True, deadline=None, database=None)
CQL2_TOKENS = [
    "value", "indicator", "year", "geom", '"value"', "=", "<>", "<", "<=", ">", ">=", "AND",
    "OR", "NOT", "(", ")", ",", "'a'", "'%'", "''", "1", "-1", "1.5", "1e400", "LIKE", "IN",
    "BETWEEN", "IS", "NULL", "TRUE", "false", "S_INTERSECTS", "S_WITHIN", "POINT(4.3 52.08)",
    "POLYGON((0 0, 1 0, 1 1, 0 0))", "BBOX(4, 52, 5, 53)", "ENVELOPE(4, 52, 5, 53)",
    "TIMESTAMP('2020-01-01T00:00:00Z')", "DATE('2020-02-30')", "INTERVAL('..', '2020-01-01')",
    "T_AFTER", "A_CONTAINS", "CASEI", "ACCENTI", "+", "-", "*", "/", "%", "div", "^", "[", "]",
]
OPS = ["and", "or", "not", "=", "<>", "<", "<=", ">", ">=", "like", "between", "in", "isNull",
       "s_intersects", "t_after", "casei", "accenti", "+", "-", "*", "/", "a_contains", "x"]
JSON_LEAF = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
             | st.sampled_from(OPS))


def _json_values():
    return st.recursive(
        JSON_LEAF,
        lambda inner: (st.lists(inner, max_size=4)
                       | st.dictionaries(st.sampled_from(["op", "args", "property", "interval",
                                                          "timestamp", "date", "bbox", "type",
                                                          "coordinates"]) | st.text(max_size=6),
                                         inner, max_size=4)
                       | st.fixed_dictionaries({"op": st.sampled_from(OPS),
                                                "args": st.lists(inner, max_size=4)})),
        max_leaves=25)


PROPERTIES = ["value", "year", "indicator", "code", "buurtcode", "naam", "geom", "id"]


def _cql2_bodies():
    """What a client may POST as a CQL2-JSON filter: well-formed filters on real and unknown
    properties, any JSON, and bytes that are not JSON (or not UTF-8)."""
    prop = st.sampled_from(PROPERTIES).map(lambda p: {"property": p})
    scalar = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    comparison = st.fixed_dictionaries({
        "op": st.sampled_from(["=", "<>", "<", ">=", "like", "isNull", "in", "between"]),
        "args": st.lists(prop | scalar | st.lists(scalar, max_size=3), max_size=3)})
    filters = st.recursive(comparison, lambda inner: st.fixed_dictionaries({
        "op": st.sampled_from(["and", "or", "not"]), "args": st.lists(inner, max_size=3)}),
        max_leaves=6)
    return filters | _json_values() | st.binary(max_size=24)


@PROPERTY
@given(st.text() | st.lists(st.sampled_from(CQL2_TOKENS), max_size=12).map(" ".join))
def test_cql2_text_raises_only_filter_error(text):
    try:
        cql2.parse(text, "cql2-text")
    except cql2.FilterError:
        pass


@PROPERTY
@given(_json_values(), st.booleans())
def test_cql2_json_raises_only_filter_error(value, as_text):
    try:
        cql2.parse(json.dumps(value) if as_text or not isinstance(value, dict) else value,
                   "cql2-json")
    except cql2.FilterError:
        pass


@PROPERTY
@given(st.text(max_size=200) | st.from_regex(
    r"\A\s*-?[0-9٠-٩]{1,7}([.,][0-9]{0,6})?\s*[,; ]\s*-?[0-9]{1,7}([.,][0-9]{0,6})?\s*\Z"))
def test_location_parse_text_raises_only_location_error(text):
    try:
        location.parse_text(text)
    except location.LocationError:
        pass


LOCATION_KEYS = st.sampled_from(["x", "y", "crs", "lat", "lon", "q"]) | st.text(max_size=4)
NUMBERISH = (st.text(max_size=20) | st.floats().map(str) | st.integers().map(str)
             | st.sampled_from(["81000", "455000", "52.078", "4,308", "nan", "inf", "-0", "1e5",
                                "28992", "4326", "EPSG:4326", "CRS84", "RD", "", " "]))


@PROPERTY
@given(st.dictionaries(LOCATION_KEYS, NUMBERISH, max_size=6))
def test_location_parse_params_raises_only_location_error(params):
    try:
        location.parse_params(params)
    except location.LocationError:
        pass


@PROPERTY
@given(st.none() | st.text(max_size=12) | st.from_regex(r"\A\s*[0-9٠-٩²]{4}\s*\Z"))
@example("0000\x1f")  # found by this test: strip() dropped \x1f, int() did not (a 500)
def test_location_parse_year_raises_only_location_error(text):
    try:
        location.parse_year(text)
    except location.LocationError:
        pass


def test_location_parse_year_takes_what_strip_drops():
    """Regression: '2020\x1f' passed the check on the stripped text, then int() of the
    unstripped text raised ValueError (GET /api/location?…&year=2020%1F was a 500)."""
    assert location.parse_year("2020\x1f") == 2020
    assert location.parse_year(" 2020\u2028") == 2020
    with pytest.raises(location.LocationError):
        location.parse_year("20\x1f20")


@PROPERTY
@given(st.none() | st.text(max_size=30) | st.dates().map(str)
       | st.from_regex(r"\A\s*[0-9]{4}-?W?[0-9]{2}-?[0-9]{1,2}\s*\Z"))
@example("2025-02-30")
def test_zones_parse_date_raises_only_date_error(text):
    try:
        zones.parse_date(text)
    except zones.DateError:
        pass
