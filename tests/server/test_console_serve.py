"""``robofuel serve`` as a real process on a free loopback port: health, episodes with a token, a clean stop."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from console_site import Template

from faults.lake_faults import cli_env

httpx = pytest.importorskip("httpx", reason="the test talks HTTP with httpx (robofuel[dev])")
pytest.importorskip("uvicorn", reason="robofuel serve needs robofuel[server] (fastapi, uvicorn)")

#: Seconds the server may take to answer its first request (imports on a busy machine).
START_S = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(base: str, server: subprocess.Popen[str]) -> httpx.Response:
    """Poll ``/api/health`` until it answers (the server is starting); fail at once if the process ended."""
    deadline = time.monotonic() + START_S
    while True:
        if server.poll() is not None:
            pytest.fail(f"robofuel serve exited {server.returncode}: {server.communicate()[1]}")
        try:
            return httpx.get(f"{base}/api/health", timeout=5.0)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_robofuel_serve_answers_on_loopback_and_stops(console_template: Template, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(console_template.lake, lake)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "robofuel", "serve", "--lake", str(lake), "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(argv, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        health = _wait_healthy(base, server)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert "server" not in health.headers  # no software banner
        assert httpx.get(f"{base}/api/episodes", timeout=5.0).status_code == 401
        token = console_template.tokens["vera"]
        listed = httpx.get(f"{base}/api/episodes", headers={"Authorization": f"Bearer {token}"}, timeout=5.0)
        assert listed.status_code == 200 and len(listed.json()["episodes"]) == 3
    finally:
        server.send_signal(signal.SIGINT)
        try:
            _, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            _, err = server.communicate()
    assert server.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in err and "Traceback" not in err
