"""Who may see what, on every path: a staff dataset (datasets/staff-inspecties, access
[permit, gis]) and a staff-only page (/beheer, config/roles.yml). The paths are found the
way a client finds them — the landing pages' links, the OpenAPI document, the catalogue —
not listed by hand. Anonymous: 404; signed in without the role: 403; with it: 200 by
session cookie and by token; every allowed read in auth.access_log. Bad credentials and
forms without their CSRF token are refused with a message and change nothing."""

from __future__ import annotations

import base64
import re
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS

from portal.web.downloads import VECTOR_FORMATS
from tests.conftest import run_cli

STAFF_DATASET, STAFF_COLLECTION, STAFF_PAGE = "staff-inspecties", "inspecties", "/beheer"
PASSWORD = "correct horse battery staple"
HREF = re.compile(r'href="([^"#]+)"')


def _user(db: str, name: str, *roles: str) -> None:
    res = run_cli("user", "add", name, *[a for r in roles for a in ("--role", r)],
                  "--password-stdin", env={"DATABASE_URL": db}, input=PASSWORD + "\n")
    assert res.returncode == 0, res.stderr


def _token(db: str, name: str, days: int = 30) -> str:
    res = run_cli("user", "token", name, "--label", "test", "--days", str(days),
                  env={"DATABASE_URL": db})
    assert res.returncode == 0, res.stderr
    return res.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def people(loaded_db):
    """anna: permit officer (may see the dataset); bert: policy officer (may not);
    dora: data steward (the staff page)."""
    _user(loaded_db, "anna", "permit")
    _user(loaded_db, "bert", "policy")
    _user(loaded_db, "dora", "data-steward")
    return {n: _token(loaded_db, n) for n in ("anna", "bert", "dora")}


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _signed_in(server: str, name: str) -> httpx.Client:
    """A browser-like client signed in through the form (session cookie)."""
    client = httpx.Client(base_url=server, timeout=60, follow_redirects=False)
    form = client.get("/aanmelden").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    res = client.post("/aanmelden", data={"csrf": csrf, "name": name, "password": PASSWORD,
                                          "next": "/account"})
    assert res.status_code == 303, res.text
    return client


def _internal_links(server: str, html: str, base: str) -> set[str]:
    out = set()
    for href in HREF.findall(html):
        url = urljoin(base, href.replace("&amp;", "&"))
        if url.startswith(server) and "/static/" not in url:
            out.add(url.removeprefix(server))
    return out


def _walk(http: httpx.Client, server: str, headers: dict | None = None) -> dict[str, str]:
    """path → body, for every link of the portal's and the OGC API's landing pages and the
    OGC collection list (one level deep), as this client sees them."""
    start = ["/", "/ogc?f=html", "/ogc/collections?f=html"]
    seen: dict[str, str] = {}
    queue = list(start)
    for path in start:
        res = http.get(path, headers=headers)
        seen[path] = res.text
        queue += sorted(_internal_links(server, res.text, server + path))
    for path in queue:
        if path in seen or path.startswith(("/afmelden", "/download/")):
            continue
        res = http.get(path, headers=headers)
        assert res.status_code < 500, (path, res.status_code)
        seen[path] = res.text if res.headers.get("content-type", "").startswith(
            ("text", "application/json", "application/geo+json")) else ""
    return seen


def _staff_paths(http: httpx.Client, server: str, token: str, conn) -> list[str]:
    """Every GET path of the staff dataset a permitted user can find: the OpenAPI
    document's operations of its collection, the links of the collection list that lead to
    it, and its downloads."""
    doc = http.get("/ogc/openapi?f=json", headers=_bearer(token)).json()
    some_id = conn.execute("SELECT inspectie_id FROM data.staff_inspecties ORDER BY 1 LIMIT 1"
                           ).fetchone()[0]
    paths = {"/ogc" + p.replace("{featureId}", str(some_id))
             for p, item in doc["paths"].items()
             if p.startswith(f"/collections/{STAFF_COLLECTION}") and "get" in item}
    assert len(paths) >= 5, paths  # collection, items, item, queryables, schema
    listed = http.get("/ogc/collections?f=html", headers=_bearer(token)).text
    paths |= {p for p in _internal_links(server, listed, server + "/ogc/collections")
              if f"/collections/{STAFF_COLLECTION}" in p}
    paths |= {f"/download/{STAFF_DATASET}.{fmt}" for fmt in VECTOR_FORMATS}
    return sorted(paths)


def test_anonymous_never_finds_the_staff_dataset_by_following_links(server, http, people):
    for path, body in _walk(http, server).items():
        assert f"/collections/{STAFF_COLLECTION}" not in body, path
        assert "inspectie_id" not in body, path
    ids = [c["id"] for c in http.get("/ogc/collections?f=json").json()["collections"]]
    assert STAFF_COLLECTION not in ids
    doc = http.get("/ogc/openapi?f=json").json()
    assert not [p for p in doc["paths"] if STAFF_COLLECTION in p]
    assert "inspect" not in http.get("/api/map").text.lower()


def test_the_catalogue_lists_the_staff_dataset_with_its_access_right_never_its_data(
        server, http, people):
    g = Graph().parse(data=http.get("/catalog.ttl").text, format="turtle")
    staff = next(s for s in g.subjects(DCTERMS.identifier, None)
                 if str(g.value(s, DCTERMS.identifier)) == STAFF_DATASET)
    assert g.value(staff, DCTERMS.accessRights) == URIRef(
        "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC")
    urls = {str(u) for d in g.objects(staff, DCAT.distribution)
            for u in (*g.objects(d, DCAT.accessURL), *g.objects(d, DCAT.downloadURL))}
    assert not [u for u in urls if u.startswith(server)], urls
    # every URL the catalogue gives on this host answers anonymously (per-area files: two
    # areas, the other areas' files are the same route)
    ours = sorted({str(u) for p in (DCAT.accessURL, DCAT.downloadURL) for u in g.objects(None, p)
                   if str(u).startswith(server)})
    areas = sorted({m.group(1) for u in ours if (m := re.search(r"/gebied/([A-Z0-9]+)\.", u))})
    walk = [u for u in ours if not (m := re.search(r"/gebied/([A-Z0-9]+)\.", u))
            or m.group(1) in areas[:2]]
    assert len(walk) > 20
    for url in walk:  # the start of each answer: whole downloads are test_downloads.py's
        with http.stream("GET", url.removeprefix(server)) as res:
            head = next(res.iter_bytes(256 * 1024), b"")
            assert res.status_code == 200, (url, res.status_code, head[:200])
            assert b"inspectie_id" not in head, url


def test_staff_paths_are_404_anonymous_403_without_the_role_200_with_it(server, http, people,
                                                                          conn):
    paths = _staff_paths(http, server, people["anna"], conn)
    before = conn.execute("SELECT count(*) FROM auth.access_log WHERE account = 'anna'"
                          " AND dataset = %s", (STAFF_DATASET,)).fetchone()[0]
    anna_cookie = _signed_in(server, "anna")
    bert_cookie = _signed_in(server, "bert")
    basic = base64.b64encode(f"anna:{people['anna']}".encode()).decode()
    for path in paths:
        anonymous = http.get(path)
        assert anonymous.status_code == 404, (path, anonymous.status_code)
        assert STAFF_COLLECTION not in anonymous.text or path in anonymous.text
        assert "inspectie_id" not in anonymous.text
        for who in (http.get(path, headers=_bearer(people["bert"])), bert_cookie.get(path)):
            assert who.status_code == 403, (path, who.status_code)
            assert "bert" in who.text and "inspectie_id" not in who.text
        for who in (http.get(path, headers=_bearer(people["anna"])), anna_cookie.get(path),
                    http.get(path, headers={"Authorization": f"Basic {basic}"})):
            assert who.status_code == 200, (path, who.status_code, who.text[:300])
            assert "no-store" in who.headers.get("cache-control", ""), path
    after = conn.execute("SELECT count(*), array_agg(DISTINCT via) FROM auth.access_log"
                         " WHERE account = 'anna' AND dataset = %s AND id > 0",
                         (STAFF_DATASET,)).fetchone()
    assert after[0] - before == 3 * len(paths)
    assert set(after[1]) >= {"token", "session", "basic"}
    denied = conn.execute("SELECT count(*) FROM auth.access_log WHERE account = 'bert'"
                          ).fetchone()[0]
    assert denied == 0  # a refused read is no read


def test_the_staff_page_is_404_anonymous_403_without_the_role_200_with_it(server, http, people):
    assert http.get(STAFF_PAGE).status_code == 404
    assert http.get(STAFF_PAGE, headers=_bearer(people["bert"])).status_code == 403
    page = _signed_in(server, "dora").get(STAFF_PAGE)
    assert page.status_code == 200 and "dora" in page.text


def test_sparql_holds_no_staff_data(http, people):
    query = ('SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?s), "inspectie")'
             ' || CONTAINS(STR(?o), "inspectie_id")) }')
    for headers in ({}, _bearer(people["anna"])):
        res = http.get("/sparql", params={"query": query},
                       headers={**headers, "Accept": "application/sparql-results+json"})
        assert res.status_code == 200, res.text
        subjects = {b["s"]["value"] for b in res.json()["results"]["bindings"]}
        assert subjects and all("/id/dataset/staff-inspecties" in s for s in subjects), subjects


def test_bad_credentials_are_401_with_a_message(server, http, people, loaded_db, conn):
    some = f"/ogc/collections/{STAFF_COLLECTION}/items?f=json"
    wrong = httpx.Client(base_url=server, timeout=30)
    form = wrong.get("/aanmelden").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    res = wrong.post("/aanmelden", data={"csrf": csrf, "name": "anna", "password": "nope"})
    assert res.status_code == 401 and "Verkeerde naam of wachtwoord" in res.text
    assert wrong.get(some).status_code == 404  # still anonymous

    expired = _token(loaded_db, "anna", days=1)
    conn.execute("UPDATE auth.api_token SET expires_at = now() - interval '1 minute'"
                 " WHERE token_hash = encode(sha256(%s::bytea), 'hex')", (expired,))
    conn.commit()
    revoked = _token(loaded_db, "anna")
    token_id = conn.execute("SELECT max(id) FROM auth.api_token WHERE account = 'anna'"
                            ).fetchone()[0]
    assert run_cli("user", "revoke", "anna", str(token_id),
                   env={"DATABASE_URL": loaded_db}).returncode == 0
    for token in (expired, revoked, "om_" + "x" * 40):
        res = http.get(some, headers=_bearer(token))
        assert res.status_code == 401, token
        assert "expired or revoked" in res.json()["description"]
        assert res.headers["www-authenticate"].startswith("Bearer")
    bad_basic = base64.b64encode(b"anna:wrong").decode()
    res = http.get(some, headers={"Authorization": f"Basic {bad_basic}"})
    assert res.status_code == 401 and res.json()["description"]

    client = _signed_in(server, "anna")
    cookie = client.cookies.get("om_session")
    tampered = cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB")
    res = httpx.get(server + some, cookies={"om_session": tampered})
    assert res.status_code == 401 and "meld je opnieuw aan" in res.json()["description"]


def test_forms_without_their_csrf_token_are_403_and_change_nothing(server, conn, people):
    client = _signed_in(server, "anna")
    count = "SELECT count(*) FROM auth.api_token WHERE account = 'anna'"
    before = conn.execute(count).fetchone()[0]
    res = client.post("/account/tokens", data={"label": "sneaky", "days": "30"})
    assert res.status_code == 403 and "kwam niet van deze site" in res.text
    res = client.post("/account/tokens", data={"label": "sneaky", "days": "30", "csrf": "x"})
    assert res.status_code == 403
    conn.rollback()
    assert conn.execute(count).fetchone()[0] == before
    token_id = conn.execute("SELECT max(id) FROM auth.api_token WHERE account = 'anna'"
                            " AND revoked_at IS NULL").fetchone()[0]
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 403
    assert conn.execute("SELECT revoked_at FROM auth.api_token WHERE id = %s",
                        (token_id,)).fetchone()[0] is None
    assert client.post("/afmelden").status_code == 403
    assert client.get("/account").status_code == 200  # still signed in
    anonymous = httpx.Client(base_url=server, timeout=30)
    anonymous.get("/aanmelden")
    res = anonymous.post("/aanmelden", data={"name": "anna", "password": PASSWORD})
    assert res.status_code == 403


def test_session_cookie_is_signed_httponly_and_samesite(server, people):
    client = httpx.Client(base_url=server, timeout=30)
    res = client.get("/aanmelden")
    cookie = res.headers["set-cookie"]
    assert cookie.startswith("om_session=") and "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http on loopback; https sets Secure
    assert urlsplit(server).scheme == "http"
