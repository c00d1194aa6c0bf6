"""The console in a real headless Chromium (Debian's ``chromium`` driven by Playwright): sign in, the dashboard's
drill-down, filter the episode list, open an episode, play it, jump to a finding, reject a span, and see the
verdict in the list and in ``robofuel ls --json`` of the same lake.

One ``robofuel serve`` on a loopback port for the module, over the lake of a small ``robofuel demo`` (two
recordings: a teleop MCAP with an H.264 packet camera and an MJPEG camera, a wearable folder with an MP4).
Screenshots go to ``$ROBOFUEL_CONSOLE_SCREENSHOTS`` when set (``docs/console`` refreshes the documentation's),
else to the test's temporary folder. Without chromium or playwright the tests skip, except under CI (``CI`` set).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_site import PASSWORD, run_cli
from test_console_serve import _free_port, _wait_healthy

from browser import CHROMIUM, require_browser
from faults.lake_faults import cli_env
from robofuel.context import open_workspace

pytestmark = pytest.mark.browser
#: Milliseconds a page may take to show what a test waits for (a busy machine, a first transcode).
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A two-recording ``robofuel demo`` (its human summary too) with a reviewer and a viewer added."""
    root = tmp_path_factory.mktemp("console-browser")
    argv = [sys.executable, "-m", "robofuel", "demo", "--out", str(root / "demo"), "--n", "2", "--workers", "1"]
    done = subprocess.run(argv, env=cli_env(), capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    lake = root / "demo" / "lake"
    for name, role in (("rita", "reviewer"), ("vera", "viewer"), ("mia", "manager")):
        run_cli("users", "add", name, "--role", role, "--lake", lake)
    with open_workspace(str(lake), create=False) as ws:  # the wearable episode waits for a person
        wearable = next(r["id"] for r in ws.catalog.episode_rows() if r["format"] == "wearable")
        meta = ws.lake.read_meta(wearable).model_copy(update={"verdict": "needs_review"})
        ws.lake.write_meta(meta)
        ws.catalog.update_episodes([meta])
    return lake, done.stdout


@pytest.fixture(scope="module")
def server(demo_lake: tuple[Path, str]) -> Iterator[str]:
    """``robofuel serve`` over the demo's lake on a free loopback port; its base URL."""
    require_browser()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "robofuel", "serve", "--lake", str(demo_lake[0]), "--port", str(port)]
    process = subprocess.Popen(argv, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_healthy(base, process)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    sync_api = require_browser()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
        )
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ROBOFUEL_CONSOLE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _signed_in(chromium: Any, base: str, user: str, path: str = "/") -> Any:
    """A new page of a new browser context, signed in as ``user`` through the login form, at ``path``."""
    page = chromium.new_context(viewport={"width": 1180, "height": 860}).new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    page.goto(base + path)
    assert "/login" in page.url  # no session: the login page, remembering where to go
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base + path) + "$"))
    return page


def _episodes(lake: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(run_cli("ls", "--json", "--lake", lake))["episodes"]
    return rows


def test_demo_says_how_to_open_the_console(demo_lake: tuple[Path, str]) -> None:
    lake, printed = demo_lake
    assert f"robofuel serve --lake {lake} --port 8000" in printed
    assert f"robofuel users add admin --role admin --lake {lake}" in printed


def test_dashboard_bar_opens_its_episodes(server: str, chromium: Any, shots: Path, demo_lake: tuple[Path, str]) -> None:
    page = _signed_in(chromium, server, "rita", "/")
    page.wait_for_selector("#rate")
    assert re.fullmatch(r"\d+\.\d %", page.inner_text("#rate b"))
    assert "Campaign targets" in page.inner_text("main")  # the demo's sample base has a campaign
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
    operator = _episodes(demo_lake[0])[0]["operator"]
    page.click(f".tab-panel rect[data-label='{operator}']")
    page.wait_for_selector("#episodes tbody tr")
    assert "where=operator" in page.url
    shown = page.locator("#episodes tbody tr").count()
    assert shown == sum(1 for r in _episodes(demo_lake[0]) if r["operator"] == operator)
    assert not page.errors


def test_filter_the_episode_list(server: str, chromium: Any, shots: Path) -> None:
    page = _signed_in(chromium, server, "vera", "/episodes")
    page.wait_for_selector("#episodes tbody tr")
    assert page.locator("#episodes tbody tr").count() == 2
    page.fill("#where", "format = wearable")
    page.click("#filter button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('#episodes tbody tr').length === 1")
    assert "format+%3D+wearable" in page.url or "format%20%3D%20wearable" in page.url
    page.screenshot(path=str(shots / "episodes.png"), full_page=True)
    page.fill("#where", "nonsense ~~")
    page.click("#filter button[type=submit]")
    assert "400" in page.inner_text("#count .error")  # the CLI's message, not a blank page
    assert not page.errors


def _teleop(lake: Path) -> dict[str, Any]:
    return next(r for r in _episodes(lake) if r["format"] == "mcap")


def test_viewer_plays_jumps_and_rejects_a_span(
    server: str, chromium: Any, shots: Path, demo_lake: tuple[Path, str]
) -> None:
    lake = demo_lake[0]
    episode = _teleop(lake)
    page = _signed_in(chromium, server, "rita", f"/episodes/{episode['id']}?t=1.5")
    page.wait_for_selector("#app[data-ready='1']")
    assert page.evaluate("window.viewer.time()") == pytest.approx(1.5)
    assert page.locator("video").count() == 2 and page.locator("#plots canvas").count() >= 3
    start = page.evaluate("document.querySelector('video').currentTime")
    page.click("#play")
    page.wait_for_function("(s) => document.querySelector('video').currentTime > s", arg=start + 0.3)
    page.click("#play")  # pause
    finding = page.locator("#findings button.jump").first
    at = float(finding.get_attribute("data-start"))
    finding.click()
    assert page.evaluate("window.viewer.time()") == pytest.approx(at, abs=1e-3)
    assert f"t={at:.3f}" in page.url
    page.click("#forward")
    assert page.evaluate("window.viewer.time()") > at
    page.screenshot(path=str(shots / "viewer.png"), full_page=True)

    page.select_option("#decision", "reject")
    page.fill("#start", "2.0")
    page.fill("#end", "3.5")
    page.fill("#reason", "gripper slipped")
    page.click("#submit-review")
    page.wait_for_selector("#verdict .verdict-rejected")
    page.wait_for_selector("#reviews li")
    assert "2.00–3.50 s" in page.inner_text("#reviews")

    page.goto(server + "/episodes?where=" + "verdict = rejected")
    page.wait_for_selector(f"#episodes tbody tr[data-id='{episode['id']}'] .verdict-rejected")
    assert _teleop(lake)["verdict"] == "rejected"  # what the command line sees
    assert not page.errors


def _segments(page: Any, episode: str) -> list[dict[str, Any]]:
    """The episode's segments as the API gives them (with the page's session)."""
    segments: list[dict[str, Any]] = page.evaluate("(id) => rf.api('/api/episodes/' + id)", episode)["segments"]
    return segments


def test_a_reviewer_edits_a_segment_on_the_timeline_and_undoes_it(
    server: str, chromium: Any, shots: Path, demo_lake: tuple[Path, str]
) -> None:
    episode = _teleop(demo_lake[0])["id"]
    page = _signed_in(chromium, server, "rita", f"/episodes/{episode}")
    page.wait_for_selector("#app[data-ready='1']")
    before = _segments(page, episode)
    assert len(before) >= 2
    seg = before[1]
    page.click("#segments li[data-index='1'] button.jump")  # selects it, and jumps to its start
    assert page.input_value("#seg-start") == f"{seg['start_s']:.3f}"
    assert page.evaluate("window.viewer.time()") == pytest.approx(seg["start_s"], abs=1e-3)
    moved = round((seg["start_s"] + seg["end_s"]) / 2, 3)  # later start, same place in time order
    page.evaluate("(t) => window.viewer.seek(t)", moved)
    page.click("#seg-start-here")
    label = "transport" if seg["label"] != "transport" else "grasp"
    page.select_option("#seg-label", label)
    page.click("#seg-save")
    page.wait_for_selector("#seg-status:has-text('saved')")
    page.screenshot(path=str(shots / "segments.png"), full_page=True)
    after = _segments(page, episode)
    edited = after[1]
    assert edited["start_s"] == pytest.approx(moved, abs=1e-3) and edited["end_s"] == seg["end_s"]
    assert edited["label"] == label and edited["source"] == "human" and edited["annotator"] == "rita"
    assert page.inner_text("#segments li[data-index='1'] .label") == label

    page.click("#seg-undo")
    page.wait_for_selector("#seg-status:has-text('undone')")
    spans = [(s["start_s"], s["end_s"], s["label"]) for s in _segments(page, episode)]
    assert spans == [(s["start_s"], s["end_s"], s["label"]) for s in before]
    assert page.locator("#seg-undo").is_disabled()
    end_handle = page.locator("svg.tracks .handle-end")  # the selected segment's end, dragged left
    end_handle.scroll_into_view_if_needed()
    handle = end_handle.bounding_box()
    page.mouse.move(handle["x"] + 3, handle["y"] + 10)
    page.mouse.down()
    page.mouse.move(handle["x"] - 30, handle["y"] + 10, steps=5)
    page.mouse.up()
    assert float(page.input_value("#seg-end")) < seg["end_s"]  # set in the editor, saved only with "Save"
    trail = page.evaluate("(id) => rf.api(`/api/episodes/${id}/reviews`)", episode)
    assert [r["decision"] for r in trail[-2:]] == ["edit", "edit"] and trail[-1]["reviewer"] == "rita"
    assert not page.errors


def test_review_queue_accepts_an_episode(server: str, chromium: Any, shots: Path, demo_lake: tuple[Path, str]) -> None:
    waiting = next(r["id"] for r in _episodes(demo_lake[0]) if r["verdict"] == "needs_review")
    page = _signed_in(chromium, server, "rita", "/review")
    row = page.locator(f"#queue tbody tr[data-id='{waiting}']")
    row.locator("input.reason").fill("gaze drift is within the task's tolerance")
    page.screenshot(path=str(shots / "review.png"), full_page=True)
    row.locator("button.accept").click()
    row.locator(".verdict-qualified").wait_for()
    assert next(r for r in _episodes(demo_lake[0]) if r["id"] == waiting)["verdict"] == "qualified"
    assert not page.errors


def test_a_viewer_reads_but_cannot_review(server: str, chromium: Any, demo_lake: tuple[Path, str]) -> None:
    page = _signed_in(chromium, server, "vera", "/review")
    page.wait_for_selector("#queue-count")
    assert page.locator("button.accept").count() == 0
    page.goto(server + f"/episodes/{_teleop(demo_lake[0])['id']}")
    page.wait_for_selector("#reviews")
    assert page.locator("#review").count() == 0  # no form for a viewer
    page.wait_for_selector("#segments li")
    assert page.locator("#segment-edit").count() == 0  # nor a segment editor
    patched = page.evaluate(
        """async (id) => {
          const { csrf_token } = await rf.api('/api/session');
          const r = await fetch(`/api/episodes/${id}/segments/0`, { method: 'PATCH', body: '{"label": "idle"}',
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf_token } });
          return r.status;
        }""",
        _teleop(demo_lake[0])["id"],
    )
    assert patched == 403  # and the API refuses a viewer's edit
    assert not page.errors


def test_operations_page_shows_cost_yield_and_a_plan(server: str, chromium: Any, shots: Path) -> None:
    """The demo's sample base: a manager sees cost per effective hour and the gates, and plans a week."""
    page = _signed_in(chromium, server, "mia", "/operations")
    assert "EUR" in page.inner_text("#cost-per-hour")
    assert "qualified" in page.inner_text("main table >> nth=2")  # the gates
    page.click("#make-plan")
    page.wait_for_selector("#plan table", timeout=120_000)
    assert "operator-shifts" in page.inner_text("#plan")
    page.screenshot(path=str(shots / "operations.png"), full_page=True)
    assert not page.errors
    viewer = _signed_in(chromium, server, "vera", "/operations")
    viewer.wait_for_selector("#app .error")  # operations are for managers: the API's 403, shown
    assert "manager" in viewer.inner_text("#app .error")


def test_login_page(server: str, chromium: Any, shots: Path) -> None:
    page = chromium.new_page(viewport={"width": 640, "height": 420})
    page.goto(server + "/login")
    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    page.wait_for_selector(".error")
    assert page.inner_text(".error") == "Wrong user name or password." and "/login" in page.url
    page.screenshot(path=str(shots / "login.png"))
    page.close()
