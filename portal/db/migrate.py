"""Versioned migrations: portal/db/migrations/NNNN_name.sql, applied once each, in order.

Each file runs in its own transaction under an advisory lock, so two processes
starting at once cannot apply the same migration twice, and a failing file
leaves the schema as it was. An applied file that was edited afterwards is an
error (fix forward with a new file instead).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import psycopg

from portal.errors import UserError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_LOCK_ID = 5180518


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def available() -> list[Migration]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        number, _, name = path.stem.partition("_")
        found.append(Migration(int(number), name, path))
    return found


def migrate(conn: psycopg.Connection) -> list[Migration]:
    """Apply what is missing; return what was applied."""
    conn.autocommit = True
    conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS public.schema_migration ("
            " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {v: c for v, c in conn.execute("SELECT version, checksum FROM public.schema_migration")}
        applied = []
        for m in available():
            if m.version in done:
                if done[m.version] != m.checksum:
                    raise UserError(
                        f"migration {m.path.name} was changed after it was applied; "
                        "add a new migration instead of editing an applied one."
                    )
                continue
            try:
                with conn.transaction():
                    conn.execute(m.path.read_text(encoding="utf-8"))
                    conn.execute(
                        "INSERT INTO public.schema_migration (version, name, checksum)"
                        " VALUES (%s, %s, %s)", (m.version, m.name, m.checksum))
            except psycopg.Error as exc:
                raise UserError(f"migration {m.path.name} failed: {exc}".strip()) from None
            applied.append(m)
        return applied
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
