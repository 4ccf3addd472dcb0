"""Sign-in with the city's identity provider (OpenID Connect: Entra ID, Keycloak …) through
Authlib's Starlette client: authorization code flow with PKCE, the ID token verified against
the provider's keys, the provider's roles claim mapped onto our roles (config/roles.yml
`oidc`). Configured by `oidc.issuer` or OM_OIDC_ISSUER, with OM_OIDC_CLIENT_ID and
OM_OIDC_CLIENT_SECRET (a secret never sits in a config file)."""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass

from starlette.requests import Request

from portal.auth.policy import read_roles
from portal.web.errors import ApiError
from portal.web.i18n import N_

_NAME = re.compile(r"[^A-Za-z0-9._@-]")


@dataclass(frozen=True)
class OidcUser:
    name: str
    claims: dict


class OidcClient:
    def __init__(self, issuer: str, client_id: str, client_secret: str, scope: str,
                 roles_claim: str, role_map: dict[str, str]):
        self.issuer = issuer.rstrip("/")
        self.roles_claim = roles_claim
        self.role_map = role_map
        with warnings.catch_warnings():  # Authlib 1.9 warns that httpx will become httpx2
            warnings.filterwarnings("ignore", message=".*httpx.*deprecated")
            from authlib.integrations.starlette_client import OAuth
        self.oauth = OAuth()
        self.oauth.register(
            "city", client_id=client_id, client_secret=client_secret,
            server_metadata_url=f"{self.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": scope, "code_challenge_method": "S256"})

    @classmethod
    def from_config(cls) -> OidcClient | None:
        cfg = read_roles().get("oidc") or {}
        issuer = os.environ.get("OM_OIDC_ISSUER") or cfg.get("issuer") or ""
        if not issuer:
            return None
        return cls(issuer, os.environ.get("OM_OIDC_CLIENT_ID") or cfg.get("client_id") or "",
                   os.environ.get("OM_OIDC_CLIENT_SECRET", ""),
                   cfg.get("scope") or "openid profile email", cfg.get("roles_claim") or "roles",
                   dict(cfg.get("role_map") or {}))

    async def authorize_redirect(self, request: Request, redirect_uri: str):
        return await self.oauth.city.authorize_redirect(request, redirect_uri)

    async def user(self, request: Request) -> OidcUser:
        from authlib.integrations.starlette_client import OAuthError

        try:
            token = await self.oauth.city.authorize_access_token(request)
        except OAuthError as exc:
            raise ApiError(401, N_("The identity provider did not sign you in: {reason}"),
                           api_code="Unauthorized", reason=exc.description or exc.error) from None
        claims = dict(token.get("userinfo") or {})
        name = claims.get("preferred_username") or claims.get("email") or claims.get("sub")
        if not name:
            raise ApiError(401, N_("The identity provider did not say who you are."),
                           api_code="Unauthorized")
        return OidcUser(_NAME.sub("_", str(name))[:80], claims)

    def roles(self, user: OidcUser) -> list[str]:
        given = user.claims.get(self.roles_claim) or []
        given = [given] if isinstance(given, str) else list(given)
        return sorted({self.role_map[g] for g in given if g in self.role_map})
