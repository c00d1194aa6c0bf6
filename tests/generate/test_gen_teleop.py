"""The teleop MCAP read back with mcap_ros2: topics, rates, stamps, metadata, physics of the signals, video."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gen_helpers import decode_h264, decode_jpeg, messages, phases, seconds, stamp_ns, truth
from mcap.reader import make_reader

from robofuel.generate import GeneratedRecording, generate_teleop
from robofuel.generate.models import panda_chain

RATES = {
    "/joint_states": 250.0,
    "/franka_gripper/joint_states": 100.0,
    "/ft_sensor/wrench": 250.0,
    "/camera/front/video": 30.0,
    "/camera/wrist/image/compressed": 15.0,
}
SCHEMAS = {
    "/joint_states": "sensor_msgs/msg/JointState",
    "/franka_gripper/joint_states": "sensor_msgs/msg/JointState",
    "/ft_sensor/wrench": "geometry_msgs/msg/WrenchStamped",
    "/camera/front/video": "foxglove_msgs/msg/CompressedVideo",
    "/camera/wrist/image/compressed": "sensor_msgs/msg/CompressedImage",
}


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory) -> GeneratedRecording:
    return generate_teleop(tmp_path_factory.mktemp("teleop"), "clean", seed=3)


@pytest.fixture(scope="module")
def gt(rec: GeneratedRecording) -> dict[str, Any]:
    return truth(rec.truth_path)


def test_layout_and_truth_sidecar(rec: GeneratedRecording, gt: dict[str, Any]) -> None:
    assert rec.path.name == "clean.mcap" and rec.path.parent.name == "recordings"
    assert rec.truth_path == rec.path.parent.parent / "truth" / "clean.json"
    assert [p["name"] for p in gt["phases"]] == [
        "idle_head", "reach", "grasp", "lift", "transport", "place", "release", "retreat", "idle_tail"
    ]  # fmt: skip
    assert 8.0 <= gt["duration_s"] <= 13.5 and gt["faults"] == [] and rec.faults == ()
    assert gt["t0_ns"] >= 1_793_610_000_000_000_000  # 2026-11-02T09:00:00Z plus a seeded offset


def test_topics_schemas_rates_and_stamps(rec: GeneratedRecording, gt: dict[str, Any]) -> None:
    with open(rec.path, "rb") as f:
        summary = make_reader(f).get_summary()
    assert summary is not None and summary.statistics is not None
    counts = {c.topic: summary.statistics.channel_message_counts[i] for i, c in summary.channels.items()}
    schemas = {c.topic: summary.schemas[c.schema_id].name for c in summary.channels.values()}
    assert schemas == SCHEMAS
    for topic, rate in RATES.items():
        msgs = messages(rec.path, topic)
        assert len(msgs) == counts[topic] == pytest.approx(rate * gt["duration_s"], rel=0.02), topic
        ts = np.array([stamp_ns(m.ros_msg) for m in msgs])
        assert (np.diff(ts) > 0).all(), topic
        measured = (len(ts) - 1) / ((ts[-1] - ts[0]) / 1e9)
        assert measured == pytest.approx(rate, rel=0.02), topic
        assert [m.log_time_ns for m in msgs] == ts.tolist()  # log_time = publish_time = sample time
        assert [m.publish_time_ns for m in msgs] == ts.tolist()
        assert abs(int(ts[0]) - gt["t0_ns"]) < 1_000_000


def test_session_metadata_record(rec: GeneratedRecording, gt: dict[str, Any]) -> None:
    with open(rec.path, "rb") as f:
        records = {m.name: m.metadata for m in make_reader(f).iter_metadata()}
    session = records["robofuel.session"]
    keys = {"operator", "station", "scene", "site", "task_id", "instruction", "embodiment", "device_id"}
    assert set(session) == keys and session["embodiment"] == "franka_panda"
    assert session == gt["session"]


def test_joint_states_are_consistent_with_the_urdf(rec: GeneratedRecording, gt: dict[str, Any]) -> None:
    chain = panda_chain()
    msgs = [m.ros_msg for m in messages(rec.path, "/joint_states")]
    assert list(msgs[0].name) == [f"panda_joint{i}" for i in range(1, 8)] and msgs[0].header.frame_id == ""
    q = np.array([m.position for m in msgs])
    dq = np.array([m.velocity for m in msgs])
    tau = np.array([m.effort for m in msgs])
    t = seconds(np.array([stamp_ns(m) for m in msgs]), gt["t0_ns"])
    assert ((q >= chain.lower) & (q <= chain.upper)).all()
    assert (np.abs(dq).max(axis=0) <= chain.velocity).all()
    np.testing.assert_allclose(np.gradient(q, t, axis=0)[5:-5], dq[5:-5], atol=0.02)
    idle = t < phases(gt)["idle_head"][1] - 0.05  # at rest the torque sensors read the gravity torques
    np.testing.assert_allclose(tau[idle], chain.gravity_torques(q[idle]), atol=0.3)
    assert np.abs(tau).max() > 10.0 and (np.abs(tau) < chain.effort).all()


def test_gripper_closes_on_the_object_and_the_wrench_carries_its_weight(
    rec: GeneratedRecording, gt: dict[str, Any]
) -> None:
    ph, t0, scene = phases(gt), gt["t0_ns"], gt["scene"]
    grip = [m.ros_msg for m in messages(rec.path, "/franka_gripper/joint_states")]
    assert list(grip[0].name) == ["panda_finger_joint1", "panda_finger_joint2"]
    tg = seconds(np.array([stamp_ns(m) for m in grip]), t0)
    width = np.array([m.position[0] + m.position[1] for m in grip])
    np.testing.assert_allclose(width[tg < ph["reach"][1]], 0.08, atol=1e-3)
    carry = (tg > ph["lift"][0]) & (tg < ph["place"][1])
    np.testing.assert_allclose(width[carry], scene["object_width_m"], atol=1e-3)
    np.testing.assert_allclose(width[tg > ph["retreat"][0] + 0.05], 0.08, atol=1e-3)
    wrench = [m.ros_msg for m in messages(rec.path, "/ft_sensor/wrench")]
    assert wrench[0].header.frame_id == "panda_hand"
    tw = seconds(np.array([stamp_ns(m) for m in wrench]), t0)
    force = np.array([[m.wrench.force.x, m.wrench.force.y, m.wrench.force.z] for m in wrench])
    force -= force[tw < ph["idle_head"][1]].mean(axis=0)  # remove the sensor bias seen at rest
    weight = np.linalg.norm(force[(tw > ph["transport"][0]) & (tw < ph["transport"][1])], axis=1)
    assert np.median(weight) == pytest.approx(scene["object_mass_kg"] * 9.81, rel=0.1)
    grasp = (tw > ph["grasp"][0]) & (tw < ph["grasp"][1])
    assert np.abs(force[grasp, 2]).max() > 5.0  # the contact push when the fingers close
    assert np.linalg.norm(force[tw > ph["retreat"][0] + 0.2], axis=1).max() < 0.5


def test_front_video_and_wrist_images_decode(rec: GeneratedRecording) -> None:
    msgs = [m.ros_msg for m in messages(rec.path, "/camera/front/video")]
    assert {m.format for m in msgs} == {"h264"} and msgs[0].frame_id == "front_camera"
    assert bytes(msgs[0].data).startswith(b"\x00\x00\x00\x01")  # Annex B start code
    frames = decode_h264([bytes(m.data) for m in msgs])
    assert len(frames) == len(msgs) and frames[0].shape == (240, 320, 3)
    keyframes = [i for i, m in enumerate(msgs) if b"\x00\x00\x00\x01\x67" in bytes(m.data)[:64]]  # SPS: IDR
    assert keyframes[:3] == [0, 30, 60]
    red = (frames[0][..., 0] > 150) & (frames[0][..., 1] < 90) & (frames[0][..., 2] < 90)
    assert red.sum() > 10  # the cube is in view
    wrist = [m.ros_msg for m in messages(rec.path, "/camera/wrist/image/compressed")]
    assert {m.format for m in wrist} == {"jpeg"} and wrist[0].header.frame_id == "wrist_camera"
    assert decode_jpeg(bytes(wrist[0].data)).shape == (120, 160, 3)


def test_one_camera_and_duration(tmp_path: Path) -> None:
    rec = generate_teleop(tmp_path, "short", seed=8, cameras=1, duration_s=7.0)
    gt = truth(rec.truth_path)
    assert gt["duration_s"] == pytest.approx(7.0)
    assert "camera_wrist" not in gt["streams"] and messages(rec.path, "/camera/wrist/image/compressed") == []
    long = generate_teleop(tmp_path, "long", seed=8, cameras=1, duration_s=20.0)
    ph = phases(truth(long.truth_path))
    assert ph["idle_tail"][1] == pytest.approx(20.0) and ph["idle_head"][1] > 4.0
    with pytest.raises(ValueError, match="too short"):
        generate_teleop(tmp_path, "tiny", seed=8, duration_s=2.0)
    with pytest.raises(ValueError, match="cameras"):
        generate_teleop(tmp_path, "x", seed=8, cameras=3)
    with pytest.raises(ValueError, match="plain file name"):
        generate_teleop(tmp_path, "../x", seed=8)
