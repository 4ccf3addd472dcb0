"""One ASGI app on one port: the portal at `/`, pygeoapi's OGC API at `/ogc`.

pygeoapi reads its configuration at import time, so the app writes the config
(from the manifests) first and imports pygeoapi's Starlette app afterwards.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from portal.ingest.manifest import all_manifests
from portal.settings import REPO, VAR_DIR, Settings
from portal.web import ogc, semantic
from portal.web.map import STATUS, render_map

HERE = Path(__file__).parent
VENDOR_DIR = REPO / "node_modules"
TEXT = {
    "nl": {"title": "Omgevingsmonitor Den Haag", "skip": "Direct naar de kaart",
           "lead": "Hoe staat het met de luchtkwaliteit in uw buurt? De kaart toont per buurt het "
                   "jaargemiddelde van stikstofdioxide (NO2), getoetst aan de normen.",
           "legend": "Legenda", "table": "Alle buurten", "area": "Buurt", "value": "Waarde",
           "norm": "Bepalende norm", "status": "Status", "margin": "Marge tot norm",
           "demo": "Let op: dit zijn DEMOGEGEVENS, geen metingen. Ze dienen om de monitor te tonen.",
           "sources": "Bronnen", "year": "Jaar", "api": "Open data (OGC API Features)",
           "other": "English"},
    "en": {"title": "Environment monitor of The Hague", "skip": "Skip to the map",
           "lead": "How is the air quality in your neighbourhood? The map shows, per "
                   "neighbourhood, the annual mean of nitrogen dioxide (NO2), assessed "
                   "against the norms.",
           "legend": "Legend", "table": "All neighbourhoods", "area": "Neighbourhood",
           "value": "Value", "norm": "Governing norm", "status": "Status",
           "margin": "Margin to norm",
           "demo": "Note: these are DEMO DATA, not measurements. They serve to show the monitor.",
           "sources": "Sources", "year": "Year", "api": "Open data (OGC API Features)",
           "other": "Nederlands"},
}
INDICATOR = "no2_annual_mean"  # the foundation slice shows one indicator; themes follow


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
    pages = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape())
    static_url = f"{settings.public_url}/static"

    def home(request: Request) -> HTMLResponse:
        lang = "en" if request.query_params.get("lang") == "en" else "nl"
        with pool.connection() as conn:
            year = settings.default_year or conn.execute(
                "SELECT max(year) AS y FROM monitor.indicator_value WHERE indicator = %s",
                (INDICATOR,)).fetchone()["y"]
            rows = conn.execute(
                "SELECT area_name, value, unit, status, status_norm_nl, status_norm_en,"
                " status_margin, demo FROM monitor.area_status"
                " WHERE indicator = %s AND year = %s AND level = 'buurt' ORDER BY area_name",
                (INDICATOR, year)).fetchall()
        data_url = (f"{settings.public_url}/ogc/collections/area-status/items?f=json"
                    f"&level=buurt&indicator={INDICATOR}&year={year}&limit=1000")
        manifests = [m for m in all_manifests() if m.access == "public"]
        html = pages.get_template("home.html").render(
            t=TEXT[lang], lang=lang, year=year, rows=rows, status=STATUS,
            demo=any(r["demo"] for r in rows), manifests=manifests,
            map=render_map(static_url, data_url, lang), static=static_url,
            ogc=f"{settings.public_url}/ogc")
        return HTMLResponse(html)

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
        yield
        pool.close()

    vendor = [Mount(f"/static/vendor/{pkg}", StaticFiles(directory=VENDOR_DIR / pkg))
              for pkg in ("leaflet", "bootstrap", "leaflet.markercluster", "leaflet-draw",
                          "swagger-ui-dist")]
    app = Starlette(
        routes=[
            Route("/", home),
            Route("/health", health),
            *vendor,
            Mount("/static", StaticFiles(directory=HERE / "static")),
            *semantic.routes(settings, pool),
            Mount("/ogc", ogc_app),
        ],
        exception_handlers={HTTPException: not_found},
        lifespan=lifespan,
    )
    return OgcRootWithoutSlash(app)
