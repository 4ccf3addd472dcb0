"""Which database to use, and making sure it exists and answers."""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from portal.db import cluster
from portal.errors import UserError
from portal.settings import Settings


def database_url(settings: Settings) -> str:
    return settings.database_url or cluster.url(settings)


def connect(url: str, **kwargs) -> psycopg.Connection:
    try:
        return psycopg.connect(url, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as exc:
        where = _describe(url)
        raise UserError(
            f"cannot connect to PostgreSQL at {where}: {str(exc).strip().splitlines()[-1]} "
            "— start that server or fix DATABASE_URL (unset it to use the private cluster)."
        ) from None


def prepare(settings: Settings) -> str:
    """Start the private cluster if needed, create the database if missing; return its URL."""
    if settings.embedded:
        cluster.ensure_running(settings)
    url = database_url(settings)
    create_database(url)
    return url


def create_database(url: str) -> None:
    params = conninfo_to_dict(url)
    dbname = params.get("dbname") or "postgres"
    admin = make_conninfo(url, dbname="postgres")
    with connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def drop_database(url: str) -> None:
    dbname = conninfo_to_dict(url)["dbname"]
    admin = make_conninfo(url, dbname="postgres")
    with connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(dbname)))


def _describe(url: str) -> str:
    p = conninfo_to_dict(url)
    return f"{p.get('host', 'localhost')}:{p.get('port', 5432)}/{p.get('dbname', '')}"


def pygeoapi_connection(url: str) -> dict:
    """The dict form pygeoapi's PostgreSQL provider wants."""
    p = conninfo_to_dict(url)
    return {
        "host": p.get("host", "localhost"),
        "port": int(p.get("port", 5432)),
        "dbname": p["dbname"],
        "user": p.get("user", "postgres"),
        "password": p.get("password", ""),
        "search_path": ["monitor", "data", "public"],
    }
