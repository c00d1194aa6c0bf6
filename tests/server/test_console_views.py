"""The data behind the console's pages: the dashboard (qc's figures, drill-down filters, refreshed after a review),
numeric streams reduced for plotting, and video with HTTP ranges (stored files as they are, other codecs made once
into an MP4 in the lake), paths never taken from the request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from console_site import Site

from factories import T0
from robofuel.context import open_workspace
from robofuel.generate.media import h264_packets, jpeg_images, write_mp4
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.lake import write_episode
from robofuel.report.qc_summary import summarise
from robofuel.server.views import envelope, group_where
from robofuel.standard import NumericData, VideoData, numeric_stream, video_stream

pytest.importorskip("fastapi", reason="the console needs robofuel[server] (fastapi, uvicorn)")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx (robofuel[dev])")

FRAMES = 24
FPS = 12


def test_dashboard_is_qcs_summary_with_drill_down(site: Site) -> None:
    got = site.client.get("/api/dashboard", headers=site.auth("vera"))
    assert got.status_code == 200
    board = got.json()
    expected = summarise(site.client.app.state.console.lake.read_meta(i) for i in site.ids)  # type: ignore[attr-defined]
    assert board["qualification_rate"] == expected["qualification_rate"] and board["target"] == 0.95
    assert board["episodes"] == 3 and "effective_hours" in board
    for key, group in board["by"]["operator"].items():
        listed = site.client.get("/api/episodes", params={"where": group["where"]}, headers=site.auth("vera"))
        assert listed.status_code == 200 and len(listed.json()["episodes"]) == group["episodes"], key
    review = {"decision": "reject", "start_s": None, "end_s": None, "reason": "signal.frozen"}
    site.client.post(f"/api/episodes/{site.ids[0]}/reviews", json=review, headers=site.auth("rita"))
    after = site.client.get("/api/dashboard", headers=site.auth("vera")).json()
    assert after["verdicts"].get("rejected", 0) == board["verdicts"].get("rejected", 0) + 1  # not a stale cache


def test_dashboard_needs_a_user_and_a_valid_filter(site: Site) -> None:
    assert site.client.get("/api/dashboard").status_code == 401
    bad = site.client.get("/api/dashboard", params={"where": "nonsense ~~"}, headers=site.auth("vera"))
    assert bad.status_code == 400 and "where" in bad.json()["detail"]


def test_plot_reduces_a_stream_keeping_its_extremes(site: Site) -> None:
    meta = site.client.get(f"/api/episodes/{site.ids[0]}", headers=site.auth("vera")).json()
    stream = next(s for s in meta["streams"] if s["kind"] == "numeric")
    got = site.client.get(
        f"/api/episodes/{site.ids[0]}/plot/{stream['name']}", params={"max_points": 20}, headers=site.auth("vera")
    )
    assert got.status_code == 200
    plot = got.json()
    assert len(plot["t"]) <= 20 and plot["count"] == stream["count"] and plot["columns"] == stream["columns"]
    assert all(len(v) == len(plot["t"]) for v in plot["values"].values())
    assert plot["t"] == sorted(plot["t"]) and 0.0 <= plot["t"][0] < plot["t"][-1] <= meta["duration_s"] + 1e-6
    missing = site.client.get(f"/api/episodes/{site.ids[0]}/plot/nope", headers=site.auth("vera"))
    assert missing.status_code == 404


def test_envelope_keeps_a_one_sample_spike_and_nan_gaps() -> None:
    t = np.arange(10_000) / 100.0
    values = np.zeros((10_000, 2))
    values[4321, 0] = 9.0
    values[:, 1] = np.nan
    t_out, v_out = envelope(t, values, 100)
    assert len(t_out) == 100 and np.nanmax(v_out[:, 0]) == 9.0 and np.isnan(v_out[:, 1]).all()


@dataclass
class VideoSite:
    client: Any
    lake: Path
    episode: str
    headers: dict[str, str]


@pytest.fixture
def video_site(tmp_path: Path) -> Iterator[VideoSite]:
    """One episode with an MP4 file camera, an H.264 packet camera and an MJPEG camera, served to a viewer."""
    from fastapi.testclient import TestClient

    from robofuel.server.app import create_app
    from robofuel.server.auth import add_user, create_token

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (32, 48, 3), dtype=np.uint8) for _ in range(FRAMES)]
    ts = T0 + (np.arange(FRAMES) * 1e9 / FPS).astype(np.int64)
    write_mp4(tmp_path / "ego.mp4", frames, FPS)
    ego = VideoData(ts, codec="h264", width=48, height=32, file=tmp_path / "ego.mp4")
    front = VideoData(ts, codec="h264", width=48, height=32, packets=h264_packets(frames, FPS))
    wrist = VideoData(ts, codec="mjpeg", width=48, height=32, packets=jpeg_images(frames))
    joints = NumericData(ts, np.zeros((FRAMES, 1)))
    streams = [(numeric_stream("joints", joints, ["j0"], role="joint_position"), joints)]
    streams += [
        (video_stream(name, data, rate_hz=float(FPS)), data)
        for name, data in (("ego", ego), ("front", front), ("wrist", wrist))
    ]
    episode = make_episode(ReadContext(path=Path("/data/cams.mcap"), sha256="c" * 64), "mcap", 0, streams)
    with open_workspace(str(tmp_path / "lake")) as ws:
        meta = write_episode(ws.lake, episode)
        ws.catalog.commit_recording(
            {
                "sha256": "c" * 64,
                "path": "/data/cams.mcap",
                "format": "mcap",
                "raw": "",
                "status": "ok",
                "episodes": 1,
                "report": "{}",
            },
            [meta],
        )
        add_user(ws.catalog, "vera", "viewer", "correct horse battery")
        token = create_token(ws.catalog, "vera")
        with TestClient(create_app(ws.lake, ws.catalog)) as client:
            yield VideoSite(client, tmp_path / "lake", meta.id, {"Authorization": f"Bearer {token}"})


def _frames_of(blob: bytes, path: Path) -> tuple[str, int]:
    path.write_bytes(blob)
    with av.open(str(path)) as container:
        return container.streams.video[0].codec_context.name, sum(1 for _ in container.decode(video=0))


def test_stored_mp4_is_served_as_it_is_with_ranges(video_site: VideoSite) -> None:
    url = f"/api/episodes/{video_site.episode}/video/ego"
    stored = next(video_site.lake.glob("episodes/*/*/streams/ego.mp4")).read_bytes()
    whole = video_site.client.get(url, headers=video_site.headers)
    assert whole.status_code == 200 and whole.content == stored
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "video/mp4"
    part = video_site.client.get(url, headers={**video_site.headers, "Range": "bytes=10-99"})
    assert part.status_code == 206 and part.content == stored[10:100]
    assert part.headers["content-range"] == f"bytes 10-99/{len(stored)}" and part.headers["content-length"] == "90"
    tail = video_site.client.get(url, headers={**video_site.headers, "Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.content == stored[-16:]
    for bad in (f"bytes={len(stored)}-", "bytes=50-10", "bytes=0-1,5-9", "items=0-5"):
        refused = video_site.client.get(url, headers={**video_site.headers, "Range": bad})
        assert refused.status_code == 416 and refused.headers["content-range"] == f"bytes */{len(stored)}", bad
    assert not (video_site.lake / "cache").exists()  # nothing made for a file a browser plays


@pytest.mark.parametrize(("stream", "codec"), [("front", "h264"), ("wrist", "h264")])
def test_other_codecs_are_made_once_into_an_mp4(video_site: VideoSite, stream: str, codec: str, tmp_path: Path) -> None:
    url = f"/api/episodes/{video_site.episode}/video/{stream}"
    first = video_site.client.get(url, headers=video_site.headers)
    assert first.status_code == 200 and first.headers["content-type"] == "video/mp4"
    assert _frames_of(first.content, tmp_path / "got.mp4") == (codec, FRAMES)
    made = list((video_site.lake / "cache" / "console" / video_site.episode).glob(f"{stream}-*.mp4"))
    assert len(made) == 1 and made[0].read_bytes() == first.content
    stamp = made[0].stat().st_mtime_ns
    again = video_site.client.get(url, headers={**video_site.headers, "Range": "bytes=0-7"})
    assert again.status_code == 206 and again.content == first.content[:8]
    assert made[0].stat().st_mtime_ns == stamp  # made once


def test_video_paths_come_from_the_metadata_only(video_site: VideoSite) -> None:
    base = f"/api/episodes/{video_site.episode}/video"
    for name in ("..%2F..%2Fcatalog.sqlite", "joints", "ego.mp4", "%2Fetc%2Fpasswd"):
        assert video_site.client.get(f"{base}/{name}", headers=video_site.headers).status_code == 404, name
    assert video_site.client.get(f"{base}/ego").status_code == 401
    other = video_site.client.get("/api/episodes/ep_00000000000000000000/video/ego", headers=video_site.headers)
    assert other.status_code == 404
    meta_file = next(video_site.lake.glob("episodes/*/*/episode.json"))
    meta_file.write_text(meta_file.read_text().replace('"streams/ego.mp4"', '"streams/../../../catalog.sqlite"'))
    tampered = video_site.client.get(f"{base}/ego", headers=video_site.headers)
    assert tampered.status_code == 404 and "leaves the episode folder" in tampered.json()["detail"]


def test_group_filters_name_the_catalog_column() -> None:
    assert group_where("operator", "op-01", None) == "operator = 'op-01'"
    assert (
        group_where("task", "pick", "verdict = rejected", frozenset({"pick"})) == "verdict = rejected and task = 'pick'"
    )
    assert group_where("task", "Pick the cup.", None) == "instruction = 'Pick the cup.'"  # a task without id
    assert group_where("scene", "Bob's bench", None) == 'scene = "Bob\'s bench"'
    assert group_where("scene", "(unknown)", None) is None
    assert group_where("scene", "a", "format = mcap or format = bvh") is None  # no parentheses in the language
