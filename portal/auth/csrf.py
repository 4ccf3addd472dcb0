"""CSRF protection for every form that changes something: a random token in the signed
session, repeated as a hidden field; a POST without the matching field is 403."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

from portal.web.errors import ApiError
from portal.web.i18n import N_


def csrf_token(request: Request) -> str:
    session = request.session
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf(request: Request, form) -> None:
    expected = request.session.get("csrf")
    given = form.get("csrf") or ""
    if not expected or not hmac.compare_digest(str(given), str(expected)):
        raise ApiError(403, N_("This form has expired or did not come from this site: reload "
                               "the page and try again."), api_code="Forbidden")
