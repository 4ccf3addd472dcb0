"""Staff sign-in and their account: `/aanmelden` (local accounts; and OpenID Connect when the
city's identity provider is configured), `/afmelden`, `/account` (roles, API tokens: make,
list, revoke). Every form carries a CSRF token; passwords and tokens are checked in
portal/auth/accounts.py, the session is a signed HttpOnly cookie (portal/auth/identity.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from portal.auth import accounts
from portal.auth.csrf import check_csrf, csrf_token
from portal.auth.oidc import OidcClient
from portal.auth.policy import ANONYMOUS
from portal.errors import UserError
from portal.web.errors import ApiError
from portal.web.i18n import N_
from portal.web.views.common import lang_of


def _next(value: str | None) -> str:
    """Only a path of ours: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or urlsplit(value).netloc:
        return "/account"
    return value


def _signed_in(request: Request, name: str, via: str) -> None:
    request.session.clear()  # a new session: nothing of an earlier one is carried over
    request.session.update({"user": name, "via": via})
    csrf_token(request)


class AccountViews:
    """Sign-in, sign-out and the account page of one app."""

    def __init__(self, state):
        self.state = state
        self.urls = state.urls
        self.oidc = OidcClient.from_config()

    def page(self, request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
        lang = lang_of(request)
        html = self.state.templates.render(lang, template, request, csrf=csrf_token(request),
                                      principal=request.scope.get("principal", ANONYMOUS),
                                      oidc=self.oidc is not None, demo=False, **ctx)
        return HTMLResponse(html, status_code=status,
                            headers={"Cache-Control": "private, no-store"})

    def login_form(self, request: Request) -> HTMLResponse:
        return self.page(request, "login.html", next=_next(request.query_params.get("next")))

    async def login(self, request: Request) -> Response:
        form = await request.form()
        check_csrf(request, form)
        name, password = str(form.get("name") or ""), str(form.get("password") or "")

        def check():
            with self.state.primary.connection() as conn:
                return accounts.check_password(conn, name, password)
        account = await to_thread.run_sync(check)
        if account is None:
            return self.page(request, "login.html", status=401, next=_next(form.get("next")),
                        error=self.state.messages.gettext(lang_of(request),
                                                     N_("Wrong name or password.")), name=name)
        _signed_in(request, account.name, "local")
        return RedirectResponse(self.urls.to(_next(form.get("next"))), status_code=303)

    async def logout(self, request: Request) -> Response:
        check_csrf(request, await request.form())
        request.session.clear()
        return RedirectResponse(self.urls.to("/"), status_code=303)

    def principal_or_login(self, request: Request):
        principal = request.scope.get("principal", ANONYMOUS)
        if principal.anonymous:
            return None, RedirectResponse(self.urls.to("/aanmelden", next="/account"),
                                          status_code=303)
        return principal, None

    async def account_page(self, request: Request, new_token: str | None = None) -> Response:
        principal, redirect = self.principal_or_login(request)
        if redirect:
            return redirect

        def load():
            with self.state.primary.connection() as conn:
                return accounts.tokens(conn, principal.name)
        tokens = await to_thread.run_sync(load)
        cfg = self.state.vocab.policy.tokens
        return self.page(request, "account.html", tokens=tokens, new_token=new_token,
                    default_days=cfg["default_days"], max_days=cfg["max_days"],
                    role_labels=[self.state.vocab.policy.label(r, lang_of(request))
                                 for r in sorted(principal.roles)])

    async def make_token(self, request: Request) -> Response:
        principal, redirect = self.principal_or_login(request)
        if redirect:
            return redirect
        form = await request.form()
        check_csrf(request, form)
        if principal.via != "session":
            raise ApiError(403, N_("Tokens are made on the account page, signed in."),
                           api_code="Forbidden")
        try:
            days = int(str(form.get("days") or self.state.vocab.policy.tokens["default_days"]))
        except ValueError:
            raise ApiError(400, N_("days: a whole number of days")) from None

        def make():
            with self.state.primary.connection() as conn:
                return accounts.create_token(conn, principal.name, str(form.get("label") or ""),
                                             days, self.state.vocab.policy.tokens["max_days"])
        try:
            token = await to_thread.run_sync(make)
        except UserError as exc:
            raise ApiError(400, str(exc)) from None
        return await self.account_page(request, new_token=token)

    async def revoke(self, request: Request) -> Response:
        principal, redirect = self.principal_or_login(request)
        if redirect:
            return redirect
        check_csrf(request, await request.form())
        token_id = request.path_params["token_id"]

        def run():
            with self.state.primary.connection() as conn:
                return accounts.revoke_token(conn, principal.name, token_id)
        if not await to_thread.run_sync(run):
            raise ApiError(404, N_("No such token of yours: {id}"), id=token_id)
        return RedirectResponse(self.urls.to("/account"), status_code=303)

    async def oidc_start(self, request: Request) -> Response:
        if self.oidc is None:
            raise ApiError(404, N_("Sign-in with the city's identity provider is not set up."))
        request.session["next"] = _next(request.query_params.get("next"))
        return await self.oidc.authorize_redirect(request, self.urls.to("/aanmelden/oidc/callback"))

    async def oidc_callback(self, request: Request) -> Response:
        if self.oidc is None:
            raise ApiError(404, N_("Sign-in with the city's identity provider is not set up."))
        after = _next(request.session.get("next"))
        user = await self.oidc.user(request)  # ApiError(401) when the provider says no
        roles = self.oidc.roles(user) or ["resident"]

        def upsert():
            with self.state.primary.connection() as conn:
                accounts.add_user(conn, user.name, None, roles,
                                  set(self.state.vocab.policy.roles), source="oidc")
        await to_thread.run_sync(upsert)
        _signed_in(request, user.name, "oidc")
        return RedirectResponse(self.urls.to(after), status_code=303)


def routes(state) -> list[Route]:
    v = AccountViews(state)
    return [Route("/aanmelden", v.login_form, methods=["GET"]),
            Route("/aanmelden", v.login, methods=["POST"]),
            Route("/afmelden", v.logout, methods=["POST"]),
            Route("/account", v.account_page, methods=["GET"]),
            Route("/account/tokens", v.make_token, methods=["POST"]),
            Route("/account/tokens/{token_id:int}/revoke", v.revoke, methods=["POST"]),
            Route("/aanmelden/oidc", v.oidc_start, methods=["GET"]),
            Route("/aanmelden/oidc/callback", v.oidc_callback, methods=["GET"])]
