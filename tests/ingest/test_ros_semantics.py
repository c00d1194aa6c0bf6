"""What ROS messages mean, on real bags rewritten the way other drivers write them: an IMU without orientation,
a Franka arm's JointState with its finger joints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from factories import read
from robofuel.standard import EpisodeData, Severity
from robofuel.steps.clean import Clean


def rewrite_topic(src: Path, dst: Path, topic: str, edit: Callable[[int, Any], Any | None]) -> Path:
    """A ROS 1 bag of ``src``'s ``topic`` messages passed through ``edit(index, msg)`` (None leaves one out)."""
    from rosbags.rosbag1 import Reader, Writer
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS1_NOETIC)
    with Reader(src) as reader, Writer(dst) as writer:
        conns = [c for c in reader.connections if c.topic == topic]
        out = writer.add_connection(topic, conns[0].msgtype, typestore=store)
        for i, (conn, t, raw) in enumerate(reader.messages(connections=conns)):
            msg = edit(i, store.deserialize_ros1(raw, conn.msgtype))
            if msg is not None:
                writer.write(out, t, store.serialize_ros1(msg, conn.msgtype))
    return dst


def _imu_without_orientation(i: int, msg: Any) -> Any | None:
    """tiny_svo's IMU as a driver without an orientation filter writes it (0, 0, 0, 0; covariance not -1), with
    messages 10-12 lost."""
    if 10 <= i < 13:
        return None
    return replace(msg, orientation=replace(msg.orientation, x=0.0, y=0.0, z=0.0, w=0.0))


def test_a_zero_quaternion_is_not_provided_and_repair_invents_nothing(shared_data: Path, tmp_path: Path) -> None:
    bag = rewrite_topic(
        shared_data / "robologs_ros/tiny_svo.bag", tmp_path / "imu.bag", "/imu/data", _imu_without_orientation
    )
    (ep,) = read(bag, "rosbag1").episodes
    imu = ep.meta.stream("imu.data")
    assert imu.quaternion_order is None and not any(c.startswith("orientation") for c in imu.columns)
    assert len(imu.columns) == 6 and ep.numeric("imu.data").values.shape == (32, 6)
    (note,) = [f for f in ep.meta.findings if f.code == "ingest.not_provided"]
    assert note.severity is Severity.info and "orientation not provided" in note.message and note.stream == "imu.data"
    out = Clean().run(ep)
    repaired = EpisodeData(out.meta, {**ep.payloads, **(out.payloads or {})}).numeric("imu.data")
    assert np.isfinite(repaired.values).all()
    assert [f.code for f in out.meta.findings if f.stream == "imu.data" and f.code.startswith("clean.gap")] == [
        "clean.gap_repaired"
    ]


def _write_joint_states(path: Path, topic: str, names: list[str], n: int = 200) -> Path:
    """A ROS 1 bag of ``n`` JointState messages at 100 Hz on ``topic``, joint i at 0.1 * i + a slow sine."""
    from rosbags.rosbag1 import Writer
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS1_NOETIC)
    JointState, Header, Time = (
        store.types[t] for t in ("sensor_msgs/msg/JointState", "std_msgs/msg/Header", "builtin_interfaces/msg/Time")
    )
    t0 = 1_700_000_000 * 10**9
    with Writer(path) as writer:
        conn = writer.add_connection(topic, "sensor_msgs/msg/JointState", typestore=store)
        for i in range(n):
            t = t0 + i * 10_000_000
            pos = 0.1 * np.arange(len(names)) + 0.2 * np.sin(i / 50)
            header = Header(seq=i, stamp=Time(sec=t // 10**9, nanosec=t % 10**9), frame_id="")
            msg = JointState(header=header, name=names, position=pos, velocity=np.zeros(len(names)), effort=np.zeros(0))
            writer.write(conn, t, store.serialize_ros1(msg, "sensor_msgs/msg/JointState"))
    return path


def test_a_franka_joint_state_is_split_into_arm_and_fingers(tmp_path: Path) -> None:
    names = [f"panda_joint{i}" for i in range(1, 8)] + ["panda_finger_joint1", "panda_finger_joint2"]
    (ep,) = read(_write_joint_states(tmp_path / "franka.bag", "/joint_states", names), "rosbag1").episodes
    arm, fingers = ep.meta.stream("joint_states"), ep.meta.stream("joint_states.gripper")
    assert arm.role == "joint_position" and arm.unit == "rad" and arm.source == "/joint_states"
    assert arm.columns[:7] == [f"panda_joint{i}.position" for i in range(1, 8)] and len(arm.columns) == 14
    assert arm.column_units["panda_joint1.velocity"] == "rad/s"
    assert fingers.role == "gripper_joint" and fingers.unit is None
    assert fingers.columns == [f"panda_finger_joint{i}.{p}" for p in ("position", "velocity") for i in (1, 2)]
    np.testing.assert_allclose(ep.numeric("joint_states.gripper").values[0, :2], [0.7, 0.8])
    np.testing.assert_allclose(ep.numeric("joint_states").values[0, :7], 0.1 * np.arange(7))


def test_joint_states_of_one_kind_stay_one_stream(tmp_path: Path) -> None:
    arm_only = _write_joint_states(tmp_path / "ur.bag", "/joint_states", ["shoulder_pan_joint", "elbow_joint"])
    (ep,) = read(arm_only, "rosbag1").episodes
    assert [(s.name, s.role) for s in ep.meta.streams] == [("joint_states", "joint_position")]
    fingers = _write_joint_states(tmp_path / "hand.bag", "/franka_gripper/joint_states", ["panda_finger_joint1"])
    (ep,) = read(fingers, "rosbag1").episodes
    assert [(s.name, s.role) for s in ep.meta.streams] == [("franka_gripper.joint_states", "gripper_joint")]
    robotiq = ["finger_joint", "left_inner_knuckle_joint", "left_inner_finger_joint", "right_outer_knuckle_joint"]
    gripper = _write_joint_states(tmp_path / "robotiq.bag", "/gripper/joint_states", robotiq)
    (ep,) = read(gripper, "rosbag1").episodes  # a gripper's topic keeps every joint, whatever their names
    assert [(s.name, s.role, len(s.columns)) for s in ep.meta.streams] == [("gripper.joint_states", "gripper_joint", 8)]


def test_an_imu_marking_orientation_absent_says_so(shared_data: Path, tmp_path: Path) -> None:
    """REP 145: orientation_covariance[0] = -1 means no orientation estimate; it is left out with a finding."""

    def no_orientation(i: int, msg: Any) -> Any:
        cov = msg.orientation_covariance.copy()
        cov[0] = -1.0
        zero = replace(msg.orientation, x=0.0, y=0.0, z=0.0, w=0.0)
        return replace(msg, orientation=zero, orientation_covariance=cov)

    src = shared_data / "robologs_ros/tiny_svo.bag"
    (ep,) = read(rewrite_topic(src, tmp_path / "imu.bag", "/imu/data", no_orientation), "rosbag1").episodes
    assert ep.meta.stream("imu.data").columns[0] == "angular_velocity.x"
    (note,) = [f for f in ep.meta.findings if f.code == "ingest.not_provided"]
    assert "orientation not provided (orientation_covariance[0] = -1)" in note.message and note.value == 35
