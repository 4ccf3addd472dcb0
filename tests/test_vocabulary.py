"""Tests for the shared RDF vocabulary (vocab/*.ttl) and its loader; pure Python, no database."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, SKOS

from portal.vocabulary.graph import (
    OM,
    QUDT,
    VOCAB_DIR,
    Indicator,
    Norm,
    PolicyGoal,
    goals,
    indicators,
    load_vocabulary,
    norms,
    validate,
)

ID = "https://omgevingsmonitor.denhaag.nl/id/"
NORM_2008 = URIRef(ID + "norm/eu-2008-50-no2-jaar")
NORM_2024 = URIRef(ID + "norm/eu-2024-2881-no2-jaar")
NORM_WHO = URIRef(ID + "norm/who-2021-no2-jaar")
NO2 = URIRef(ID + "indicator/no2_annual_mean")
UNIT_UGM3 = "http://qudt.org/vocab/unit/MicroGM-PER-M3"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return load_vocabulary()


def _copy(graph: Graph) -> Graph:
    copy = Graph()
    copy += graph
    return copy


def test_vocab_dir_is_repo_vocab():
    assert VOCAB_DIR == Path(__file__).resolve().parents[1] / "vocab"
    assert (VOCAB_DIR / "shapes.ttl").is_file()


def test_shapes_are_not_loaded_as_data(graph):
    assert not list(graph.subjects(RDF.type, SH.NodeShape))


def test_shipped_vocabulary_validates(graph):
    assert validate(graph) == []


def test_missing_threshold_unit_is_caught_and_names_the_norm(graph):
    broken = _copy(graph)
    threshold = broken.value(NORM_2024, OM.threshold)
    broken.remove((threshold, QUDT.hasUnit, None))
    messages = validate(broken)
    assert messages, "a threshold without unit must not validate"
    assert any(str(NORM_2024) in m and "qudt:hasUnit" in m for m in messages), messages
    assert not any(str(NORM_2008) in m or str(NORM_WHO) in m for m in messages), messages


def test_missing_threshold_is_caught_and_names_the_norm(graph):
    broken = _copy(graph)
    broken.remove((NORM_WHO, OM.threshold, None))
    messages = validate(broken)
    assert any(m.startswith(f"{NORM_WHO}:") and "om:threshold" in m for m in messages), messages


def test_unverified_norm_without_editorial_note_is_caught(graph):
    broken = _copy(graph)
    broken.remove((NORM_2024, SKOS.editorialNote, None))
    messages = validate(broken)
    assert any(str(NORM_2024) in m and "skos:editorialNote" in m for m in messages), messages


def test_messages_can_be_dutch(graph):
    broken = _copy(graph)
    broken.remove((NO2, SKOS.prefLabel, Literal("Annual mean NO2 concentration", lang="en")))
    assert validate(broken, lang="nl") == [
        f"{NO2}: skos:prefLabel: skos:prefLabel in het Engels (@en) ontbreekt"
    ]


def test_indicators(graph):
    result = indicators(graph)
    assert all(isinstance(i, Indicator) for i in result)
    by_code = {i.code: i for i in result}
    no2 = by_code["no2_annual_mean"]
    assert no2.iri == str(NO2)
    assert no2.unit_iri == UNIT_UGM3
    assert no2.unit_symbol == "µg/m³"
    assert no2.label_nl == "Jaargemiddelde NO2-concentratie"
    assert no2.label_en == "Annual mean NO2 concentration"
    assert no2.theme_iri == ID + "theme/luchtkwaliteit"
    assert (no2.theme_label_nl, no2.theme_label_en) == ("Luchtkwaliteit", "Air quality")


def city_wide(graph) -> list[Norm]:
    """Norms without a werkingsgebied (vocab/zones.ttl binds the others to a place)."""
    from portal.vocabulary.zones import zone_bound

    bound = zone_bound(graph)
    return [n for n in norms(graph) if n.iri not in bound]


def test_no2_norms(graph):
    result = [n for n in city_wide(graph) if n.indicator_code == "no2_annual_mean"]
    assert all(isinstance(n, Norm) for n in result)
    by_iri = {n.iri: n for n in result}
    assert set(by_iri) == {str(NORM_2008), str(NORM_2024), str(NORM_WHO)}

    eu2008, eu2024, who = by_iri[str(NORM_2008)], by_iri[str(NORM_2024)], by_iri[str(NORM_WHO)]
    assert (eu2008.threshold, eu2024.threshold, who.threshold) == (40.0, 20.0, 10.0)
    assert (eu2008.valid_from, eu2008.valid_through) == (date(2010, 1, 1), date(2029, 12, 31))
    assert (eu2024.valid_from, eu2024.valid_through) == (date(2030, 1, 1), None)
    assert (who.valid_from, who.valid_through) == (date(2021, 9, 22), None)
    assert (eu2008.binding, eu2024.binding, who.binding) == (True, True, False)
    assert eu2008.kind_iri == eu2024.kind_iri == ID + "normkind/grenswaarde"
    assert who.kind_iri == ID + "normkind/advieswaarde"
    assert (who.kind_label_nl, who.kind_label_en) == ("Advieswaarde", "Guideline value")
    assert {n.comparator for n in result} == {"le"}
    assert {n.unit_symbol for n in result} == {"µg/m³"}
    assert eu2008.source_iri == "http://data.europa.eu/eli/dir/2008/50/oj"
    assert eu2024.source_iri == "http://data.europa.eu/eli/dir/2024/2881/oj"
    assert who.source_iri == "https://www.who.int/publications/i/item/9789240034228"
    # norms.csv: 2024/2881 value only checked against a secondary source.
    assert (eu2008.verified, eu2024.verified, who.verified) == (True, False, True)
    assert all(n.qualitative_text is None and n.citation for n in result)
    assert all(n.label_nl and n.label_en for n in result)


def test_norms_are_sorted_deterministically(graph):
    result = norms(graph)
    assert result == norms(graph)
    no2 = [n.iri for n in city_wide(graph) if n.indicator_code == "no2_annual_mean"]
    assert no2 == [str(NORM_2008), str(NORM_WHO), str(NORM_2024)]
    keys = [(n.indicator_code, n.valid_from) for n in result]
    assert keys == sorted(keys)


def test_policy_goal(graph):
    result = goals(graph)
    assert all(isinstance(g, PolicyGoal) for g in result)
    (goal,) = [g for g in result if g.indicator_code == "no2_annual_mean"]
    assert goal.target_value == 10.0
    assert goal.target_year == 2030
    assert goal.source_iri == "https://www.schoneluchtakkoord.nl/"
    assert goal.label_nl and goal.label_en


def test_every_concept_has_dutch_and_english_label_and_definition(graph):
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) >= 9 + 5 + 1  # themes + norm kinds + indicators
    for concept in concepts:
        for prop in (SKOS.prefLabel, SKOS.definition):
            langs = {v.language for v in graph.objects(concept, prop) if isinstance(v, Literal)}
            assert {"nl", "en"} <= langs, f"{concept} {prop} has languages {langs}"


def test_every_scheme_has_dutch_and_english_title(graph):
    from rdflib.namespace import DCTERMS

    schemes = set(graph.subjects(RDF.type, SKOS.ConceptScheme))
    assert {URIRef(ID + f"scheme/{s}") for s in ("themes", "normkinds", "indicators")} <= schemes
    for scheme in schemes:
        langs = {v.language for v in graph.objects(scheme, DCTERMS.title)}
        assert {"nl", "en"} <= langs, scheme


def test_air_quality_is_the_first_theme(graph):
    orders = {s: int(o) for s, o in graph.subject_objects(OM.order)}
    assert min(orders, key=orders.get) == URIRef(ID + "theme/luchtkwaliteit")


def test_norm_kinds_carry_binding_flag(graph):
    binding = {
        str(k).rsplit("/", 1)[-1]: v.toPython() for k, v in graph.subject_objects(OM.binding)
    }
    assert binding == {
        "grenswaarde": True,
        "standaardwaarde": True,
        "streefwaarde": False,
        "advieswaarde": False,
        "open-norm": False,
    }


def test_new_norm_needs_only_turtle(tmp_path):
    """A norm added to the Turtle appears in norms() without any code change."""
    vocab = tmp_path / "vocab"
    shutil.copytree(VOCAB_DIR, vocab)
    (vocab / "extra.ttl").write_text(
        """
@prefix om: <https://omgevingsmonitor.denhaag.nl/def/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://omgevingsmonitor.denhaag.nl/id/norm/test-open-norm> a om:Norm ;
    skos:prefLabel "Testnorm"@nl , "Test norm"@en ;
    skos:definition "Open testnorm."@nl , "Open test norm."@en ;
    om:normKind <https://omgevingsmonitor.denhaag.nl/id/normkind/open-norm> ;
    om:appliesTo <https://omgevingsmonitor.denhaag.nl/id/indicator/no2_annual_mean> ;
    om:qualitativeText "Zo laag mogelijk"@nl , "As low as possible"@en ;
    om:comparator om:lessThanOrEqual ;
    dct:source <https://example.org/test> ;
    om:legalCitation "Test"@nl ;
    om:validFrom "2024-01-01"^^xsd:date ;
    om:verified true .
""",
        encoding="utf-8",
    )
    graph = load_vocabulary(vocab)
    assert validate(graph, vocab / "shapes.ttl") == []
    (extra,) = [n for n in norms(graph) if n.iri.endswith("/test-open-norm")]
    assert extra.threshold is None and extra.unit_symbol is None
    assert extra.qualitative_text == "Zo laag mogelijk"
    assert extra.binding is False


def test_missing_vocab_dir_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_vocabulary(tmp_path / "nope")
