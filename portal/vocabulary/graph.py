"""Load, validate and query the Omgevingsmonitor vocabulary in ``vocab/*.ttl``.

Norm values live only in the Turtle files; this module reads them with SPARQL so that a
changed or added norm never needs a code change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyshacl
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SH, SKOS, XSD, NamespaceManager

REPO_ROOT = Path(__file__).resolve().parents[2]
VOCAB_DIR = REPO_ROOT / "vocab"
SHAPES_FILE = "shapes.ttl"

OM = Namespace("https://omgevingsmonitor.denhaag.nl/def/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
SOSA = Namespace("http://www.w3.org/ns/sosa/")

_PREFIXES = {
    "om": OM,
    "skos": SKOS,
    "dct": DCTERMS,
    "qudt": QUDT,
    "unit": UNIT,
    "sosa": SOSA,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "sh": SH,
    "dcat": DCAT,
    "foaf": FOAF,
}


@dataclass(frozen=True)
class Indicator:
    iri: str
    code: str
    label_nl: str
    label_en: str
    unit_iri: str
    unit_symbol: str | None
    theme_iri: str
    theme_label_nl: str
    theme_label_en: str


@dataclass(frozen=True)
class Norm:
    iri: str
    indicator_code: str
    label_nl: str
    label_en: str
    kind_iri: str
    kind_label_nl: str
    kind_label_en: str
    binding: bool
    threshold: float | None
    unit_symbol: str | None
    comparator: str  # 'le', 'lt', 'ge' or 'gt': the value complies when `value <op> threshold`
    valid_from: date | None
    valid_through: date | None
    source_iri: str
    citation: str | None
    verified: bool
    qualitative_text: str | None
    averaging_period: str | None = None  # xsd:duration, e.g. PT1H, P1D, P1Y
    allowed_exceedances: int | None = None  # times per year the threshold may be passed


@dataclass(frozen=True)
class PolicyGoal:
    iri: str
    indicator_code: str
    label_nl: str
    label_en: str
    target_value: float
    target_year: int
    source_iri: str


# --- loading and validation -------------------------------------------------------------


def load_vocabulary(vocab_dir: Path = VOCAB_DIR) -> Graph:
    """Merge every vocabulary file except the shapes, which describe the data, not are it."""
    vocab_dir = Path(vocab_dir)
    if not vocab_dir.is_dir():
        raise FileNotFoundError(f"vocabulary directory not found: {vocab_dir}")
    graph = Graph()
    for prefix, ns in _PREFIXES.items():
        graph.bind(prefix, ns)
    for path in sorted(vocab_dir.glob("*.ttl")):
        if path.name != SHAPES_FILE:
            graph.parse(path, format="turtle")
    return graph


def validate(graph: Graph, shapes_path: Path | str | None = None, *, lang: str = "en") -> list[str]:
    """Check the graph against the SHACL shapes; an empty list means valid.

    Messages read ``<focus node>: <property path>: <message>`` (path ``-`` for node-level
    constraints) so that an editor can find the offending resource without reading SHACL.
    A blank focus node is shown as ``<subject> <predicate>`` of the triple that uses it.
    """
    shapes = Graph().parse(Path(shapes_path or VOCAB_DIR / SHAPES_FILE), format="turtle")
    _conforms, results, _text = pyshacl.validate(
        data_graph=graph,
        shacl_graph=shapes,
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
    )
    names = _namespace_manager()
    nested = set(results.objects(None, SH.detail))
    messages: set[str] = set()
    for result in results.subjects(RDF.type, SH.ValidationResult):
        if result in nested:  # already summed up by the sh:node result that wraps it
            continue
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        severity = results.value(result, SH.resultSeverity)
        text = _pick_message(results, shapes, result, lang)
        if severity is not None and severity != SH.Violation:
            text = f"[{names.curie(severity).split(':')[-1]}] {text}"
        path_text = _render_path(results, path, names) if path is not None else "-"
        messages.add(f"{_render_focus(graph, focus, names)}: {path_text}: {text}")
    return sorted(messages)


def _namespace_manager() -> NamespaceManager:
    manager = NamespaceManager(Graph(), bind_namespaces="none")
    for prefix, ns in _PREFIXES.items():
        manager.bind(prefix, ns)
    return manager


def _pick_message(results: Graph, shapes: Graph, result, lang: str) -> str:
    candidates = sorted(results.objects(result, SH.resultMessage))
    for wanted in (lang, "en"):
        for message in candidates:
            if isinstance(message, Literal) and message.language == wanted:
                return str(message)
        # pyshacl drops the language tag when it fills in a SPARQL message template, so
        # recover it by matching the filled-in text against the shape's tagged templates.
        constraint = results.value(result, SH.sourceConstraint)
        for template in shapes.objects(constraint, SH.message) if constraint else ():
            if isinstance(template, Literal) and template.language == wanted:
                parts = re.split(r"\{[?$]\w+\}", str(template))
                pattern = ".*".join(re.escape(part) for part in parts)
                for message in candidates:
                    if re.fullmatch(pattern, str(message), flags=re.DOTALL):
                        return str(message)
    if candidates:
        return str(candidates[0])
    component = results.value(result, SH.sourceConstraintComponent)
    value = results.value(result, SH.value)
    return f"violates {component}" + (f" (value {value})" if value is not None else "")


def _render_path(results: Graph, path, names: NamespaceManager) -> str:
    if isinstance(path, URIRef):
        return _curie(path, names)
    if isinstance(path, BNode):
        if (path, RDF.first, None) in results:
            return "/".join(
                _render_path(results, step, names) for step in Collection(results, path)
            )
        inverse = results.value(path, SH.inversePath)
        if inverse is not None:
            return "^" + _render_path(results, inverse, names)
    return str(path)


def _render_focus(graph: Graph, focus, names: NamespaceManager) -> str:
    if isinstance(focus, BNode):
        for subject, predicate in graph.subject_predicates(focus):
            return f"{_render_focus(graph, subject, names)} {_curie(predicate, names)}"
        return "[blank node]"
    return str(focus)


def _curie(iri: URIRef, names: NamespaceManager) -> str:
    try:
        return names.curie(iri, generate=False)
    except (KeyError, ValueError):
        return f"<{iri}>"


# --- queries ------------------------------------------------------------------------------

_INDICATORS_QUERY = """
SELECT ?indicator ?code ?labelNl ?labelEn ?unit ?unitSymbol ?theme ?themeNl ?themeEn
WHERE {
    ?indicator a om:Indicator ;
        om:code ?code ;
        qudt:hasUnit ?unit ;
        om:theme ?theme .
    OPTIONAL { ?indicator om:unitSymbol ?unitSymbol }
    OPTIONAL { ?indicator skos:prefLabel ?labelNl FILTER (langMatches(lang(?labelNl), "nl")) }
    OPTIONAL { ?indicator skos:prefLabel ?labelEn FILTER (langMatches(lang(?labelEn), "en")) }
    OPTIONAL { ?theme skos:prefLabel ?themeNl FILTER (langMatches(lang(?themeNl), "nl")) }
    OPTIONAL { ?theme skos:prefLabel ?themeEn FILTER (langMatches(lang(?themeEn), "en")) }
}
"""

_NORMS_QUERY = """
SELECT ?norm ?code ?labelNl ?labelEn ?kind ?kindNl ?kindEn ?binding
       ?value ?unitSymbol ?qudtSymbol ?comparator ?validFrom ?validThrough ?source
       ?citationNl ?citationEn ?verified ?textNl ?textEn ?period ?allowed
WHERE {
    ?norm a om:Norm ;
        om:appliesTo ?indicator ;
        om:normKind ?kind ;
        om:comparator/skos:notation ?comparator ;
        dct:source ?source .
    ?indicator om:code ?code .
    OPTIONAL { ?kind om:binding ?binding }
    OPTIONAL {
        ?norm om:threshold ?threshold .
        ?threshold qudt:numericValue ?value .
        OPTIONAL {
            ?threshold qudt:hasUnit ?unit .
            OPTIONAL { ?indicator qudt:hasUnit ?unit ; om:unitSymbol ?unitSymbol }
            OPTIONAL { ?unit qudt:symbol ?qudtSymbol }
        }
    }
    OPTIONAL { ?norm om:validFrom ?validFrom }
    OPTIONAL { ?norm om:validThrough ?validThrough }
    OPTIONAL { ?norm om:averagingPeriod ?period }
    OPTIONAL { ?norm om:allowedExceedances ?allowed }
    OPTIONAL { ?norm om:verified ?verified }
    OPTIONAL { ?norm skos:prefLabel ?labelNl FILTER (langMatches(lang(?labelNl), "nl")) }
    OPTIONAL { ?norm skos:prefLabel ?labelEn FILTER (langMatches(lang(?labelEn), "en")) }
    OPTIONAL { ?kind skos:prefLabel ?kindNl FILTER (langMatches(lang(?kindNl), "nl")) }
    OPTIONAL { ?kind skos:prefLabel ?kindEn FILTER (langMatches(lang(?kindEn), "en")) }
    OPTIONAL { ?norm om:legalCitation ?citationNl FILTER (langMatches(lang(?citationNl), "nl")) }
    OPTIONAL { ?norm om:legalCitation ?citationEn FILTER (lang(?citationEn) != "nl") }
    OPTIONAL { ?norm om:qualitativeText ?textNl FILTER (langMatches(lang(?textNl), "nl")) }
    OPTIONAL { ?norm om:qualitativeText ?textEn FILTER (lang(?textEn) != "nl") }
}
"""

_GOALS_QUERY = """
SELECT ?goal ?code ?labelNl ?labelEn ?value ?year ?source
WHERE {
    ?goal a om:PolicyGoal ;
        om:steers/om:code ?code ;
        om:targetValue/qudt:numericValue ?value ;
        om:targetYear ?year ;
        dct:source ?source .
    OPTIONAL { ?goal skos:prefLabel ?labelNl FILTER (langMatches(lang(?labelNl), "nl")) }
    OPTIONAL { ?goal skos:prefLabel ?labelEn FILTER (langMatches(lang(?labelEn), "en")) }
}
"""


def _rows(graph: Graph, query: str, key: str) -> list:
    """One row per resource, chosen deterministically if sloppy data yields several."""
    rows = sorted(
        graph.query(query, initNs=_PREFIXES),
        key=lambda row: tuple("" if v is None else str(v) for v in row),
    )
    seen: dict[str, object] = {}
    for row in rows:
        seen.setdefault(str(row[key]), row)
    return list(seen.values())


def _text(value) -> str | None:
    return None if value is None else str(value)


def _bool(value) -> bool:
    return bool(value.toPython()) if isinstance(value, Literal) else False


def _date(value) -> date | None:
    if value is None:
        return None
    parsed = value.toPython()
    return parsed if isinstance(parsed, date) else date.fromisoformat(str(value)[:10])


def _year(value) -> int:
    match = re.match(r"-?\d+", str(value))
    if match is None:
        raise ValueError(f"not a year: {value!r}")
    return int(match.group())


def indicators(graph: Graph) -> list[Indicator]:
    """Sorted by code, the key datasets and SQL join on."""
    result = [
        Indicator(
            iri=str(row.indicator),
            code=str(row.code),
            label_nl=_text(row.labelNl) or "",
            label_en=_text(row.labelEn) or "",
            unit_iri=str(row.unit),
            unit_symbol=_text(row.unitSymbol),
            theme_iri=str(row.theme),
            theme_label_nl=_text(row.themeNl) or "",
            theme_label_en=_text(row.themeEn) or "",
        )
        for row in _rows(graph, _INDICATORS_QUERY, "indicator")
    ]
    return sorted(result, key=lambda i: (i.code, i.iri))


def norms(graph: Graph) -> list[Norm]:
    """Sorted by indicator code, then validity start, so successive norms read as a timeline.

    The caller picks the norm(s) valid on a date; nothing here filters, so history stays.
    """
    result = [
        Norm(
            iri=str(row.norm),
            indicator_code=str(row.code),
            label_nl=_text(row.labelNl) or "",
            label_en=_text(row.labelEn) or "",
            kind_iri=str(row.kind),
            kind_label_nl=_text(row.kindNl) or "",
            kind_label_en=_text(row.kindEn) or "",
            binding=_bool(row.binding),
            threshold=None if row.value is None else float(row.value.toPython()),
            unit_symbol=_text(row.unitSymbol) or _text(row.qudtSymbol),
            comparator=str(row.comparator),
            valid_from=_date(row.validFrom),
            valid_through=_date(row.validThrough),
            source_iri=str(row.source),
            citation=_text(row.citationNl) or _text(row.citationEn),
            verified=_bool(row.verified),
            qualitative_text=_text(row.textNl) or _text(row.textEn),
            averaging_period=_text(row.period),
            allowed_exceedances=None if row.allowed is None else int(row.allowed.toPython()),
        )
        for row in _rows(graph, _NORMS_QUERY, "norm")
    ]
    return sorted(result, key=lambda n: (n.indicator_code, n.valid_from or date.min, n.iri))


def goals(graph: Graph) -> list[PolicyGoal]:
    """Sorted by indicator code, then target year."""
    result = [
        PolicyGoal(
            iri=str(row.goal),
            indicator_code=str(row.code),
            label_nl=_text(row.labelNl) or "",
            label_en=_text(row.labelEn) or "",
            target_value=float(row.value.toPython()),
            target_year=_year(row.year),
            source_iri=str(row.source),
        )
        for row in _rows(graph, _GOALS_QUERY, "goal")
    ]
    return sorted(result, key=lambda g: (g.indicator_code, g.target_year, g.iri))
