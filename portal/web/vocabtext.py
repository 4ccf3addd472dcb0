"""Texts of the vocabulary the pages show beside the figures: policy goals (also the open
ones, which have no number to project) and indicator definitions. Figures about goals come
from compute's table monitor.area_goal_progress, never from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph

from portal.vocabulary.graph import _PREFIXES

GOALS_QUERY = """
SELECT ?goal ?code ?labelNl ?labelEn ?definitionNl ?definitionEn ?value ?year ?comparator
       ?source ?textNl ?textEn ?verified
WHERE {
    ?goal a om:PolicyGoal ; om:steers/om:code ?code ; dct:source ?source .
    OPTIONAL { ?goal om:targetValue/qudt:numericValue ?value }
    OPTIONAL { ?goal om:targetYear ?year }
    OPTIONAL { ?goal om:comparator/skos:notation ?comparator }
    OPTIONAL { ?goal om:verified ?verified }
    OPTIONAL { ?goal skos:prefLabel ?labelNl FILTER (langMatches(lang(?labelNl), "nl")) }
    OPTIONAL { ?goal skos:prefLabel ?labelEn FILTER (langMatches(lang(?labelEn), "en")) }
    OPTIONAL { ?goal skos:definition ?definitionNl FILTER (langMatches(lang(?definitionNl), "nl")) }
    OPTIONAL { ?goal skos:definition ?definitionEn FILTER (langMatches(lang(?definitionEn), "en")) }
    OPTIONAL { ?goal om:qualitativeText ?textNl FILTER (langMatches(lang(?textNl), "nl")) }
    OPTIONAL { ?goal om:qualitativeText ?textEn FILTER (langMatches(lang(?textEn), "en")) }
}
"""

DEFINITIONS_QUERY = """
SELECT ?code ?nl ?en WHERE {
    ?i a om:Indicator ; om:code ?code .
    OPTIONAL { ?i skos:definition ?nl FILTER (langMatches(lang(?nl), "nl")) }
    OPTIONAL { ?i skos:definition ?en FILTER (langMatches(lang(?en), "en")) }
}
"""


@dataclass
class Goal:
    iri: str
    indicator: str
    label_nl: str
    label_en: str
    definition_nl: str
    definition_en: str
    target: float | None
    year: int | None
    comparator: str
    source_iri: str
    text_nl: str | None
    text_en: str | None
    verified: bool
    slug: str = field(init=False)

    def __post_init__(self):
        self.slug = self.iri.rstrip("/").rsplit("/", 1)[-1]


def vocab_extras(graph: Graph) -> tuple[list[Goal], dict[str, dict]]:
    """Policy goals (numeric and open) and indicator definitions from the vocabulary."""
    goals: dict[str, Goal] = {}
    for r in sorted(graph.query(GOALS_QUERY, initNs=_PREFIXES),
                    key=lambda r: tuple(str(v) for v in r)):
        if str(r.goal) in goals:
            continue
        year = None
        if r.year is not None:
            digits = "".join(ch for ch in str(r.year)[:4] if ch.isdigit())
            year = int(digits) if digits else None
        goals[str(r.goal)] = Goal(
            iri=str(r.goal), indicator=str(r.code), label_nl=str(r.labelNl or r.goal),
            label_en=str(r.labelEn or r.labelNl or r.goal),
            definition_nl=str(r.definitionNl or ""), definition_en=str(r.definitionEn or ""),
            target=None if r.value is None else float(r.value.toPython()), year=year,
            comparator=str(r.comparator or "le"), source_iri=str(r.source),
            text_nl=None if r.textNl is None else str(r.textNl),
            text_en=None if r.textEn is None else str(r.textEn),
            verified=bool(r.verified is not None and r.verified.toPython()))
    definitions = {str(r.code): {"nl": str(r.nl or ""), "en": str(r.en or "")}
                   for r in graph.query(DEFINITIONS_QUERY, initNs=_PREFIXES)}
    return sorted(goals.values(), key=lambda g: (g.indicator, g.year or 0, g.iri)), definitions
