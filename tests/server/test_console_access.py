"""Access to every route of the console, found by walking the application (routes added later are covered too):
nothing but the public ones without proof of identity, each role exactly what it needs, tokens that act only as
their own user and stop working when revoked or expired, bad bodies and traversing paths refused with a 4xx."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from console_site import USERS, Site

from robofuel.context import open_workspace

pytest.importorskip("fastapi", reason="the console needs robofuel[server] (fastapi, uvicorn)")

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from robofuel.server.auth import ROLES, create_token
from robofuel.server.security import SESSION_COOKIE, Requires

#: What answers without a session or token: the sign-in page and the health check (the assets under /static hold
#: no data: the sign-in page needs them). Everything else, /openapi.json included, needs proof of identity.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/api/health")}
PUBLIC_MOUNTS = {"/static"}
#: One user of each role in the test site.
OF_ROLE = {role: next(name for name, r in USERS.items() if r == role) for role in ROLES}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _flat(routes: list[Any]) -> Iterator[tuple[str, Any]]:
    """(full path, route) of each route, through included routers (FastAPI >= 0.165 keeps them unflattened)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: include_router copies the routes with their full path
        yield from ((route.path, route) for route in routes)
        return
    for context in iter_route_contexts(routes):
        yield str(context.path), context.original_route


def _routes(site: Site) -> Iterator[tuple[str, str, Any]]:
    """(method, path template, route) of every route of the application, HEAD left out (GET's twin)."""
    app: Any = site.client.app
    found = 0
    for path, route in _flat(app.routes):
        if isinstance(route, Route):  # APIRoute is a Route
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    found += 1
                    yield method, path, route
        elif isinstance(route, Mount):
            yield "GET", path + "/{path:path}", route
    assert found > 10


def _fill(site: Site, template: str, value: str | None = None) -> str:
    """A concrete path: each parameter given a plausible value (or ``value``)."""
    plausible = {"episode_id": site.ids[0], "index": "0", "token_id": "0" * 16, "query_id": "1"}

    def one(match: re.Match[str]) -> str:
        return value if value is not None else plausible.get(match.group(1), "x")

    return re.sub(r"\{(\w+)(?::\w+)?\}", one, template)


def _needed_role(dependant: Dependant) -> str | None:
    """The role a route's dependencies require (:class:`Requires`), None when none does."""
    for dep in dependant.dependencies:
        if isinstance(dep.call, Requires):
            return dep.call.role
        found = _needed_role(dep)
        if found:
            return found
    return None


def _refused(response: Any) -> bool:
    """401, or (a page) a redirect to the sign-in page."""
    if response.status_code in (302, 303, 307):
        return urllib.parse.urlsplit(str(response.headers.get("location", ""))).path == "/login"
    return bool(response.status_code == 401)


def test_every_route_but_the_public_ones_refuses_a_request_without_proof(site: Site) -> None:
    checked = []
    for method, template, route in _routes(site):
        if (method, template) in PUBLIC or (isinstance(route, Mount) and route.path in PUBLIC_MOUNTS):
            continue
        path = _fill(site, template)
        for headers in ({}, {"Authorization": "Bearer rf_not-a-token"}):
            response = site.client.request(method, path, json={}, headers=headers, follow_redirects=False)
            assert _refused(response), (method, path, headers, response.status_code, response.text[:200])
        checked.append((method, template))
    assert {("GET", "/openapi.json"), ("DELETE", "/api/tokens/{token_id}"), ("GET", "/api/review/queue")} <= set(
        checked
    )
    assert {
        ("GET", "/api/releases"),
        ("GET", "/api/releases/{name}/files"),
        ("GET", "/api/releases/{name}/files/{path:path}"),
        ("POST", "/api/releases/{name}/grants"),
        ("DELETE", "/api/releases/{name}/grants/{grant_id}"),
        ("GET", "/api/releases/{name}/audit"),
        ("GET", "/api/audit/releases"),
        ("GET", "/releases"),
    } <= set(checked)
    for method, path in PUBLIC:
        assert site.client.request(method, path, follow_redirects=False).status_code != 401, path


def _role_refused(response: Any) -> bool:
    """401 or 403, except the 403 of a release route that let the role through to its grant check (the release "x"
    is granted to nobody, and an unknown release is answered like another's: no probing for names)."""
    granted_only = response.status_code == 403 and "holds no grant for release" in response.text
    return response.status_code in (401, 403) and not granted_only


def test_each_role_may_exactly_what_its_routes_need(site: Site) -> None:
    needs: dict[tuple[str, str], str] = {}
    for method, template, route in _routes(site):
        role = _needed_role(route.dependant) if isinstance(route, APIRoute) else None
        if role is None:
            continue
        needs[(method, template)] = role
        path = _fill(site, template)
        for other in ROLES:
            response = site.client.request(method, path, json={}, headers=site.auth(OF_ROLE[other]))
            allowed = ROLES.index(other) >= ROLES.index(role)
            assert (not _role_refused(response)) == allowed, (method, path, other, response.text[:200])
            if not allowed:
                assert OF_ROLE[other] in response.json()["detail"] and role in response.json()["detail"]
    assert needs[("POST", "/api/episodes/{episode_id}/reviews")] == "reviewer"
    assert needs[("PATCH", "/api/episodes/{episode_id}/segments/{index}")] == "reviewer"
    assert needs[("GET", "/api/review/queue")] == "viewer"  # what waits may be read; deciding needs a reviewer
    assert needs[("GET", "/api/review/agreement")] == "manager"
    assert needs[("POST", "/api/users")] == needs[("DELETE", "/api/tokens/{token_id}")] == "admin"
    assert needs[("GET", "/api/episodes")] == needs[("GET", "/api/queries")] == "viewer"
    # a release's files: any signed-in user, then a grant (tests/release/test_release_gate.py); grants: managers
    # (the recipient role, below viewer, may reach these and nothing of the lake: test_a_recipient_reaches_...)
    assert needs[("GET", "/api/releases")] == needs[("GET", "/api/releases/{name}/files/{path:path}")] == "recipient"
    assert needs[("GET", "/api/releases/{name}/files")] == "recipient"
    assert needs[("POST", "/api/releases/{name}/grants")] == needs[("DELETE", "/api/releases/{name}/grants/{grant_id}")]
    assert needs[("GET", "/api/releases/{name}/audit")] == needs[("GET", "/api/audit/releases")] == "manager"
    assert needs[("GET", "/api/releases/{name}/grants")] == needs[("POST", "/api/releases/{name}/grants")] == "manager"


#: What a recipient (download-only) reaches besides the public routes: its session, its releases, the pages' assets.
RECIPIENT_REACHES = {
    ("GET", "/api/session"),
    ("POST", "/logout"),
    ("GET", "/static/{name}"),
    ("GET", "/api/releases"),
    ("GET", "/api/releases/{name}/files"),
    ("GET", "/api/releases/{name}/files/{path:path}"),
    ("GET", "/releases"),
}


def _is_page(route: Any) -> bool:
    """A console page (server-rendered, signed in by the session cookie only), not one of its assets."""
    return getattr(route, "endpoint", None) is not None and (
        route.endpoint.__module__ == "robofuel.server.console_pages" and not route.path.startswith("/static")
    )


def _session(site: Site, user: str) -> dict[str, str]:
    with open_workspace(str(site.lake), create=False) as ws:
        token = create_token(ws.catalog, user, "session", ttl=timedelta(hours=1))
    return {"Cookie": f"{SESSION_COOKIE}={token}"}


def test_a_recipient_reaches_its_releases_and_nothing_else(site: Site) -> None:
    """Every route walked as the download-only recipient (a page with its session cookie, the rest with its token):
    only its session, releases and the pages' assets answer; every other route is 403, and ``/`` sends it to
    /releases, whose navigation shows that page alone. Every other role opens every page."""
    recipient = OF_ROLE["recipient"]
    cookie, reached, pages = _session(site, recipient), set(), 0
    for method, template, route in _routes(site):
        if (method, template) in PUBLIC or isinstance(route, Mount):
            continue
        page = _is_page(route)
        headers = cookie if page else site.auth(recipient)
        response = site.client.request(method, _fill(site, template), json={}, headers=headers, follow_redirects=False)
        if template == "/":
            assert response.status_code == 303 and response.headers["location"] == "/releases"
        elif not _role_refused(response):
            reached.add((method, template))
        else:
            assert response.status_code == 403 and recipient in response.text, (method, template)
        pages += page
    assert reached == RECIPIENT_REACHES
    assert pages >= 6
    shell = site.client.get("/releases", headers=cookie).text
    assert re.findall(r'<a href="([^"]*)"', shell) == ["/releases"] and 'data-role="recipient"' in shell
    for role in ROLES[1:]:
        theirs = _session(site, OF_ROLE[role])
        for _, template, route in _routes(site):
            if _is_page(route):
                got = site.client.get(_fill(site, template), headers=theirs, follow_redirects=False)
                assert got.status_code == 200, (role, template, got.status_code)
        nav = re.findall(r'<a href="([^"]*)"', site.client.get("/", headers=theirs).text)
        assert nav == ["/", "/episodes", "/review", "/operations", "/releases"]


def test_a_revoked_or_expired_token_is_refused(site: Site, cli: Any) -> None:
    made = site.client.post("/api/tokens", json={"user": "vera"}, headers=site.auth("ada"))
    assert made.status_code == 201
    token, token_id = made.json()["token"], made.json()["id"]
    mine = {"Authorization": f"Bearer {token}"}
    assert site.client.get("/api/episodes", headers=mine).status_code == 200
    listed = site.client.get("/api/tokens", headers=site.auth("ada")).json()["tokens"]
    assert {"id": token_id, "user": "vera"}.items() <= next(t for t in listed if t["id"] == token_id).items()
    assert token not in json.dumps(listed)
    assert site.client.delete(f"/api/tokens/{token_id}", headers=site.auth("ada")).json()["user"] == "vera"
    assert site.client.get("/api/episodes", headers=mine).status_code == 401
    assert site.client.delete(f"/api/tokens/{token_id}", headers=site.auth("ada")).status_code == 404

    lake = str(site.lake)
    other = cli("tokens", "create", "rita", "--days", "2", "--lake", lake, "--json").json()
    assert site.client.get("/api/episodes", headers={"Authorization": f"Bearer {other['token']}"}).status_code == 200
    (listed_other,) = [
        t for t in cli("tokens", "list", "--lake", lake, "--json").json()["tokens"] if t["id"] == other["id"]
    ]
    assert listed_other["user"] == "rita" and listed_other["expires_at"] > listed_other["created_at"]
    assert cli("tokens", "create", "rita", "--days", "0", "--lake", lake).code == 2
    assert cli("tokens", "revoke", other["id"], "--lake", lake).code == 0
    assert site.client.get("/api/episodes", headers={"Authorization": f"Bearer {other['token']}"}).status_code == 401
    assert cli("tokens", "revoke", other["id"], "--lake", lake).code == 2

    with open_workspace(lake, create=False) as ws:
        expired = create_token(ws.catalog, "ada", ttl=timedelta(seconds=-1))
    response = site.client.get("/api/users", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and response.json()["detail"]


def test_a_token_acts_only_as_its_user_on_saved_queries(site: Site) -> None:
    saved = site.client.post(
        "/api/queries", json={"name": "mine", "where": "verdict = unchecked"}, headers=site.auth("vera")
    )
    assert saved.status_code == 201 and saved.json()["owner"] == "vera"
    posing = site.client.post("/api/queries", json={"name": "x", "owner": "vera"}, headers=site.auth("rita"))
    assert posing.status_code == 422  # no field names the owner: the token does
    assert site.client.get("/api/queries", headers=site.auth("rita")).json()["queries"] == []
    gone = site.client.delete(f"/api/queries/{saved.json()['id']}", headers=site.auth("rita"))
    assert gone.status_code == 404  # another's query is not rita's to see or delete
    assert [q["name"] for q in site.client.get("/api/queries", headers=site.auth("vera")).json()["queries"]] == ["mine"]


BAD_BODIES = [
    b"{not json",
    b"",
    b"[]",
    b"null",
    b'"x"',
    b'{"a": NaN}',
    b"{" * 5000,
    b'{"name": "' + b"x" * 70_000 + b'"}',
]


def test_bad_json_on_any_write_is_a_4xx_with_a_message(site: Site) -> None:
    writes = [(m, t) for m, t, r in _routes(site) if m in WRITES and isinstance(r, APIRoute)]
    assert len(writes) >= 6
    for method, template in writes:
        for body in BAD_BODIES:
            headers = {**site.auth("ada"), "Content-Type": "application/json"}
            response = site.client.request(method, _fill(site, template), content=body, headers=headers)
            assert response.status_code < 500, (method, template, body[:20], response.text[:200])
            if response.status_code >= 400:
                assert response.json()["detail"], (method, template)


TRAVERSALS = ["..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fcatalog.sqlite", "..%5C..%5Cwin.ini", "%2Fetc%2Fpasswd"]


def test_path_traversal_in_any_route_is_refused(site: Site) -> None:
    """Every route with a path parameter, given a traversing value by an admin: a 4xx (a page, which takes only a
    session, sends a bearer token to the sign-in page), never a file's content."""
    tried = 0
    for method, template, _ in _routes(site):
        if "{" not in template:
            continue
        for value in TRAVERSALS:
            path = _fill(site, template, value)
            response = site.client.request(method, path, json={}, headers=site.auth("ada"), follow_redirects=False)
            assert 400 <= response.status_code < 500 or _refused(response), (path, response.status_code)
            assert b"root:" not in response.content and b"SQLite format" not in response.content
            tried += 1
    assert tried >= 6 * len(TRAVERSALS)
