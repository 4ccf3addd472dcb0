"""The portal API's OpenAPI document (`/api/openapi.json`) and Swagger UI, self-hosted, for it
(`/api/docs`) and for the OGC API (`/api/docs/ogc`, reading `/ogc/openapi?f=json`).

The document is openapi/portal-api.yml; at serve time `servers` is the app's public URL and
the `indicator` parameters list the codes of monitor.indicator (what the API accepts).
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import yaml
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from portal.web.views.common import lang_of

SPEC = Path(__file__).parents[1] / "openapi" / "portal-api.yml"


@cache
def _spec() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def document(public_url: str, indicator_codes: list[str]) -> dict:
    """The portal API's OpenAPI document as this app serves it."""
    doc = copy.deepcopy(_spec())
    doc["servers"] = [{"url": public_url.rstrip("/"), "description": "Omgevingsmonitor"}]
    if indicator_codes:
        schema = doc["components"]["parameters"]["indicator"]["schema"]
        schema["enum"] = sorted(indicator_codes)
    return doc


def routes(state) -> list[Route]:
    urls = state.urls

    def openapi(request: Request) -> JSONResponse:
        codes = [i["code"] for i in state.indicators()]
        return JSONResponse(document(urls.public, codes),
                            media_type="application/vnd.oai.openapi+json;version=3.0")

    def page(request: Request, spec_url: str, which: str) -> HTMLResponse:
        lang = lang_of(request)
        html = state.templates.render(lang, "apidocs.html", request, spec_url=spec_url,
                                      which=which, demo=False)
        return HTMLResponse(html)

    def portal_docs(request: Request) -> HTMLResponse:
        return page(request, urls.to("/api/openapi.json"), "portal")

    def ogc_docs(request: Request) -> HTMLResponse:
        return page(request, urls.to("/ogc/openapi", f="json"), "ogc")

    return [Route("/api/openapi.json", openapi), Route("/api/docs", portal_docs),
            Route("/api/docs/ogc", ogc_docs)]
