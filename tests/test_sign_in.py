"""Staff sign in through the pages, in headless Chromium: with a local account, and with
OpenID Connect against a real provider (panva/oidc-provider, tests/oidc/op.mjs, run by
Node) that stands in for the city's Entra ID or Keycloak. Authlib's client does the
authorization code flow with PKCE; the provider's roles claim becomes our role."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import httpx
import pytest

from portal.settings import REPO
from tests.conftest import artifacts, free_port, run_cli, running_server

OP_DIR = REPO / "tests" / "oidc"
STAFF_ITEMS = "/ogc/collections/inspecties/items?f=json"


def test_local_account_signs_in_through_the_page(server, browser, loaded_db):
    res = run_cli("user", "add", "lotte", "--role", "permit", "--password-stdin",
                  env={"DATABASE_URL": loaded_db}, input="lotte's long passphrase\n")
    assert res.returncode == 0, res.stderr
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/")
    page.get_by_role("link", name="Medewerkers aanmelden").click()
    page.get_by_label("Naam").fill("lotte")
    page.get_by_label("Wachtwoord").fill("wrong")
    page.get_by_role("button", name="Aanmelden").click()
    assert page.locator("#login-error").is_visible()
    page.get_by_label("Wachtwoord").fill("lotte's long passphrase")
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{server}/account")
    assert "lotte" in page.locator("h1").inner_text()
    assert "Vergunningverlener" in page.content()
    cookie = next(c for c in context.cookies() if c["name"] == "om_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    staff = page.request.get(f"{server}{STAFF_ITEMS}")
    assert staff.status == 200 and staff.json()["features"]
    page.screenshot(path=str(artifacts() / "account-local.png"))
    page.get_by_role("button", name="Afmelden").click()
    assert page.request.get(f"{server}{STAFF_ITEMS}").status == 404
    context.close()


@pytest.fixture(scope="module")
def provider_and_portal(loaded_db):
    """The OpenID provider and a portal configured to sign in with it."""
    node = shutil.which("node")
    assert node, "Node.js is missing: `make test` installs it"
    assert (OP_DIR / "node_modules" / "oidc-provider").is_dir(), \
        "tests/oidc/node_modules is missing: `make test` installs it (npm ci)"
    op_port, portal_port = free_port(), free_port()
    env = {**os.environ, "OP_PORT": str(op_port), "OP_CLIENT_ID": "omgevingsmonitor",
           "OP_CLIENT_SECRET": "test-secret-of-the-city",
           "OP_REDIRECT_URI": f"http://127.0.0.1:{portal_port}/aanmelden/oidc/callback",
           "OP_ROLES": '{"petra": ["Omgevingsmonitor.Vergunningen"], "rolf": ["Other.App"]}'}
    log = open(artifacts() / "oidc-provider.log", "w")  # noqa: SIM115 -- open while it runs
    op = subprocess.Popen([node, "op.mjs"], cwd=OP_DIR, env=env, stdout=log,
                          stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{op_port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert op.poll() is None and time.monotonic() < deadline, "the OpenID provider did not start"
        time.sleep(0.2)
    try:
        with running_server(loaded_db, "server-oidc.log", port=portal_port,
                            OM_OIDC_ISSUER=issuer, OM_OIDC_CLIENT_ID="omgevingsmonitor",
                            OM_OIDC_CLIENT_SECRET="test-secret-of-the-city") as base:
            yield issuer, base
    finally:
        op.terminate()
        op.wait(timeout=10)
        log.close()


def _sign_in_at_provider(page, login: str) -> None:
    """The provider's own (development) screens: any login and password, then consent."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]").click()  # "Continue": consent to the scopes


def test_openid_connect_sign_in_end_to_end(provider_and_portal, browser, conn):
    issuer, base = provider_and_portal
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/aanmelden")
    page.get_by_role("link", name="Aanmelden met het account van de gemeente").click()
    page.wait_for_url(f"{issuer}/**")
    _sign_in_at_provider(page, "petra")
    page.wait_for_url(f"{base}/account")
    assert "petra" in page.locator("h1").inner_text()
    assert "Vergunningverlener" in page.content()  # roles claim → role
    assert page.request.get(f"{base}{STAFF_ITEMS}").status == 200
    row = conn.execute("SELECT source, roles, password_hash FROM auth.account"
                       " WHERE name = 'petra'").fetchone()
    assert row == ("oidc", ["permit"], None)
    context.close()

    # a provider account without one of our roles is a resident: signed in, no staff data
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/aanmelden/oidc")
    _sign_in_at_provider(page, "rolf")
    page.wait_for_url(f"{base}/account")
    assert page.request.get(f"{base}{STAFF_ITEMS}").status == 403
    context.close()


def test_a_forged_callback_is_refused(provider_and_portal):
    _, base = provider_and_portal
    with httpx.Client(base_url=base, timeout=30) as client:
        res = client.get("/aanmelden/oidc/callback", params={"code": "forged", "state": "x"})
        assert res.status_code == 401
        assert res.json()["description"]
        assert client.get("/account", follow_redirects=False).status_code == 303  # not in
