"""A pygeoapi feature provider that lets PostGIS build the GeoJSON.

pygeoapi instantiates a provider per request, so everything costly (the
connection pool, the table's columns) lives at module level and is made once.
Used for every collection: pygeoapi's HTML, JSON-LD and other output come from
here; plain JSON requests take the even shorter path in portal.ogc.fastpath.
"""

from __future__ import annotations

import contextlib
import json
import threading
from http import HTTPStatus

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderGenericError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)

from portal.db.replicas import PRIMARY_APP_NAME, ReadPool, replicas_of
from portal.ogc.query import (
    BAD_VALUE_ERRORS,
    COLUMNS_SQL,
    DEFAULT_CRS,
    RD,
    RD_URI,
    Collection,
    FeatureQuery,
    QueryError,
    collection_from_columns,
    count_sql,
    item_sql,
    page_sql,
    parse_datetime,
    possible_id,
)

_POOLS: dict[str, ReadPool] = {}


class DatabaseUnavailable(ProviderGenericError):
    """PostgreSQL does not answer (restarting, down): 503, the client should retry."""

    ogc_exception_code = "ServiceUnavailable"
    http_status_code = HTTPStatus.SERVICE_UNAVAILABLE
    default_msg = "the database does not answer right now; try again in a few seconds"


@contextlib.contextmanager
def database_errors():
    """A lost or refused connection is 503 (DatabaseUnavailable), never a 500."""
    try:
        yield
    except (psycopg.OperationalError, PoolTimeout) as exc:
        raise DatabaseUnavailable() from exc
_COLLECTIONS: dict[tuple, Collection] = {}
_LOCK = threading.Lock()


def conninfo(data: dict) -> str:
    return (f"host={data['host']} port={data['port']} dbname={data['dbname']} "
            f"user={data['user']}" + (f" password={data['password']}" if data.get("password")
                                      else ""))


def pool_for(data: dict) -> ReadPool:
    """Reads: on a usable hot standby, else the primary (portal/db/replicas.py)."""
    key = conninfo(data)
    with _LOCK:
        if key not in _POOLS:
            primary = ConnectionPool(key, min_size=1, max_size=8, open=False, timeout=3,
                                     check=ConnectionPool.check_connection,
                                     kwargs={"autocommit": True,
                                             "application_name": PRIMARY_APP_NAME})
            _POOLS[key] = ReadPool(primary, replicas_of(key))
            _POOLS[key].open()
        return _POOLS[key]


def collection_for(provider_def: dict) -> Collection:
    data = provider_def["data"]
    schema = data.get("search_path", ["monitor"])[0]
    key = (conninfo(data), schema, provider_def["table"])
    if key not in _COLLECTIONS:
        with database_errors(), pool_for(data).connection() as conn:
            rows = conn.execute(COLUMNS_SQL, (schema, provider_def["table"])).fetchall()
            _COLLECTIONS[key] = collection_from_columns(
                provider_def["table"], schema, provider_def["table"], provider_def["id_field"],
                rows, time_field=provider_def.get("time_field"))
    return _COLLECTIONS[key]


class PostGISProvider(BaseProvider):
    """pygeoapi's provider contract: bbox, properties, sortby, skipGeometry, filter, hits, get."""

    def __init__(self, provider_def: dict):
        super().__init__(provider_def)
        self.collection = collection_for(provider_def)
        self.pool = pool_for(provider_def["data"])
        self.get_fields()

    def get_fields(self) -> dict:
        self._fields = {k: {"type": t} for k, t in self.collection.fields.items()}
        return self._fields

    def query(self, offset=0, limit=10, resulttype="results", bbox=None, datetime_=None,
              properties=None, sortby=None, select_properties=None, skip_geometry=False,
              q=None, filterq=None, crs_transform_spec=None, **kwargs) -> dict:
        fq = FeatureQuery(
            limit=limit, offset=offset, bbox=tuple(bbox) if bbox else None, bbox_srid=RD,
            crs=_target(crs_transform_spec), properties=list(select_properties) or None,
            equals=dict(properties or []), skip_geometry=skip_geometry,
            sortby=[(s["property"], s["order"] != "-") for s in (sortby or [])],
            filter=filterq, filter_srid=RD)  # pygeoapi already put filter geometries in RD
        try:
            if datetime_ and datetime_ != "../..":
                fq.datetime = parse_datetime(datetime_, self.collection)
        except QueryError as exc:
            raise ProviderInvalidQueryError(user_msg=str(exc)) from None
        try:
            with database_errors(), self.pool.connection() as conn:
                matched = conn.execute(count_sql(self.collection, fq)).fetchone()[0]
                if resulttype == "hits":
                    return {"type": "FeatureCollection", "features": [],
                            "numberMatched": matched, "numberReturned": 0}
                features, returned, _ = conn.execute(page_sql(self.collection, fq)).fetchone()
        except QueryError as exc:
            raise ProviderInvalidQueryError(user_msg=str(exc)) from None
        except BAD_VALUE_ERRORS as exc:  # e.g. jaar=abc on an integer column
            raise ProviderInvalidQueryError(
                user_msg=f"query: {exc.diag.message_primary or exc}") from None
        return {"type": "FeatureCollection", "features": json.loads(features),
                "numberMatched": matched, "numberReturned": returned}

    def get(self, identifier, crs_transform_spec=None, **kwargs) -> dict:
        if not possible_id(self.collection, str(identifier)):
            raise ProviderItemNotFoundError(user_msg=f"item {identifier} not found")
        with database_errors(), self.pool.connection() as conn:
            row = conn.execute(item_sql(self.collection, _target(crs_transform_spec),
                                        str(identifier))).fetchone()
        if row is None:
            raise ProviderItemNotFoundError(user_msg=f"item {identifier} not found")
        return json.loads(row[0])


def _target(spec) -> str:
    """pygeoapi passes no spec when the requested CRS is the storage CRS (RD New)."""
    if spec is None:
        return RD_URI
    return getattr(spec, "target_crs_uri", None) or DEFAULT_CRS
