"""The generator: determinism, realistic streams, and every fault where its ground truth says."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import av
import numpy as np
import pytest
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory

from robofuel.generate import FaultSpec, generate_teleop, generate_wearable
from robofuel.generate.urdf import panda_chain
from robofuel.generate.wearable import KEYPOINTS


def _digests(root: Path) -> dict[str, str]:
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _messages(path: Path, topic: str) -> list[tuple[int, object]]:
    with open(path, "rb") as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        return [(m.log_time, d) for _, _, m, d in reader.iter_decoded_messages(topics=[topic])]


def _stamp(msg: object) -> int:
    s = getattr(msg, "header").stamp  # noqa: B009
    return int(s.sec) * 1_000_000_000 + int(s.nanosec)


@pytest.fixture(scope="module")
def teleop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_teleop(tmp_path_factory.mktemp("t"), "clean", seed=3).path


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = generate_teleop(tmp_path / "a", "r", seed=5, cameras=1)
    b = generate_teleop(tmp_path / "b", "r", seed=5, cameras=1)
    c = generate_teleop(tmp_path / "c", "r", seed=6, cameras=1)
    assert _digests(a.path) == _digests(b.path) != _digests(c.path)
    assert a.truth_path.read_text() == b.truth_path.read_text()
    w1 = generate_wearable(tmp_path / "a", "w", seed=5)
    w2 = generate_wearable(tmp_path / "b", "w", seed=5)
    assert _digests(w1.path) == _digests(w2.path)


def test_panda_forward_kinematics_matches_the_known_home_pose() -> None:
    chain = panda_chain()
    home = np.array([0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785])
    pose = chain.fk(home)
    np.testing.assert_allclose(pose[:3, 3], [0.307, 0.0, 0.590], atol=2e-3)
    np.testing.assert_allclose(pose[:3, 2], [0.0, 0.0, -1.0], atol=2e-3)  # the hand points down
    assert len(chain.names) == 7
    assert chain.upper[3] == pytest.approx(-0.0698) and chain.lower[3] == pytest.approx(-3.0718)


def test_teleop_topics_rates_and_stamps(teleop: Path) -> None:
    with open(teleop, "rb") as f:
        summary = make_reader(f).get_summary()
    assert summary is not None and summary.statistics is not None
    counts = {c.topic: summary.statistics.channel_message_counts[i] for i, c in summary.channels.items()}
    truth = json.loads((teleop.parent.parent / "truth" / "clean.json").read_text())
    duration = truth["duration_s"]
    for topic, rate in (
        ("/joint_states", 250),
        ("/franka_gripper/joint_states", 100),
        ("/ft_sensor/wrench", 250),
        ("/camera/front/video", 30),
        ("/camera/wrist/image/compressed", 15),
    ):
        assert counts[topic] == pytest.approx(rate * duration, rel=0.02), topic
    stamps = np.array([_stamp(m) for _, m in _messages(teleop, "/joint_states")])
    assert (np.diff(stamps) > 0).all()
    assert np.median(np.diff(stamps)) == pytest.approx(4e6, rel=0.01)
    assert [p["name"] for p in truth["phases"]][:3] == ["idle_head", "reach", "grasp"]


def test_gripper_closes_on_the_object_and_wrench_carries_its_weight(teleop: Path) -> None:
    truth = json.loads((teleop.parent.parent / "truth" / "clean.json").read_text())
    phase = {p["name"]: (p["start_s"], p["end_s"]) for p in truth["phases"]}
    t0 = truth["t0_ns"]
    width = {(_stamp(m) - t0) / 1e9: 2 * m.position[0] for _, m in _messages(teleop, "/franka_gripper/joint_states")}  # type: ignore[attr-defined]
    during = [w for t, w in width.items() if phase["transport"][0] < t < phase["transport"][1]]
    before = [w for t, w in width.items() if t < phase["reach"][1]]
    assert max(during) < 0.051 and min(before) > 0.079
    forces = [(_stamp(m) - t0, m.wrench.force) for _, m in _messages(teleop, "/ft_sensor/wrench")]  # type: ignore[attr-defined]
    held = [
        np.linalg.norm([f.x, f.y, f.z]) for t, f in forces if phase["transport"][0] < t / 1e9 < phase["transport"][1]
    ]
    free = [np.linalg.norm([f.x, f.y, f.z]) for t, f in forces if t / 1e9 < phase["idle_head"][1]]
    assert 1.5 < np.median(held) < 5.5  # 0.2-0.5 kg object
    assert np.median(free) < 0.3


def test_front_video_decodes_to_every_frame(teleop: Path) -> None:
    msgs = _messages(teleop, "/camera/front/video")
    ctx = av.CodecContext.create("h264", "r")
    frames = [f for _, m in msgs for f in ctx.decode(av.Packet(bytes(m.data)))]  # type: ignore[attr-defined]
    frames += list(ctx.decode(None))
    assert len(frames) == len(msgs)
    assert (frames[0].width, frames[0].height) == (320, 240)


def test_wearable_imu_is_consistent_with_the_hand_motion(tmp_path: Path) -> None:
    rec = generate_wearable(tmp_path, "w", seed=2)
    rows = np.loadtxt(rec.path / "imu_wrist.csv", delimiter=",", skiprows=1, dtype=np.float64)
    t = (rows[:, 0] - rows[0, 0]) / 1e9
    truth = json.loads(rec.truth_path.read_text())
    idle = t < truth["phases"][0]["end_s"] - 0.1
    assert np.linalg.norm(rows[idle, 4:7], axis=1).mean() == pytest.approx(9.81, abs=0.05)  # gravity only at rest
    yaw = np.concatenate([[0.0], np.cumsum(np.diff(t) * rows[1:, 2])])  # integrate gyro_y (rad/s)
    transport = next(p for p in truth["phases"] if p["name"] == "transport")
    i0, i1 = np.searchsorted(t, [transport["start_s"], transport["end_s"]])
    assert yaw[i1] - yaw[i0] == pytest.approx(-0.7, abs=0.05)  # the wrist turns from +0.3 to -0.4 rad
    header = (rec.path / "hand_keypoints.csv").read_text().split("\n")[0].split(",")
    assert header[1:4] == ["wrist_x", "wrist_y", "wrist_z"] and len(header) == 1 + 3 * len(KEYPOINTS)
    with av.open(str(rec.path / "ego.mp4")) as c:
        n = sum(1 for _ in c.decode(video=0))
    assert n == len((rec.path / "ego_frames.csv").read_text().split("\n")) - 2


def test_faults_are_where_the_truth_says(tmp_path: Path) -> None:
    faults = [
        FaultSpec("nan_inf", start_s=3.0),
        FaultSpec("black_frames", start_s=2.0, duration_s=0.4),
        FaultSpec("timestamp_jump", start_s=5.0, params={"jump_s": 0.5}),
    ]
    rec = generate_teleop(tmp_path, "f", seed=1, faults=faults)
    truth = json.loads(rec.truth_path.read_text())
    assert [f["kind"] for f in truth["faults"]] == ["nan_inf", "black_frames", "timestamp_jump"]
    assert truth["faults"][0]["ingested_stream"] == "ft_sensor.wrench"
    t0 = truth["t0_ns"]
    bad = [
        (_stamp(m) - t0) / 1e9 for _, m in _messages(rec.path, "/ft_sensor/wrench") if not np.isfinite(m.wrench.force.x)
    ]  # type: ignore[attr-defined]
    assert bad and min(bad) >= 2.99 and max(bad) <= 3.06
    stamps = np.array([_stamp(m) for _, m in _messages(rec.path, "/joint_states")])
    jump = np.diff(stamps).max() / 1e9
    assert jump == pytest.approx(0.504, abs=0.002)
    msgs = _messages(rec.path, "/camera/front/video")
    ctx = av.CodecContext.create("h264", "r")
    dark = []
    for _, m in msgs:
        for frame in ctx.decode(av.Packet(bytes(m.data))):  # type: ignore[attr-defined]
            dark.append(frame.to_ndarray(format="gray").mean() < 20)
    times = [
        (_stamp(m) if hasattr(m, "header") else int(m.timestamp.sec) * 10**9 + int(m.timestamp.nanosec))
        for _, m in msgs
    ]  # type: ignore[attr-defined]
    dark_times = [(t - t0) / 1e9 for t, d in zip(times, dark, strict=False) if d]
    assert dark_times and min(dark_times) >= 1.99 and max(dark_times) <= 2.41


def test_truncated_and_missing_stream_faults(tmp_path: Path) -> None:
    full = generate_teleop(tmp_path / "a", "x", seed=4, cameras=1)
    cut = generate_teleop(tmp_path / "b", "x", seed=4, cameras=1, faults=["truncated_file"])
    truth = json.loads(cut.truth_path.read_text())
    assert cut.path.stat().st_size == truth["truncated_at_byte"] == int(full.path.stat().st_size * 0.7)
    with open(cut.path, "rb") as f, pytest.raises(Exception):  # noqa: B017
        list(make_reader(f).iter_messages())
    w = generate_wearable(tmp_path, "w", seed=4, faults=["missing_stream", "wrong_units"])
    assert not (w.path / "glove_pressure.csv").exists()
    assert "glove_pressure" in json.loads((w.path / "session.json").read_text())["streams"]


def test_impossible_fault_combinations_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not apply to this kind of recording"):
        generate_wearable(tmp_path, "w", seed=1, faults=["joint_limit"])
    with pytest.raises(ValueError, match="unknown fault"):
        generate_teleop(tmp_path, "t", seed=1, faults=["gremlins"])
