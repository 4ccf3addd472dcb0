"""Local accounts and API tokens in PostgreSQL (auth.account, auth.api_token).

Passwords are argon2id hashes (argon2-cffi); a token is 32 random bytes shown once
(`om_…`) and stored as its SHA-256, so the table leaks nothing usable. Tokens expire and can
be revoked by their owner; both take effect at the next request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from psycopg.rows import tuple_row

from portal.errors import UserError

HASHER = PasswordHasher()
TOKEN_PREFIX = "om_"
NAME = re.compile(r"^[A-Za-z0-9._@-]{2,80}$")
# verified against when the account is unknown, so that a wrong name costs the same time
_DUMMY = HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Account:
    name: str
    roles: tuple[str, ...]
    source: str


def _q(conn, query: str, params=()):
    """Tuple rows whatever the connection's row factory (the app's pool gives dicts)."""
    return conn.cursor(row_factory=tuple_row).execute(query, params)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(conn, name: str, password: str | None, roles: list[str], known_roles: set[str],
             source: str = "local") -> None:
    if not NAME.match(name):
        raise UserError(f"user name {name!r}: use 2–80 letters, digits, . _ @ -")
    unknown = sorted(set(roles) - known_roles)
    if unknown or not roles:
        raise UserError(f"--role: {', '.join(unknown) or '(none)'} is not a role of "
                        f"config/roles.yml ({', '.join(sorted(known_roles))})")
    if password is not None and len(password) < 12:
        raise UserError("the password needs at least 12 characters")
    _q(conn, 
        "INSERT INTO auth.account (name, password_hash, roles, source) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (name) DO UPDATE SET password_hash = coalesce(EXCLUDED.password_hash,"
        " auth.account.password_hash), roles = EXCLUDED.roles, disabled = false",
        (name, HASHER.hash(password) if password else None, sorted(set(roles)), source))


def check_password(conn, name: str, password: str) -> Account | None:
    """The account when name and password match (and it is enabled), else None."""
    row = _q(conn, "SELECT name, password_hash, roles, source FROM auth.account"
                       " WHERE name = %s AND NOT disabled", (name,)).fetchone()
    stored = row[1] if row and row[1] else _DUMMY
    try:
        HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or not row[1]:
        return None
    if HASHER.check_needs_rehash(row[1]):
        _q(conn, "UPDATE auth.account SET password_hash = %s WHERE name = %s",
                     (HASHER.hash(password), name))
    return Account(row[0], tuple(row[2]), row[3])


def account(conn, name: str) -> Account | None:
    row = _q(conn, "SELECT name, roles, source FROM auth.account WHERE name = %s"
                       " AND NOT disabled", (name,)).fetchone()
    return Account(row[0], tuple(row[1]), row[2]) if row else None


def create_token(conn, name: str, label: str, days: int, max_days: int) -> str:
    if not 1 <= days <= max_days:
        raise UserError(f"days: a token is valid for 1 to {max_days} days, not {days}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    _q(conn, "INSERT INTO auth.api_token (account, label, token_hash, expires_at)"
                 " VALUES (%s, %s, %s, now() + make_interval(days => %s))",
                 (name, label[:80] or "token", token_hash(token), days))
    return token


def check_token(conn, token: str) -> Account | None:
    """The token's account when the token is known, not expired, not revoked."""
    row = _q(conn, 
        "UPDATE auth.api_token t SET last_used = now() FROM auth.account a"
        " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > now()"
        " AND a.name = t.account AND NOT a.disabled RETURNING a.name, a.roles, a.source",
        (token_hash(token),)).fetchone()
    return Account(row[0], tuple(row[1]), row[2]) if row else None


def revoke_token(conn, name: str, token_id: int) -> bool:
    row = _q(conn, "UPDATE auth.api_token SET revoked_at = now() WHERE id = %s"
                       " AND account = %s AND revoked_at IS NULL RETURNING id",
                       (token_id, name)).fetchone()
    return row is not None


def tokens(conn, name: str) -> list[dict]:
    cur = _q(conn, "SELECT id, label, created_at, expires_at, revoked_at, last_used"
                   " FROM auth.api_token WHERE account = %s ORDER BY created_at DESC", (name,))
    cols = [c.name for c in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

