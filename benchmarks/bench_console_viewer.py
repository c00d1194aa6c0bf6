"""Opening a long episode in the console's viewer: time to the first frame of every camera and every plot drawn.

Builds a lake holding one episode of ``--minutes`` minutes with three H.264 cameras stored as packets (the teleop
MCAP case; 30 fps) and a 250 Hz arm (joint positions, velocities, efforts: 21 columns) and wrench (6 columns), starts
``robofuel serve`` on loopback and opens ``/episodes/ID`` in headless Chromium (Debian's, through Playwright). The
figure is the page's own ``window.viewerReadyMs``: ms from the navigation's start until the metadata is read, every
plot drawn and every camera's first frame decoded (``loadeddata``). The first opening makes the cameras' MP4s (H.264
packets copied into MP4, kept in the lake); the following ``--repeat`` openings find them made (and the plots
in the server's memory); then a new server opens it once more (MP4s made, plots computed again). With
``--process`` the episode is first processed by the ``playable`` step (what ``robofuel process`` runs last), which
makes the MP4s, so the first opening makes nothing; ``process_s`` is its time.

    python benchmarks/bench_console_viewer.py --minutes 10 --repeat 5 [--process]
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from robofuel.context import open_workspace
from robofuel.generate.media import h264_packets
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.lake import write_episode
from robofuel.server.auth import add_user
from robofuel.standard import NumericData, VideoData, numeric_stream, video_stream

PASSWORD = "bench-console-pw"
T0 = 1_793_000_000_000_000_000


def build_lake(lake: Path, minutes: float, fps: int = 30, size: tuple[int, int] = (320, 240)) -> str:
    """A lake with one long three-camera episode; its id."""
    n = int(minutes * 60 * fps)
    w, h = size
    gradient = np.tile(np.linspace(0, 255, w, dtype=np.uint8), (h, 1))
    # two seconds of moving frames, encoded once and repeated over the episode
    frames = [
        np.stack([np.roll(gradient, 4 * i, axis=1), gradient, np.full_like(gradient, 96)], 2) for i in range(2 * fps)
    ]
    gop = h264_packets(frames, fps, gop=fps * 2)
    packets = [gop[i % len(gop)] for i in range(n)]
    ts = T0 + (np.arange(n) * 1e9 / fps).astype(np.int64)
    rows = int(minutes * 60 * 250)
    t_arm = T0 + (np.arange(rows) * 4e6).astype(np.int64)
    phase = np.linspace(0, 40, rows)[:, None]
    arm = NumericData(t_arm, np.sin(phase * np.arange(1, 22)[None, :] / 7))
    wrench = NumericData(t_arm, np.cos(phase * np.arange(1, 7)[None, :] / 3))
    streams = [
        (numeric_stream("joint_states", arm, [f"j{i}" for i in range(21)], role="joint_position"), arm),
        (numeric_stream("wrench", wrench, [f"f{i}" for i in range(6)], role="wrench"), wrench),
    ]
    for cam in ("front", "wrist", "top"):
        video = VideoData(ts, codec="h264", width=w, height=h, packets=packets)
        streams.append((video_stream(cam, video, rate_hz=float(fps)), video))
    episode = make_episode(ReadContext(path=Path("/bench/long.mcap"), sha256="b" * 64), "mcap", 0, streams)
    with open_workspace(str(lake)) as ws:
        meta = write_episode(ws.lake, episode)
        row = {
            "sha256": "b" * 64,
            "path": "/bench/long.mcap",
            "format": "mcap",
            "raw": "",
            "status": "ok",
            "episodes": 1,
            "report": "{}",
        }
        ws.catalog.commit_recording(row, [meta])
        add_user(ws.catalog, "bench", "reviewer", PASSWORD)
    return meta.id


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(lake: Path, episode: str, repeat: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    port = _port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "robofuel", "serve", "--lake", str(lake), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    times: list[float] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(600_000)
            for _ in range(600):
                try:
                    page.goto(base + "/login")
                    break
                except Exception:  # the server is starting
                    time.sleep(0.2)
            page.fill("input[name=username]", "bench")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")
            for k in range(repeat + 1):
                page.goto(f"{base}/episodes/{episode}")
                page.wait_for_selector("#app[data-ready='1']")
                ms = float(page.evaluate("window.viewerReadyMs"))
                print(json.dumps({"opening": k, "cold": k == 0, "ready_ms": round(ms, 1)}), flush=True)
                times.append(ms)
            browser.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    return times


def process(lake: Path, episode: str) -> float:
    """Run the ``playable`` step on the episode as ``robofuel process`` does; seconds."""
    from robofuel.engine import LocalEngine
    from robofuel.steps import build_pipeline

    t = time.perf_counter()
    with open_workspace(str(lake)) as ws:
        stats = LocalEngine(ws.lake, ws.catalog, progress=False).run(build_pipeline(["playable"]), [episode])
        assert stats.to_dict()["steps"]["playable"]["ran"] == 1
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--process", action="store_true", help="make the MP4s by processing, before any opening")
    args = parser.parse_args()
    processed_s = None
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        lake = Path(tmp) / "lake"
        t = time.perf_counter()
        episode = build_lake(lake, args.minutes)
        print(json.dumps({"built_s": round(time.perf_counter() - t, 1), "episode": episode}), flush=True)
        if args.process:
            processed_s = round(process(lake, episode), 2)
        times = measure(lake, episode, args.repeat)
        again = measure(lake, episode, 0)  # a new server: the cameras' MP4s are in the lake, no plot in memory
    summary = {
        "minutes": args.minutes,
        "cameras": 3,
        "processed_s": processed_s,
        "cold_ms": round(times[0], 1),
        "warm_median_ms": round(statistics.median(times[1:]), 1) if len(times) > 1 else None,
        "new_server_ms": round(again[0], 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
