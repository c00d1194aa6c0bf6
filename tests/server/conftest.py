"""The console's test site: a small lake of three tiny IMU episodes with four users and their API tokens, made once
per session through the real command line and copied for each test, served by FastAPI's TestClient."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_site import USERS, Site, Template, run_cli

from faults.lake_faults import recordings
from robofuel.context import open_workspace


@pytest.fixture(scope="session")
def console_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The lake every console test starts from: made once, by ``ingest``, ``users add`` and ``tokens create``."""
    root = tmp_path_factory.mktemp("console")
    lake = root / "lake"
    run_cli("ingest", *recordings(root / "rec", 3), "--lake", lake)
    tokens = {}
    for name, role in USERS.items():
        run_cli("users", "add", name, "--role", role, "--lake", lake)
        tokens[name] = json.loads(run_cli("tokens", "create", name, "--json", "--lake", lake))["token"]
    return Template(lake, tokens)


@pytest.fixture
def site(console_template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    pytest.importorskip("fastapi", reason="the console needs robofuel[server] (fastapi, uvicorn)")
    pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx (robofuel[dev])")
    from fastapi.testclient import TestClient

    from robofuel.server.app import create_app

    monkeypatch.delenv("ROBOFUEL_CATALOG", raising=False)
    monkeypatch.delenv("ROBOFUEL_LAKE", raising=False)
    lake = tmp_path / "lake"
    shutil.copytree(console_template.lake, lake)
    with open_workspace(str(lake), create=False) as ws, TestClient(create_app(ws.lake, ws.catalog)) as client:
        yield Site(lake, client, console_template.tokens, ws.catalog.episode_ids())
