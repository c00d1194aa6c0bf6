"""The console's API: who may do what, the documents the CLI prints, and reviews that set the verdict ls shows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from console_site import PASSWORD, Site

pytest.importorskip("fastapi", reason="the console needs robofuel[server] (fastapi, uvicorn)")


def _ls(cli: Any, site: Site, *args: str) -> dict[str, Any]:
    result = cli("ls", "--lake", str(site.lake), "--json", *args)
    assert result.code == 0, result.err
    return dict(result.json())


def _verdicts(cli: Any, site: Site) -> dict[str, str]:
    return {e["id"]: e["verdict"] for e in _ls(cli, site)["episodes"]}


def test_health_needs_no_sign_in(site: Site) -> None:
    response = site.client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_every_other_route_needs_a_token_or_a_session(site: Site) -> None:
    paths = site.client.get("/openapi.json", headers=site.auth("vera")).json()["paths"]
    calls = [
        (method.upper(), path.replace("{episode_id}", site.ids[0]))
        for path, methods in paths.items()
        for method in methods
        if path != "/api/health"
    ]
    assert ("POST", f"/api/episodes/{site.ids[0]}/reviews") in calls and len(calls) >= 5
    calls.append(("POST", "/logout"))
    body = {"decision": "accept", "start_s": None, "end_s": None, "reason": "fine"}
    session = site.client.post("/login", json={"username": "ada", "password": PASSWORD})
    session_token = session.cookies["robofuel_session"]
    site.client.cookies.clear()
    wrong = [{}, {"Authorization": "Bearer rf_not-a-token"}, {"Authorization": "Basic YWRhOmFkYQ=="}]
    wrong.append({"Authorization": f"Bearer {session_token}"})  # a session is not an API token
    for method, path in calls:
        for headers in wrong:
            response = site.client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert method == "HEAD" or response.json()["detail"]  # a HEAD answer has no body
    url = f"/api/episodes/{site.ids[0]}/reviews"
    for content in (b"{not json", b"", b'{"decision": "accept", "start_s": NaN}'):  # who asks is checked first
        response = site.client.post(url, content=content, headers={"Content-Type": "application/json"})
        assert response.status_code == 401, response.text
    assert _reviews(site, "ada") == []  # nothing was recorded on the way


def _reviews(site: Site, who: str, episode: str | None = None) -> list[dict[str, Any]]:
    response = site.client.get(f"/api/episodes/{episode or site.ids[0]}/reviews", headers=site.auth(who))
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_viewer_reads_but_may_not_review(site: Site, cli: Any) -> None:
    before = _verdicts(cli, site)
    assert site.client.get("/api/episodes", headers=site.auth("vera")).status_code == 200
    response = site.client.post(
        f"/api/episodes/{site.ids[0]}/reviews", json={"decision": "reject", "reason": "x"}, headers=site.auth("vera")
    )
    assert response.status_code == 403
    assert "vera" in response.json()["detail"] and "reviewer" in response.json()["detail"]
    assert _reviews(site, "vera") == [] and _verdicts(cli, site) == before


def test_a_review_sets_the_verdict_ls_and_show_see_and_is_kept_as_an_audit_trail(site: Site, cli: Any) -> None:
    target, other = site.ids[0], site.ids[1]
    assert _verdicts(cli, site)[target] == "unchecked"
    url = f"/api/episodes/{target}/reviews"
    rejected = site.client.post(
        url, json={"decision": "reject", "start_s": 0.1, "end_s": 0.3, "reason": "bumped"}, headers=site.auth("rita")
    )
    assert rejected.status_code == 201, rejected.text
    assert rejected.json()["verdict"] == "rejected" and rejected.json()["reviewer"] == "rita"
    verdicts = _verdicts(cli, site)
    assert verdicts[target] == "rejected" and verdicts[other] == "unchecked"
    assert [e["id"] for e in _ls(cli, site, "--where", "verdict = rejected")["episodes"]] == [target]
    shown = cli("show", target, "--lake", str(site.lake), "--json").json()
    assert shown["verdict"] == "rejected" and shown["extra"]["review"]["reviewer"] == "rita"

    accepted = site.client.post(url, json={"decision": "accept", "reason": "looked again"}, headers=site.auth("rob"))
    assert accepted.status_code == 201
    assert _verdicts(cli, site)[target] == "qualified"  # the latest decision wins
    trail = _reviews(site, "vera")
    assert [(r["decision"], r["reviewer"], r["reason"]) for r in trail] == [
        ("reject", "rita", "bumped"),
        ("accept", "rob", "looked again"),
    ]
    assert trail[0]["start_s"] == 0.1 and trail[0]["end_s"] == 0.3 and trail[0]["at"] <= trail[1]["at"]


def test_the_api_serves_what_ls_and_show_print(site: Site, cli: Any) -> None:
    headers = site.auth("vera")
    listed = site.client.get("/api/episodes", params={"where": "format = mcap"}, headers=headers).json()
    assert listed == _ls(cli, site, "--where", "format = mcap") and len(listed["episodes"]) == 3
    assert set(listed["episodes"][0]) >= {"id", "recording", "duration_s", "verdict"}
    for eid in site.ids:
        served = site.client.get(f"/api/episodes/{eid}", headers=headers).json()
        assert served == cli("show", eid, "--lake", str(site.lake), "--json").json()
        assert served["id"] == eid and served["streams"]


def test_a_token_acts_only_as_its_own_user(site: Site, cli: Any) -> None:
    url = f"/api/episodes/{site.ids[0]}/reviews"
    posing = site.client.post(url, json={"decision": "accept", "reviewer": "rob"}, headers=site.auth("rita"))
    assert posing.status_code == 422  # no field names the reviewer: the token does
    headers = {**site.auth("rita"), "X-Forwarded-User": "rob", "X-Remote-User": "rob"}
    made = site.client.post(url, json={"decision": "accept"}, headers=headers)
    assert made.status_code == 201 and made.json()["reviewer"] == "rita"
    assert [r["reviewer"] for r in _reviews(site, "rob")] == ["rita"]
    shown = cli("show", site.ids[0], "--lake", str(site.lake), "--json").json()
    assert shown["extra"]["review"]["reviewer"] == "rita"


BAD_BODIES: list[bytes] = [
    b"{not json",
    b"",
    b"[]",
    b'"accept"',
    b'{"decision": "maybe"}',
    b'{"decision": null}',
    b'{"start_s": 1.0}',
    b'{"decision": "accept", "start_s": "soon"}',
    b'{"decision": "accept", "start_s": NaN}',
    b'{"decision": "accept", "end_s": Infinity}',
    b'{"decision": "accept", "start_s": -1}',
    b'{"decision": "accept", "start_s": 0.3, "end_s": 0.1}',
    b'{"decision": "accept", "end_s": 1e300}',
    b'{"decision": "reject", "reason": 5}',
    json.dumps({"decision": "reject", "reason": "x" * 5000}).encode(),
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_a_bad_review_body_is_refused_with_a_message(site: Site, cli: Any, body: bytes) -> None:
    headers = {**site.auth("rita"), "Content-Type": "application/json"}
    response = site.client.post(f"/api/episodes/{site.ids[0]}/reviews", content=body, headers=headers)
    assert response.status_code in (400, 422), response.text
    assert response.json()["detail"]
    assert _reviews(site, "rita") == [] and _verdicts(cli, site)[site.ids[0]] == "unchecked"


def test_a_review_must_be_sent_as_json(site: Site) -> None:
    body = json.dumps({"decision": "accept"})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""):
        headers = {**site.auth("rita"), "Content-Type": content_type}
        response = site.client.post(f"/api/episodes/{site.ids[0]}/reviews", content=body, headers=headers)
        assert response.status_code == 415 and "application/json" in response.json()["detail"]
    headers = {**site.auth("rita"), "Content-Type": "application/json; charset=utf-8"}
    assert site.client.post(f"/api/episodes/{site.ids[0]}/reviews", content=body, headers=headers).status_code == 201


def test_an_unknown_episode_is_404(site: Site) -> None:
    headers = site.auth("rita")
    for eid in ("ep_00000000000000000000", site.ids[0][:8], "../../etc/passwd", "%00"):
        for method, path in (("GET", f"/api/episodes/{eid}"), ("GET", f"/api/episodes/{eid}/reviews")):
            response = site.client.request(method, path, headers=headers)
            assert response.status_code == 404, (path, response.text)
        response = site.client.post(f"/api/episodes/{eid}/reviews", json={"decision": "accept"}, headers=headers)
        assert response.status_code == 404 and response.json()["detail"]
    response = site.client.get(f"/api/episodes/{site.ids[0][:8]}", headers=headers)  # a prefix: ids only here
    assert "GET /api/episodes" in response.json()["detail"]


@pytest.mark.parametrize(
    "where",
    [
        "verdict = x; DROP TABLE episodes",
        "id = 'a' or 1 = 1 --",
        "password = x",
        "verdict = unchecked union select name from users",
        "duration_s > 'nan'",
    ],
)
def test_where_injection_is_refused_like_the_cli_refuses_it(site: Site, cli: Any, where: str) -> None:
    response = site.client.get("/api/episodes", params={"where": where}, headers=site.auth("vera"))
    assert response.status_code == 400
    message = response.json()["detail"]
    result = cli("ls", "--lake", str(site.lake), "--where", where, "--json")
    assert result.code == 2 and message.split(";")[0] in " ".join(result.err.split())
    assert len(_ls(cli, site)["episodes"]) == 3


def test_login_with_a_wrong_password_or_user_is_401(site: Site) -> None:
    for name, password in (("rita", "not her password"), ("nobody", PASSWORD), ("rita", "")):
        form = site.client.post("/login", data={"username": name, "password": password})
        assert form.status_code in (400, 401) and "robofuel_session" not in form.cookies
        as_json = site.client.post("/login", json={"username": name, "password": password})
        assert as_json.status_code in (400, 401) and as_json.json()["detail"]
    assert site.client.post("/login", data={"username": "rita", "password": "x"}).status_code == 401
    assert site.client.get("/api/session").status_code == 401
    signed_in = site.client.post("/login", data={"username": "rita", "password": PASSWORD}, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert site.client.get("/api/session").json()["user"] == "rita"


def test_login_sends_people_back_only_to_this_site(site: Site) -> None:
    for target, expected in (("/episodes", "/episodes"), ("https://evil.example/", "/"), ("//evil.example", "/")):
        form = {"username": "vera", "password": PASSWORD, "next": target}
        response = site.client.post("/login", data=form, follow_redirects=False)
        assert response.headers["location"] == expected


def test_a_cookie_authenticated_write_needs_the_csrf_token(site: Site, cli: Any) -> None:
    login = site.client.post("/login", json={"username": "rita", "password": PASSWORD})
    csrf = login.json()["csrf_token"]
    assert site.client.get("/api/session").json()["csrf_token"] == csrf
    url = f"/api/episodes/{site.ids[0]}/reviews"
    wrong: list[dict[str, str | bytes]] = [{}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": "é".encode("latin-1")}]
    for headers in wrong:
        refused = site.client.post(url, json={"decision": "reject"}, headers=headers)
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert _verdicts(cli, site)[site.ids[0]] == "unchecked"
    made = site.client.post(url, json={"decision": "reject"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201 and made.json()["reviewer"] == "rita"
    assert site.client.post("/logout").status_code == 403  # signing out is a write too
    assert site.client.post("/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    site.client.cookies.set("robofuel_session", login.cookies["robofuel_session"])  # the old cookie, replayed
    assert site.client.get("/api/session").status_code == 401


def test_the_openapi_schema_describes_the_api(site: Site) -> None:
    assert site.client.get("/openapi.json").status_code == 401  # only /login and /api/health answer anyone
    schema = site.client.get("/openapi.json", headers=site.auth("vera")).json()
    assert {"/api/health", "/api/episodes", "/api/episodes/{episode_id}", "/api/episodes/{episode_id}/reviews"} <= set(
        schema["paths"]
    )
    posting = schema["paths"]["/api/episodes/{episode_id}/reviews"]["post"]
    review = posting["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert set(review) == {"decision", "start_s", "end_s", "reason"}
    assert {"HTTPBearer", "APIKeyCookie"} <= set(schema["components"]["securitySchemes"])
    assert site.client.get("/docs").status_code == 404  # it would load scripts from the internet


def test_a_persons_verdict_outlasts_processing(site: Site, cli: Any) -> None:
    """The steps' own verdict (these tiny episodes are too short: rejected) never replaces a person's decision."""
    target = site.ids[0]
    made = site.client.post(f"/api/episodes/{target}/reviews", json={"decision": "accept"}, headers=site.auth("rita"))
    assert made.status_code == 201
    processed = cli("process", "--lake", str(site.lake), "--workers", "1", "--json")
    assert processed.code == 0, processed.err
    verdicts = _verdicts(cli, site)
    assert verdicts[target] == "qualified"
    assert {verdicts[e] for e in site.ids[1:]} == {"rejected"}  # the steps did judge the others
    shown = cli("show", target, "--lake", str(site.lake), "--json").json()
    assert {f["step"] for f in shown["findings"]} >= {"qc"}  # findings updated, the person's verdict kept


def test_password_guessing_is_slowed_down(site: Site) -> None:
    for _ in range(5):
        assert site.client.post("/login", json={"username": "rita", "password": "guess guess"}).status_code == 401
    refused = site.client.post("/login", json={"username": "rita", "password": PASSWORD})  # even the right one
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "robofuel_session" not in refused.cookies
    assert site.client.post("/login", json={"username": "rob", "password": PASSWORD}).status_code == 200
