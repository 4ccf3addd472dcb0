"""The one place that decides what someone may see (config/roles.yml + manifests' `access`).

Every path that can show restricted data — OGC API (collection list, collection, items,
item, queryables, schema), coverages, downloads, pages, map data, location values — asks
`Policy.require`. Anonymous users get 404 for what they may not see (its existence is not
confirmed); a signed-in user without the role gets 403; every allowed read of a restricted
dataset is written to auth.access_log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import yaml

from portal.errors import UserError
from portal.ingest.manifest import Manifest
from portal.settings import CONFIG_DIR

log = logging.getLogger("portal.access")
ROLES_FILE = CONFIG_DIR / "roles.yml"


@dataclass(frozen=True)
class Principal:
    name: str | None  # None: anonymous (a resident)
    roles: frozenset[str]
    via: str = "anonymous"  # session, token, basic
    bad_session: bool = False  # a session cookie that did not verify (tampered, expired)

    @property
    def anonymous(self) -> bool:
        return self.name is None


ANONYMOUS = Principal(None, frozenset({"resident"}))


class Denied(Exception):
    """404 (hidden from anonymous), 403 (signed in, without the role) or 401."""

    def __init__(self, status: int, what: str):
        super().__init__(what)
        self.status = status
        self.what = what


def read_roles(path: Path = ROLES_FILE) -> dict:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    roles = raw.get("roles") or {}
    if not any((r or {}).get("anonymous") for r in roles.values()):
        raise UserError(f"{path}: key 'roles': one role must be `anonymous: true` (residents)")
    for page, allowed in (raw.get("pages") or {}).items():
        unknown = set(allowed) - set(roles)
        if unknown:
            raise UserError(f"{path}: key 'pages.{page}': unknown role(s) {sorted(unknown)}")
    return raw


class Policy:
    def __init__(self, config: dict, manifests: list[Manifest]):
        self.roles = config["roles"]
        self.pages = {p: frozenset(r) for p, r in (config.get("pages") or {}).items()}
        self.everything = frozenset(k for k, v in self.roles.items() if (v or {}).get("everything"))
        staff = frozenset(k for k, v in self.roles.items() if not (v or {}).get("anonymous"))
        self.datasets: dict[str, frozenset[str] | None] = {}
        for m in manifests:
            if m.access == "public":
                self.datasets[m.id] = None
            elif m.access == "staff":  # any signed-in role
                self.datasets[m.id] = staff
            else:
                unknown = set(m.access) - set(self.roles)
                if unknown:
                    raise UserError(f"{m.path}: key 'access': unknown role(s) {sorted(unknown)}"
                                    f"; roles are in config/roles.yml")
                self.datasets[m.id] = frozenset(m.access)
        self.manifests = {m.id: m for m in manifests}
        self.tokens = {"max_days": 365, "default_days": 90, **(config.get("tokens") or {})}

    def allowed(self, principal: Principal, roles: frozenset[str] | None) -> bool:
        return roles is None or bool(principal.roles & (roles | self.everything))

    def _decide(self, principal: Principal, roles: frozenset[str] | None, what: str) -> None:
        if self.allowed(principal, roles):
            return
        if principal.bad_session:
            raise Denied(401, what)
        raise Denied(404 if principal.anonymous else 403, what)

    def restricted(self, dataset: str) -> bool:
        return self.datasets.get(dataset) is not None

    def require_dataset(self, principal: Principal, dataset: str) -> None:
        self._decide(principal, self.datasets.get(dataset), f"dataset {dataset}")

    def readable(self, principal: Principal, dataset: str) -> bool:
        return self.allowed(principal, self.datasets.get(dataset))

    def page_roles(self, path: str) -> frozenset[str] | None:
        return next((roles for prefix, roles in self.pages.items()
                     if path == prefix or path.startswith(prefix.rstrip("/") + "/")), None)

    def require_page(self, principal: Principal, path: str) -> None:
        self._decide(principal, self.page_roles(path), f"page {path}")

    def label(self, role: str, lang: str) -> str:
        return (self.roles.get(role) or {}).get(lang, role)


def audit(conn, principal: Principal, dataset: str, method: str, path: str,
          status: int = 200) -> None:
    """A read of a restricted dataset: who, when, what, how."""
    conn.execute("INSERT INTO auth.access_log (account, roles, via, dataset, method, path,"
                 " status) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                 (principal.name, sorted(principal.roles), principal.via, dataset, method,
                  path[:500], status))
