"""The ``playable`` step: processing makes the console's browser-playable MP4s (H.264 packets copied, other codecs
encoded) under the name the console looks for, so the first view makes nothing; a camera that cannot be made is
a finding, never a failed step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from factories import T0
from robofuel.catalog import Catalog
from robofuel.context import open_workspace
from robofuel.engine import LocalEngine
from robofuel.generate.media import h264_packets, jpeg_images, write_mp4
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.lake import Lake, write_episode
from robofuel.playable import cache_path
from robofuel.standard import NumericData, VideoData, numeric_stream, video_stream
from robofuel.steps import DEFAULT_PIPELINE, build_pipeline
from robofuel.steps.playable import FAILED

FRAMES, FPS = 24, 12


@pytest.fixture
def cams(tmp_path: Path) -> Iterator[tuple[Lake, Catalog, str]]:
    """A lake of one episode: an MP4 file camera (played as stored), H.264 packets, MJPEG packets, and packets
    that are no JPEG at all."""
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (32, 48, 3), dtype=np.uint8) for _ in range(FRAMES)]
    ts = T0 + (np.arange(FRAMES) * 1e9 / FPS).astype(np.int64)
    write_mp4(tmp_path / "ego.mp4", frames, FPS)
    cams = {
        "ego": VideoData(ts, codec="h264", width=48, height=32, file=tmp_path / "ego.mp4"),
        "front": VideoData(ts, codec="h264", width=48, height=32, packets=h264_packets(frames, FPS)),
        "wrist": VideoData(ts, codec="mjpeg", width=48, height=32, packets=jpeg_images(frames)),
        "broken": VideoData(ts, codec="mjpeg", width=48, height=32, packets=[b"not a jpeg"] * FRAMES),
    }
    joints = NumericData(ts, np.zeros((FRAMES, 1)))
    streams = [(numeric_stream("joints", joints, ["j0"], role="joint_position"), joints)]
    streams += [(video_stream(name, data, rate_hz=float(FPS)), data) for name, data in cams.items()]
    episode = make_episode(ReadContext(path=Path("/data/cams.mcap"), sha256="c" * 64), "mcap", 0, streams)
    with open_workspace(str(tmp_path / "lake")) as ws:
        meta = write_episode(ws.lake, episode)
        row = {"sha256": "c" * 64, "path": "/data/cams.mcap", "format": "mcap", "raw": "", "status": "ok"}
        ws.catalog.commit_recording({**row, "episodes": 1, "report": "{}"}, [meta])
        yield ws.lake, ws.catalog, meta.id


def _codec_frames(path: Path) -> tuple[str, int]:
    with av.open(str(path)) as container:
        return container.streams.video[0].codec_context.name, sum(1 for _ in container.decode(video=0))


def test_processing_makes_the_consoles_mp4s(cams: tuple[Lake, Catalog, str]) -> None:
    assert DEFAULT_PIPELINE[-1] == "playable"  # opt-in by default: `--steps` without it leaves it out
    lake, catalog, eid = cams
    stats = LocalEngine(lake, catalog, progress=False).run(build_pipeline(["playable"]), [eid]).to_dict()
    assert stats["steps"]["playable"]["ran"] == 1 and stats["steps"]["playable"]["failed"] == 0
    meta = lake.read_meta(eid)
    made = {s.name: lake.local_path(cache_path(meta, s)) for s in meta.streams if s.kind.value == "video"}
    assert not made["ego"].exists()  # a browser plays the stored file
    assert _codec_frames(made["front"]) == ("h264", FRAMES)  # packets copied
    assert _codec_frames(made["wrist"]) == ("h264", FRAMES)  # encoded
    assert not made["broken"].exists()
    (finding,) = [f for f in meta.findings if f.code == FAILED]
    assert finding.severity == "info" and finding.stream == "broken" and "first viewed" in finding.message
    assert meta.verdict == "unchecked" and [e.step for e in meta.lineage][-1] == "playable"
    assert not list((lake.local_path("cache")).rglob("*.partial"))
    again = LocalEngine(lake, catalog, progress=False).run(build_pipeline(["playable"]), [eid]).to_dict()
    assert again["steps"]["playable"]["cached"] == 1 and again["steps"]["playable"]["ran"] == 0


def test_copy_only_leaves_other_codecs_to_the_console(cams: tuple[Lake, Catalog, str]) -> None:
    lake, catalog, eid = cams
    steps = build_pipeline(["playable"], {"playable": {"encode": False}})
    stats = LocalEngine(lake, catalog, progress=False).run(steps, [eid]).to_dict()
    meta = lake.read_meta(eid)
    files = sorted(p.name.split("-")[0] for p in lake.local_path("cache/console").rglob("*.mp4"))
    assert files == ["front"] and not meta.findings
    assert stats["steps"]["playable"]["ran"] == 1


def test_the_console_serves_what_processing_made(
    cams: tuple[Lake, Catalog, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("fastapi", reason="the console needs robofuel[server] (fastapi, uvicorn)")
    pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx (robofuel[dev])")
    from fastapi.testclient import TestClient

    from robofuel.server import video_serve
    from robofuel.server.app import create_app
    from robofuel.server.auth import add_user, create_token

    lake, catalog, eid = cams
    LocalEngine(lake, catalog, progress=False).run(build_pipeline(["playable"]), [eid])
    meta = lake.read_meta(eid)

    def refuse(*_: Any) -> None:
        raise AssertionError("the console made a file processing had made")

    monkeypatch.setattr(video_serve, "write_mp4", refuse)
    add_user(catalog, "vera", "viewer", "correct horse battery")
    headers = {"Authorization": f"Bearer {create_token(catalog, 'vera')}"}
    with TestClient(create_app(lake, catalog)) as client:
        for name in ("front", "wrist"):
            got = client.get(f"/api/episodes/{eid}/video/{name}", headers=headers)
            expected = lake.local_path(cache_path(meta, meta.stream(name))).read_bytes()
            assert got.status_code == 200 and got.content == expected, name
