"""The graphs the semantic API serves: vocabulary, catalogue and area observations.

Vocabulary and catalogue are built at start-up (and again on a new data version) and
rebased to the app's IRI base; SPARQL queries run on the Oxigraph store instead
(portal/vocabulary/triplestore.py), which also holds compute's results.
"""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from portal.ingest.manifest import Manifest, all_manifests
from portal.settings import CONFIG_DIR, Settings
from portal.vocabulary.catalogue import OnOffer, build_catalogue, load_derived
from portal.vocabulary.graph import load_vocabulary
from portal.vocabulary.rebase import rebase


class Knowledge:
    def __init__(self, settings: Settings, offer: OnOffer | None = None,
                 vocabulary: Graph | None = None, manifests: list[Manifest] | None = None):
        self.base = settings.iri_base_url
        self.public = settings.public_url
        canonical = vocabulary if vocabulary is not None else load_vocabulary()
        self.vocabulary = rebase(canonical, self.base)
        manifests = all_manifests() if manifests is None else manifests
        catalogue = build_catalogue(manifests, self.public, canonical,
                                    load_derived(CONFIG_DIR), settings.city, offer)
        self.catalogue = rebase(catalogue, self.base)
        self.canonical = Graph()  # vocabulary + catalogue as written, for the HTML pages
        self.canonical += canonical
        self.canonical += catalogue
        self.described = _with_prefixes(self.vocabulary, self.catalogue)  # what /id/ answers
        self.described += self.vocabulary
        self.described += self.catalogue

    def knows(self, iri: str) -> bool:
        return (URIRef(iri), None, None) in self.described

    def describe(self, iri: str) -> Graph:
        """The resource's concise bounded description, with the described graph's prefixes."""
        out = _with_prefixes(self.described)
        out += self.described.cbd(URIRef(iri))
        return out

    def subjects_of_type(self, rdf_type: URIRef) -> list[URIRef]:
        return sorted(set(self.described.subjects(RDF.type, rdf_type)))


def _with_prefixes(*graphs: Graph) -> Graph:
    """An empty graph with the prefixes of the given ones, for readable Turtle."""
    out = Graph(bind_namespaces="none")
    for g in graphs:
        for prefix, ns in g.namespaces():
            out.bind(prefix, ns, replace=True)
    return out
