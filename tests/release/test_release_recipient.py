"""The download-only ``recipient`` role: a recipient downloads the release granted to it (by HTTP range) and reaches
nothing of the lake (episodes, video, plots, reviews, the dashboard, other releases); its accesses are audited; the
command line adds one and grants to it; grants to a viewer work as before. And what a grantee could try: another
organisation's grant, the exact moment of expiry, a grant revoked then made again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from release.conftest import ReleaseLake
from release.gate_site import Gate
from robofuel.context import open_workspace

pytest.importorskip("fastapi", reason="the console needs robofuel[server] (fastapi, uvicorn)")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx (robofuel[dev])")

from fastapi.testclient import TestClient

from robofuel.release import grants
from robofuel.server.app import create_app
from robofuel.server.auth import add_user, create_token
from robofuel.server.security import SESSION_COOKIE

PASSWORD = "correct horse battery"
#: Users: (role, organisation).
PEOPLE = {
    "mona": ("manager", None),
    "cora": ("recipient", "cormo"),
    "cass": ("recipient", "CORMO"),
    "cyd": ("recipient", None),
    "vic": ("viewer", None),
}
OURS, THEIRS = "rcp-ours", "rcp-theirs"


@pytest.fixture(scope="module")
def gate(release_lake: ReleaseLake) -> Iterator[Gate]:
    from robofuel.release.create import create

    tokens = {}
    with open_workspace(release_lake.path, create=False) as ws:
        create(ws, OURS, "lerobot", "internal", f"id = {release_lake.ids[0]}", every=True, redact=False)
        create(ws, THEIRS, "lerobot", "internal", f"id = {release_lake.ids[2]}", every=True, redact=False)
        for name, (role, org) in PEOPLE.items():
            add_user(ws.catalog, name, role, PASSWORD, replace=True, org=org)  # the release lake is shared by modules
            tokens[name] = create_token(ws.catalog, name)
        tokens["cora-session"] = create_token(ws.catalog, "cora", "session", timedelta(hours=1))
        with TestClient(create_app(ws.lake, ws.catalog)) as client:
            yield Gate(release_lake.path, client, tokens)


def _audit(gate: Gate, release: str | None, actor: str) -> list[tuple[str, int, str | None, int | None]]:
    """(action, status, range, bytes) of ``actor``'s entries of ``release`` (None: every release), oldest first."""
    url = f"/api/releases/{release}/audit?limit=1000" if release else "/api/audit/releases?limit=1000"
    entries = gate.get(url, "mona").json()["entries"]
    return [(e["action"], e["status"], e["range"], e["bytes"]) for e in reversed(entries) if e["actor"] == actor]


def test_a_recipient_downloads_its_release_and_nothing_of_the_lake(gate: Gate, release_lake: ReleaseLake) -> None:
    gate.grant(OURS, "cora")
    listed = gate.get("/api/releases", "cora").json()["releases"]
    assert [r["name"] for r in listed] == [OURS]  # not the other release, not its grants
    assert "granted_by" not in listed[0]["grant"] and "grants" not in listed[0]
    files = gate.get(listed[0]["files"], "cora").json()["files"]
    data = next(f for f in files if f["path"].endswith(".parquet"))
    whole = (Path(gate.lake) / "releases" / OURS / data["path"]).read_bytes()
    part = gate.get(data["url"], "cora", Range="bytes=10-99")
    assert part.status_code == 206 and part.content == whole[10:100]
    assert part.headers["content-range"] == f"bytes 10-99/{len(whole)}"
    assert gate.client.head(data["url"], headers=gate.auth("cora")).headers["content-length"] == str(len(whole))

    other = gate.get(f"/api/releases/{THEIRS}/files/release.json", "cora")
    assert other.status_code == 403 and "holds no grant" in other.json()["detail"]
    ep = release_lake.ids[0]
    lake_routes = [
        "/api/episodes",
        f"/api/episodes/{ep}",
        f"/api/episodes/{ep}/reviews",
        f"/api/episodes/{ep}/video/front",
        f"/api/episodes/{ep}/plot/joints",
        "/api/review/queue",
        "/api/dashboard",
        "/api/queries",
        "/openapi.json",
        f"/api/releases/{OURS}/grants",
        f"/api/releases/{OURS}/audit",
    ]
    for url in lake_routes:
        refused = gate.get(url, "cora")
        assert refused.status_code == 403, url
        assert refused.json()["detail"].startswith("cora is a recipient: this needs the ")
    review = gate.client.post(f"/api/episodes/{ep}/reviews", json={"decision": "accept"}, headers=gate.auth("cora"))
    assert review.status_code == 403

    cookie = {"Cookie": f"{SESSION_COOKIE}={gate.tokens['cora-session']}"}
    for page in ("/episodes", f"/episodes/{ep}", "/review", "/operations"):
        got = gate.client.get(page, headers=cookie, follow_redirects=False)
        assert got.status_code == 403 and "needs the viewer role" in got.text, page
    home = gate.client.get("/", headers=cookie, follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/releases"
    assert gate.client.get("/releases", headers=cookie).status_code == 200

    assert _audit(gate, OURS, "cora") == [
        ("files", 200, None, None),
        ("download", 206, "bytes=10-99", 90),
        ("download", 200, None, 0),  # the HEAD
    ]
    assert _audit(gate, THEIRS, "cora") == [("download", 403, None, None)]
    assert ("list", 200, None, None) in _audit(gate, None, "cora")


def test_the_command_line_adds_a_recipient_and_grants_to_it(
    gate: Gate, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROBOFUEL_PASSWORD", PASSWORD)
    added = cli("users", "add", "remi", "--role", "recipient", "--org", "Remco", "--lake", gate.lake, "--json")
    assert added.code == 0 and added.json() == {"user": "remi", "role": "recipient"}
    users = cli("users", "list", "--lake", gate.lake, "--json").json()["users"]
    assert {"name": "remi", "role": "recipient", "org": "Remco"}.items() <= next(
        u for u in users if u["name"] == "remi"
    ).items()
    bad = cli("users", "add", "rex", "--role", "download", "--lake", gate.lake)
    assert bad.code == 2 and "recipient, viewer, reviewer, manager, admin" in bad.err
    made = cli("release", "grant", THEIRS, "--to", "remi", "--days", "2", "--lake", gate.lake, "--json")
    assert made.code == 0 and made.json()["grantee"] == "remi"
    gate.tokens["remi"] = cli("tokens", "create", "remi", "--lake", gate.lake, "--json").json()["token"]
    assert gate.get(f"/api/releases/{THEIRS}/files/release.json", "remi").status_code == 200
    assert gate.get("/api/episodes", "remi").status_code == 403


def test_a_grant_to_a_viewer_works_as_before(gate: Gate) -> None:
    gate.grant(THEIRS, "vic")
    assert [r["name"] for r in gate.get("/api/releases", "vic").json()["releases"]] == [THEIRS]
    assert gate.get(f"/api/releases/{THEIRS}/files/release.json", "vic").status_code == 200
    assert gate.get("/api/episodes", "vic").status_code == 200  # a viewer also reads the lake


def test_an_organisation_grant_reaches_that_organisation_only(gate: Gate) -> None:
    made = gate.grant(THEIRS, "org:cormo")
    url = f"/api/releases/{THEIRS}/files"
    assert gate.get(url, "cora").status_code == 200
    for outsider in ("cass", "cyd"):  # CORMO is another organisation; cyd has none
        assert gate.get(url, outsider).status_code == 403
        assert THEIRS not in [r["name"] for r in gate.get("/api/releases", outsider).json()["releases"]]
    gate.client.delete(f"/api/releases/{THEIRS}/grants/{made['id']}", headers=gate.auth("mona"))
    assert gate.get(url, "cora").status_code == 403


def test_a_grant_ends_at_its_exact_expiry(gate: Gate, monkeypatch: pytest.MonkeyPatch) -> None:
    made = gate.grant(OURS, "cyd")
    end = datetime.fromisoformat(made["expires_at"])
    url = f"/api/releases/{OURS}/files/release.json"
    monkeypatch.setattr(grants, "now", lambda: end - timedelta(microseconds=1))
    assert gate.get(url, "cyd").status_code == 200
    monkeypatch.setattr(grants, "now", lambda: end)
    refused = gate.get(url, "cyd")
    assert refused.status_code == 403 and f"expired at {made['expires_at']}" in refused.json()["detail"]
    assert gate.get("/api/releases", "cyd").json()["releases"] == []
    states = {g["id"]: g["state"] for g in gate.get(f"/api/releases/{OURS}/grants", "mona").json()["grants"]}
    assert states[made["id"]] == "expired"


def test_a_grant_revoked_then_made_again(gate: Gate, cli: Any) -> None:
    url = f"/api/releases/{THEIRS}/files/release.json"
    first = gate.grant(THEIRS, "cyd")
    assert cli("release", "revoke", THEIRS, "--to", "cyd", "--lake", gate.lake).code == 0
    refused = gate.get(url, "cyd")
    assert refused.status_code == 403 and "revoked" in refused.json()["detail"]
    again = gate.grant(THEIRS, "cyd")
    assert again["id"] != first["id"] and gate.get(url, "cyd").status_code == 200
    states = {g["id"]: g["state"] for g in gate.get(f"/api/releases/{THEIRS}/grants", "mona").json()["grants"]}
    assert (states[first["id"]], states[again["id"]]) == ("revoked", "active")  # the old one stays revoked
    revoked = cli("release", "revoke", THEIRS, "--to", "cyd", "--lake", gate.lake, "--json").json()["revoked"]
    assert revoked == [again["id"]] and gate.get(url, "cyd").status_code == 403


def test_a_viewer_made_a_recipient_loses_the_lake_at_once(gate: Gate) -> None:
    """A recipient who was given a viewer account before this role existed is moved down with ``users add
    --replace``: their API token keeps its grants and loses the lake from the next request on."""
    with open_workspace(gate.lake, create=False) as ws:
        add_user(ws.catalog, "val", "viewer", PASSWORD)
        gate.tokens["val"] = create_token(ws.catalog, "val")
        gate.grant(OURS, "val")
        assert gate.get("/api/episodes", "val").status_code == 200
        add_user(ws.catalog, "val", "recipient", PASSWORD, replace=True)
    assert gate.get("/api/episodes", "val").status_code == 403
    assert gate.get(f"/api/releases/{OURS}/files/release.json", "val").status_code == 200
