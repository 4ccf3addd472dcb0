"""OGC API Features queries as SQL that builds the GeoJSON inside PostGIS.

One place turns request parameters into a validated `FeatureQuery` (400 with
the parameter's name on bad input) and a `FeatureQuery` into SQL. Both the
pygeoapi provider and the fast JSON path use it, so they cannot disagree.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from portal.ogc import cql2

RD = 28992
CRS_URIS = {
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84": 4326,
    "http://www.opengis.net/def/crs/EPSG/0/4326": 4326,
    "http://www.opengis.net/def/crs/EPSG/0/28992": RD,
}
LAT_LON = {"http://www.opengis.net/def/crs/EPSG/0/4326"}  # axis order: latitude first
DEFAULT_CRS = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
PG_JSON_TYPES = {"integer": "integer", "bigint": "integer", "smallint": "integer",
                 "double precision": "number", "real": "number", "numeric": "number",
                 "boolean": "boolean", "date": "string", "text": "string",
                 "character varying": "string", "timestamp with time zone": "string"}
# What PostgreSQL says when a value of the request does not fit its column (text compared
# with a number or a date): the request is wrong, not us — 400 on every path.
BAD_VALUE_ERRORS = (psycopg.errors.DataError, psycopg.errors.UndefinedFunction,
                    psycopg.errors.InvalidParameterValue, psycopg.errors.InternalError_)
RESERVED = {"f", "lang", "limit", "offset", "cursor", "bbox", "bbox-crs", "crs", "datetime",
            "properties", "skipGeometry", "sortby", "filter", "filter-lang", "filter-crs",
            "resulttype", "q"}
EXACT_COUNT_BELOW = 100_000  # numberMatched is exact below this estimate, estimated above


class QueryError(ValueError):
    """Bad request: `param` names the parameter at fault."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param = param


@dataclass(frozen=True)
class Collection:
    id: str
    schema: str
    table: str
    id_field: str
    fields: dict[str, str]  # property → JSON type, in column order
    geom: str = "geom"
    crs: tuple[str, ...] = tuple(CRS_URIS)
    definitions: dict[str, str] = field(default_factory=dict)  # property → vocabulary IRI
    time_field: str | None = None  # what `datetime=` filters on

    @property
    def relation(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.table)


@dataclass
class FeatureQuery:
    limit: int = 100
    offset: int = 0
    after: object = None  # keyset cursor: last id of the previous page
    bbox: tuple[float, ...] | None = None
    bbox_srid: int = 4326
    crs: str = DEFAULT_CRS
    properties: list[str] | None = None
    equals: dict[str, str] = field(default_factory=dict)
    sortby: list[tuple[str, bool]] = field(default_factory=list)  # (property, ascending)
    skip_geometry: bool = False
    filter: object = None  # pygeofilter AST
    filter_srid: int = 4326
    hits_only: bool = False
    datetime: tuple[str | None, str | None] | None = None  # (start, end); None = open


def _int(params, name: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(name, f"'{raw}' is not an integer") from None
    if not lo <= value <= hi:
        raise QueryError(name, f"must be between {lo} and {hi}, got {value}")
    return value


def _crs(params, name: str, col: Collection, default: str = DEFAULT_CRS) -> str:
    uri = params.get(name) or default
    if uri not in col.crs:
        raise QueryError(name, f"unsupported CRS '{uri}'; supported: {', '.join(col.crs)}")
    return uri


def parse_params(params, col: Collection, max_limit: int, default_limit: int,
                 body_filter: dict | None = None) -> FeatureQuery:
    """Validate request parameters against the collection; raise QueryError on bad input."""
    unknown = [k for k in params if k not in RESERVED and k not in col.fields]
    if unknown:
        raise QueryError(unknown[0], "unknown parameter or property; queryables: "
                         + ", ".join(col.fields))
    q = FeatureQuery(limit=_int(params, "limit", default_limit, 1, max_limit),
                     offset=_int(params, "offset", 0, 0, 10**9))
    q.equals = {k: v for k, v in params.items() if k in col.fields}
    if params.get("cursor"):
        try:
            q.after = json.loads(base64.urlsafe_b64decode(params["cursor"].encode()))
        except (ValueError, TypeError):
            raise QueryError("cursor", "invalid cursor; follow the `next` link") from None
    if params.get("bbox"):
        _bbox(params, col, q)
    q.crs = _crs(params, "crs", col)
    if params.get("datetime"):
        q.datetime = parse_datetime(params["datetime"], col)
    _selection(params, col, q)
    _filter(params, col, q, body_filter)
    return q


def _bbox(params, col: Collection, q: FeatureQuery) -> None:
    try:
        box = tuple(float(v) for v in params["bbox"].split(","))
    except ValueError:
        raise QueryError("bbox", f"'{params['bbox']}' is not 4 comma-separated numbers") from None
    if len(box) not in (4, 6) or not all(math.isfinite(v) for v in box):
        raise QueryError("bbox", "needs 4 (or 6) finite numbers: minx,miny,maxx,maxy")
    box = box if len(box) == 4 else (box[0], box[1], box[3], box[4])
    if box[0] > box[2] or box[1] > box[3]:
        raise QueryError("bbox", "min must not be greater than max")
    bbox_crs = _crs(params, "bbox-crs", col)
    q.bbox_srid = CRS_URIS[bbox_crs]
    q.bbox = (box[1], box[0], box[3], box[2]) if bbox_crs in LAT_LON else box


def _selection(params, col: Collection, q: FeatureQuery) -> None:
    """properties, sortby, skipGeometry, resulttype."""
    if params.get("properties"):
        props = [p.strip() for p in params["properties"].split(",") if p.strip()]
        bad = [p for p in props if p not in col.fields]
        if bad:
            raise QueryError("properties", f"unknown property '{bad[0]}'")
        q.properties = props
    if params.get("sortby"):
        for item in params["sortby"].split(","):
            item = item.strip()
            name = item.lstrip("+-")
            if name not in col.fields:
                raise QueryError("sortby", f"unknown property '{name}'")
            q.sortby.append((name, not item.startswith("-")))
    skip = params.get("skipGeometry", "false").lower()
    if skip not in ("true", "false"):
        raise QueryError("skipGeometry", "must be true or false")
    q.skip_geometry = skip == "true"
    if params.get("resulttype", "results") not in ("results", "hits"):
        raise QueryError("resulttype", "must be 'results' or 'hits'")
    q.hits_only = params.get("resulttype") == "hits"


def _filter(params, col: Collection, q: FeatureQuery, body_filter: dict | None) -> None:
    lang = params.get("filter-lang") or ("cql2-json" if body_filter else "cql2-text")
    if lang not in ("cql2-text", "cql2-json"):
        raise QueryError("filter-lang", "must be cql2-text or cql2-json")
    text = body_filter if body_filter is not None else params.get("filter")
    if text:
        try:
            q.filter = cql2.parse(text, lang)
        except cql2.FilterError as exc:
            raise QueryError("filter", str(exc)) from None
        q.filter_srid = CRS_URIS[_crs(params, "filter-crs", col)]


def parse_datetime(text: str, col: Collection) -> tuple[str | None, str | None]:
    """RFC 3339 instant or interval (`a/b`, `../b`, `a/..`), as OGC API Features Part 1."""
    if not col.time_field:
        raise QueryError("datetime", f"collection '{col.id}' has no time property")
    parts = text.split("/")
    if len(parts) > 2 or not all(parts):
        raise QueryError("datetime", f"'{text}' is not an instant or an interval a/b")
    ends = []
    for p in parts:
        if p == "..":
            ends.append(None)
            continue
        try:
            dt.datetime.fromisoformat(p)  # Python 3.11+ reads "Z" too
        except ValueError:
            raise QueryError("datetime", f"'{p}' is not an RFC 3339 date or time") from None
        ends.append(p)
    return (ends[0], ends[0]) if len(ends) == 1 else (ends[0], ends[1])


def _where(col: Collection, q: FeatureQuery, keyset: bool) -> sql.Composable:
    def column(name: str) -> sql.Composable:
        if name not in col.fields:
            raise QueryError("filter", f"unknown property '{name}'; queryables: "
                             + ", ".join(col.fields))
        return sql.Identifier(name)

    parts: list[sql.Composable] = []
    geom = sql.Identifier(col.geom)
    if q.bbox:
        parts.append(sql.SQL("{} && ST_Transform(ST_MakeEnvelope({}, {}, {}, {}, {}), {})").format(
            geom, *map(sql.Literal, q.bbox), sql.Literal(q.bbox_srid), sql.Literal(RD)))
    if q.datetime and col.time_field:
        start, end = q.datetime
        t = sql.SQL("{}::timestamptz").format(sql.Identifier(col.time_field))
        if start:
            parts.append(sql.SQL("{} >= {}::timestamptz").format(t, sql.Literal(start)))
        if end:
            parts.append(sql.SQL("{} <= {}::timestamptz").format(t, sql.Literal(end)))
    for name, value in q.equals.items():
        parts.append(sql.SQL("{} = {}").format(sql.Identifier(name), sql.Literal(value)))
    if q.filter is not None:
        try:
            parts.append(cql2.to_sql(q.filter, column, geom, q.filter_srid))
        except cql2.FilterError as exc:
            raise QueryError("filter", str(exc)) from None
    if keyset and q.after is not None:
        parts.append(sql.SQL("{} > {}").format(sql.Identifier(col.id_field), sql.Literal(q.after)))
    return sql.SQL(" AND ").join(parts) if parts else sql.SQL("true")


def where_sql(col: Collection, q: FeatureQuery) -> sql.Composable:
    """The WHERE of `q` (equality, bbox, datetime, CQL2) for other readers (vector tiles)."""
    return _where(col, q, keyset=False)


def _order(col: Collection, q: FeatureQuery) -> sql.Composable:
    keys = [sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL("ASC" if asc else "DESC"))
            for n, asc in q.sortby]
    keys.append(sql.SQL("{} ASC").format(sql.Identifier(col.id_field)))
    return sql.SQL(", ").join(keys)


def _geometry_json(col: Collection, crs: str) -> sql.Composable:
    srid = CRS_URIS[crs]
    g = sql.Identifier(col.geom)
    if srid != RD:
        g = sql.SQL("ST_Transform({}, {})").format(g, sql.Literal(srid))
    if crs in LAT_LON:
        g = sql.SQL("ST_FlipCoordinates({})").format(g)
    digits = 3 if srid == RD else 7
    return sql.SQL("ST_AsGeoJSON({}, {}, 0)").format(g, sql.Literal(digits))  # 0: no "crs" member


def feature_sql(col: Collection, q: FeatureQuery, props: list[str]) -> sql.Composable:
    """One row per feature: its GeoJSON text."""
    # the JSON text null: SQL NULL would turn the whole concatenated feature into NULL
    geometry = sql.SQL("'null'") if q.skip_geometry else sql.SQL("coalesce({}, 'null')").format(
        _geometry_json(col, q.crs))
    properties = sql.SQL("json_build_object({})::text").format(sql.SQL(", ").join(
        sql.SQL("{}, {}").format(sql.Literal(p), sql.Identifier(p)) for p in props)) if props \
        else sql.SQL("'{}'")
    return sql.SQL(
        """'{{"type":"Feature","id":' || to_json({id})::text || ',"geometry":' || {geom}
        || ',"properties":' || {props} || '}}'""").format(
            id=sql.Identifier(col.id_field), geom=geometry, props=properties)


def page_sql(col: Collection, q: FeatureQuery) -> sql.Composable:
    """(features JSON array text, number returned, last id) for one page."""
    props = q.properties if q.properties is not None else list(col.fields)
    keyset = not q.sortby  # keyset paging on the id when the order is the id's
    offset = sql.SQL("") if (keyset and q.after is not None) else sql.SQL(" OFFSET {}").format(
        sql.Literal(q.offset))
    # The innermost query picks the page (index scans, LIMIT); only its rows become JSON.
    return sql.SQL(
        "SELECT '[' || coalesce(string_agg(j, ',' ORDER BY n), '') || ']', count(*),"
        " (array_agg(k ORDER BY n DESC))[1]"
        " FROM (SELECT {feature} AS j, {id} AS k, row_number() OVER () AS n"
        " FROM (SELECT * FROM {rel} WHERE {where} ORDER BY {order} LIMIT {limit}{offset}) p) page"
    ).format(
            feature=feature_sql(col, q, props), id=sql.Identifier(col.id_field),
            order=_order(col, q), rel=col.relation, where=_where(col, q, keyset),
            limit=sql.Literal(q.limit), offset=offset)


def possible_id(col: Collection, fid: str) -> bool:
    """Can `fid` be an id of the collection at all? ('measured' is no integer id: not found,
    rather than an error from the database.)"""
    if col.fields.get(col.id_field) == "integer":
        return bool(re.fullmatch(r"-?[0-9]{1,18}", fid))
    return True


def item_sql(col: Collection, crs: str, fid: str) -> sql.Composable:
    q = FeatureQuery(crs=crs)
    return sql.SQL("SELECT {} FROM {} WHERE {} = {}").format(
        feature_sql(col, q, list(col.fields)), col.relation, sql.Identifier(col.id_field),
        sql.Literal(fid))


def estimate_sql(col: Collection, q: FeatureQuery) -> sql.Composable:
    return sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM {} WHERE {}").format(
        col.relation, _where(col, q, keyset=False))


def count_sql(col: Collection, q: FeatureQuery) -> sql.Composable:
    return sql.SQL("SELECT count(*) FROM {} WHERE {}").format(
        col.relation, _where(col, q, keyset=False))


def cursor_token(last_id) -> str:
    return base64.urlsafe_b64encode(json.dumps(last_id).encode()).decode()


_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


COLUMNS_SQL = ("SELECT column_name, data_type, udt_name FROM information_schema.columns"
               " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position")


def collection_from_columns(cid: str, schema: str, table: str, id_field: str, rows: list,
                            crs: tuple[str, ...] = tuple(CRS_URIS),
                            definitions: dict[str, str] | None = None,
                            time_field: str | None = None) -> Collection:
    """A published table or view from its columns (COLUMNS_SQL); geometry and
    bookkeeping columns are not properties."""
    if not rows:
        raise LookupError(f"{schema}.{table} does not exist")
    fields = {name: PG_JSON_TYPES.get(dtype, "string") for name, dtype, udt in rows
              if udt != "geometry" and name != "dataset_version_id" and _SAFE.match(name)}
    geom = next((name for name, _, udt in rows if udt == "geometry"), "geom")
    return Collection(cid, schema, table, id_field, fields, geom, crs, definitions or {},
                      time_field if time_field in fields else None)
