"""One error map: every error becomes one JSON shape, or one HTML page for the pages.

JSON: `{"code": …, "description": …}` (plus `error`, the machine key of a location-check
problem). Pages (anything a browser opens: not /api, /ogc, /sparql, downloads) get
templates/error.html with the same message. Database trouble is `503` with `Retry-After`:
the client should try again; everything else unexpected is logged and answered `500`.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from portal.web.i18n import N_, language
from portal.web.location import LocationError
from portal.web.zones import DateError

log = logging.getLogger("portal.errors")
RETRY_AFTER_SECONDS = 5
CODES = {400: "InvalidParameterValue", 403: "Forbidden", 404: "NotFound",
         405: "MethodNotAllowed", 406: "NotAcceptable", 413: "PayloadTooLarge",
         503: "ServiceUnavailable"}
API_PREFIXES = ("/api/", "/ogc", "/sparql", "/id/", "/def/", "/vocab", "/catalog", "/health")


class ApiError(Exception):
    """An answer the client can act on: status, message (English msgid, translated)."""

    def __init__(self, status: int, description: str, *, api_code: str | None = None,
                 error: str | None = None, **values):
        """`values` fill the message's {placeholders}; `error` is a machine key."""
        super().__init__(description)
        self.status = status
        self.code = api_code or CODES.get(status, "Error")
        self.description = description
        self.values = values
        self.error = error


def wants_page(request: Request) -> bool:
    """A browser opening one of our pages (it asks for HTML); API clients get JSON."""
    path = request.url.path
    if path.startswith(API_PREFIXES) or path.endswith((".csv", ".json")):
        return False
    return "text/html" in request.headers.get("accept", "")


def handlers(state) -> dict:
    """Exception → response, for Starlette's `exception_handlers`."""

    def respond(request: Request, status: int, code: str, message: str, error: str | None,
                headers: dict | None = None) -> Response:
        if wants_page(request):
            lang = language(request.query_params)
            html = state.templates.render(lang, "error.html", request, http_status=status,
                                          message=message, demo=False)
            return HTMLResponse(html, status_code=status, headers=headers)
        body = {"code": code, "description": message}
        if error:
            body["error"] = error
        return JSONResponse(body, status_code=status, headers=headers)

    def api_error(request: Request, exc: ApiError) -> Response:
        lang = language(request.query_params)
        message = state.messages.gettext(lang, exc.description, **exc.values)
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)} if exc.status == 503 else None
        return respond(request, exc.status, exc.code, message, exc.error, retry)

    def http_error(request: Request, exc: HTTPException) -> Response:
        message = f"{request.url.path}: {exc.detail}"
        return respond(request, exc.status_code, CODES.get(exc.status_code, "Error"), message,
                       None, getattr(exc, "headers", None))

    def location_error(request: Request, exc: LocationError) -> Response:
        return api_error(request, ApiError(400, exc.msgid, error=exc.key, **exc.values))

    def date_error(request: Request, exc: DateError) -> Response:
        return api_error(request, ApiError(400, N_("date: '{text}' is not a date (YYYY-MM-DD)"),
                                           error="date", text=exc.text))

    def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("database unavailable", extra={"path": request.url.path,
                                                     "reason": str(exc)[:200]})
        lang = language(request.query_params)
        message = state.messages.gettext(
            lang, N_("The database does not answer right now. Please try again in a few "
                     "seconds."))
        return respond(request, 503, "ServiceUnavailable", message, None,
                       {"Retry-After": str(RETRY_AFTER_SECONDS)})

    def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error", extra={"path": request.url.path}, exc_info=exc)
        lang = language(request.query_params)
        message = state.messages.gettext(lang, N_("Something went wrong on our side; it has "
                                                  "been logged."))
        return respond(request, 500, "InternalServerError", message, None)

    return {ApiError: api_error, HTTPException: http_error, LocationError: location_error,
            DateError: date_error, psycopg.OperationalError: unavailable,
            PoolTimeout: unavailable, Exception: unexpected}
