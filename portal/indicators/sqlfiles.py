"""The SQL of the indicators, one file per step in portal/indicators/sql/, run statement by
statement so a file can hold a small pipeline (temporary tables, then inserts)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import psycopg
from psycopg import sql

SQL_DIR = Path(__file__).parent / "sql"


def _statements(name: str) -> list[str]:
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    text = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("--"))
    return [s for s in re.split(r";\s*\n", text) if s.strip()]


def run_sql(conn: psycopg.Connection, name: str, params: dict | None = None,
            parts: dict[str, sql.Composable] | None = None) -> None:
    for stmt in _statements(name):
        query = sql.SQL(stmt).format(**parts) if parts else stmt
        text = query.as_string(conn) if isinstance(query, sql.Composable) else query
        conn.execute(query, params if params and "%(" in text else None)


def sql_hash(*names: str) -> str:
    h = hashlib.sha256()
    for name in names:
        h.update((SQL_DIR / f"{name}.sql").read_bytes())
    return h.hexdigest()[:16]
