"""What every request and response passes, before anything else runs.

- Input the database can never take: a NUL character in the path or query (PostgreSQL text
  cannot hold it) is 400, said once here instead of failing deep inside a query.
- Request bodies (CQL2 JSON, SPARQL) are limited: over `max_request_body_kb` is 413.
- Security headers on every response: a Content-Security-Policy that allows only the app's
  own origin — no inline script but the exact ones a page carries, allowed by their SHA-256
  (so cached pages keep a valid policy), `frame-ancestors 'none'`, `X-Content-Type-Options`,
  `Referrer-Policy`; and `Retry-After` on every 503.

- While the database is away, `DatabaseGate` answers 503 at once (cached answers still go).

`SecurityHeaders` and `DatabaseGate` sit inside the response cache (the policy of a page is
cached with it); `RequestGuard` outside it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from portal.web.errors import RETRY_AFTER_SECONDS, wants_page
from portal.web.i18n import N_, language

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_HANDLER = re.compile(rb"""\son[a-z]+\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
FIXED_HEADERS = [(b"x-content-type-options", b"nosniff"),
                 (b"referrer-policy", b"strict-origin-when-cross-origin"),
                 (b"x-frame-options", b"DENY"),
                 (b"cross-origin-opener-policy", b"same-origin")]
NOT_HTML_POLICY = b"default-src 'none'; frame-ancestors 'none'; sandbox"


def _sha256(text: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text).digest()).decode() + "'"


def html_policy(body: bytes, image_hosts: tuple[str, ...] = ()) -> bytes:
    """The CSP of one page: its own inline scripts and handlers by hash, nothing else."""
    scripts = sorted({_sha256(m.group(1)) for m in _INLINE_SCRIPT.finditer(body)})
    handlers = sorted({_sha256(html.unescape((m.group(1) or m.group(2) or b"").decode())
                               .encode()) for m in _HANDLER.finditer(body)})
    script_src = " ".join(["'self'", *scripts, *(["'unsafe-hashes'", *handlers]
                                                  if handlers else [])])
    images = " ".join(["'self'", "data:", *image_hosts])
    return (f"default-src 'self'; script-src {script_src}; style-src 'self' 'unsafe-inline';"
            f" img-src {images}; connect-src 'self'; font-src 'self' data:;"
            f" object-src 'none'; base-uri 'self'; form-action 'self';"
            f" frame-ancestors 'none'").encode()


class SecurityHeaders:
    """Adds the policy and the fixed headers to every response (inside the cache)."""

    def __init__(self, app, tile_url: str | None = None):
        self.app = app
        host = urlsplit(tile_url or "").netloc
        self.image_hosts = (f"{urlsplit(tile_url).scheme}://{host.replace('{s}', '*')}",) \
            if host else ()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def sending(message):
            if message["type"] == "http.response.start":
                start.update(message)
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                if not ctype.startswith(b"text/html"):
                    await send(self._with_headers(message, NOT_HTML_POLICY))
                    start["passed"] = True
                return
            if start.get("passed"):
                await send(message)
                return
            chunks.append(message.get("body", b""))  # an HTML page: its policy needs it all
            if not message.get("more_body"):
                body = b"".join(chunks)
                await send(self._with_headers(start, html_policy(body, self.image_hosts)))
                await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, sending)

    @staticmethod
    def _with_headers(start: dict, policy: bytes) -> dict:
        headers = [(k, v) for k, v in start.get("headers", [])
                   if k != b"content-security-policy"]
        return {"type": "http.response.start", "status": start["status"],
                "headers": [*headers, (b"content-security-policy", policy)]}


class RequestGuard:
    """Refuses what no handler can take; adds the fixed headers and Retry-After to answers
    that did not pass SecurityHeaders (cache hits keep theirs, 304s get them here)."""

    def __init__(self, app, state, max_body_bytes: int):
        self.app = app
        self.state = state
        self.max_body = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query.lower() or b"\x00" in query:
            await refuse(self.state, scope, receive, send, 400, "InvalidParameterValue",
                               N_("A NUL character is not allowed in a web address."))
            return
        if scope["method"] in ("POST", "PUT", "PATCH"):
            body = await self._body(receive)
            if body is None:
                await refuse(self.state, scope, receive, send, 413, "PayloadTooLarge",
                                   N_("The request body is larger than {limit} kB."),
                                   limit=self.max_body // 1024)
                return
            receive = _replay(body, receive)

        async def sending(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k for k, _ in headers}
                headers += [h for h in FIXED_HEADERS if h[0] not in names]
                if message["status"] == 503 and b"retry-after" not in names:
                    headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)

    async def _body(self, receive) -> bytes | None:
        """The whole body, or None as soon as it passes the limit."""
        parts, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            parts.append(chunk)
            more = message.get("more_body", False)
        return b"".join(parts)


async def refuse(state, scope, receive, send, status: int, code: str, message: str,
                 **values) -> None:
    """Answer with the error shape (JSON, or the error page for a browser) outside the
    app: for the middlewares that stop a request before it gets there."""
    request = Request(scope, receive)
    lang = language(request.query_params)
    text = state.messages.gettext(lang, message, **values)
    if wants_page(request):
        page = state.templates.render(lang, "error.html", None, http_status=status,
                                      message=text, demo=False)
        response = HTMLResponse(page, status_code=status)
    else:
        response = JSONResponse({"code": code, "description": text}, status_code=status)
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    await SecurityHeaders(response)(scope, receive, send)


class DatabaseGate:
    """While the database is known to be away (the data-version watcher lost it), answer
    503 at once instead of letting each request wait for a connection. Inside the response
    cache: pages rendered before keep being served."""

    def __init__(self, app, state):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not self.state.version.healthy \
                and not scope["path"].startswith("/static"):
            await refuse(self.state, scope, receive, send, 503, "ServiceUnavailable",
                                N_("The database does not answer right now. Please try again "
                                   "in a few seconds."))
            return
        await self.app(scope, receive, send)


def _replay(body: bytes, original):
    """The body read already, then the client's own messages (its disconnect)."""
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return await original()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive
