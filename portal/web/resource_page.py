"""Turn one RDF resource into what its HTML page shows, in Dutch or English.

A norm page must let a permit officer cite the norm: value, kind, binding, validity,
legal source and whether the value was checked against the legal text. Everything else
is listed as a plain property table, so a new property appears without a code change.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from portal.vocabulary.graph import OM, QUDT
from portal.vocabulary.rebase import CANONICAL, rebase_iri

_BASE: ContextVar[str] = ContextVar("iri_base", default=CANONICAL)  # for links on this page

LABELS = (SKOS.prefLabel, RDFS.label, DCTERMS.title)
TEXT = {
    "nl": {"value": "Waarde", "kind": "Soort norm", "binding": "Juridisch bindend",
           "yes": "ja", "no": "nee", "valid": "Geldig", "from": "vanaf", "through": "tot en met",
           "period": "Middelingstijd", "exceed": "Toegestane overschrijdingen per jaar",
           "source": "Bron", "citation": "Vindplaats", "applies": "Geldt voor",
           "unverified": "Niet geverifieerd", "verified": "Geverifieerd tegen de bron",
           "target": "Doelwaarde", "year": "Doeljaar", "steers": "Stuurt op",
           "properties": "Alle eigenschappen", "property": "Eigenschap", "object": "Waarde",
           "downloads": "Andere formaten", "type": "Soort", "open": "Open norm (tekst)",
           "summary": "Samenvatting", "other": "English"},
    "en": {"value": "Value", "kind": "Kind of norm", "binding": "Legally binding",
           "yes": "yes", "no": "no", "valid": "Valid", "from": "from", "through": "through",
           "period": "Averaging period", "exceed": "Allowed exceedances per year",
           "source": "Source", "citation": "Citation", "applies": "Applies to",
           "unverified": "Not verified", "verified": "Verified against the source",
           "target": "Target value", "year": "Target year", "steers": "Steers",
           "properties": "All properties", "property": "Property", "object": "Value",
           "downloads": "Other formats", "type": "Type", "open": "Open norm (text)",
           "summary": "Summary", "other": "Nederlands"},
}
PERIODS = {"P1Y": ("kalenderjaar", "calendar year"), "P1D": ("24 uur", "24 hours"),
           "PT1H": ("1 uur", "1 hour")}
COMPARATOR_SIGNS = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">"}


def label(graph: Graph, node, lang: str) -> str:
    """Label in `lang`, else any label, else the IRI's last segment."""
    for prop in LABELS:
        values = [v for v in graph.objects(node, prop) if isinstance(v, Literal)]
        for v in values:
            if v.language == lang:
                return str(v)
        if values:
            return str(values[0])
    if isinstance(node, URIRef):
        return re.split(r"[/#]", str(node).rstrip("/"))[-1] or str(node)
    return str(node)


def _text(graph: Graph, node, prop, lang: str) -> str | None:
    values = [v for v in graph.objects(node, prop) if isinstance(v, Literal)]
    for v in values:
        if v.language == lang:
            return str(v)
    return str(values[0]) if values else None


def _quantity(graph: Graph, node, lang: str) -> str:
    value = graph.value(node, QUDT.numericValue)
    unit = graph.value(node, QUDT.hasUnit)
    number = f"{value.toPython():g}" if isinstance(value, Literal) else "?"
    if lang == "nl":
        number = number.replace(".", ",")
    symbol = _unit_symbol(graph, unit)
    return f"{number} {symbol}".strip()


def _unit_symbol(graph: Graph, unit) -> str:
    if unit is None:
        return ""
    for ind in graph.subjects(QUDT.hasUnit, unit):
        sym = graph.value(ind, OM.unitSymbol)
        if sym is not None:
            return str(sym)
    return str(unit).rsplit("/", 1)[-1]


def _link(graph: Graph, node, lang: str) -> dict:
    href = rebase_iri(str(node), _BASE.get())
    known = any(True for prop in LABELS for _ in graph.objects(node, prop))
    return {"href": href, "text": label(graph, node, lang) if known else href}


def norm_summary(graph: Graph, norm: URIRef, lang: str) -> list[tuple[str, object]]:
    t = TEXT[lang]
    rows: list[tuple[str, object]] = []
    threshold = graph.value(norm, OM.threshold)
    comparator = graph.value(graph.value(norm, OM.comparator), SKOS.notation)
    if threshold is not None:
        rows.append((t["value"], f"{COMPARATOR_SIGNS.get(str(comparator), '')} "
                                 f"{_quantity(graph, threshold, lang)}".strip()))
    qualitative = _text(graph, norm, OM.qualitativeText, lang)
    if qualitative:
        rows.append((t["open"], qualitative))
    kind = graph.value(norm, OM.normKind)
    if kind is not None:
        rows.append((t["kind"], _link(graph, kind, lang)))
        binding = graph.value(kind, OM.binding)
        if binding is not None:
            rows.append((t["binding"], t["yes"] if binding.toPython() else t["no"]))
    applies = graph.value(norm, OM.appliesTo)
    if applies is not None:
        rows.append((t["applies"], _link(graph, applies, lang)))
    valid_from, valid_through = graph.value(norm, OM.validFrom), graph.value(norm, OM.validThrough)
    if valid_from is not None:
        rows.append((t["valid"], f"{t['from']} {valid_from}"
                                 + (f" {t['through']} {valid_through}" if valid_through else "")))
    period = graph.value(norm, OM.averagingPeriod)
    if period is not None:
        names = PERIODS.get(str(period))
        rows.append((t["period"], names[0 if lang == "nl" else 1] if names else str(period)))
    exceed = graph.value(norm, OM.allowedExceedances)
    if exceed is not None:
        rows.append((t["exceed"], str(exceed)))
    source = graph.value(norm, DCTERMS.source)
    if source is not None:
        rows.append((t["source"], {"href": str(source), "text": str(source)}))  # external
    citation = _text(graph, norm, OM.legalCitation, lang)
    if citation:
        rows.append((t["citation"], citation))
    return rows


def goal_summary(graph: Graph, goal: URIRef, lang: str) -> list[tuple[str, object]]:
    t = TEXT[lang]
    rows: list[tuple[str, object]] = []
    target = graph.value(goal, OM.targetValue)
    comparator = graph.value(graph.value(goal, OM.comparator), SKOS.notation)
    if target is not None:
        rows.append((t["target"], f"{COMPARATOR_SIGNS.get(str(comparator), '')} "
                                  f"{_quantity(graph, target, lang)}".strip()))
    year = graph.value(goal, OM.targetYear)
    if year is not None:
        rows.append((t["year"], str(year)))
    qualitative = _text(graph, goal, OM.qualitativeText, lang)
    if qualitative:
        rows.append((t["open"], qualitative))
    steers = graph.value(goal, OM.steers)
    if steers is not None:
        rows.append((t["steers"], _link(graph, steers, lang)))
    source = graph.value(goal, DCTERMS.source)
    if source is not None:
        rows.append((t["source"], {"href": str(source), "text": str(source)}))  # external
    return rows


def _value(graph: Graph, node, lang: str, depth: int = 0):
    if isinstance(node, URIRef):
        return _link(graph, node, lang)
    if isinstance(node, BNode):
        if (node, QUDT.numericValue, None) in graph:
            return _quantity(graph, node, lang)
        if depth > 1:
            return "…"
        parts = [f"{_predicate(graph, p, lang)}: {_plain(_value(graph, o, lang, depth + 1))}"
                 for p, o in sorted(graph.predicate_objects(node)) if p != RDF.type]
        return "; ".join(parts)
    text = str(node)
    return f"{text} ({node.language})" if isinstance(node, Literal) and node.language else text


def _plain(value) -> str:
    return value["text"] if isinstance(value, dict) else str(value)


def _predicate(graph: Graph, prop: URIRef, lang: str) -> str:
    if any(True for _ in graph.objects(prop, RDFS.label)):
        return label(graph, prop, lang)
    try:
        return graph.namespace_manager.curie(prop, generate=False)
    except (KeyError, ValueError):
        return str(prop)


def page_model(graph: Graph, description: Graph, subject: URIRef, lang: str,
               base: str = CANONICAL) -> dict:
    """`graph` gives labels for everything referenced; `description` is what the page shows.

    Both are canonical (as in vocab/*.ttl); links and the IRI shown are rebased to `base`.
    """
    token = _BASE.set(base)
    try:
        return _page_model(graph, description, subject, lang)
    finally:
        _BASE.reset(token)


def _page_model(graph: Graph, description: Graph, subject: URIRef, lang: str) -> dict:
    t = TEXT[lang]
    types = set(description.objects(subject, RDF.type))
    rows = []
    for prop in sorted(set(description.predicates(subject))):
        values = sorted(description.objects(subject, prop), key=lambda v: (str(type(v)), str(v)))
        rows.append({"property": _predicate(graph, prop, lang),
                     "iri": rebase_iri(str(prop), _BASE.get()),
                     "values": [_value(graph, v, lang) for v in values]})
    summary = []
    if OM.Norm in types:
        summary = norm_summary(graph, subject, lang)
    elif OM.PolicyGoal in types:
        summary = goal_summary(graph, subject, lang)
    verified = description.value(subject, OM.verified)
    return {
        "t": t,
        "lang": lang,
        "iri": rebase_iri(str(subject), _BASE.get()),
        "title": label(graph, subject, lang),
        "types": [_link(graph, ty, lang) for ty in sorted(types)],
        "definition": _text(graph, subject, SKOS.definition, lang)
        or _text(graph, subject, RDFS.comment, lang)
        or _text(graph, subject, DCTERMS.description, lang),
        "summary": summary,
        "verified": None if verified is None else bool(verified.toPython()),
        "note": _text(graph, subject, SKOS.editorialNote, lang),
        "scope": _text(graph, subject, SKOS.scopeNote, lang),
        "rows": rows,
    }
