"""One structured log line per request: method, path, query, status, milliseconds, cache
outcome (hit, miss, 304 or - when not cached)."""

from __future__ import annotations

import logging
import time

log = logging.getLogger("portal.request")


class RequestLog:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        seen = {"status": 500}

        async def sending(message):
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            log.info("request", extra={
                "method": scope["method"], "path": scope["path"],
                "query": scope.get("query_string", b"").decode("latin-1"), "status": seen["status"],
                "ms": round(1000 * (time.perf_counter() - t0), 2),
                "cache": scope.get("state", {}).get("cache", "-")})
