"""One ASGI app on one port: the portal at `/`, pygeoapi's OGC API at `/ogc`.

pygeoapi reads its configuration at import time, so the app writes the config (from the
manifests) first and imports pygeoapi's Starlette app afterwards. Around everything: one
log line per request, the response cache keyed on the data version (httpcache.py), gzip
for what is not cached, and one error map (errors.py).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import yaml
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from portal.auth.gate import AccessGate
from portal.auth.identity import SESSION_COOKIE, SESSION_SECONDS, Identity, secret_key
from portal.settings import VAR_DIR, Settings
from portal.web import ogc, semantic
from portal.web.assets import VENDOR_DIR, vendored_packages
from portal.web.errors import handlers
from portal.web.guard import DatabaseGate, RequestGuard, SecurityHeaders
from portal.web.httpcache import HttpCache
from portal.web.requestlog import RequestLog
from portal.web.state import AppState
from portal.web.views import (
    about,
    account,
    admin,
    apidocs,
    area,
    dashboard,
    downloads,
    exports,
    health,
    home,
    location,
    map_data,
    norms_at,
    search,
    stations,
)

HERE = Path(__file__).parent
VIEWS = (health, home, map_data, stations, location, norms_at, downloads, area, dashboard,
         exports, search, apidocs, account, admin, about)  # downloads before area: /gebied/{code}.pdf


class OgcRootWithoutSlash:
    """Serve /ogc itself (the URL pygeoapi puts in its links) instead of redirecting to /ogc/."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/ogc":
            scope = {**scope, "path": "/ogc/", "raw_path": b"/ogc/"}
        await self.app(scope, receive, send)


def prepare(settings: Settings, db_url: str) -> tuple[Path, Path]:
    """What is written once before serving: the OGC configuration and OpenAPI document (and
    the grid files they name), and the key that signs sessions."""
    secret_key()
    return ogc.build(settings, db_url, VAR_DIR / "runtime" / str(settings.port))


def worker_app():
    """One of `portal serve --workers N` (uvicorn's factory): the parent process ran
    `prepare`; each worker has its own pools and cache and shares only PostgreSQL."""
    from portal.settings import get_settings

    settings = get_settings()
    runtime = VAR_DIR / "runtime" / str(settings.port)
    return create_app(settings, os.environ["DATABASE_URL"],
                      prepared=(runtime / "pygeoapi-config.yml", runtime / "openapi.yml"))


def create_app(settings: Settings, db_url: str, state: AppState | None = None,
               prepared: tuple[Path, Path] | None = None):
    config_path, openapi_path = prepared or prepare(settings, db_url)
    os.environ["PYGEOAPI_CONFIG"] = str(config_path)
    os.environ["PYGEOAPI_OPENAPI"] = str(openapi_path)
    from pygeoapi.starlette_app import APP as ogc_app  # reads the env above

    state = state or AppState.build(settings, db_url)
    state.version.read()
    state.ogc_collections = set(yaml.safe_load(config_path.read_text(encoding="utf-8"))
                                ["resources"])

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        state.pool.open()
        await state.apool.open()
        await state.version.start()
        threading.Thread(target=state.prepare_sparql, name="sparql-store", daemon=True).start()
        yield
        state.sparql.close()
        await state.version.stop()
        await state.apool.close()
        state.pool.close()

    vendor = [Mount(f"/static/vendor/{pkg}", StaticFiles(directory=VENDOR_DIR / pkg))
              for pkg in vendored_packages()]
    routes = [r for view in VIEWS for r in view.routes(state)]
    app = Starlette(
        routes=[
            *routes,
            *vendor,
            Mount("/static", StaticFiles(directory=HERE / "static")),
            *semantic.routes(state),
            Mount("/ogc", ogc.wrap(ogc_app, settings, db_url, config_path)),
        ],
        exception_handlers=handlers(state),
        # what the cache does not hold (static files, search, errors) is compressed here
        middleware=[Middleware(GZipMiddleware, minimum_size=800)],
        lifespan=lifespan,
    )
    app.state.portal = state
    tiles = (settings.tile_layer or {}).get("url")
    cached = HttpCache(SecurityHeaders(DatabaseGate(OgcRootWithoutSlash(app), state), tiles),
                       state.version,
                       state.app_id, settings.http_cache_max_age,
                       settings.http_cache_memory_mb * 2**20)
    # who is asking (session cookie, token, Basic), then what they may see: before the cache
    sessions = SessionMiddleware(Identity(AccessGate(cached, state), state),
                                 secret_key=secret_key(), session_cookie=SESSION_COOKIE,
                                 max_age=SESSION_SECONDS, same_site="lax",
                                 https_only=settings.public_url.startswith("https://"))
    return RequestLog(RequestGuard(sessions, state, settings.max_request_body_kb * 1024))
