"""The vocabulary as a semantic API: dereferenceable IRIs, SPARQL, DCAT and linked features.

One test per "Must show" line of issue 4, against the real app on loopback, plus unit
tests of the catalogue, the SPARQL guards and the vocabulary's SHACL coverage.
"""

from __future__ import annotations

import json
import logging

import psycopg
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SH, SKOS

from portal.ingest.manifest import all_manifests
from portal.settings import CONFIG_DIR, DATASETS_DIR
from portal.vocabulary import triplestore
from portal.vocabulary.catalogue import build_catalogue, dataset_iri, load_derived
from portal.vocabulary.graph import OM, QUDT, VOCAB_DIR, load_vocabulary, validate
from portal.vocabulary.rebase import CANONICAL, rebase
from portal.vocabulary.triplestore import ensure_store
from portal.web import sparql

SOSA = "http://www.w3.org/ns/sosa/"
DCAT = Namespace("http://www.w3.org/ns/dcat#")  # plain: pytest probes DefinedNamespace attrs
DCAT_SHAPES = VOCAB_DIR / "shapes" / "dcat-ap-nl.ttl"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
NO2_2031 = """
PREFIX om: <{base}/def/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?norm WHERE {{
    ?norm a om:Norm ; om:appliesTo/om:code "no2_annual_mean" ; om:validFrom ?from .
    OPTIONAL {{ ?norm om:validThrough ?through }}
    FILTER NOT EXISTS {{ ?norm om:appliesIn ?zone }}  # city-wide; zone-bound ones: /api/norms-at
    FILTER (?from <= "2031-01-01"^^xsd:date
            && (!BOUND(?through) || ?through >= "2031-01-01"^^xsd:date))
}}
"""


@pytest.fixture(scope="module")
def vocab() -> Graph:
    return load_vocabulary()


@pytest.fixture(scope="module")
def catalogue(vocab) -> Graph:
    return build_catalogue(all_manifests(), "http://127.0.0.1:8000", vocab,
                           load_derived(CONFIG_DIR))


# --- Must show: JSON-LD of an area-indicator item ----------------------------------------

def test_item_jsonld_links_indicator_unit_and_norms(http, server):
    fc = http.get("/ogc/collections/area-status/items",
                  params={"f": "json", "indicator": "no2_annual_mean", "year": 2031 - 1,
                          "level": "buurt", "limit": 1}).json()
    if not fc["features"]:  # demo data may stop earlier: take any year
        fc = http.get("/ogc/collections/area-status/items",
                      params={"f": "json", "indicator": "no2_annual_mean", "level": "buurt",
                              "limit": 1}).json()
    item_id = fc["features"][0]["id"]
    r = http.get(f"/ogc/collections/area-status/items/{item_id}", params={"f": "jsonld"})
    assert r.status_code == 200, r.text
    g = Graph().parse(data=r.text, format="json-ld")
    item = URIRef(f"{server}/ogc/collections/area-status/items/{item_id}")
    indicator = URIRef(f"{server}/id/indicator/no2_annual_mean")
    assert (item, RDF.type, URIRef(SOSA + "Observation")) in g
    assert (item, URIRef(SOSA + "observedProperty"), indicator) in g
    result = g.value(item, URIRef(SOSA + "hasResult"))
    assert g.value(result, QUDT.hasUnit) == URIRef("http://qudt.org/vocab/unit/MicroGM-PER-M3")
    assert g.value(result, QUDT.numericValue) is not None
    om = f"{server}/def/"
    judged = set(g.objects(item, URIRef(om + "assessedAgainst")))
    assert judged and all(str(n).startswith(f"{server}/id/norm/") for n in judged)
    assert g.value(item, URIRef(om + "governingNorm")) in judged
    # ...and every one of those IRIs resolves on the server
    for iri in [indicator, *judged]:
        assert http.get(str(iri), headers={"Accept": "text/turtle"}).status_code == 200


def test_collection_metadata_names_its_themes(http, server):
    c = http.get("/ogc/collections/area-status", params={"f": "json"}).json()
    themes = [lk for lk in c["links"] if lk["rel"] == "http://www.w3.org/ns/dcat#theme"]
    # area-status is fed by every indicator dataset: at least air quality, each theme an IRI
    hrefs = {lk["href"] for lk in themes}
    assert f"{server}/id/theme/luchtkwaliteit" in hrefs
    assert all(h.startswith(f"{server}/id/theme/") for h in hrefs)
    assert "Luchtkwaliteit" in c["keywords"]


# --- Must show: norm IRI by content negotiation ----------------------------------------

def test_norm_iri_gives_turtle_to_rdf_clients(http, server):
    iri = f"{server}/id/norm/eu-2024-2881-no2-jaar"
    r = http.get(iri, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")
    assert "Accept" in r.headers["vary"]
    g = Graph().parse(data=r.text, format="turtle")
    norm = URIRef(iri)
    assert (norm, RDF.type, URIRef(f"{server}/def/Norm")) in g
    threshold = g.value(norm, URIRef(f"{server}/def/threshold"))
    assert g.value(threshold, QUDT.numericValue).toPython() == 20
    assert {n.language for n in g.objects(norm, SKOS.editorialNote)} == {"nl", "en"}


def test_norm_iri_gives_html_to_browsers(http, server):
    iri = f"{server}/id/norm/eu-2024-2881-no2-jaar"
    r = http.get(iri, headers={"Accept": BROWSER_ACCEPT})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Accept" in r.headers["vary"]
    html = r.text
    assert '<html lang="nl">' in html and "<title>" in html
    assert "20 µg/m³" in html and "Grenswaarde" in html            # value, kind
    assert "2030-01-01" in html                                      # validity
    assert 'href="http://data.europa.eu/eli/dir/2024/2881/oj"' in html  # legal source
    assert "Nog niet geverifieerd tegen de wettekst" in html           # verification note
    en = http.get(iri, params={"lang": "en"}, headers={"Accept": BROWSER_ACCEPT}).text
    assert '<html lang="en">' in en and "Not yet verified against the legal text" in en
    assert "cdn" not in html.lower() and "unpkg" not in html


@pytest.mark.parametrize(("fmt", "media", "parser"), [
    ("jsonld", "application/ld+json", "json-ld"),
    ("rdf", "application/rdf+xml", "xml"),
    ("ttl", "text/turtle", "turtle"),
])
def test_format_fallback_and_other_serialisations(http, server, fmt, media, parser):
    iri = f"{server}/id/indicator/pm25_annual_mean"
    by_param = http.get(iri, params={"format": fmt})
    by_accept = http.get(iri, headers={"Accept": media})
    for r in (by_param, by_accept):
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
        g = Graph().parse(data=r.text, format=parser)
        assert (URIRef(iri), URIRef(f"{server}/def/code"), Literal("pm25_annual_mean")) in g


@pytest.mark.parametrize("path", ["/id/scheme/themes", "/id/theme/geluid",
                                  "/id/normkind/advieswaarde", "/id/goal/klimaatneutraal-2030",
                                  "/def/", "/def/Norm", "/id/dataset/cbs-buurten-2024",
                                  "/id/catalog/omgevingsmonitor"])
def test_every_kind_of_resource_dereferences(http, path):
    assert http.get(path, headers={"Accept": "text/turtle"}).status_code == 200
    assert http.get(path, headers={"Accept": BROWSER_ACCEPT}).status_code == 200


@pytest.mark.parametrize(("ext", "parser"), [("ttl", "turtle"), ("jsonld", "json-ld"),
                                             ("rdf", "xml"), ("nt", "nt")])
def test_whole_vocabulary_downloads(http, server, vocab, ext, parser):
    r = http.get(f"/vocab.{ext}")
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format=parser)
    assert len(g) == len(vocab)
    assert (URIRef(f"{server}/id/norm/who-2021-no2-jaar"), RDF.type,
            URIRef(f"{server}/def/Norm")) in g
    assert CANONICAL + "/id/" not in r.text  # served under the app's own base
    assert http.get("/vocab", headers={"Accept": BROWSER_ACCEPT}).status_code == 200


# --- Must show: SPARQL "norms for annual mean NO2 valid on 2031-01-01" ----------------------

def test_sparql_norms_valid_in_2031(http, server):
    r = http.get("/sparql", params={"query": NO2_2031.format(base=server)},
                 headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    norms = {b["norm"]["value"] for b in r.json()["results"]["bindings"]}
    assert norms == {f"{server}/id/norm/eu-2024-2881-no2-jaar",
                     f"{server}/id/norm/who-2021-no2-jaar"}


def test_sparql_post_and_observations(http, server):
    query = f"""PREFIX sosa: <{SOSA}>
        SELECT (COUNT(?o) AS ?n) WHERE {{
            ?o a sosa:Observation ; sosa:observedProperty <{server}/id/indicator/no2_annual_mean> }}"""
    r = http.post("/sparql", content=query,
                  headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 200, r.text
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) > 100
    form = http.post("/sparql", data={"query": f"ASK {{ <{dataset_iri('buurten')}> ?p ?o }}"})
    assert form.status_code == 200 and form.json()["boolean"] is False


def test_sparql_catalogue_is_queryable(http, server):
    query = f"""PREFIX dcat: <{DCAT}> SELECT ?d WHERE {{ ?c a dcat:Catalog ; dcat:dataset ?d }}"""
    r = http.get("/sparql", params={"query": query, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert f"{server}/id/dataset/cbs-buurten-2024" in r.text


# --- Must show: the DCAT catalogue ------------------------------------------------------

def test_catalogue_lists_every_dataset_folder(catalogue):
    folders = {p.parent.name for p in DATASETS_DIR.glob("*/dataset.yml")}
    listed = {str(d) for d in catalogue.objects(None, DCAT.dataset)}
    assert folders and {str(dataset_iri(f)) for f in folders} <= listed
    rebased = rebase(catalogue, "http://127.0.0.1:8000")
    assert rebased.value(URIRef("http://127.0.0.1:8000/id/dataset/cbs-buurten-2024"),
                         DCTERMS.identifier) == Literal("cbs-buurten-2024")


def test_catalogue_validates_against_dcat_ap_nl_shapes(catalogue):
    assert validate(catalogue, DCAT_SHAPES) == []


def test_catalogue_missing_mandatory_property_is_named(catalogue):
    broken = Graph()
    broken += catalogue
    ds = dataset_iri("lml-stations")
    broken.remove((ds, DCTERMS.title, None))
    messages = validate(broken, DCAT_SHAPES)
    assert any(m.startswith(f"{ds}:") and "dct:title" in m for m in messages), messages


def test_demo_datasets_say_demo(catalogue):
    for m in all_manifests():
        ds = dataset_iri(m.id)
        assert catalogue.value(ds, OM.demo).toPython() is m.demo
        if m.demo:
            assert all(str(t).startswith("DEMO") for t in catalogue.objects(ds, DCTERMS.title))


def test_published_datasets_have_ogc_and_download_distributions(catalogue):
    ds = dataset_iri("cbs-buurten-2024")
    urls = {str(u) for d in catalogue.objects(ds, DCAT.distribution)
            for u in catalogue.objects(d, DCAT.downloadURL)}
    assert {f"http://127.0.0.1:8000/download/cbs-buurten-2024.{fmt}"
            for fmt in ("csv", "geojson", "gpkg")} <= urls
    derived = {str(u) for d in catalogue.objects(dataset_iri("area-status"), DCAT.distribution)
               for u in catalogue.objects(d, DCAT.downloadURL)}
    assert any(u.endswith("/items?f=csv&limit=10000") for u in derived)  # derived: its items


def test_catalogue_served(http, server):
    r = http.get("/catalog", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    assert len(set(g.subjects(RDF.type, DCAT.Dataset))) >= len(all_manifests())


# --- Must show: bad input ---------------------------------------------------------------

def test_malformed_sparql_is_400_with_parser_message(http):
    r = http.get("/sparql", params={"query": "SELEC ?s WHERE { ?s ?p ?o }"})
    assert r.status_code == 400
    assert "malformed query" in r.text and "Expected" in r.text


@pytest.mark.parametrize("how", ["query", "update-param", "update-body"])
def test_sparql_update_is_refused(http, how):
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    if how == "query":
        r = http.get("/sparql", params={"query": update})
    elif how == "update-param":
        r = http.post("/sparql", data={"update": update})
    else:
        r = http.post("/sparql", content=update,
                      headers={"Content-Type": "application/sparql-update"})
    assert r.status_code in (400, 403)
    assert "read-only" in r.text
    ask = http.get("/sparql", params={"query": "ASK { <urn:a> <urn:b> <urn:c> }"})
    assert ask.json()["boolean"] is False


@pytest.mark.parametrize("path", ["/id/norm/no-such-norm", "/id/indicator/nope", "/def/Nope"])
def test_unknown_iri_is_404(http, path):
    assert http.get(path, headers={"Accept": "text/turtle"}).status_code == 404


def test_service_and_from_are_refused():
    for q in ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
              "SELECT * FROM <http://example.org/data.ttl> WHERE { ?s ?p ?o }"):
        with pytest.raises(sparql.QueryRefused) as exc:
            sparql.parse(q)
        assert exc.value.status == 400


def test_query_time_limit(loaded_db):
    """A query past the limit has its worker ended; the next query gets a fresh one."""
    store = ensure_store(loaded_db)
    engine = sparql.SparqlEngine(workers=1, timeout_seconds=1)
    try:
        endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        with pytest.raises(sparql.QueryTimeout):
            sparql.execute(engine, store, sparql.parse(endless), endless, "")
        ask = "ASK { ?s ?p ?o }"
        body, media = sparql.execute(engine, store, sparql.parse(ask), ask, "")
        assert json.loads(body)["boolean"] is True and media == "application/sparql-results+json"
    finally:
        engine.close()


def test_a_version_that_only_loaded_data_keeps_the_results_of_the_store_before(loaded_db,
                                                                            caplog):
    """Every ingest makes a new data version; its store starts from the previous one's results
    graph (23 million triples at national size) and writes only the catalogue anew."""
    import pyoxigraph as ox

    def observations(path) -> int:
        q = "SELECT (COUNT(*) AS ?n) WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> }"
        rows = ox.Store.read_only(str(path)).query(q, use_default_graph_as_union=True)
        return int(next(iter(rows))["n"].value)

    before = ensure_store(loaded_db)
    with psycopg.connect(loaded_db, autocommit=True) as conn:
        conn.execute("SELECT monitor.bump_data_version('ingest')")  # as every ingest does
        results_version = conn.execute(
            "SELECT results_version FROM monitor.data_state").fetchone()[0]
    with caplog.at_level(logging.INFO, logger="portal.triplestore"):
        after = ensure_store(loaded_db)
    assert after != before
    assert [r.results for r in caplog.records if r.msg == "SPARQL store built"] == ["kept"]
    assert results_version is not None and observations(after) == observations(before) > 10_000
    assert triplestore._results_version(ox.Store.read_only(str(after))) == results_version

    def datasets(path) -> int:  # in the catalogue, written anew for the new version
        return len(list(ox.Store.read_only(str(path)).quads_for_pattern(
            None, None, ox.NamedNode(str(DCAT.Dataset)), ox.NamedNode(triplestore.META_GRAPH))))

    assert datasets(after) == datasets(before) >= len(all_manifests())


def test_counting_every_triple_answers(http):
    r = http.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                 headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) > 100_000


# --- vocabulary content and SHACL coverage ---------------------------------------------------

def test_every_class_in_the_vocabulary_has_a_shape(vocab):
    shapes = Graph().parse(VOCAB_DIR / "shapes.ttl")
    targets = set(shapes.objects(None, SH.targetClass))
    used = set(vocab.objects(None, RDF.type))
    assert used - targets == set()


def test_norms_csv_rows_for_a_municipality_are_present(vocab):
    codes = {str(c) for c in vocab.objects(None, OM.code)}
    assert {"pm10_annual_mean", "pm25_annual_mean", "no2_hourly", "pm10_daily", "pm25_daily",
            "noise_road_lden", "noise_rail_lden", "noise_industry_lden",
            "external_safety_location_risk", "pet_afternoon", "tree_canopy_cover",
            "public_green_per_inhabitant", "soil_lead", "soil_zinc"} <= codes
    norms = set(vocab.subjects(RDF.type, OM.Norm))
    assert len(norms) >= 45
    unverified = [n for n in norms if vocab.value(n, OM.verified) == Literal(False)]
    assert len(unverified) >= 10
    for n in unverified:
        notes = {str(v) for v in vocab.objects(n, SKOS.editorialNote)}
        assert any("Not yet verified against the legal text" in v for v in notes) or any(
            "Not yet verified" in v for v in notes), n


def test_open_norm_has_text_not_threshold(vocab):
    pet = URIRef(CANONICAL + "/id/norm/pet-hittestress-klassen")
    assert vocab.value(pet, OM.threshold) is None
    assert {t.language for t in vocab.objects(pet, OM.qualitativeText)} == {"nl", "en"}


def test_every_theme_has_an_indicator(vocab):
    themes = set(vocab.subjects(RDF.type, OM.Theme))
    assert themes == set(vocab.objects(None, OM.theme))


def test_broken_goal_is_named(vocab):
    broken = Graph()
    broken += vocab
    goal = URIRef(CANONICAL + "/id/goal/klimaatneutraal-2030")
    broken.remove((goal, OM.targetValue, None))
    messages = validate(broken)
    assert any(m.startswith(f"{goal}:") and "om:targetValue" in m for m in messages), messages
