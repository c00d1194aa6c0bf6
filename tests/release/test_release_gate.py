"""Gated access through the console: refused without a grant, after expiry and after revocation; resumable range
downloads of the grantee's own copy; path traversal refused; every access in the audit log; a release downloaded
through the API verifies (and the real LeRobot library loads it)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from release.conftest import ReleaseLake
from release.gate_site import PEOPLE, PER_RECIPIENT, PLAIN, Gate
from robofuel.context import open_workspace
from venvs import venv_python

pytest.importorskip("fastapi", reason="the console needs robofuel[server] (fastapi, uvicorn)")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx (robofuel[dev])")

from fastapi.testclient import TestClient

from robofuel.release import grants
from robofuel.server.app import create_app
from robofuel.server.auth import add_user, create_token

DATA = "data/data/chunk-000/file-000.parquet"


@pytest.fixture(scope="module")
def gate(release_lake: ReleaseLake) -> Iterator[Gate]:
    from robofuel.release.create import create

    tokens = {}
    with open_workspace(release_lake.path, create=False) as ws:
        create(ws, PLAIN, "lerobot", "internal", every=True, redact=False)
        where = f"id = {release_lake.ids[0]}"
        create(ws, PER_RECIPIENT, "lerobot", "internal", where, every=True, recipients=["acme", "bolt"], redact=False)
        for name, (role, org) in PEOPLE.items():
            add_user(ws.catalog, name, role, "correct horse battery", replace=True, org=org)  # shared release lake
            tokens[name] = create_token(ws.catalog, name)
        with TestClient(create_app(ws.lake, ws.catalog)) as client:
            yield Gate(release_lake.path, client, tokens)


def _entries(gate: Gate, release: str) -> list[dict[str, Any]]:
    got = gate.get(f"/api/releases/{release}/audit?limit=1000", "mona")
    assert got.status_code == 200
    entries: list[dict[str, Any]] = got.json()["entries"]
    return entries


def test_refused_without_a_grant_after_expiry_and_after_revocation(gate: Gate, monkeypatch: pytest.MonkeyPatch) -> None:
    files = f"/api/releases/{PLAIN}/files"
    assert gate.get("/api/releases", "nora").json()["releases"] == []
    refused = gate.get(files, "nora")
    assert refused.status_code == 403 and "holds no grant" in refused.json()["detail"]
    assert gate.get(f"{files}/release.json", "nora").status_code == 403
    assert gate.get(f"{files}/release.json", "mona").status_code == 403  # a manager too needs a grant to download

    made = gate.grant(PLAIN, "nora", purpose="internal")
    assert made["state"] == "active" and made["recipient"] is None and made["granted_by"] == "mona"
    listed = gate.get("/api/releases", "nora").json()["releases"]
    assert [r["name"] for r in listed] == [PLAIN] and listed[0]["grant"]["id"] == made["id"]
    assert "path" not in listed[0]  # no folder of the server's disk
    assert gate.get(files, "nora").status_code == 200
    assert gate.get(f"{files}/release.json", "nora").status_code == 200

    later = grants.now() + timedelta(days=1, minutes=1)
    with monkeypatch.context() as m:
        m.setattr(grants, "now", lambda: later)
        expired = gate.get(f"{files}/release.json", "nora")
        assert expired.status_code == 403 and "expired" in expired.json()["detail"]
        assert gate.get("/api/releases", "nora").json()["releases"] == []
    assert gate.get(f"{files}/release.json", "nora").status_code == 200  # back to today

    gone = gate.client.delete(f"/api/releases/{PLAIN}/grants/{made['id']}", headers=gate.auth("mona"))
    assert gone.status_code == 200 and gone.json()["revoked"] == made["id"]
    revoked = gate.get(f"{files}/release.json", "nora")
    assert revoked.status_code == 403 and "revoked" in revoked.json()["detail"]
    assert (
        gate.client.delete(f"/api/releases/{PLAIN}/grants/{made['id']}", headers=gate.auth("mona")).status_code == 404
    )
    states = {g["id"]: g["state"] for g in gate.get(f"/api/releases/{PLAIN}/grants", "mona").json()["grants"]}
    assert states[made["id"]] == "revoked"

    nora = [e for e in _entries(gate, PLAIN) if e["actor"] == "nora"]
    outcomes = [(e["action"], e["status"], e["outcome"]) for e in reversed(nora)]
    assert outcomes == [
        ("files", 403, "refused"),
        ("download", 403, "refused"),
        ("files", 200, "ok"),
        ("download", 200, "ok"),
        ("download", 403, "refused"),  # expired
        ("download", 200, "ok"),
        ("download", 403, "refused"),  # revoked
    ]
    assert "expired" in nora[2]["detail"] and "revoked" in nora[0]["detail"]
    assert nora[1]["bytes"] == os.path.getsize(Path(gate.lake) / "releases" / PLAIN / "release.json")
    mona = [(e["action"], e["actor"]) for e in _entries(gate, PLAIN) if e["action"] in ("grant", "revoke")]
    assert ("grant", "mona") in mona and ("revoke", "mona") in mona


def test_an_organisation_grant_reaches_its_members_only(gate: Gate) -> None:
    gate.grant(PER_RECIPIENT, "org:acme")
    files = f"/api/releases/{PER_RECIPIENT}/files"
    for member in ("rick", "pia"):
        listed = gate.get(files, member)
        assert listed.status_code == 200 and listed.json()["recipient"] == "acme"
    assert gate.get(files, "ugo").status_code == 403  # bolt's, not acme's
    assert gate.get(files, "tess").status_code == 403


def test_each_recipient_gets_its_own_fingerprinted_copy(gate: Gate, cli: Any, tmp_path: Path) -> None:
    assert gate.grant(PER_RECIPIENT, "ugo")["recipient"] == "bolt"  # no copy named ugo: the one of ugo's org
    folder = Path(gate.lake) / "releases" / PER_RECIPIENT
    made = gate.client.post(
        f"/api/releases/{PER_RECIPIENT}/grants", json={"to": "tess", "days": 1}, headers=gate.auth("mona")
    )
    assert made.status_code == 400 and "made per recipient" in made.json()["detail"]  # the base copy never goes out
    gate.grant(PER_RECIPIENT, "tess", recipient="bolt")
    files = gate.get(f"/api/releases/{PER_RECIPIENT}/files", "tess").json()
    assert files["recipient"] == "bolt"
    manifest = json.loads((folder / "recipients/bolt/release.json").read_text())
    assert {f["path"]: f["sha256"] for f in files["files"] if f["path"] in manifest["files"]} == manifest["files"]
    got = gate.get(f"/api/releases/{PER_RECIPIENT}/files/{DATA}", "tess")
    assert got.status_code == 200 and got.content == (folder / "recipients/bolt" / DATA).read_bytes()
    assert got.content != (folder / DATA).read_bytes()
    (tmp_path / "leak.parquet").write_bytes(got.content)
    traced = cli("release", "trace", str(tmp_path / "leak.parquet"), "--lake", gate.lake, "--json")
    assert traced.code == 0 and traced.json()["recipient"] == "bolt"
    other = gate.get(f"/api/releases/{PER_RECIPIENT}/files/recipients/acme/release.json", "tess")
    assert other.status_code == 404  # another recipient's copy is not in this one


def test_downloads_resume_by_http_range(gate: Gate) -> None:
    gate.grant(PLAIN, "olga")
    url = f"/api/releases/{PLAIN}/files/{DATA}"
    whole = (Path(gate.lake) / "releases" / PLAIN / DATA).read_bytes()
    size = len(whole)
    first = gate.get(url, "olga", Range="bytes=0-99")
    assert first.status_code == 206 and first.content == whole[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{size}" and first.headers["content-length"] == "100"
    etag = first.headers["etag"]
    assert etag == f'"{hashlib.sha256(whole).hexdigest()}"'
    rest = gate.get(url, "olga", Range="bytes=100-", **{"If-Range": etag})
    assert rest.status_code == 206 and first.content + rest.content == whole  # resumed
    assert gate.get(url, "olga", Range="bytes=-10").content == whole[-10:]
    changed = gate.get(url, "olga", Range="bytes=100-", **{"If-Range": '"another"'})
    assert changed.status_code == 200 and changed.content == whole  # not the same file: all of it
    for bad in (f"bytes={size}-", "bytes=5-2", "bytes=0-1,4-5", "lines=0-1"):
        refused = gate.get(url, "olga", Range=bad)
        assert refused.status_code == 416 and refused.headers["content-range"] == f"bytes */{size}", bad
    head = gate.client.head(url, headers={**gate.auth("olga"), "Range": "bytes=10-"})
    assert head.status_code == 206 and head.content == b"" and head.headers["content-length"] == str(size - 10)
    assert head.headers["etag"] == etag
    plain = gate.get(url, "olga")
    assert plain.status_code == 200 and plain.content == whole and plain.headers["accept-ranges"] == "bytes"
    assert plain.headers["content-disposition"].startswith("attachment")
    assert plain.headers["content-type"] == "application/octet-stream"
    olga = [(e["status"], e["range"], e["bytes"]) for e in _entries(gate, PLAIN) if e["actor"] == "olga"]
    assert (206, "bytes=0-99", 100) in olga and (206, "bytes=100-", size - 100) in olga
    assert (416, f"bytes={size}-", None) in olga and (200, None, size) in olga and (206, "bytes=10-", 0) in olga


TRAVERSING = [
    "%2e%2e/%2e%2e/catalog.sqlite",
    "..%2F..%2Fcatalog.sqlite",
    "data/%2e%2e/%2e%2e/%2e%2e/catalog.sqlite",
    "%2Fetc%2Fpasswd",
    "..%5C..%5Ccatalog.sqlite",
    "data//meta/info.json",
    "%2e/release.json",
    "data/%00.parquet",
]


def test_path_traversal_and_unknown_names_are_refused(gate: Gate) -> None:
    gate.grant(PLAIN, "rick")
    base = f"/api/releases/{PLAIN}/files/"
    for path in TRAVERSING:
        response = gate.get(base + path, "rick")
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert b"SQLite format" not in response.content and b"root:" not in response.content
    assert gate.get(base + "%2e%2e/%2e%2e/catalog.sqlite", "rick").status_code == 400
    assert gate.get(base + "data/meta/nothing.json", "rick").status_code == 404
    unknown = gate.get("/api/releases/no-such/files", "rick")  # as for another's release: no probing for names
    assert unknown.status_code == 403
    assert unknown.json()["detail"] == "rick holds no grant for release no-such: ask the base for one"
    assert gate.get("/api/releases/no-such/files", "mona").status_code == 404  # a manager lists them anyway
    assert gate.get("/api/releases/%2e%2e/files", "rick").status_code in (400, 404)
    refusals = [e for e in _entries(gate, PLAIN) if e["actor"] == "rick" and e["outcome"] != "ok"]
    assert "../../catalog.sqlite" in {e["path"] for e in refusals}  # decoded as the server saw it, refused
    assert len(refusals) >= len(TRAVERSING) + 2
    assert {e["outcome"] for e in refusals} >= {"bad-request", "not-found"}


def test_a_symbolic_link_out_of_the_release_is_refused(release_lake: ReleaseLake, gate: Gate) -> None:
    """A listed file replaced by a link to the catalog (someone with the lake's disk): refused, nothing of it sent."""
    from robofuel.release.create import create

    with open_workspace(release_lake.path, create=False) as ws:
        create(ws, "gate-link", "lerobot", "internal", f"id = {release_lake.ids[2]}", every=True, redact=False)
    folder = Path(gate.lake) / "releases" / "gate-link"
    target = folder / "episodes.csv"
    os.chmod(folder, 0o755)
    target.unlink()
    target.symlink_to(Path(gate.lake) / "catalog.sqlite")
    gate.grant("gate-link", "rick")
    response = gate.get("/api/releases/gate-link/files/episodes.csv", "rick")
    assert response.status_code == 403 and b"SQLite" not in response.content
    assert "outside the release" in response.json()["detail"]
    assert gate.get("/api/releases/gate-link/files/DATACARD.md", "rick").status_code == 200


def test_only_managers_grant_revoke_and_read_the_audit(gate: Gate) -> None:
    body = {"to": "nora", "days": 1}
    assert gate.client.post(f"/api/releases/{PLAIN}/grants", json=body, headers=gate.auth("nora")).status_code == 403
    assert gate.get(f"/api/releases/{PLAIN}/audit", "rick").status_code == 403
    assert gate.get("/api/audit/releases", "rick").status_code == 403
    post = gate.client.post
    wrongs = [
        {"to": "nobody", "days": 1},
        {"to": "nora"},
        {"to": "nora", "days": 1, "expires": "2030-01-01"},
        {"to": "nora", "expires": "2001-01-01"},
        {"to": "nora", "days": 1, "purpose": "commercial"},
    ]
    for wrong in wrongs:
        refused = post(f"/api/releases/{PLAIN}/grants", json=wrong, headers=gate.auth("mona"))
        assert refused.status_code == 400 and refused.json()["detail"], wrong
    assert post("/api/releases/nothing/grants", json=body, headers=gate.auth("mona")).status_code == 404
    tail = gate.get("/api/audit/releases?limit=5", "mona").json()["entries"]
    assert len(tail) == 5 and tail[0]["at"] >= tail[-1]["at"]
    listing = gate.get("/api/releases", "mona").json()["releases"]
    assert {PLAIN, PER_RECIPIENT} <= {r["name"] for r in listing}
    assert next(r for r in listing if r["name"] == PER_RECIPIENT)["recipients"] == ["acme", "bolt"]
    assert any(
        e["action"] == "list" and e["actor"] == "mona"
        for e in gate.get("/api/audit/releases", "mona").json()["entries"]
    )


def _download(gate: Gate, user: str, release: str, into: Path) -> list[dict[str, Any]]:
    """Every file of the user's copy, fetched through the API as a recipient would, in two ranges each."""
    files: list[dict[str, Any]] = gate.get(f"/api/releases/{release}/files", user).json()["files"]
    for f in files:
        half = f["size"] // 2
        head = gate.get(f["url"], user, Range=f"bytes=0-{max(half - 1, 0)}") if half else None
        tail = gate.get(f["url"], user, Range=f"bytes={half}-") if f["size"] else gate.get(f["url"], user)
        assert tail.status_code in (200, 206)
        target = into / f["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((head.content if head else b"") + tail.content)
    return files


def test_a_release_downloaded_through_the_api_verifies(gate: Gate, tmp_path: Path) -> None:
    from robofuel.release.keys import signing_key
    from robofuel.release.manifest import public_pem, verify_folder
    from robofuel.release.store import keys_dir

    gate.grant(PLAIN, "pia")
    files = _download(gate, "pia", PLAIN, tmp_path / "got")
    assert {"release.json", "release.json.sig", "public_key.pem", DATA} <= {f["path"] for f in files}
    with open_workspace(gate.lake, create=False) as ws:
        public = public_pem(signing_key(keys_dir(ws)))
    check = verify_folder(tmp_path / "got", public)
    assert check.ok, check.to_dict()
    assert all(hashlib.sha256((tmp_path / "got" / f["path"]).read_bytes()).hexdigest() == f["sha256"] for f in files)


REPO = Path(__file__).resolve().parents[2]
LEROBOT_TOOL = REPO.parent / "shared" / "tools" / "lerobot-venv"


@pytest.mark.slow
def test_the_real_lerobot_loads_a_downloaded_release(gate: Gate, tmp_path: Path) -> None:
    """As tests/export/test_lerobot_real.py: the real LeRobot (built by ../shared/tools/lerobot-venv into
    .tmp/lerobot-venv on first use) loads the downloaded data/ unchanged and serves every row of it."""
    import subprocess

    import numpy as np
    import pyarrow.parquet as pq

    python = venv_python(LEROBOT_TOOL, "lerobot-venv", "the real LeRobot library on a CPU machine", optional=True)
    gate.grant(PLAIN, "tess")
    _download(gate, "tess", PLAIN, tmp_path / "got")
    script = REPO / "tests" / "export" / "lerobot_load.py"
    dataset, dump = tmp_path / "got" / "data", tmp_path / "served.npz"
    camera = "observation.images.camera.front.video"
    done = subprocess.run(
        [str(python), str(script), str(dataset), str(dump), camera],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    served = np.load(dump)
    rows = pq.read_table(dataset / "data/chunk-000/file-000.parquet")
    assert int(served["num_frames"]) == rows.num_rows == len(served["index"]) > 0
    state = np.stack(rows.column("observation.state").to_numpy(zero_copy_only=False))
    assert np.array_equal(served["state"], state)
    assert len(set(served["episode"].tolist())) == len(
        json.loads((tmp_path / "got/release.json").read_text())["episodes"]
    )


def test_the_releases_page_and_a_download_with_the_session_cookie(release_lake: ReleaseLake, gate: Gate) -> None:
    """The console's Releases page (signed in), its script, and a file fetched as its links do: with the cookie."""
    with TestClient(gate.client.app) as browser:
        assert browser.get("/releases", follow_redirects=False).headers["location"].startswith("/login")
        signed = browser.post("/login", json={"username": "pia", "password": "correct horse battery"})
        assert signed.status_code == 200
        page = browser.get("/releases")
        assert page.status_code == 200 and '<script src="/static/releases.js">' in page.text
        assert 'href="/releases"' in page.text and "Content-Security-Policy" in page.headers
        assert "/api/releases" in browser.get("/static/releases.js").text
        gate.grant(PLAIN, "pia")
        listed = browser.get("/api/releases").json()["releases"]
        url = next(r for r in listed if r["name"] == PLAIN)["files"]
        first = browser.get(url).json()["files"][0]
        got = browser.get(first["url"])
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == first["sha256"]
