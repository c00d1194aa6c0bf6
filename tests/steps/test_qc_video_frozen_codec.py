"""qc video rules: under-exposed and frozen frames, a declared codec the packets contradict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qc_helpers import context, found, judge_fault

from robofuel.standard import Stream, StreamKind, VideoData
from robofuel.steps.qc.rules_video_codec import codec_mismatch, probe_codec
from robofuel.steps.qc.rules_video_frozen import frozen_frames


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qc_video")


@pytest.mark.parametrize(
    ("kind", "fault", "code"),
    [
        ("teleop", "underexposed_frames", "video.underexposed"),
        ("wearable", "underexposed_frames", "video.underexposed"),
        ("teleop", "frozen_frames", "video.frozen"),
        ("wearable", "frozen_frames", "video.frozen"),
    ],
)
def test_fault_is_found_on_its_stream_and_time(gen: Path, kind: str, fault: str, code: str) -> None:
    data, truth = judge_fault(gen, kind, fault, seed=81)
    (f,) = found(data, code)
    assert f.stream == truth["ingested_stream"]
    assert f.start_s == pytest.approx(truth["start_s"], abs=0.12)
    assert f.end_s == pytest.approx(truth["end_s"], abs=0.2)


def test_codec_mismatch_names_the_real_codec(gen: Path) -> None:
    data, truth = judge_fault(gen, "teleop", "codec_mismatch", seed=82)
    (f,) = found(data, "video.codec_mismatch")
    assert f.stream == truth["ingested_stream"] and "declared hevc, packets are h264" in f.message
    assert data.meta.verdict == "rejected"


def test_probe_reads_the_first_bytes() -> None:
    assert probe_codec(b"\xff\xd8\xff\xe0rest") == "mjpeg"
    assert probe_codec(b"\x89PNG\r\n\x1a\n....") == "png"
    assert probe_codec(b"\x00\x00\x00\x01\x67\x42\x00\x1e") == "h264"  # SPS
    assert probe_codec(b"\x00\x00\x01\x41\x9a\x00") == "h264"  # non-IDR slice
    assert probe_codec(b"\x00\x00\x00\x01\x40\x01\x0c\x01") == "hevc"  # VPS
    assert probe_codec(b"\x00\x00\x01\x26\x01\xaf") == "hevc"  # IDR_W_RADL
    assert probe_codec(b"\x12\x00\x0a\x0b") is None  # an AV1 OBU: not probed


def _video_ctx(codec: str, packets: list[bytes]) -> object:
    ctx = context({})
    ts = np.arange(len(packets), dtype=np.int64) * 33_000_000 + ctx.data.meta.start_ns
    ctx.data.meta.streams.append(
        Stream(name="cam", kind=StreamKind.video, role="camera_rgb", count=len(packets), codec=codec, path="v")
    )
    ctx.data.payloads["cam"] = VideoData(ts, codec, packets=packets)
    return ctx


def test_codec_mismatch_only_when_the_packets_clearly_say_otherwise() -> None:
    jpeg = [b"\xff\xd8\xff\xe0" + bytes(20)] * 3
    for codec, fires in (("mjpeg", False), ("jpeg", False), ("png", True), ("h264", True), ("av1", False)):
        ctx = _video_ctx(codec, jpeg)
        codec_mismatch(ctx)  # type: ignore[arg-type]
        assert [f.code for f in ctx.findings] == (["video.codec_mismatch"] if fires else []), codec  # type: ignore[attr-defined]


def test_frozen_frames_need_motion_and_a_camera_off_the_arm() -> None:
    t = np.arange(1000) / 100.0
    arm = np.stack([np.sin(t), np.cos(t)], axis=1)
    ctx = context({"js": ("joint_position", ["j1", "j2"], 100.0, arm)})
    for name in ("front", "wrist_cam"):
        ctx.data.meta.streams.append(Stream(name=name, kind=StreamKind.video, count=0, path="v"))
    ts = [ctx.data.meta.start_ns + i * 100_000_000 for i in range(50)]
    diffs = [float("inf")] + [40.0] * 19 + [0.0] * 15 + [40.0] * 15  # frames 19..34 repeat (1.5 s)
    frozen_frames(ctx, "front", ts, diffs)
    frozen_frames(ctx, "wrist_cam", ts, diffs)
    (f,) = ctx.findings
    assert (f.code, f.stream, f.start_s, f.end_s) == ("video.frozen", "front", 1.9, 3.4)
    still = context({"js": ("joint_position", ["j1", "j2"], 100.0, arm * 0 + 1.0)})
    still.data.meta.streams.append(Stream(name="front", kind=StreamKind.video, count=0, path="v"))
    frozen_frames(still, "front", ts, diffs)
    assert still.findings == []
