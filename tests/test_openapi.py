"""The two OpenAPI documents — the OGC API's (/ogc/openapi) and the portal API's
(/api/openapi.json) — are self-contained (no $ref to any http(s) address, so they work
offline) and every $ref resolves; Swagger UI shows both, self-hosted."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from portal.web import ogc

OGC_DOC = "/ogc/openapi?f=json"
PORTAL_DOC = "/api/openapi.json"
PORTAL_PATHS = {"/api/location", "/api/norms-at", "/api/map", "/api/stations", "/dashboard.csv",
                "/dashboard/goals.csv", "/sparql", "/health"}


def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(doc: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@pytest.fixture(scope="module")
def docs(http) -> dict[str, dict]:
    out = {}
    for path in (OGC_DOC, PORTAL_DOC):
        r = http.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        out[path] = r.json()
    return out


@pytest.mark.parametrize("path", [OGC_DOC, PORTAL_DOC])
def test_every_ref_is_internal_and_resolves(docs, path):
    doc = docs[path]
    found = set(refs(doc))
    assert found
    assert sorted(r for r in found if re.match(r"(?i)https?://", r)) == []
    assert sorted(r for r in found if not r.startswith("#/")) == []
    unresolved = []
    for r in sorted(found):
        try:
            resolve(doc, r)
        except (KeyError, IndexError, TypeError):
            unresolved.append(r)
    assert unresolved == []


@pytest.mark.parametrize("path", [OGC_DOC, PORTAL_DOC])
def test_documents_are_valid_openapi_3_0(docs, path):
    """Against the OpenAPI 3.0 schema (the copy pygeoapi ships: no network needed)."""
    import pygeoapi

    meta = json.loads((Path(pygeoapi.__file__).parent / "resources" / "schemas" / "openapi"
                       / "openapi-3.0.x.json").read_text(encoding="utf-8"))
    errors = [f"{list(e.path)[:6]}: {e.message[:200]}"
              for e in jsonschema.Draft4Validator(meta).iter_errors(docs[path])]
    assert errors == []


def test_ogc_document_has_the_ogc_components(docs):
    doc = docs[OGC_DOC]
    comps = doc["components"]
    # the OGC responses and schemas pygeoapi referred to, copied in
    for name in ("LandingPage", "Collection", "Features", "Feature", "InvalidParameter",
                 "NotFound", "ServerError"):
        assert name in comps["responses"], name
    assert comps["schemas"]["exception"]["required"] == ["code"]
    assert set(comps["schemas"]["exception"]["properties"]) == {"code", "description"}
    items = next(p for p in doc["paths"] if p.endswith("/items"))
    body = doc["paths"][items]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/booleanExpression"}  # CQL2 (OpenAPI 3.0)
    # a path parameter is kept as itself (it used to become `sortby`)
    item = doc["paths"][items + "/{featureId}"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/featureId"} in item
    assert resolve(doc, "#/components/parameters/featureId")["in"] == "path"
    params = doc["paths"][items]["get"]["parameters"]
    for name in ("limit", "sortby", "filter", "filter-lang"):
        assert {"$ref": f"#/components/parameters/{name}"} in params, name
    limit = comps["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["maximum"]) == (100, 10000)  # what QGIS and GDAL read


def test_vendored_schemas_cover_what_pygeoapi_refers_to():
    """Each OGC document pygeoapi's generator can point at maps to a vendored file."""
    for url, (local, _) in ogc.REMOTE_SCHEMAS.items():
        assert url.startswith("https://schemas.opengis.net/")
        assert (ogc.OGC_SCHEMAS / local).is_file(), local
    assert (ogc.OGC_SCHEMAS / "LICENSE").is_file() and (ogc.OGC_SCHEMAS / "NOTICE").is_file()
    doc = {"paths": {"/x": {"get": {"responses": {
        "200": {"$ref": "https://schemas.opengis.net/ogcapi/features/part1/1.0/openapi/"
                        "ogcapi-features-1.yaml#/components/responses/Features"},
        "400": {"$ref": "https://schemas.opengis.net/cql2/1.0/cql2.json"},
        "500": {"$ref": "https://example.org/elsewhere.yaml"}}}}}}
    out = ogc._client_friendly(doc, {"default_items": 10, "max_items": 20})
    responses = out["paths"]["/x"]["get"]["responses"]
    assert responses["200"] == {"$ref": "#/components/responses/Features"}
    assert responses["400"] == {"$ref": "#/components/schemas/booleanExpression"}
    assert responses["500"] == {"$ref": "https://example.org/elsewhere.yaml"}  # left, logged
    for r in set(refs(out)) - {"https://example.org/elsewhere.yaml"}:
        resolve(out, r)
    yaml.safe_dump(out)  # no shared objects left that YAML would turn into anchors


def test_portal_document(docs, server):
    doc = docs[PORTAL_DOC]
    assert doc["openapi"].startswith("3.0")
    assert doc["servers"][0]["url"] == server
    assert set(doc["paths"]) == PORTAL_PATHS
    assert set(doc["paths"]["/sparql"]) == {"get", "post"}
    assert set(doc["paths"]["/sparql"]["post"]["requestBody"]["content"]) == {
        "application/sparql-query", "application/x-www-form-urlencoded"}
    assert "no2_annual_mean" in doc["components"]["parameters"]["indicator"]["schema"]["enum"]
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "description"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if status[0] in "45":
                    if "$ref" in response:
                        response = resolve(doc, response["$ref"])
                    schema = response["content"]["application/json"]["schema"]
                    if "$ref" in schema:
                        schema = resolve(doc, schema["$ref"])
                    assert schema is error or schema["allOf"][0] == {
                        "$ref": "#/components/schemas/Error"}, (path, method, status)


def test_documented_examples_answer(http, docs):
    """The examples the document gives work on the loaded database."""
    doc = docs[PORTAL_DOC]
    for path in ("/api/location", "/api/norms-at", "/api/map", "/api/stations"):
        params = {}
        for p in doc["paths"][path]["get"]["parameters"]:
            p = resolve(doc, p["$ref"]) if "$ref" in p else p
            if "example" in p and p["name"] not in ("lat", "lon"):
                params[p["name"]] = p["example"]
        r = http.get(path, params=params)
        assert r.status_code == 200, (path, params, r.text[:300])
    error = http.get("/api/location", params={"x": "1", "y": "2"}).json()
    assert set(error) == {"code", "description", "error"} and error["error"] == "not_nl"


@pytest.mark.parametrize("page,spec", [("/api/docs", PORTAL_DOC), ("/api/docs/ogc", OGC_DOC)])
def test_swagger_page_is_self_hosted_without_inline_script(http, server, page, spec):
    r = http.get(page, headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert re.search(r'<html lang="nl">', html)
    assert re.search(r"<title>[^<]*OpenAPI[^<]*</title>", html)
    assert f'data-spec="{server}{spec}"' in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert any("swagger-ui-bundle.js" in a for a in assets)
    for url in assets:
        assert urlsplit(url).netloc == urlsplit(server).netloc, url
        assert http.get(url).status_code == 200, url
    english = http.get(page, params={"lang": "en"}, headers={"Accept": "text/html"}).text
    assert '<html lang="en">' in english and "documentation (OpenAPI)" in english


def test_footer_links_the_api_documentation(http, server):
    html = http.get("/zoek", headers={"Accept": "text/html"}).text
    assert f'href="{server}/api/docs"' in html


@pytest.mark.parametrize("page,least", [("/api/docs", 9), ("/api/docs/ogc", 40)])
def test_swagger_ui_renders_every_operation_offline(browser, server, page, least):
    tab = browser.new_page()
    seen, errors = [], []
    tab.on("request", lambda r: seen.append(r.url))
    tab.on("console", lambda m: m.type == "error" and errors.append(m.text))
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(server + page, wait_until="networkidle")
    tab.wait_for_selector(".opblock-tag", timeout=30_000)
    if page.endswith("/ogc"):  # a closed section per collection: all there, each opens
        assert tab.locator(".opblock-tag").count() >= least
        for tag in ("buurten", "stations", "rivm-gcn-no2-2019"):
            before = tab.locator(".opblock").count()
            tab.locator(f"#operations-tag-{tag}").click()
            tab.wait_for_timeout(500)
            assert tab.locator(".opblock").count() >= before + 2, tag
    else:
        tab.wait_for_selector(".opblock", timeout=30_000)
        assert tab.locator(".opblock").count() >= least
    assert not tab.locator(".errors-wrapper").count(), tab.inner_text(".errors-wrapper")
    host = urlsplit(server).netloc
    assert [u for u in seen if not u.startswith("data:") and urlsplit(u).netloc != host] == []
    assert errors == []
    tab.close()
