"""A DCAT-AP-NL catalogue of every dataset, generated from the manifests.

The manifests are the one description of a dataset; this module only restates them in
DCAT so that national and European portals can harvest the monitor. Distributions point
at the OGC API collection and its GeoJSON/CSV downloads; datasets that are not published
themselves point at their source. Demo datasets say so in title, keyword and om:demo.
IRIs are canonical (https://omgevingsmonitor.denhaag.nl/id/...); the web layer rebases them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from psycopg.rows import tuple_row
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS

from portal.indicators.methods import derived_feeds
from portal.settings import City, get_settings
from portal.vocabulary.graph import OM, indicators
from portal.vocabulary.rebase import CANONICAL

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
ID = f"{CANONICAL}/id/"
CATALOG = URIRef(ID + "catalog/omgevingsmonitor")
OGC_FEATURES = URIRef("http://www.opengis.net/spec/ogcapi-features-1/1.0")
OGC_COVERAGES = URIRef("http://www.opengis.net/spec/ogcapi-coverages-1/1.0")
AREA_DOWNLOADS_OF = "area-status"  # the derived dataset whose per-area files are listed
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
LICENSES = {  # SPDX id in a manifest → licence IRI
    "CC0-1.0": "http://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-4.0": "http://creativecommons.org/licenses/by/4.0/",
}
OWN_FIGURES_LICENSE = "CC-BY-4.0"  # what compute derives (derived collections, area files)
FREQUENCIES = {"yearly": "ANNUAL", "annual": "ANNUAL", "monthly": "MONTHLY", "daily": "DAILY",
               "generated": "IRREG", "irregular": "IRREG"}
FORMATS = {  # our key → (EU file type, IANA media type)
    "geojson": ("GEOJSON", "application/geo+json"),
    "csv": ("CSV", "text/csv"),
    "gpkg": ("GPKG", "application/geopackage+sqlite3"),
    "tif": ("TIFF", "image/tiff"),
    "pdf": ("PDF", "application/pdf"),
    "html": ("HTML", "text/html"),
    "json": ("JSON", "application/json"),
}


def dataset_iri(dataset_id: str) -> URIRef:
    return URIRef(ID + f"dataset/{dataset_id}")


@dataclass(frozen=True)
class OnOffer:
    """What the database holds that the catalogue lists files of: each grid's years (a
    coverage and a GeoTIFF per year) and the areas (a CSV and a PDF report each)."""

    grid_years: dict[str, tuple[int, ...]] = field(default_factory=dict)
    areas: tuple[str, ...] = ()

    @classmethod
    def read(cls, conn) -> OnOffer:
        cur = conn.cursor(row_factory=tuple_row)  # whatever the connection's row factory
        years: dict[str, tuple[int, ...]] = {}
        for dataset, year in cur.execute(
                "SELECT dv.dataset, b.year FROM monitor.grid g"
                " JOIN monitor.dataset_version dv ON dv.id = g.dataset_version_id"
                " AND dv.is_current JOIN monitor.grid_band b ON b.grid_id = g.id"
                " ORDER BY 1, 2").fetchall():
            years[dataset] = (*years.get(dataset, ()), year)
        areas = tuple(r[0] for r in cur.execute(
            "SELECT code FROM monitor.area WHERE level IN ('wijk', 'buurt') ORDER BY code"))
        return cls(years, areas)


def build_catalogue(manifests: Iterable, public_url: str, vocab: Graph,
                    derived: dict | None = None, city: City | None = None,
                    offer: OnOffer | None = None) -> Graph:
    """Catalogue + one dcat:Dataset per manifest (every access level) + derived collections.
    The publisher is the city of config/portal.yml; `offer` adds the files per grid year
    and per area."""
    manifests = list(manifests)
    city = city or get_settings().city
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD),
                       ("om", OM), ("skos", SKOS)):
        g.bind(prefix, ns)
    public = public_url.rstrip("/")
    theme_of_indicator = {i.code: i.theme_iri for i in indicators(vocab)}

    g.add((CATALOG, RDF.type, DCAT.Catalog))
    nl, en = city.display_name.get("nl", city.name), city.display_name.get("en", city.name)
    _texts(g, CATALOG, DCTERMS.title, {"nl": f"Catalogus van de Omgevingsmonitor {nl}",
                                       "en": f"Catalogue of the Environment Monitor {en}"})
    _texts(g, CATALOG, DCTERMS.description, {
        "nl": f"Alle datasets van de Omgevingsmonitor {nl}, met hun OGC API-collecties en downloads.",
        "en": f"Every dataset of the Environment Monitor {en}, with its OGC API collections "
              "and downloads."})
    g.add((CATALOG, DCTERMS.publisher, _agent(g, city.publisher, URIRef(city.homepage))))
    g.add((CATALOG, FOAF.homepage, URIRef(public + "/")))
    g.add((CATALOG, DCTERMS.language, URIRef(EU + "language/NLD")))
    g.add((CATALOG, DCTERMS.license, URIRef(LICENSES["CC0-1.0"])))
    g.add((CATALOG, DCAT.themeTaxonomy, URIRef(ID + "scheme/themes")))
    _services(g, public, city)

    offer = offer or OnOffer()
    for m in manifests:
        _dataset(g, m, public, vocab, theme_of_indicator, city, offer)
    for cid, c in (derived or {}).items():
        _derived(g, cid, c, derived_feeds(c, manifests), public, vocab, theme_of_indicator,
                 city, offer)
    return g


def load_derived(config_dir: Path) -> dict:
    path = Path(config_dir) / "collections.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {} if path.is_file() else {}


# --- parts ----------------------------------------------------------------------------------

def _texts(g: Graph, s, p, texts: dict) -> None:
    for lang, text in (texts or {}).items():
        if text:
            g.add((s, p, Literal(str(text).strip(), lang=lang)))


def _agent(g: Graph, name: str, iri: URIRef | None = None):
    node = iri or BNode()
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, FOAF.name, Literal(name)))
    return node


def _contact(g: Graph, city: City):
    node = BNode()
    g.add((node, RDF.type, VCARD.Kind))  # stated, not inferred: validation runs without RDFS
    g.add((node, RDF.type, VCARD.Organization))
    g.add((node, VCARD.fn, Literal(f"{city.publisher}, Omgevingsmonitor")))
    g.add((node, VCARD.hasEmail, URIRef(city.contact)))
    return node


def _license(g: Graph, text: str):
    if text in LICENSES:
        return URIRef(LICENSES[text])
    node = BNode()  # free-text licence terms: keep them readable rather than guess an IRI
    g.add((node, RDF.type, DCTERMS.LicenseDocument))
    g.add((node, RDFS.label, Literal(text)))
    return node


def _services(g: Graph, public: str, city: City) -> None:
    for key, title, endpoint, spec in (
            ("ogc-api", ("OGC API Features van de Omgevingsmonitor",
                         "OGC API Features of the Environment Monitor"), "/ogc", OGC_FEATURES),
            ("sparql", ("SPARQL-endpoint van de Omgevingsmonitor",
                        "SPARQL endpoint of the Environment Monitor"), "/sparql", SPARQL_PROTOCOL)):
        svc = URIRef(ID + f"service/{key}")
        g.add((CATALOG, DCAT.service, svc))
        g.add((svc, RDF.type, DCAT.DataService))
        _texts(g, svc, DCTERMS.title, {"nl": title[0], "en": title[1]})
        g.add((svc, DCAT.endpointURL, URIRef(public + endpoint)))
        g.add((svc, DCTERMS.conformsTo, spec))
        g.add((svc, DCTERMS.publisher, URIRef(city.homepage)))


def _themes(g: Graph, ds, theme_iris: set[str], vocab: Graph, fallback: str) -> None:
    """Our own theme plus the EU data theme it maps to (DCAT-AP's controlled list)."""
    eu_themes = set()
    for t in theme_iris:
        g.add((ds, DCAT.theme, URIRef(t)))
        for match in (SKOS.closeMatch, SKOS.broadMatch, SKOS.exactMatch):
            eu_themes |= {o for o in vocab.objects(URIRef(t), match)
                          if str(o).startswith(EU + "data-theme/")}
    for t in eu_themes or {URIRef(EU + "data-theme/" + fallback)}:
        g.add((ds, DCAT.theme, t))


def _common(g: Graph, ds, *, ident: str, title: dict, description: dict, demo: bool,
            keywords: list[str], publisher: str, access: str, update: str | None,
            city: City) -> None:
    g.add((CATALOG, DCAT.dataset, ds))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.identifier, Literal(ident)))
    if demo:
        title = {k: v if v.startswith("DEMO") else f"DEMO – {v}" for k, v in title.items()}
        keywords = [*keywords, "demo"] if "demo" not in keywords else keywords
    _texts(g, ds, DCTERMS.title, title)
    _texts(g, ds, DCTERMS.description, description)
    g.add((ds, OM.demo, Literal(bool(demo))))
    for kw in keywords:
        g.add((ds, DCAT.keyword, Literal(str(kw), lang="nl")))
    g.add((ds, DCTERMS.publisher, _agent(g, publisher)))
    g.add((ds, DCAT.contactPoint, _contact(g, city)))
    right = "PUBLIC" if access == "public" else "NON_PUBLIC"
    g.add((ds, DCTERMS.accessRights, URIRef(EU + "access-right/" + right)))
    g.add((ds, DCTERMS.language, URIRef(EU + "language/NLD")))
    freq = FREQUENCIES.get(str(update or "").lower(), "UNKNOWN")
    g.add((ds, DCTERMS.accrualPeriodicity, URIRef(EU + "frequency/" + freq)))


def _distribution(g: Graph, ds, key: str, title: dict, fmt: str, license_node, *,
                  access: str, download: str | None = None, service: str | None = None) -> None:
    dist = URIRef(f"{ds}/distribution/{key}")
    g.add((ds, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    _texts(g, dist, DCTERMS.title, title)
    g.add((dist, DCAT.accessURL, URIRef(access)))
    if download:
        g.add((dist, DCAT.downloadURL, URIRef(download)))
    file_type, media = FORMATS[fmt]
    g.add((dist, DCTERMS.format, URIRef(EU + "file-type/" + file_type)))
    g.add((dist, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/" + media)))
    g.add((dist, DCTERMS.license, license_node))
    if service:
        g.add((dist, DCAT.accessService, URIRef(ID + f"service/{service}")))


def _collection_distributions(g: Graph, ds, public: str, collection: str, license_node,
                              dataset: str | None = None) -> None:
    """The OGC API collection, and the dataset's files (/download/, streamed whole) — or,
    for a derived collection, its items as GeoJSON and CSV."""
    base = f"{public}/ogc/collections/{collection}"
    _distribution(g, ds, "ogc-api", {"nl": f"OGC API Features-collectie '{collection}'",
                                     "en": f"OGC API Features collection '{collection}'"},
                  "geojson", license_node, access=base, service="ogc-api")
    g.add((URIRef(f"{ds}/distribution/ogc-api"), DCTERMS.conformsTo, OGC_FEATURES))
    for fmt in ("geojson", "csv", "gpkg") if dataset else ("geojson", "csv"):
        f = "json" if fmt == "geojson" else fmt
        url = f"{public}/download/{dataset}.{fmt}" if dataset \
            else f"{base}/items?f={f}&limit=10000"
        _distribution(g, ds, f"download-{fmt}",
                      {"nl": f"Download ({fmt.upper()})", "en": f"Download ({fmt.upper()})"},
                      fmt, license_node, access=url, download=url)


def _grid_distributions(g: Graph, ds, public: str, dataset: str, years: tuple[int, ...],
                        license_node) -> None:
    """Every year as an OGC API Coverages collection and a Cloud-Optimised GeoTIFF, and one
    GeoTIFF with every year as a band."""
    whole = f"{public}/download/{dataset}.tif"
    _distribution(g, ds, "download-tif", {"nl": "Download, alle jaren (GeoTIFF)",
                                          "en": "Download, every year (GeoTIFF)"},
                  "tif", license_node, access=whole, download=whole)
    for year in years:
        coverage = f"{public}/ogc/collections/{dataset}-{year}"
        _distribution(g, ds, f"coverage-{year}",
                      {"nl": f"OGC API Coverages {year}", "en": f"OGC API Coverages {year}"},
                      "tif", license_node, access=coverage, service="ogc-api")
        g.add((URIRef(f"{ds}/distribution/coverage-{year}"), DCTERMS.conformsTo,
               OGC_COVERAGES))
        cog = f"{public}/download/{dataset}/{year}.tif"
        _distribution(g, ds, f"download-{year}-tif",
                      {"nl": f"Cloud-Optimised GeoTIFF {year}",
                       "en": f"Cloud-Optimised GeoTIFF {year}"},
                      "tif", license_node, access=cog, download=cog)


def _area_distributions(g: Graph, ds, public: str, areas: tuple[str, ...],
                        license_node) -> None:
    for code in areas:
        for fmt, what in (("csv", ("cijfers", "figures")), ("pdf", ("rapport", "report"))):
            url = f"{public}/gebied/{code}.{fmt}"
            _distribution(g, ds, f"{code}-{fmt}",
                          {"nl": f"{code}: {what[0]} ({fmt.upper()})",
                           "en": f"{code}: {what[1]} ({fmt.upper()})"},
                          fmt, license_node, access=url, download=url)


def _dataset(g: Graph, m, public: str, vocab: Graph, theme_of_indicator: dict,
             city: City, offer: OnOffer) -> None:
    raw = getattr(m, "raw", {}) or {}
    ds = dataset_iri(m.id)
    _common(g, ds, ident=m.id, title=dict(m.title), description=dict(m.description),
            demo=bool(m.demo), keywords=list(m.keywords or []), publisher=m.publisher,
            access=m.access, update=raw.get("update"), city=city)
    themes = set()
    theme = raw.get("theme") or getattr(m, "theme", None)
    if theme:
        themes.add(theme if "://" in str(theme) else ID + f"theme/{theme}")
    indicator = (m.load or {}).get("indicator")
    if indicator in theme_of_indicator:
        themes.add(theme_of_indicator[indicator])
        g.add((ds, OM.indicator, URIRef(ID + f"indicator/{indicator}")))
    area_data = (m.load or {}).get("into") == "area"
    _themes(g, ds, themes, vocab, "REGI" if area_data else "ENVI")
    g.add((ds, DCAT.landingPage, URIRef(m.source_url)))
    if raw.get("provenance"):
        g.add((ds, RDFS.comment, Literal(str(raw["provenance"]), lang="en")))
    lic = _license(g, m.license)
    if m.access != "public":  # listed with its access right, never its data
        _distribution(g, ds, "source", {"nl": "Bron", "en": "Source"}, "html", lic,
                      access=m.source_url)
    elif m.publish:
        _collection_distributions(g, ds, public, m.publish["collection"], lic, m.id)
    elif m.id in offer.grid_years:
        _grid_distributions(g, ds, public, m.id, offer.grid_years[m.id], lic)
    else:
        _distribution(g, ds, "source", {"nl": "Bron", "en": "Source"}, "html", lic,
                      access=m.source_url)


def _derived(g: Graph, cid: str, c: dict, feeding: list, public: str, vocab: Graph,
             theme_of_indicator: dict, city: City, offer: OnOffer) -> None:
    ds = dataset_iri(cid)
    demo = bool(feeding) and all(m.demo for m in feeding)  # mixed: labelled per row
    _common(g, ds, ident=cid, title=c["title"], description=c["description"], demo=demo,
            keywords=list(c.get("keywords", [])), publisher=city.publisher,
            access="public", update="yearly", city=city)
    codes = {(m.load or {}).get("indicator") for m in feeding} - {None}
    _themes(g, ds, {theme_of_indicator[c] for c in codes if c in theme_of_indicator}, vocab, "ENVI")
    for m in feeding:
        g.add((ds, DCTERMS.source, dataset_iri(m.id)))
    for code in sorted(c for c in codes if c):
        g.add((ds, OM.indicator, URIRef(ID + f"indicator/{code}")))
    g.add((ds, DCAT.landingPage, URIRef(public + "/")))
    _collection_distributions(g, ds, public, cid, URIRef(LICENSES[OWN_FIGURES_LICENSE]))
    if cid == AREA_DOWNLOADS_OF:
        _area_distributions(g, ds, public, offer.areas, URIRef(LICENSES[OWN_FIGURES_LICENSE]))
