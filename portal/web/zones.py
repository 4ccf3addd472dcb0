"""Norms that apply at a point on a date, and why: city-wide, or inside a werkingsgebied.

The vocabulary says which norms are location-bound (om:appliesIn → zone ids); the zone
geometries and their validity dates come from the datasets whose manifest has
`role: zones`. So the answer for a past date uses the zones valid then. Whether a norm or
a zone is in force on a date is decided in SQL (monitor.in_force_on, migration 0009), the
same rule the area status uses; this module only words the outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from psycopg import sql
from psycopg.rows import tuple_row
from rdflib import Graph

from portal.ingest.manifest import Manifest
from portal.vocabulary.graph import Norm, norms
from portal.vocabulary.zones import Zone, zone_bound, zone_tables, zones_sql
from portal.web.i18n import N_, Messages
from portal.web.location import LocationError, Point

IN_FORCE_SQL = ("SELECT iri FROM monitor.norm"
                " WHERE monitor.in_force_on(valid_from, valid_through, %s)")

REASONS = {
    "city": N_("applies city-wide"),
    "inside": N_("inside zone {zone} ({id})"),
    "expired": N_("zone {zone} was not in force on {day} ({start} to {end})"),
    "outside": N_("outside zone {zone} ({distance} m away)"),
    "not_in_force": N_("zone {zone} not in force on {day}"),
}


class DateError(ValueError):
    """`date` is not YYYY-MM-DD (HTTP 400)."""

    def __init__(self, text: str):
        super().__init__(f"date: '{text}' is not a date (YYYY-MM-DD)")
        self.text = text


def parse_date(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DateError(text) from None


@dataclass(frozen=True)
class VocabularyNorms:
    """The vocabulary's norms with their zones, and the zone tables: read once at start-up
    (and on a new data version), not per request (the location check is on the hot path)."""

    norms: list[Norm]
    zones: dict[str, list[Zone]]
    tables: list[str]

    @classmethod
    def of(cls, graph: Graph, manifests: list[Manifest]) -> VocabularyNorms:
        return cls(norms(graph), zone_bound(graph), zone_tables(manifests))


def in_force(conn, day: dt.date) -> set[str]:
    """IRIs of the norms in force on `day` (the SQL rule)."""
    return {r[0] for r in conn.cursor(row_factory=tuple_row).execute(IN_FORCE_SQL, (day,))}


def zones_query(vocab: VocabularyNorms, point: Point, day: dt.date
                ) -> tuple[sql.Composable, dict]:
    """One round trip: is the point in the city, and every zone with `inside`, distance and
    whether it is in force on `day`."""
    union = zones_sql(vocab.tables) if vocab.tables else sql.SQL(
        "SELECT NULL::text, NULL::text, NULL::date, NULL::date, NULL::geometry WHERE false")
    query = sql.SQL(
        "WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), %(crs)s), 28992)"
        " AS g) SELECT EXISTS (SELECT 1 FROM monitor.area a, p WHERE a.level = 'buurt'"
        " AND ST_Contains(a.geom, p.g)), z.zone_id, z.naam, z.geldig_vanaf, z.geldig_tot,"
        " ST_Contains(z.geom, p.g), round(ST_Distance(z.geom, p.g)::numeric),"
        " monitor.in_force_on(z.geldig_vanaf, z.geldig_tot, %(day)s)"
        " FROM p LEFT JOIN ({}) z (zone_id, naam, geldig_vanaf, geldig_tot, geom) ON true"
    ).format(union)
    return query, {"x": point.x, "y": point.y, "crs": point.crs, "day": day}


def zones_found(rows: list[tuple]) -> list[dict]:
    """The rows of zones_query; LocationError for a point outside the city."""
    if not rows or not rows[0][0]:
        raise LocationError("outside")
    return [{"zone_id": r[1], "naam": r[2], "from": r[3], "through": r[4], "inside": r[5],
             "distance_m": float(r[6]), "in_force": r[7]} for r in rows if r[1] is not None]


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


def _reason(messages: Messages, key: str, zone: Zone | None = None, found: dict | None = None,
            **values) -> dict:
    """reason_nl / reason_en. The zone is named as the data name it (`naam` of the zone row
    found) in Dutch, by its vocabulary label in English."""
    out = {}
    for lang in ("nl", "en"):
        name = ""
        if zone is not None:
            name = zone.label_en if lang == "en" else (found or {}).get("naam") or zone.label_nl
        out[f"reason_{lang}"] = messages.gettext(lang, REASONS[key], zone=name, **values)
    return out


def sort_key(entry: dict) -> tuple:
    """Applicable norms first, then by indicator and IRI."""
    return (not entry["applies"], entry["indicator"], entry["iri"])


def city_wide(vocab: VocabularyNorms, valid: set[str], messages: Messages) -> list[dict]:
    """The norms without a zone in force that day (`valid`): the same at every point."""
    reason = _reason(messages, "city")
    return [{**_entry(n), "applies": True, "scope": "city-wide", **reason, "zones": []}
            for n in vocab.norms if str(n.iri) in valid and not vocab.zones.get(str(n.iri))]


def _judge_one(messages: Messages, bound: list[Zone], zones: list[dict], day: dt.date
               ) -> dict:
    ids = {i for z in bound for i in z.zone_ids}
    mine = [z for z in zones if z["zone_id"] in ids]
    valid = [z for z in mine if z["in_force"]]
    inside = [z for z in valid if z["inside"]]
    expired = [z for z in mine if z["inside"] and not z["in_force"]]
    label = bound[0]
    if inside:
        z = inside[0]
        return {"applies": True, **_reason(messages, "inside", label, z, id=z["zone_id"])}
    if expired and not valid:
        z = expired[0]
        return {"applies": False, **_reason(messages, "expired", label, z, day=day,
                                            start=z["from"], end=z["through"] or "…")}
    if valid:
        z = min(valid, key=lambda r: r["distance_m"])
        return {"applies": False, **_reason(messages, "outside", label, z,
                                            distance=f"{z['distance_m']:.0f}")}
    return {"applies": False, **_reason(messages, "not_in_force", label, day=day)}


def judge_zones(vocab: VocabularyNorms, zones: list[dict], valid: set[str], day: dt.date,
                messages: Messages) -> list[dict]:
    """Whether each location-bound norm in force on `day` applies, given the zones at the
    point (zones_found), and why."""
    out = []
    for n in vocab.norms:
        bound = vocab.zones.get(str(n.iri))
        if not bound or str(n.iri) not in valid:
            continue
        entry = {**_entry(n), **_judge_one(messages, bound, zones, day), "scope": "zone",
                 "zones": [{"iri": z.iri, "label_nl": z.label_nl, "label_en": z.label_en,
                            "ids": list(z.zone_ids)} for z in bound]}
        out.append(entry)
    return out


def applicable(conn, vocab: VocabularyNorms, point: Point, day: dt.date,
               messages: Messages) -> list[dict]:
    """Every norm in force on `day`, with `applies` and the reason (nl/en)."""
    query, params = zones_query(vocab, point, day)
    rows = conn.cursor(row_factory=tuple_row).execute(query, params, prepare=True).fetchall()
    valid = in_force(conn, day)
    found = judge_zones(vocab, zones_found(rows), valid, day, messages) \
        + city_wide(vocab, valid, messages)
    return sorted(found, key=sort_key)
