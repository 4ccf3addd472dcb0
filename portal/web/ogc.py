"""Build pygeoapi's configuration, OpenAPI document and templates at start-up.

Collections come from the dataset manifests (key `publish`) and from
config/collections.yml; server settings from pygeoapi-config.yml. pygeoapi's
stock HTML templates load Bootstrap and Leaflet from CDNs: we write copies that
point at the assets this app serves itself.
"""

from __future__ import annotations

import copy
import logging
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin

import yaml

from portal.db.connect import pygeoapi_connection
from portal.indicators.methods import derived_feeds
from portal.ingest.gridfiles import GridFiles, ensure_grid_files
from portal.ingest.manifest import DEFAULT_PUBLISHED, Manifest, all_manifests
from portal.settings import CONFIG_DIR, REPO, Settings, get_settings
from portal.vocabulary.graph import indicators, load_vocabulary
from portal.vocabulary.rebase import CANONICAL, rebase_iri
from portal.web.assets import self_host

log = logging.getLogger("portal.ogc")
BASE_CONFIG = REPO / "pygeoapi-config.yml"
RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
PROVIDER = "portal.ogc.provider.PostGISProvider"  # GeoJSON built in PostGIS (portal/ogc)
# Part 3 classes QGIS needs before it sends filters to the server; our provider and
# fast path implement them (cql2-text and cql2-json, spatial predicates included).
FILTER_CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/queryables",
]
CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
DCAT_THEME = "http://www.w3.org/ns/dcat#theme"
# Collections whose `?f=jsonld` items use our linked-data template (vocabulary IRIs).
LINKED_DATA_COLLECTIONS = {"area-status"}
LINKED_TEMPLATES = Path(__file__).parent / "templates" / "ogc"
DEMO_NL = "DEMOGEGEVENS – geen metingen. "
DEMO_EN = "DEMO DATA – not measurements. "
MIXED_NL = ("Echte en demogegevens naast elkaar: elke rij zegt in source_kind (measured, "
            "modelled, demo) en demo wat zij is. ")
MIXED_EN = ("Real and demo data side by side: each row says in source_kind (measured, "
            "modelled, demo) and demo what it is. ")

# Small fixes to pygeoapi's templates: a page whose title block renders only blanks
# (the items page) got an empty <title>, an accessibility failure.
TEMPLATE_FIXES = {"{% if not self.title() %}": "{% if not self.title()|trim %}"}
_IE_SHIV = re.compile(r"<!--\[if lt IE 9\]>.*?<!\[endif\]-->", re.DOTALL)
# Whatever outside asset is left (e.g. the OGC API Maps overlay plugin, not on npm, used
# only for map collections we do not publish) is dropped rather than fetched.
_OUTSIDE_ASSET = re.compile(
    r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>|<link[^>]*\shref="https?://[^"]*"[^>]*>')


def _provider(settings_db: dict, table: str, id_field: str = "id",
              schema: str = "monitor") -> dict:
    """pygeoapi reflects `table` in the first schema of the search path."""
    path = [schema, *(s for s in settings_db["search_path"] if s != schema)]
    return {
        "type": "feature",
        "name": PROVIDER,
        "data": {**settings_db, "search_path": path},
        "id_field": id_field,
        "table": table,
        "geom_field": "geom",
        "storage_crs": RD_URI,
        "crs": [CRS84_URI, RD_URI, "http://www.opengis.net/def/crs/EPSG/0/4326"],
    }


def _resource(title: dict, description: dict, keywords: list[str], provider: dict,
              links: list[dict], demo: bool | str, themes: list[tuple[str, str]] = (),
              extent: tuple[float, ...] = ()) -> dict:
    """`themes`: (IRI, label) of the vocabulary themes, named in keywords and links."""
    keywords = [*keywords, *(lbl for _, lbl in themes if lbl not in keywords)]
    links = [*links, *({"type": "text/html", "rel": DCAT_THEME, "title": f"Thema: {lbl}",
                        "href": iri} for iri, lbl in themes)]
    if demo == "mixed":
        description = {"nl": MIXED_NL + description["nl"], "en": MIXED_EN + description["en"]}
        keywords = [*keywords, "demo"]
    elif demo:
        title = {"nl": "DEMO – " + title["nl"].removeprefix("DEMO – "),
                 "en": "DEMO – " + title["en"].removeprefix("DEMO – ")}
        description = {"nl": DEMO_NL + description["nl"], "en": DEMO_EN + description["en"]}
        keywords = [*keywords, "demo"]
    return {
        "type": "collection",
        "title": title,
        "description": description,
        "keywords": keywords,
        "links": links,
        # the city's extent in WGS84 (config/portal.yml); the data is stored in RD New
        "extents": {"spatial": {"bbox": list(extent or get_settings().city.extent_wgs84),
                                "crs": CRS84_URI}},
        "providers": [provider],
    }


def _manifest_provider(db: dict, m: Manifest) -> dict:
    schema, table = m.published_table
    if m.target in DEFAULT_PUBLISHED:  # its own view in schema `data`
        provider = _provider(db, table, m.id_field, schema)
        if m.publish.get("time_field"):  # what `datetime=` filters on
            provider["time_field"] = m.publish["time_field"]
        return provider
    return _provider(db, table, m.id_field, schema)


def _manifest_links(m: Manifest) -> list[dict]:
    return [{"type": "text/html", "rel": "canonical", "title": f"Bron: {m.attribution}",
             "href": m.source_url, "hreflang": "nl"},
            {"type": "text/html", "rel": "license", "title": m.license, "href": m.source_url}]


def resources(db_url: str, manifests: list[Manifest] | None = None,
              iri_base: str = CANONICAL, grids: dict[str, GridFiles] | None = None) -> dict:
    """pygeoapi resources: one per manifest with `publish`, plus derived collections.
    Restricted datasets are collections too: the access gate (portal/auth/gate.py) hides
    them from whoever may not see them."""
    manifests = all_manifests() if manifests is None else manifests
    db = pygeoapi_connection(db_url)
    themes = _themes(iri_base)
    out = {}
    for m in manifests:
        if not m.publish:
            continue
        desc = {k: f"{v} Bron: {m.attribution}. Licentie: {m.license}."
                for k, v in m.description.items()}
        theme = (m.raw or {}).get("theme") or m.theme
        out[m.publish["collection"]] = _resource(
            m.title, desc, m.keywords, _manifest_provider(db, m),
            _manifest_links(m), m.demo, [themes[theme]] if theme in themes else [])
    derived = yaml.safe_load((CONFIG_DIR / "collections.yml").read_text(encoding="utf-8")) or {}
    for cid, c in derived.items():
        feeding = derived_feeds(c, manifests)
        fed_themes = sorted({themes[t] for t in (themes.dataset_theme(m) for m in feeding)
                             if t in themes})
        out[cid] = _resource(c["title"], c["description"], c.get("keywords", []),
                             _provider(db, c["table"]), [], demo_label(feeding), fed_themes)
    out = _loaded_only(out, db_url)
    by_id = {m.id: m for m in manifests}
    for dataset, files in (grids or {}).items():  # grids: OGC API Coverages, one per year
        m = by_id[dataset]
        theme = (m.raw or {}).get("theme") or m.theme
        for year in files.years:
            title = {k: f"{v} {year}" for k, v in m.title.items()}
            desc = {k: f"{v} Jaar {year}. Bron: {m.attribution}. Licentie: {m.license}."
                    for k, v in m.description.items()}
            out[coverage_id(dataset, year)] = _resource(
                title, desc, [*m.keywords, str(year)], _coverage_provider(files.year(year)),
                _manifest_links(m), m.demo, [themes[theme]] if theme in themes else [])
    return out


def coverage_id(dataset: str, year: int) -> str:
    """The OGC API Coverages collection of one grid dataset and year."""
    return f"{dataset}-{year}"


def _coverage_provider(path: Path) -> dict:
    return {"type": "coverage", "name": "rasterio", "data": str(path),
            "format": {"name": "GTiff", "mimetype": "image/tiff; application=geotiff"}}  # GDAL looks for it


def demo_label(feeding: list[Manifest]) -> bool | str:
    """True: all demo (DEMO in the title); "mixed": real and demo side by side, labelled per
    row; False: all real."""
    kinds = {m.demo for m in feeding}
    return "mixed" if kinds == {True, False} else kinds == {True}


def _loaded_only(resources_: dict, db_url: str) -> dict:
    """Collections whose table exists: a manifest not yet ingested is not published
    (and cannot stop the server from starting)."""
    import psycopg

    with psycopg.connect(db_url) as conn:
        existing = {f"{s}.{t}" for s, t in conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema IN ('monitor', 'data')")}
    keep = {}
    for cid, res in resources_.items():
        p = res["providers"][0]
        if f"{p['data']['search_path'][0]}.{p['table']}" in existing:
            keep[cid] = res
        else:
            log.warning("collection not published: not loaded yet (run `portal ingest`)",
                        extra={"collection": cid})
    return keep


class _ThemeIndex(dict):
    """Theme notation → (served IRI, Dutch label); plus indicator code → theme notation."""

    def __init__(self, items: dict, indicator_themes: dict):
        super().__init__(items)
        self._indicator_themes = indicator_themes

    def indicator_theme(self, code: str) -> str | None:
        return self._indicator_themes.get(code)

    def dataset_theme(self, m: Manifest) -> str | None:
        return (m.raw or {}).get("theme") or self.indicator_theme(m.load.get("indicator") or "")


def _themes(iri_base: str) -> _ThemeIndex:
    graph = load_vocabulary()
    items, by_indicator = {}, {}
    for ind in indicators(graph):
        notation = ind.theme_iri.rstrip("/").rsplit("/", 1)[-1]
        items[notation] = (rebase_iri(ind.theme_iri, iri_base), ind.theme_label_nl)
        by_indicator[ind.code] = notation
    return _ThemeIndex(items, by_indicator)


def build(settings: Settings, db_url: str, runtime_dir: Path) -> tuple[Path, Path]:
    """Write pygeoapi config + OpenAPI + self-hosted templates; return (config, openapi)."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    cfg = yaml.safe_load(BASE_CONFIG.read_text(encoding="utf-8"))
    public = settings.public_url
    cfg["server"]["url"] = f"{public}/ogc"
    cfg["server"]["bind"] = {"host": settings.host, "port": settings.port}
    cfg["server"]["map"]["url"] = f"{public}/static/blank-tile.png"
    templates = _templates(runtime_dir / "ogc-templates", public)
    cfg["server"]["templates"] = {"path": str(templates)}
    manifests = all_manifests()
    cfg["resources"] = resources(db_url, manifests, settings.iri_base_url,
                                 ensure_grid_files(db_url, manifests))
    linked = _linked_templates(templates, runtime_dir / "ogc-templates-linked",
                               settings.iri_base_url)
    for cid in LINKED_DATA_COLLECTIONS & set(cfg["resources"]):
        cfg["resources"][cid]["templates"] = {"path": str(linked)}
    config_path = runtime_dir / "pygeoapi-config.yml"
    config_path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    from pygeoapi.openapi import generate_openapi_document  # needs no env at import

    openapi_path = runtime_dir / "openapi.yml"
    doc = yaml.safe_load(generate_openapi_document(config_path, "yaml"))
    openapi_path.write_text(yaml.safe_dump(_client_friendly(doc, cfg["server"]["limits"]),
                                           sort_keys=False), encoding="utf-8")
    return config_path, openapi_path


SORTBY = {"name": "sortby", "in": "query", "required": False, "style": "form", "explode": False,
          "description": "Comma-separated properties to sort by; prefix - for descending.",
          "schema": {"type": "array", "items": {"type": "string", "pattern": "[+|-]?[A-Za-z_].*"}}}
SUBSET = {"name": "subset", "in": "query", "required": False, "style": "form", "explode": False,
          "description": "Trim the coverage per axis, e.g. x(78000:84000),y(452000:458000) "
                         "(OGC API - Coverages, coordinates of the storage CRS EPSG:28992).",
          "schema": {"type": "array", "items": {"type": "string"}}}
FILTER_PARAMS = {
    "filter": {"name": "filter", "in": "query", "required": False, "schema": {"type": "string"},
               "description": "CQL2 filter expression (cql2-text; cql2-json with filter-lang)"},
    "filter-lang": {"name": "filter-lang", "in": "query", "required": False,
                    "schema": {"type": "string", "enum": ["cql2-text", "cql2-json"],
                               "default": "cql2-text"}},
    "filter-crs": {"name": "filter-crs", "in": "query", "required": False,
                   "schema": {"type": "string", "format": "uri"}},
}


def _client_friendly(doc: dict, limits: dict) -> dict:
    """What QGIS and GDAL read from OpenAPI: `limit` as a shared parameter ($ref) with its
    default and maximum (so they take 1000 a page), filter parameters; and no remote $refs:
    what pygeoapi points at on schemas.opengis.net is copied in from our vendored copy."""
    params = doc.setdefault("components", {}).setdefault("parameters", {})
    params["limit"] = {
        "name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
        "description": f"Features per page (default {limits['default_items']}, "
                       f"maximum {limits['max_items']}).",
        "schema": {"type": "integer", "minimum": 1, "default": limits["default_items"],
                   "maximum": limits["max_items"]}}
    params["sortby"] = copy.deepcopy(SORTBY)
    params["subset"] = copy.deepcopy(SUBSET)
    params.update(copy.deepcopy(FILTER_PARAMS))
    for path, item in doc.get("paths", {}).items():
        for op in item.values():
            if not isinstance(op, dict) or "parameters" not in op:
                continue
            new = []
            for p in op["parameters"]:
                if p.get("name") == "limit":
                    p = {"$ref": "#/components/parameters/limit"}
                new.append(p)
            if path.endswith("/items"):
                new += [{"$ref": f"#/components/parameters/{k}"} for k in FILTER_PARAMS]
            op["parameters"] = new
    _Internalise(doc).run()
    return doc


OGC_SCHEMAS = Path(__file__).parent / "openapi" / "ogc-schemas"
_OPENGIS = "https://schemas.opengis.net/"
_FEATURES_1 = "ogcapi/features/part1/1.0/openapi/ogcapi-features-1.yaml"
# Remote document pygeoapi refers to → (vendored file under OGC_SCHEMAS, the pointer a $ref
# to the whole document means). See ogc-schemas/NOTICE for the substitutions.
# Other schemas.opengis.net URLs are read from the same path under OGC_SCHEMAS.
REMOTE_SCHEMAS = {
    _OPENGIS + "cql2/1.0/cql2.json": ("cql2/1.0/cql2.yml", "/components/schemas/booleanExpression"),
    _OPENGIS + "ogcapi/processes/part1/1.0/openapi/schemas/exception.yaml":
        (_FEATURES_1, "/components/schemas/exception"),
    _OPENGIS + "ogcapi/tiles/part1/1.0/openapi/ogcapi-tiles-1.yaml": (_FEATURES_1, None),
}
# Remote definitions replaced by one of our own components.
OWN_COMPONENTS = {"/parameters/sortby.yaml": "#/components/parameters/sortby",
                  "/ogcapi-coverages-1.yaml": "#/components/parameters/subset"}


class _Internalise:
    """Replace every remote `$ref` of an OpenAPI document by a `#/components/...` ref to a
    copy of its target (and, recursively, of what that target refers to) taken from the
    vendored OGC files. A remote ref we have no copy of is left and logged (the tests fail
    on it)."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.done: dict[tuple[str, str], str] = {}
        self.files: dict[str, dict] = {}

    def run(self) -> None:
        self.doc["paths"] = self._rewrite(self.doc.get("paths", {}), None)
        components = self.doc.setdefault("components", {})
        for kind in list(components):
            for name in list(components[kind]):
                components[kind][name] = self._rewrite(components[kind][name], None)

    def _rewrite(self, node, base: str | None):
        """`node` with its refs made internal; `base`: URL of the document it came from
        (None: the document itself)."""
        if isinstance(node, list):
            return [self._rewrite(v, base) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and (base is not None or not ref.startswith("#")):
            return {**node, "$ref": self._internal(ref, base)}
        return {k: self._rewrite(v, base) for k, v in node.items()}

    def _internal(self, ref: str, base: str | None) -> str:
        url, _, pointer = urljoin(base or "", ref).partition("#")
        own = next((v for k, v in OWN_COMPONENTS.items() if url.endswith(k)), None)
        if own:
            return own
        if url in REMOTE_SCHEMAS:
            local, whole = REMOTE_SCHEMAS[url]
        elif url.startswith(_OPENGIS) and (OGC_SCHEMAS / url.removeprefix(_OPENGIS)).is_file():
            local, whole = url.removeprefix(_OPENGIS), None  # a vendored file, as it is
        else:
            log.warning("OpenAPI: no local copy of a remote $ref", extra={"ref": ref})
            return ref
        pointer = pointer or whole or ""
        key = (local, pointer)
        if key not in self.done:
            parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
            value = self._load(local)
            try:
                for part in parts:
                    value = value[part]
            except (KeyError, IndexError, TypeError):
                value = None
            if len(parts) != 3 or parts[0] != "components" or value is None:
                log.warning("OpenAPI: remote $ref is not a component of our copy",
                            extra={"ref": ref})
                return ref
            kind, name = parts[1], parts[2]
            target = self.doc.setdefault("components", {}).setdefault(kind, {})
            if name in target:  # one of pygeoapi's own: keep both
                name = f"{Path(local).stem}-{name}"
            self.done[key] = f"#/components/{kind}/{name}"
            target[name] = {}  # taken before the recursion: targets may refer to themselves
            target[name] = self._rewrite(copy.deepcopy(value), _OPENGIS + local)
        return self.done[key]

    def _load(self, local: str) -> dict:
        if local not in self.files:
            self.files[local] = yaml.safe_load((OGC_SCHEMAS / local).read_text(encoding="utf-8"))
        return self.files[local]


def _templates(dest: Path, public: str) -> Path:
    import pygeoapi

    src = Path(pygeoapi.__file__).parent / "templates"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
    for path in dest.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        new = _IE_SHIV.sub("", text)
        new = self_host(new, f"{public}/static")
        for old, fixed in TEMPLATE_FIXES.items():
            new = new.replace(old, fixed)
        new = _OUTSIDE_ASSET.sub(
            lambda m: m.group(0) if f'"{public}/' in m.group(0) else "", new)
        if new != text:
            path.write_text(new, encoding="utf-8")
    return dest


def _linked_templates(stock: Path, dest: Path, iri_base: str) -> Path:
    """The self-hosted templates plus our item.jsonld (SOSA observation with vocabulary IRIs).

    pygeoapi takes a resource's `templates.path` first and falls back to its own CDN-linked
    templates, so the folder holds a full copy, not only the override.
    """
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(stock, dest)
    for src in LINKED_TEMPLATES.rglob("*.jsonld"):
        target = dest / src.relative_to(LINKED_TEMPLATES)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = src.read_text(encoding="utf-8").replace("__IRI_BASE__", iri_base.rstrip("/"))
        target.write_text(text, encoding="utf-8")
    return dest


def wrap(ogc_app, settings: Settings, db_url: str, config_path: Path):
    """pygeoapi's app behind the fast JSON path and the vector tiles, declaring the filter
    classes it serves."""
    from pygeoapi.api import itemtypes

    from portal.ogc.coverages import CoverageDescription
    from portal.ogc.fastpath import FastFeatures
    from portal.ogc.tiles import VectorTiles

    for uri in FILTER_CONFORMANCE:
        if uri not in itemtypes.CONFORMANCE_CLASSES_FEATURES:
            itemtypes.CONFORMANCE_CLASSES_FEATURES.append(uri)
    cfg = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    fast = FastFeatures(ogc_app, db_url, cfg["resources"], cfg["server"]["url"],
                        cfg["server"].get("limits", {}), _definitions(settings))
    return CoverageDescription(VectorTiles(fast, fast), cfg["resources"])


def _definitions(settings: Settings) -> dict[str, dict[str, str]]:
    """collection → {property: vocabulary IRI} for manifest fields that measure an indicator."""
    out: dict[str, dict[str, str]] = {}
    for m in all_manifests():
        if m.publish:
            defs = {f.name: f"{settings.iri_base_url}/id/indicator/{f.indicator}"
                    for f in m.fields if f.indicator}
            if defs:
                out[m.publish["collection"]] = defs
    return out


def collections_without(doc: dict, hidden: set[str], fmt: str, lang: str | None
                        ) -> tuple[str | bytes, str]:
    """pygeoapi's collection list without `hidden`, as JSON, HTML or JSON-LD: rendered
    with pygeoapi's own templates and JSON-LD, from its JSON answer."""
    import json

    from pygeoapi.linked_data import jsonldify_collection
    from pygeoapi.starlette_app import api_
    from pygeoapi.util import render_j2_template

    fcm = {**doc, "collections": [c for c in doc.get("collections", [])
                                  if c.get("id") not in hidden]}
    if fmt == "html":
        fcm["base_url"] = api_.base_url
        fcm["collections_path"] = api_.get_collections_url()
        locale = api_.locales[0] if not lang else next(
            (loc for loc in api_.locales if str(loc).startswith(lang)), api_.locales[0])
        return render_j2_template(api_.tpl_config, api_.config["server"]["templates"],
                                  "collections/index.html", fcm, locale), "text/html"
    if fmt == "jsonld":
        jsonld = api_.fcmld.copy()
        jsonld["dataset"] = [jsonldify_collection(api_, c, api_.locales[0])
                             for c in fcm["collections"]]
        return json.dumps(jsonld), "application/ld+json"
    return json.dumps(fcm), "application/json"


def openapi_without(doc: dict, hidden: set[str]) -> dict:
    """The OpenAPI document without the paths and tags of `hidden` collections."""
    return {**doc,
            "paths": {p: v for p, v in doc.get("paths", {}).items()
                      if not (p.startswith("/collections/") and p.split("/")[2] in hidden)},
            "tags": [tag for tag in doc.get("tags", []) if tag.get("name") not in hidden]}
