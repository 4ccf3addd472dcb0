"""Norms that apply at a point on a date, and why: city-wide, or inside a werkingsgebied.

The vocabulary says which norms are location-bound (om:appliesIn → zone ids); the zone
geometries and their validity dates come from the datasets whose manifest has
`role: zones`. So the answer for a past date uses the zones valid then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from psycopg import sql
from psycopg.rows import tuple_row
from rdflib import Graph

from portal.ingest.manifest import all_manifests
from portal.vocabulary.graph import Norm, norms
from portal.vocabulary.zones import Zone, zone_bound, zone_tables, zones_sql
from portal.web.location import LocationError, Point


class DateError(ValueError):
    """`date` is not YYYY-MM-DD (HTTP 400)."""


def parse_date(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DateError(f"date: '{text}' is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class VocabularyNorms:
    """The vocabulary's norms with their zones, and the zone tables: read once at start-up,
    not per request (the location check is on the hot path)."""

    norms: list[Norm]
    zones: dict[str, list[Zone]]
    tables: list[str]

    @classmethod
    def of(cls, graph: Graph) -> VocabularyNorms:
        return cls(norms(graph), zone_bound(graph), zone_tables(all_manifests()))


def zones_query(vocab: VocabularyNorms, point: Point) -> tuple[sql.Composable, dict]:
    """One round trip: is the point in the city, and every zone with `inside` and distance."""
    union = zones_sql(vocab.tables) if vocab.tables else sql.SQL(
        "SELECT NULL::text, NULL::text, NULL::date, NULL::date, NULL::geometry WHERE false")
    query = sql.SQL(
        "WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), %(crs)s), 28992)"
        " AS g) SELECT EXISTS (SELECT 1 FROM monitor.area a, p WHERE a.level = 'buurt'"
        " AND ST_Contains(a.geom, p.g)), z.zone_id, z.naam, z.geldig_vanaf, z.geldig_tot,"
        " ST_Contains(z.geom, p.g), round(ST_Distance(z.geom, p.g)::numeric)"
        " FROM p LEFT JOIN ({}) z (zone_id, naam, geldig_vanaf, geldig_tot, geom) ON true"
    ).format(union)
    return query, {"x": point.x, "y": point.y, "crs": point.crs}


def zones_found(rows: list[tuple]) -> list[dict]:
    """The rows of zones_query; LocationError for a point outside the city."""
    if not rows or not rows[0][0]:
        raise LocationError("outside")
    return [{"zone_id": r[1], "naam": r[2], "from": r[3], "through": r[4], "inside": r[5],
             "distance_m": float(r[6])} for r in rows if r[1] is not None]


def _valid(start, end, day: dt.date) -> bool:
    return (start is None or start <= day) and (end is None or end >= day)


def _entry(n: Norm) -> dict:
    return {
        "iri": str(n.iri), "label_nl": n.label_nl, "label_en": n.label_en,
        "indicator": n.indicator_code, "kind_nl": n.kind_label_nl, "kind_en": n.kind_label_en,
        "binding": n.binding, "threshold": n.threshold, "unit": n.unit_symbol,
        "qualitative_text": n.qualitative_text, "source": str(n.source_iri),
        "citation": n.citation, "verified": n.verified,
        "valid_from": n.valid_from.isoformat() if n.valid_from else None,
        "valid_through": n.valid_through.isoformat() if n.valid_through else None,
    }


def sort_key(entry: dict) -> tuple:
    """Applicable norms first, then by indicator and IRI."""
    return (not entry["applies"], entry["indicator"], entry["iri"])


def city_wide(vocab: VocabularyNorms, day: dt.date) -> list[dict]:
    """The norms without a zone valid on `day`: the same at every point (cacheable)."""
    return [{**_entry(n), "applies": True, "scope": "city-wide",
             "reason_nl": "geldt in de hele gemeente", "reason_en": "applies city-wide",
             "zones": []}
            for n in vocab.norms
            if _valid(n.valid_from, n.valid_through, day) and not vocab.zones.get(str(n.iri))]


def zone_bound_at(conn, vocab: VocabularyNorms, point: Point, day: dt.date) -> list[dict]:
    """The location-bound norms valid on `day` at the point (LocationError outside the city)."""
    query, params = zones_query(vocab, point)
    rows = conn.cursor(row_factory=tuple_row).execute(query, params, prepare=True).fetchall()
    return judge_zones(vocab, zones_found(rows), day)


def judge_zones(vocab: VocabularyNorms, zones: list[dict], day: dt.date) -> list[dict]:
    """Whether each location-bound norm valid on `day` applies, given the zones at the
    point (zones_found), and why."""
    out = []
    for n in vocab.norms:
        bound = vocab.zones.get(str(n.iri))
        if not bound or not _valid(n.valid_from, n.valid_through, day):
            continue
        entry = _entry(n)
        ids = {i for z in bound for i in z.zone_ids}
        mine = [z for z in zones if z["zone_id"] in ids]
        valid = [z for z in mine if _valid(z["from"], z["through"], day)]
        inside = [z for z in valid if z["inside"]]
        expired = [z for z in mine if z["inside"] and not _valid(z["from"], z["through"], day)]
        label = bound[0]
        if inside:
            z = inside[0]
            entry.update(applies=True, reason_nl=f"ligt in werkingsgebied {z['naam']}",
                         reason_en=f"inside zone {label.label_en} ({z['zone_id']})")
        elif expired and not valid:
            z = expired[0]
            entry.update(applies=False,
                         reason_nl=f"werkingsgebied {z['naam']} gold niet op {day} "
                                   f"({z['from']} t/m {z['through'] or '…'})",
                         reason_en=f"zone {label.label_en} was not in force on {day} "
                                   f"({z['from']} to {z['through'] or '…'})")
        elif valid:
            z = min(valid, key=lambda r: r["distance_m"])
            entry.update(applies=False,
                         reason_nl=f"buiten werkingsgebied {z['naam']} ({z['distance_m']:.0f} m)",
                         reason_en=f"outside zone {label.label_en} "
                                   f"({z['distance_m']:.0f} m away)")
        else:
            entry.update(applies=False, reason_nl=f"werkingsgebied {label.label_nl} gold niet op "
                                                  f"{day}",
                         reason_en=f"zone {label.label_en} not in force on {day}")
        entry.update(scope="zone", zones=[{"iri": z.iri, "label_nl": z.label_nl,
                                           "label_en": z.label_en, "ids": list(z.zone_ids)}
                                          for z in bound])
        out.append(entry)
    return out


def applicable(conn, vocab: VocabularyNorms, point: Point, day: dt.date) -> list[dict]:
    """Every norm valid on `day`, with `applies` and the reason (nl/en)."""
    found = zone_bound_at(conn, vocab, point, day) + city_wide(vocab, day)
    return sorted(found, key=sort_key)
