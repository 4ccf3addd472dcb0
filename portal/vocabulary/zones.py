"""Which norms are bound to a werkingsgebied (om:appliesIn), and by which zone ids.

A norm without om:appliesIn applies city-wide. Zone geometry and validity dates are
data (dataset demo-werkingsgebieden), joined on om:zoneId.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql
from rdflib import Graph

from portal.ingest.manifest import Manifest, table_name
from portal.vocabulary.graph import OM


@dataclass(frozen=True)
class Zone:
    iri: str
    label_nl: str
    label_en: str
    zone_ids: tuple[str, ...]


_QUERY = """
SELECT ?norm ?zone ?nl ?en (GROUP_CONCAT(?id; separator=" ") AS ?ids) WHERE {
  ?norm om:appliesIn ?zone .
  ?zone om:zoneId ?id .
  OPTIONAL { ?zone skos:prefLabel ?nl FILTER(lang(?nl) = "nl") }
  OPTIONAL { ?zone skos:prefLabel ?en FILTER(lang(?en) = "en") }
} GROUP BY ?norm ?zone ?nl ?en ORDER BY ?norm ?zone
"""


def zone_bound(graph: Graph) -> dict[str, list[Zone]]:
    """norm IRI → the zones it applies in (only location-bound norms are keys)."""
    out: dict[str, list[Zone]] = {}
    for row in graph.query(_QUERY, initNs={"om": OM,
                                           "skos": "http://www.w3.org/2004/02/skos/core#"}):
        out.setdefault(str(row.norm), []).append(Zone(
            str(row.zone), str(row.nl or row.zone), str(row.en or row.nl or row.zone),
            tuple(sorted(str(row.ids).split()))))
    return out


def zone_tables(manifests: list[Manifest]) -> list[str]:
    """The views of the datasets with `role: zones`; each has zone_id, naam, geldig_vanaf,
    geldig_tot (NULL: still valid) and geom (see `role` in manifest.schema.yml)."""
    return [table_name(m.id) for m in manifests
            if m.raw.get("role") == "zones" and m.target == "features"]


def zones_sql(tables: list[str]) -> sql.Composable:
    """All zones of those views as one subquery (zone_id, naam, geldig_vanaf, geldig_tot, geom)."""
    return sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT zone_id, naam, geldig_vanaf, geldig_tot, geom FROM {}").format(
            sql.Identifier("data", t)) for t in tables)
