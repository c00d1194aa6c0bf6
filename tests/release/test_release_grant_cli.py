"""``robofuel release grant|revoke|grants|audit`` and ``users add --org``: the JSON shapes, the states a grant goes
through, clear refusals (exit 2) for what cannot be granted; a catalog made before grants gains their tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from release.conftest import ReleaseLake
from robofuel.catalog import Catalog
from robofuel.context import open_workspace

NAME = "cli-gate"


@pytest.fixture(scope="module")
def lake(release_lake: ReleaseLake) -> str:
    from robofuel.release.create import create
    from robofuel.server.auth import add_user

    with open_workspace(release_lake.path, create=False) as ws:
        create(ws, NAME, "lerobot", "open-release", every=True, redact=False)
        add_user(ws.catalog, "cleo", "viewer", "correct horse battery")
    return release_lake.path


def test_grant_list_revoke_and_audit(lake: str, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBOFUEL_PASSWORD", "correct horse battery")
    added = cli("users", "add", "dora", "--role", "viewer", "--org", "Delta Robotics", "--lake", lake, "--json")
    assert added.code == 0
    users = cli("users", "list", "--lake", lake, "--json").json()["users"]
    assert next(u for u in users if u["name"] == "dora")["org"] == "Delta Robotics"

    one = cli("release", "grant", NAME, "--to", "cleo", "--days", "30", "--lake", lake, "--json")
    assert one.code == 0, one.err
    made = one.json()
    assert made["grantee"] == "cleo" and made["purpose"] == "open-release" and made["state"] == "active"
    assert made["granted_by"].startswith("cli")
    org = cli("release", "grant", NAME, "--to", "org:Delta Robotics", "--expires", "2099-12-31", "--purpose",
              "internal", "--lake", lake, "--json").json()  # fmt: skip
    assert org["expires_at"].startswith("2100-01-01T00:00:00") and org["purpose"] == "internal"  # to the day's end

    listed = cli("release", "grants", "--lake", lake, "--json").json()["grants"]
    assert {g["id"] for g in listed} >= {made["id"], org["id"]}
    assert cli("release", "grants", NAME, "--lake", lake).out.count("active") >= 2

    gone = cli("release", "revoke", NAME, "--to", "cleo", "--lake", lake, "--json")
    assert gone.code == 0 and gone.json() == {"release": NAME, "revoked": [made["id"]]}
    assert cli("release", "revoke", NAME, "--to", "cleo", "--lake", lake).code == 2  # nothing left in force
    assert cli("release", "revoke", NAME, "--grant", str(org["id"]), "--lake", lake).code == 0
    states = {g["id"]: g["state"] for g in cli("release", "grants", NAME, "--lake", lake, "--json").json()["grants"]}
    assert states[made["id"]] == states[org["id"]] == "revoked"

    entries = cli("release", "audit", NAME, "--lake", lake, "--json").json()["entries"]
    assert [e["action"] for e in entries[:4]] == ["revoke", "revoke", "grant", "grant"]  # newest first
    assert all(e["outcome"] == "ok" and e["actor"].startswith("cli") for e in entries[:4])
    assert "Delta Robotics" in entries[2]["detail"]
    assert "grant" in cli("release", "audit", NAME, "--lake", lake).out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--to", "nobody", "--days", "1"], "no such user"),
        (["--to", "cleo"], "expiry"),
        (["--to", "cleo", "--days", "1", "--expires", "2099-01-01"], "expiry"),
        (["--to", "cleo", "--expires", "2001-01-01"], "past"),
        (["--to", "cleo", "--expires", "soon"], "not a date"),
        (["--to", "cleo", "--days", "0"], "--days"),
        (["--to", "cleo", "--days", "1", "--purpose", "commercial"], "open-release"),
        (["--to", "org:../x", "--days", "1"], "organisation"),
        (["--to", "cleo", "--days", "1", "--recipient", "acme"], "no recipient copies"),
        (["--days", "1"], "--to"),
    ],
)
def test_what_cannot_be_granted_is_refused_with_a_message(lake: str, cli: Any, args: list[str], says: str) -> None:
    result = cli("release", "grant", NAME, *args, "--lake", lake)
    assert result.code == 2 and says in result.err, result.err


def test_an_unknown_release_is_named(lake: str, cli: Any) -> None:
    for command in (["grant", "nothing", "--to", "cleo", "--days", "1"], ["revoke", "nothing", "--to", "cleo"],
                    ["grants", "nothing"], ["audit", "nothing"]):  # fmt: skip
        result = cli("release", *command, "--lake", lake)
        assert result.code == 2 and "'nothing' not found" in result.err and NAME in result.err, command


def test_a_catalog_made_before_grants_gains_them(tmp_path: Path) -> None:
    file = tmp_path / "old.sqlite"
    with sqlite3.connect(file) as db:
        db.execute("CREATE TABLE users (name VARCHAR(128) PRIMARY KEY, role VARCHAR(16) NOT NULL, password TEXT NOT "
                   "NULL, created_at DATETIME NOT NULL)")  # fmt: skip
        db.execute("INSERT INTO users VALUES ('old', 'viewer', 'x', '2026-01-01 00:00:00')")
    catalog = Catalog(f"sqlite:///{file}")
    catalog.close()
    with sqlite3.connect(file) as db:
        assert db.execute("SELECT name, org FROM users").fetchall() == [("old", None)]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"release_grants", "release_audit"} <= tables


def test_grants_and_audit_on_each_catalog(catalog_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The expiry and revocation checks run in SQL: the same answers on SQLite and PostgreSQL."""
    from datetime import timedelta

    import sqlalchemy as sa

    from robofuel.catalog.db import now, releases
    from robofuel.context import Workspace
    from robofuel.lake import Lake
    from robofuel.release import audit, grants
    from robofuel.server.auth import add_user

    catalog = Catalog(catalog_url)
    try:
        ws = Workspace(Lake(tmp_path / "lake"), catalog)
        (tmp_path / "lake" / "releases" / "r1").mkdir(parents=True)
        row = {"name": "r1", "path": "releases/r1", "format": "lerobot", "purpose": "internal", "episodes": 1,
               "license": "CC0-1.0", "recipients": "[]", "manifest_sha256": "0" * 64, "created_at": now()}  # fmt: skip
        with catalog.writing() as c:
            c.execute(sa.insert(releases).values(**row))
        add_user(catalog, "eve", "viewer", "correct horse battery", org="evil corp")
        made = grants.grant(ws, "r1", "org:evil corp", grants.expiry(None, 2), "test")
        assert (grants.valid_grant(catalog, "r1", "eve") or {}).get("id") == made["id"]
        later = now() + timedelta(days=3)
        with monkeypatch.context() as m:
            m.setattr(grants, "now", lambda: later)
            assert grants.valid_grant(catalog, "r1", "eve") is None
            assert grants.grants(catalog, "r1")[0]["state"] == "expired"
        assert grants.revoke(catalog, "r1", "test", to="org:evil corp") == [made["id"]]
        assert grants.valid_grant(catalog, "r1", "eve") is None
        audit.record(catalog, "eve", "download", "r1", 403, "revoked", "data/x", "bytes=0-1")
        (entry,) = audit.entries(catalog, "r1")
        assert entry["outcome"] == "refused" and entry["range"] == "bytes=0-1" and entry["at"].endswith("+00:00")
    finally:
        catalog.close()
