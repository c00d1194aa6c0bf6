"""qc's packet check of video (``video_check = "packets"``, the default) against the full check (every frame
decoded): the same findings on generated faults and real videos, from fewer decoded frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from qc_helpers import judge

from robofuel.generate import generate_teleop, generate_wearable
from robofuel.generate.faults import FaultSpec
from robofuel.ingest import ReadContext, get_reader
from robofuel.lake import recording_sha256
from robofuel.standard import EpisodeData, StreamKind, VideoData
from robofuel.steps import build_pipeline
from robofuel.steps.qc.config import QcConfig
from robofuel.steps.qc.context import RuleContext
from robofuel.steps.qc.rules_video import samples
from robofuel.steps.qc.video_packets import screen, spikes
from robofuel.video import PacketIndex, gray_at, gray_selected, packet_index


def _video_findings(data: EpisodeData) -> list[tuple[Any, ...]]:
    """Every qc video finding but its message (which prints the shot's median, measured over fewer frames)."""
    rows = [(f.code, f.severity.value, f.stream, f.start_s, f.end_s, f.value) for f in data.meta.findings]
    return sorted(r for r in rows if r[0].startswith("video."))


def _judged(path: Path, fmt: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        mode: _video_findings(judge(path, fmt, {"thresholds": {"video_check": mode}})) for mode in ("full", "packets")
    }


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qc_packets")


@pytest.mark.parametrize(
    ("kind", "fault", "code"),
    [
        ("teleop", "frozen_frames", "video.frozen"),
        ("teleop", "black_frames", "video.black"),
        ("wearable", "blurred_frames", "video.blurred"),
        ("wearable", "underexposed_frames", "video.underexposed"),
        ("wearable", "overexposed_frames", "video.overexposed"),
    ],
)
def test_packet_check_finds_what_the_full_check_finds(gen: Path, kind: str, fault: str, code: str) -> None:
    make, fmt = (generate_teleop, "mcap") if kind == "teleop" else (generate_wearable, "wearable")
    rec = make(gen, f"{kind}_{fault}", seed=81, faults=[fault])  # type: ignore[operator]
    got = _judged(rec.path, fmt)
    assert code in {r[0] for r in got["full"]}
    assert got["packets"] == got["full"]


def test_a_short_underexposure_between_keyframes_is_found(gen: Path) -> None:
    """0.6 s at a third of the light, from just after a keyframe to before the next: its packets do not shrink
    and it falls between baseline frames; the frame where the light comes back is a spike (issue 17's miss)."""
    fault = FaultSpec("underexposed_frames", stream="camera_front", start_s=5.003, duration_s=0.6)
    rec = generate_teleop(gen, "teleop_short_dark", seed=2005, faults=[fault])
    got = _judged(rec.path, "mcap")
    dark = [r for r in got["full"] if r[0] == "video.underexposed"]
    assert dark and dark[0][2] == "camera.front.video" and dark[0][3:5] == (5.1, 5.6)
    assert got["packets"] == got["full"]


def _episode(path: Path, fmt: str) -> EpisodeData:
    (data,) = get_reader(fmt).read(path, ReadContext(path, recording_sha256(path))).episodes
    for step in build_pipeline(["profile"]):
        data = EpisodeData(step.run(data).meta, data.payloads)
    return data


def _camera(data: EpisodeData) -> tuple[str, VideoData]:
    (name,) = [s.name for s in data.meta.streams if s.kind is StreamKind.video and s.codec != "mjpeg"]
    video = data.payloads[name]
    assert isinstance(video, VideoData)
    return name, video


def test_a_clean_camera_is_judged_from_a_fraction_of_its_frames(gen: Path) -> None:
    data = _episode(generate_wearable(gen, "clean_w", seed=1001).path, "wearable")
    name, video = _camera(data)
    full, packets = (
        samples(RuleContext(data, QcConfig({"thresholds": {"video_check": mode}}).for_episode(data.meta)), name, video)
        for mode in ("full", "packets")
    )
    assert len(packets.ts) * 2 < len(full.ts) == full.planned == packets.planned
    assert set(packets.ts) <= set(full.ts)  # the same grid; each frame measured is the full check's
    at = {t: i for i, t in enumerate(full.ts)}
    for i, t in enumerate(packets.ts):
        assert (packets.luma[i], packets.sharp[i]) == (full.luma[at[t]], full.sharp[at[t]])


def test_selected_frames_decode_as_in_order(gen: Path) -> None:
    """Frames decoded group of pictures by group of pictures are the frames of a decode from the start."""
    data = _episode(generate_teleop(gen, "clean_t", seed=1002).path, "mcap")
    _, video = _camera(data)
    index = packet_index(video)
    assert index is not None and index.key[0] and 1 < index.key.sum() < len(index.key)
    wanted = [0, 5, 31, 32, 95, len(video.timestamps_ns) - 1]
    got = dict(gray_selected(video, index, wanted))
    ref = gray_at(video, set(wanted))
    assert sorted(got) == wanted and all(np.array_equal(got[i], ref[i]) for i in wanted)


def _index(sizes: npt.NDArray[np.int64]) -> PacketIndex:
    """Sizes with a keyframe (2000 bytes) every 30 frames."""
    sizes[::30] = 2000
    key = np.zeros(len(sizes), dtype=bool)
    key[::30] = True
    return PacketIndex(sizes, key, np.repeat(np.arange(0, len(sizes), 30), 30)[: len(sizes)])


def test_screen_marks_where_the_bytes_fall() -> None:
    sizes = np.full(300, 100, dtype=np.int64)
    sizes[140:170] = 15  # a frozen stretch: skipped blocks
    marks = screen(_index(sizes), ratio=3.0, step=3)
    assert marks[138:142].any()
    assert not marks[:130].any() and not marks[150:].any()  # the bytes rising again are left to spikes()


def test_spikes_mark_a_picture_coming_back_not_an_arm_starting() -> None:
    sizes = np.full(300, 30, dtype=np.int64)
    sizes[100:] = 150  # an arm starts moving: the bytes rise and stay
    sizes[100:104] = [60, 90, 120, 140]  # over a few frames
    sizes[200] = 700  # the picture comes back after a fault: one frame carries it
    marks = spikes(_index(sizes), ratio=3.0, window=15)
    assert np.flatnonzero(marks).tolist() == [200]


def test_packets_whose_keyframes_cannot_be_told_are_judged_in_full() -> None:
    video = VideoData(np.arange(3, dtype=np.int64) * 33_000_000, codec="av1", packets=[b"\x12\x00", b"\x32", b"\x32"])
    assert packet_index(video) is None


def test_real_av1_lerobot_video_judged_alike(shared_data: Path) -> None:
    """The LeRobot v2.1 G1 dataset's AV1 head camera (640x480, a keyframe every other frame)."""
    path = shared_data / "lerobot_v21_unitree_g1"
    episodes = [e for e in get_reader("lerobot").read(path, ReadContext(path, recording_sha256(path))).episodes]
    judged = 0
    for data in episodes:
        if not any(isinstance(p, VideoData) for p in data.payloads.values()):
            continue  # episode 0: its video is not in the source
        modes = {}
        for mode in ("full", "packets"):
            out = data
            for step in build_pipeline(["profile", "qc"], {"qc": {"config": {"thresholds": {"video_check": mode}}}}):
                out = EpisodeData(step.run(out).meta, out.payloads)
            modes[mode] = _video_findings(out)
        assert modes["packets"] == modes["full"]
        judged += 1
    assert judged == 2
