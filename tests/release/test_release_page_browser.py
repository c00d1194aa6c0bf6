"""The console's Releases page in headless Chromium (Debian's, through Playwright): a manager grants a release and
revokes the grant, and sees the audit log; the recipient lists the files and downloads one through its link.

The console runs in this process (uvicorn in a thread, loopback, a free port) over the release lake. Without
chromium or playwright the tests skip, except under CI (``CI`` set)."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import CHROMIUM, require_browser
from release.conftest import ReleaseLake
from robofuel.context import open_workspace

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
NAME = "page-rel"
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def console(release_lake: ReleaseLake) -> Iterator[str]:
    """The console over the release lake (a release, a manager and a recipient added), in a thread; its URL."""
    sync_api = require_browser()
    uvicorn = pytest.importorskip("uvicorn")
    from robofuel.release.create import create
    from robofuel.server.app import create_app
    from robofuel.server.auth import add_user

    del sync_api
    with open_workspace(release_lake.path, create=False) as ws:
        create(ws, NAME, "lerobot", "internal", f"id = {release_lake.ids[1]}", every=True, redact=False)
        add_user(ws.catalog, "maud", "manager", PASSWORD)
        add_user(ws.catalog, "remy", "viewer", PASSWORD, org="remco")
        add_user(ws.catalog, "rhea", "recipient", PASSWORD)  # download-only
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        server = uvicorn.Server(uvicorn.Config(create_app(ws.lake, ws.catalog), port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the console did not start"
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(30)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with require_browser().sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


def _signed_in(chromium: Any, base: str, user: str, start: str = "/releases") -> Any:
    """A new browser signed in as ``user`` from the page ``start``, once it shows /releases."""
    page = chromium.new_context(accept_downloads=True).new_page()
    page.set_default_timeout(WAIT_MS)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(base + start)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base) + "/releases$"))
    return page


def test_a_manager_grants_and_revokes_and_the_recipient_downloads(
    console: str, chromium: Any, release_lake: ReleaseLake, tmp_path: Path
) -> None:
    recipient = _signed_in(chromium, console, "remy")
    recipient.wait_for_selector("#app p")
    assert "No release is granted to you" in recipient.inner_text("#app")

    manager = _signed_in(chromium, console, "maud")
    section = f"section[data-release='{NAME}']"
    manager.fill(f"{section} input[name=to]", "org:remco")
    manager.fill(f"{section} input[name=days]", "3")
    manager.click(f"{section} form.grant button")
    manager.wait_for_selector(f"{section} table.grants button.revoke")
    assert "org:remco" in manager.inner_text(f"{section} table.grants")
    assert "grant" in manager.inner_text("table.audit")  # the grant, in the audit log's tail

    recipient.reload()
    recipient.click(f"{section} button.list-files")
    link = recipient.locator(f"{section} a", has_text="release.json").first
    with recipient.expect_download() as info:
        link.click()
    saved = tmp_path / "release.json"
    info.value.save_as(saved)
    listed = (Path(release_lake.path) / "releases" / NAME / "release.json").read_bytes()
    assert hashlib.sha256(saved.read_bytes()).digest() == hashlib.sha256(listed).digest()

    manager.reload()
    manager.click(f"{section} table.grants button.revoke")
    manager.locator(f"{section} table.grants td", has_text="revoked").first.wait_for()
    assert "download" in manager.inner_text("table.audit")  # the recipient's download, audited
    shots = os.environ.get("ROBOFUEL_CONSOLE_SCREENSHOTS")  # docs/console refreshes the documentation's
    if shots:
        manager.screenshot(path=str(Path(shots) / "releases.png"), full_page=True)
    recipient.reload()
    recipient.wait_for_selector("#app p")
    assert "No release is granted to you" in recipient.inner_text("#app")
    assert not manager.errors and not recipient.errors


def test_a_recipient_sees_the_releases_page_alone(
    console: str, chromium: Any, release_lake: ReleaseLake, tmp_path: Path
) -> None:
    """The download-only role: signed in from the dashboard it lands on /releases, the navigation has that page
    alone, its grant's files download, and the lake's pages answer 403."""
    from robofuel.release.grants import expiry, grant

    with open_workspace(release_lake.path, create=False) as ws:
        grant(ws, NAME, "rhea", expiry(None, 2), "test")
    page = _signed_in(chromium, console, "rhea", start="/")
    assert page.locator("header nav a").all_inner_texts() == ["Releases"]
    assert "(recipient)" in page.inner_text("header .who")
    section = f"section[data-release='{NAME}']"
    page.click(f"{section} button.list-files")
    with page.expect_download() as info:
        page.locator(f"{section} a", has_text="release.json").first.click()
    info.value.save_as(tmp_path / "release.json")
    assert (tmp_path / "release.json").stat().st_size > 0
    for path in ("/episodes", "/review", "/operations"):
        response = page.goto(console + path)
        assert response is not None and response.status == 403, path
        assert "needs the viewer role" in page.inner_text("body")
    assert not page.errors
