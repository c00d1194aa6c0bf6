"""The UMI / diffusion-policy ReplayBuffer exporter (``zarr-umi``) on generated teleop episodes: the zarr format 2
layout ``ReplayBuffer`` loads (``meta/episode_ends`` cumulative and uncompressed, ``data/<key>`` back to back,
one-frame image chunks), numeric values equal to the lake resampled at the frame times, camera frames equal to the
decoded source frames, the round trip through robofuel's own ``zarr-umi`` reader, end-effector poses as axis-angle
vectors on a synthetic episode, and refusals.

The layout follows real-stanford/diffusion_policy ``diffusion_policy/common/replay_buffer.py`` and UMI's
``scripts_slam_pipeline/07_generate_replay_buffer.py`` (see the reader's tests in tests/ingest/test_umi.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from factories import T0, read
from robofuel.errors import InputError
from robofuel.export.base import ExportOptions, ExportReport
from robofuel.export.timeline import Timeline, choose_timeline, reference_times
from robofuel.export.zarr_umi import DECODED, NO_EEF, STORE, UmiExporter
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.resample import nearest_index, resample
from robofuel.spatial.quaternions import quat_xyzw_to_rotvec
from robofuel.standard import AudioData, EpisodeData, NumericData, VideoData, audio_stream, numeric_stream
from robofuel.video import rgb_frames

FRONT, WRIST = "camera.front.video", "camera.wrist.image.compressed"
ARM, GRIPPER, WRENCH = "joint_states", "franka_gripper.joint_states", "ft_sensor.wrench"
KEYS = {
    "camera0_rgb",
    "camera1_rgb",
    "ft_sensor_wrench",
    "robot0_gripper_width",
    "robot0_joint_effort",
    "robot0_joint_pos",
    "robot0_joint_vel",
    "timestamp",
}


@pytest.fixture(scope="module")
def exported(teleop_lake: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportReport]:
    out = tmp_path_factory.mktemp("umi") / "out"
    return out, UmiExporter().export(teleop_lake.episodes(), out, ExportOptions())


def _timeline(ep: EpisodeData) -> Timeline:
    return choose_timeline(ep, sorted([ARM, GRIPPER, WRENCH, FRONT, WRIST]), None, set())


def _at(ep: EpisodeData, name: str, t_ns: np.ndarray) -> np.ndarray:
    stream, data = ep.meta.stream(name), ep.numeric(name)
    return resample(NumericData(reference_times(stream, data), data.values), stream, t_ns)


def _suffix(ep: EpisodeData, name: str, suffix: str) -> list[int]:
    return [i for i, c in enumerate(ep.meta.stream(name).columns) if c.endswith(suffix)]


def _rows(out: Path) -> list[tuple[int, int]]:
    ends = zarr.open_group(str(out / STORE), mode="r")["meta/episode_ends"][:]
    starts = [0, *ends[:-1].tolist()]
    return list(zip(starts, ends.tolist(), strict=True))


def test_layout_replay_buffer_loads(teleop_lake: Any, exported: tuple[Path, ExportReport]) -> None:
    out, report = exported
    root = out / STORE
    assert (root / ".zgroup").is_file() and not list(root.rglob("zarr.json"))  # zarr format 2, as UMI wrote it
    ends_meta = json.loads((root / "meta/episode_ends/.zarray").read_text())
    assert ends_meta["compressor"] is None and ends_meta["dtype"] == "<i8"
    group = zarr.open_group(str(root), mode="r")
    lengths = [len(_timeline(ep).t_ns) for ep in teleop_lake.episodes()]
    assert group["meta/episode_ends"][:].tolist() == np.cumsum(lengths).tolist()
    assert set(group["data"].array_keys()) == KEYS
    n = sum(lengths)
    for key in KEYS:
        assert group[f"data/{key}"].shape[0] == n
    front, wrist = group["data/camera0_rgb"], group["data/camera1_rgb"]
    assert front.dtype == np.uint8 and front.shape[1:] == (240, 320, 3) and front.chunks == (1, 240, 320, 3)
    assert wrist.shape[1:] == (120, 160, 3) and front.attrs["stream"] == FRONT and wrist.attrs["stream"] == WRIST
    assert json.loads((root / "data/camera0_rgb/.zarray").read_text())["compressor"]["cname"] == "zstd"
    assert group["data/robot0_joint_pos"].dtype == np.float64 and group["data/robot0_joint_pos"].shape[1] == 7
    assert group.attrs["fps"] == 30.0
    assert report.episodes == 3 and report.frames == n and report.seconds == pytest.approx(n / 30)
    assert report.video == {FRONT: {DECODED: 3}, WRIST: {DECODED: 3}}
    summed = f"{GRIPPER}: columns other than the summed finger positions (robot0_gripper_width only)"
    assert report.omitted == {summed: 3}
    assert NO_EEF in report.notes
    assert report.bytes == sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


def test_values_are_the_lake_resampled_at_the_frame_times(
    teleop_lake: Any, exported: tuple[Path, ExportReport]
) -> None:
    out, _ = exported
    data = zarr.open_group(str(out / STORE), mode="r")["data"]
    for ep, (a, b) in zip(teleop_lake.episodes(), _rows(out), strict=True):
        t_ns = _timeline(ep).t_ns
        assert np.array_equal(data["timestamp"][a:b], t_ns / 1e9)
        arm = _at(ep, ARM, t_ns)
        for key, suffix in (("pos", ".position"), ("vel", ".velocity"), ("effort", ".effort")):
            assert np.array_equal(data[f"robot0_joint_{key}"][a:b], arm[:, _suffix(ep, ARM, suffix)])
        fingers = _at(ep, GRIPPER, t_ns)[:, _suffix(ep, GRIPPER, ".position")]
        assert np.array_equal(data["robot0_gripper_width"][a:b], fingers.sum(axis=1, keepdims=True))
        assert np.array_equal(data["ft_sensor_wrench"][a:b], _at(ep, WRENCH, t_ns))


def test_frames_are_the_nearest_source_frames(teleop_lake: Any, exported: tuple[Path, ExportReport]) -> None:
    out, _ = exported
    data = zarr.open_group(str(out / STORE), mode="r")["data"]
    ep = teleop_lake.episodes()[1]
    a = _rows(out)[1][0]
    t_ns = _timeline(ep).t_ns
    for key, name in (("camera0_rgb", FRONT), ("camera1_rgb", WRIST)):
        stream, video = ep.meta.stream(name), ep.payloads[name]
        assert isinstance(video, VideoData)
        decoded = list(rgb_frames(video, stream.pixel_format))
        picks = nearest_index(reference_times(stream, video), t_ns)
        for row in (0, len(t_ns) // 2, len(t_ns) - 1):
            assert np.array_equal(data[key][a + row], decoded[picks[row]])


def test_round_trip_through_robofuels_reader(teleop_lake: Any, exported: tuple[Path, ExportReport]) -> None:
    out, _ = exported
    back = read(out / STORE, "zarr-umi").episodes
    group = zarr.open_group(str(out / STORE), mode="r")
    assert len(back) == 3
    for i, (ep, (a, b)) in enumerate(zip(back, _rows(out), strict=True)):
        names = {s.name for s in ep.meta.streams}
        assert KEYS - {"timestamp"} <= names
        stamps = group["data/timestamp"][a:b]
        joints = ep.numeric("robot0_joint_pos")
        assert np.array_equal(joints.values, group["data/robot0_joint_pos"][a:b])
        assert np.abs(joints.timestamps_ns - stamps * 1e9).max() < 1e3  # float64 seconds: sub-microsecond
        assert ep.meta.stream("robot0_gripper_width").role == "gripper_width"
        assert ep.meta.recording.index == i
        pixels = ep.payloads["camera1_rgb"]
        assert isinstance(pixels, VideoData) and pixels.codec == "png" and len(pixels.timestamps_ns) == b - a


def _posed() -> EpisodeData:
    """An end-effector pose (rotation about z, 0 to 3 rad), a gripper width, an action, audio; 100 Hz, 1 s."""
    n = 101
    ts = T0 + np.arange(n, dtype=np.int64) * 10_000_000
    angle = np.linspace(0.0, 3.0, n)
    quat = np.stack([np.zeros(n), np.zeros(n), np.sin(angle / 2), np.cos(angle / 2)], axis=1)
    pose = NumericData(ts, np.hstack([np.stack([angle, -angle, np.ones(n)], axis=1), quat]))
    width = NumericData(ts, np.linspace(0.08, 0.0, n)[:, None])
    action = NumericData(ts, np.stack([angle, 2 * angle], axis=1))
    audio = AudioData(start_ns=T0, sample_rate=16000, channels=1, count=160, samples=np.zeros((160, 1), np.int16))
    cols = [f"position.{a}" for a in "xyz"] + [f"orientation.{a}" for a in "xyzw"]
    streams = [
        (numeric_stream("ee", pose, cols, role="ee_pose", frame="base", quaternion_order="xyzw"), pose),
        (numeric_stream("gripper", width, ["width"], role="gripper_width"), width),
        (numeric_stream("cmd", action, ["a0", "a1"], role="action"), action),
        (audio_stream("mic", audio), audio),
    ]
    ctx = ReadContext(path=Path("/data/posed.mcap"), sha256="c" * 64)
    return make_episode(ctx, "mcap", 0, streams)  # type: ignore[arg-type]


def test_end_effector_pose_becomes_position_and_axis_angle(tmp_path: Path) -> None:
    report = UmiExporter().export([_posed()], tmp_path / "out", ExportOptions(fps=10.0))
    data = zarr.open_group(str(tmp_path / "out" / STORE), mode="r")["data"]
    assert set(data.array_keys()) == {
        "robot0_eef_pos",
        "robot0_eef_rot_axis_angle",
        "robot0_gripper_width",
        "action",
        "timestamp",
    }
    assert report.omitted == {"mic: audio (a ReplayBuffer holds per-frame arrays only)": 1}
    assert NO_EEF not in report.notes and report.frames == 11
    angle = (data["timestamp"][:] - T0 / 1e9) * 3.0  # 3 rad per second, about z
    assert np.allclose(data["robot0_eef_pos"][:], np.stack([angle, -angle, np.ones_like(angle)], axis=1), atol=1e-6)
    expected = np.stack([np.zeros_like(angle), np.zeros_like(angle), angle], axis=1)
    assert np.allclose(data["robot0_eef_rot_axis_angle"][:], expected, atol=1e-6)
    assert np.allclose(data["action"][:], np.stack([angle, 2 * angle], axis=1), atol=1e-6)
    assert data["robot0_eef_pos"].attrs["stream"] == "ee"


def test_axis_angle_keeps_the_angle_in_zero_to_pi() -> None:
    half = np.pi / 4  # a rotation of pi/2 about x, given with w < 0 (the same rotation)
    xyzw = np.array([[-np.sin(half), 0.0, 0.0, -np.cos(half)], [0.0, 0.0, 0.0, 2.0]])
    assert np.allclose(quat_xyzw_to_rotvec(xyzw), [[np.pi / 2, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_an_episode_with_other_arrays_is_left_out(teleop_lake: Any, tmp_path: Path) -> None:
    report = UmiExporter().export([*teleop_lake.episodes()[:1], _posed()], tmp_path / "out", ExportOptions())
    assert report.episodes == 1
    assert report.omitted[f"{_posed().meta.id}: its arrays differ from the store's first episode"] == 1
    assert zarr.open_group(str(tmp_path / "out" / STORE), mode="r")["meta/episode_ends"].shape == (1,)


def test_refusals(teleop_lake: Any, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        UmiExporter().export(teleop_lake.episodes(), busy, ExportOptions())
    with pytest.raises(InputError, match="nothing to export"):
        UmiExporter().export([], tmp_path / "none", ExportOptions())
    assert not (tmp_path / "none").exists() and not (tmp_path / ".none.partial").exists()
