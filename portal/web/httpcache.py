"""Pay for an answer once per data version: an in-memory response cache with HTTP validators.

Every cacheable GET is keyed on (path, query, the headers it negotiates on, today's date,
data version). The first request renders; the rest are served from memory, gzip-compressed
once. `ETag` is derived from the key and the version — not the body — so every app process
gives the same validator for the same answer, and a request with a matching
`If-None-Match` (or an `If-Modified-Since` not older than the data) gets `304` without
rendering. `Cache-Control: public, max-age=…` lets a reverse proxy keep answers too. A new
ingest or compute bumps the version (portal/web/dataversion.py) and empties the cache.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime, parsedate_to_datetime

from portal.web.dataversion import DataVersion

log = logging.getLogger("portal.httpcache")

# Paths answered the same for everyone at one data version (no geocoder, no clock but the
# date). Paths that negotiate the format or language on headers say which ones.
CACHED_PREFIXES = ("/gebied/", "/ogc", "/id/", "/def/", "/api/map", "/api/stations",
                   "/api/location",
                   "/api/norms-at", "/vocab", "/catalog", "/sparql")
CACHED_PATHS = ("/", "/dashboard", "/dashboard.csv", "/dashboard/goals.csv", "/locatie",
                "/toegankelijkheid", "/colofon", "/privacy")
NEGOTIATED = {"/ogc": (b"accept", b"accept-language"), "/id/": (b"accept", b"accept-language"),
              "/def/": (b"accept", b"accept-language"), "/vocab": (b"accept", b"accept-language"),
              "/catalog": (b"accept", b"accept-language"), "/sparql": (b"accept",)}
MAX_ENTRY_BYTES = 16 * 1024 * 1024
COMPRESS_MIN_BYTES = 800
COMPRESSIBLE = ("text/", "application/json", "application/geo+json", "application/ld+json",
                "application/schema+json", "application/sparql-results", "application/vnd.oai",
                "application/xml", "application/rdf+xml", "application/n-triples",
                "image/svg+xml", "application/javascript", "application/vnd.mapbox-vector-tile")


@dataclass(frozen=True)
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    gzipped: bytes | None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + 200


class Store:
    """LRU of entries, bounded by bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        if entry.size > min(self.max_bytes, MAX_ENTRY_BYTES):
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old.size
            self._items[key] = entry
            self.bytes += entry.size
            while self.bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self.bytes -= dropped.size

    def clear(self, *_args) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)


def cacheable(path: str) -> bool:
    return path in CACHED_PATHS or path.startswith(CACHED_PREFIXES)


def _negotiated(path: str) -> tuple[bytes, ...]:
    return next((names for prefix, names in NEGOTIATED.items() if path.startswith(prefix)), ())


def _compressible(headers: list[tuple[bytes, bytes]]) -> bool:
    ctype = next((v.decode("latin-1") for k, v in headers if k == b"content-type"), "")
    return ctype.startswith(COMPRESSIBLE) and not any(k == b"content-encoding" for k, _ in headers)


def _private(send):
    async def sending(message):
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
            message = {**message, "headers": [*headers, (b"cache-control", b"private, no-store")]}
        await send(message)
    return sending


class HttpCache:
    """ASGI middleware in front of the app (outside its own gzip)."""

    def __init__(self, app, version: DataVersion, app_id: str, max_age: int, max_bytes: int):
        self.app = app
        self.version = version
        self.app_id = app_id
        self.max_age = max_age
        self.store = Store(max_bytes)
        version.on_change(self.store.clear)

    async def __call__(self, scope, receive, send):
        principal = scope.get("principal")
        if principal is not None and not principal.anonymous:
            await self.app(scope, receive, _private(send))  # staff: never shared, never kept
            return
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") \
                or not cacheable(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        path = scope["path"]
        query = b"&".join(sorted(scope.get("query_string", b"").split(b"&")))
        varied = _negotiated(path)
        key = (path, query, *(headers.get(n, b"") for n in varied), date.today().isoformat())
        v = self.version.current
        # answers may also depend on today's date (norms valid today): at midnight they change
        changed = max(v.changed_at.astimezone(UTC), datetime.combine(date.today(), time(), UTC))
        digest = hashlib.sha1(repr(key).encode(), usedforsecurity=False).hexdigest()[:20]
        etag = f'W/"{v.number}-{self.app_id}-{digest}"'.encode()
        validators = [(b"etag", etag),
                      (b"last-modified", format_datetime(changed, usegmt=True).encode()),
                      (b"cache-control", f"public, max-age={self.max_age}".encode()),
                      (b"vary", b", ".join([b"Accept-Encoding", *(n.title() for n in varied)]))]
        if self._not_modified(headers, etag, changed):
            scope.setdefault("state", {})["cache"] = "304"
            await send({"type": "http.response.start", "status": 304, "headers": validators})
            await send({"type": "http.response.body", "body": b""})
            return
        entry = self.store.get((key, v.number))
        scope.setdefault("state", {})["cache"] = "hit" if entry else "miss"
        if entry is None:
            entry = await self._render(scope, receive)
            if entry.status == 200:
                self.store.put((key, v.number), entry)
        await self._send(scope, send, entry, headers, validators if entry.status == 200 else [])

    @staticmethod
    def _not_modified(headers: dict, etag: bytes, changed_at) -> bool:
        match = headers.get(b"if-none-match")
        if match is not None:
            tags = {t.strip().removeprefix(b"W/") for t in match.split(b",")}
            return etag.removeprefix(b"W/") in tags or b"*" in tags
        since = headers.get(b"if-modified-since")
        if since is None:
            return False
        try:
            return parsedate_to_datetime(since.decode("latin-1")) >= changed_at.replace(
                microsecond=0)
        except (TypeError, ValueError):
            return False

    async def _render(self, scope, receive) -> Entry:
        """Run the app without Accept-Encoding (we compress once) and keep what it sends."""
        inner = {**scope, "headers": [(k, v) for k, v in scope["headers"]
                                      if k != b"accept-encoding"]}
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(inner, receive, capture)
        except Exception:
            # Starlette's error middleware answers (the error map's 500) and then re-raises
            # for the server's log: keep that answer rather than drop it for a bare 500
            if not start:
                raise
            log.exception("error after the answer was made", extra={"path": scope["path"]})
        body = b"".join(chunks)
        headers = [(k, v) for k, v in start.get("headers", [])
                   if k not in (b"content-length", b"cache-control", b"etag", b"last-modified",
                                b"vary")]
        gz = None
        if len(body) >= COMPRESS_MIN_BYTES and _compressible(headers):
            gz = gzip.compress(body, compresslevel=6, mtime=0)
        return Entry(start.get("status", 500), headers, body, gz)

    @staticmethod
    async def _send(scope, send, entry: Entry, request_headers: dict, validators: list) -> None:
        body = entry.body
        headers = [*entry.headers, *validators]
        if entry.gzipped is not None and b"gzip" in request_headers.get(b"accept-encoding", b""):
            body = entry.gzipped
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body",
                    "body": b"" if scope["method"] == "HEAD" else body})
