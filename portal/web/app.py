"""One ASGI app on one port: the portal at `/`, pygeoapi's OGC API at `/ogc`.

pygeoapi reads its configuration at import time, so the app writes the config
(from the manifests) first and imports pygeoapi's Starlette app afterwards.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from portal.settings import VAR_DIR, Settings
from portal.web import ogc, pages, semantic
from portal.web.assets import VENDOR_DIR, vendored_packages
from portal.web.knowledge import Knowledge

HERE = Path(__file__).parent


class OgcRootWithoutSlash:
    """Serve /ogc itself (the URL pygeoapi puts in its links) instead of redirecting to /ogc/."""

    def __init__(self, app: Starlette):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/ogc":
            scope = {**scope, "path": "/ogc/", "raw_path": b"/ogc/"}
        await self.app(scope, receive, send)


def create_app(settings: Settings, db_url: str) -> OgcRootWithoutSlash:
    runtime = VAR_DIR / "runtime" / str(settings.port)
    config_path, openapi_path = ogc.build(settings, db_url, runtime)
    os.environ["PYGEOAPI_CONFIG"] = str(config_path)
    os.environ["PYGEOAPI_OPENAPI"] = str(openapi_path)
    from pygeoapi.starlette_app import APP as ogc_app  # reads the env above

    pool = ConnectionPool(db_url, min_size=1, max_size=8, open=False,
                          kwargs={"row_factory": dict_row})
    # for the async hot paths (norms at a point): no thread hop, no GIL hand-offs per request
    apool = AsyncConnectionPool(db_url, min_size=1, max_size=8, open=False,
                                kwargs={"autocommit": True})
    knowledge = Knowledge(settings, pool)

    def health(request: Request) -> JSONResponse:
        with pool.connection() as conn:
            conn.execute("SELECT 1")
        return JSONResponse({"status": "ok"})

    async def not_found(request: Request, exc: HTTPException) -> Response:
        return JSONResponse({"code": "NotFound" if exc.status_code == 404 else "Error",
                             "description": f"{request.url.path}: {exc.detail}"},
                            status_code=exc.status_code)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        pool.open()
        await apool.open()
        yield
        await apool.close()
        pool.close()

    vendor = [Mount(f"/static/vendor/{pkg}", StaticFiles(directory=VENDOR_DIR / pkg))
              for pkg in vendored_packages()]
    app = Starlette(
        routes=[
            Route("/health", health),
            *pages.routes(settings, pool, knowledge, apool),
            *vendor,
            Mount("/static", StaticFiles(directory=HERE / "static")),
            *semantic.routes(settings, pool, knowledge),
            Mount("/ogc", ogc.wrap(ogc_app, settings, db_url, config_path)),
        ],
        exception_handlers={HTTPException: not_found},
        # pages, map data and self-hosted assets go compressed (README: page weight)
        middleware=[Middleware(GZipMiddleware, minimum_size=800)],
        lifespan=lifespan,
    )
    return OgcRootWithoutSlash(app)
