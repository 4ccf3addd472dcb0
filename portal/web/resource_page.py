"""Turn one RDF resource into what its HTML page shows, in Dutch or English.

A norm page must let a permit officer cite the norm: value, kind, binding, validity,
legal source and whether the value was checked against the legal text. Everything else
is listed as a plain property table, so a new property appears without a code change.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, SKOS

from portal.vocabulary.graph import OM, QUDT
from portal.vocabulary.rebase import CANONICAL, rebase_iri
from portal.web.i18n import N_, Messages

_BASE: ContextVar[str] = ContextVar("iri_base", default=CANONICAL)  # for links on this page

LABELS = (SKOS.prefLabel, RDFS.label, DCTERMS.title)
TEXT = {  # labels of the page, as catalogue messages (portal/web/locale)
    "value": N_("Value"), "kind": N_("Kind of norm"), "binding": N_("Legally binding"),
    "yes": N_("yes"), "no": N_("no"), "valid": N_("Valid"), "from": N_("from"),
    "through": N_("through"), "period": N_("Averaging period"),
    "exceed": N_("Allowed exceedances per year"), "source": N_("Source"),
    "citation": N_("Citation"), "applies": N_("Applies to"), "unverified": N_("Not verified"),
    "verified": N_("Verified against the source"), "target": N_("Target value"),
    "year": N_("Target year"), "steers": N_("Steers"), "properties": N_("All properties"),
    "property": N_("Property"), "object": N_("Value"), "downloads": N_("Other formats"),
    "type": N_("Type"), "open": N_("Open norm (text)"), "summary": N_("Summary"),
    "files": N_("Download and use this dataset"),
}
PERIODS = {"P1Y": N_("calendar year"), "P1D": N_("24 hours"), "PT1H": N_("1 hour")}
_T: ContextVar[dict] = ContextVar("texts")  # TEXT in the page's language (page_model sets it)
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
    t = _T.get()
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
        rows.append((t["period"], t.get(f"period:{period}", str(period))))
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
    t = _T.get()
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


def texts(messages: Messages, lang: str) -> dict[str, str]:
    out = {k: messages.gettext(lang, v) for k, v in TEXT.items()}
    out.update({f"period:{k}": messages.gettext(lang, v) for k, v in PERIODS.items()})
    return out


def page_model(graph: Graph, description: Graph, subject: URIRef, lang: str,
               base: str = CANONICAL, messages: Messages | None = None) -> dict:
    """`graph` gives labels for everything referenced; `description` is what the page shows.

    Both are canonical (as in vocab/*.ttl); links and the IRI shown are rebased to `base`.
    """
    token = _BASE.set(base)
    token_t = _T.set(texts(messages or Messages(), lang))
    try:
        return _page_model(graph, description, subject, lang)
    finally:
        _BASE.reset(token)
        _T.reset(token_t)


def _page_model(graph: Graph, description: Graph, subject: URIRef, lang: str) -> dict:
    t = _T.get()
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
    files = []  # a dataset's distributions: where to get it (dcat:downloadURL, else accessURL)
    for dist in sorted(description.objects(subject, DCAT.distribution)):
        url = graph.value(dist, DCAT.downloadURL) or graph.value(dist, DCAT.accessURL)
        if url is not None:
            files.append({"href": str(url), "text": label(graph, dist, lang)})
    return {
        "files": files,
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
