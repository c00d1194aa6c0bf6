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
