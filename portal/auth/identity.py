"""Who is asking: a session cookie (signed, HttpOnly, SameSite, Secure on https), an API
token (`Authorization: Bearer om_…`), or HTTP Basic (name and password, or name and a token
as password: QGIS's authentication manager, GDAL_HTTP_AUTH=BASIC). Sets
`scope["principal"]`; credentials that do not verify are 401 with a message, never a
silent downgrade to anonymous.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import time

from anyio import to_thread
from starlette.responses import JSONResponse

from portal.auth.accounts import TOKEN_PREFIX, account, check_password, check_token
from portal.auth.policy import ANONYMOUS, Principal
from portal.settings import VAR_DIR
from portal.web.guard import SecurityHeaders

SESSION_COOKIE = "om_session"
SESSION_SECONDS = 8 * 3600  # a working day
ACCOUNT_TTL = 15.0  # seconds a session's account (roles, disabled) is trusted without a look


def secret_key() -> str:
    """OM_SECRET_KEY, else a key made once for this clone (var/secret-key, mode 0600): every
    app process of one machine signs sessions alike."""
    if os.environ.get("OM_SECRET_KEY"):
        return os.environ["OM_SECRET_KEY"]
    path = VAR_DIR / "secret-key"
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class Unauthorized(Exception):
    def __init__(self, message: str, scheme: str):
        super().__init__(message)
        self.scheme = scheme


class Identity:
    """ASGI middleware, after Starlette's SessionMiddleware (which verifies the cookie)."""

    def __init__(self, app, state):
        self.app = app
        self.state = state
        self._accounts: dict[str, tuple[float, object]] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            scope["principal"] = await self._principal(scope)
        except Unauthorized as exc:
            realm = 'realm="Omgevingsmonitor"'
            response = JSONResponse({"code": "Unauthorized", "description": str(exc)},
                                    status_code=401,
                                    headers={"WWW-Authenticate": f"{exc.scheme} {realm}"})
            await SecurityHeaders(response)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _principal(self, scope) -> Principal:
        headers = dict(scope["headers"])
        auth = headers.get(b"authorization", b"").decode("latin-1").strip()
        if auth:
            return await to_thread.run_sync(self._from_header, auth)
        session = scope.get("session") or {}
        name = session.get("user")
        if name:
            acc = await to_thread.run_sync(self._cached_account, name)
            if acc is None:  # disabled or removed since sign-in
                session.clear()
                return Principal(None, ANONYMOUS.roles, bad_session=True)
            return Principal(acc.name, frozenset(acc.roles), "session")
        cookie = headers.get(b"cookie", b"").decode("latin-1")
        if f"{SESSION_COOKIE}=" in cookie and not session:
            return Principal(None, ANONYMOUS.roles, bad_session=True)  # did not verify
        return ANONYMOUS

    def _from_header(self, auth: str) -> Principal:
        scheme, _, value = auth.partition(" ")
        value = value.strip()
        with self.state.primary.connection() as conn:
            if scheme.lower() == "bearer":
                acc = check_token(conn, value)
                if acc is None:
                    raise Unauthorized("the API token is unknown, expired or revoked: make a new "
                                       "one on your account page", "Bearer")
                return Principal(acc.name, frozenset(acc.roles), "token")
            if scheme.lower() == "basic":
                try:
                    name, _, secret = base64.b64decode(value).decode("utf-8").partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    raise Unauthorized("Basic credentials are not base64 of name:password",
                                       "Basic") from None
                acc = check_token(conn, secret) if secret.startswith(TOKEN_PREFIX) \
                    else check_password(conn, name, secret)
                if acc is None or (secret.startswith(TOKEN_PREFIX) and acc.name != name):
                    raise Unauthorized("wrong name, password or token", "Basic")
                return Principal(acc.name, frozenset(acc.roles), "basic")
        raise Unauthorized(f"authorization scheme {scheme!r}: use Bearer (a token) or Basic",
                           "Bearer")

    def _cached_account(self, name: str):
        hit = self._accounts.get(name)
        if hit and time.monotonic() - hit[0] < ACCOUNT_TTL:
            return hit[1]
        with self.state.primary.connection() as conn:
            acc = account(conn, name)
        if len(self._accounts) > 1000:
            self._accounts.clear()
        self._accounts[name] = (time.monotonic(), acc)
        return acc
