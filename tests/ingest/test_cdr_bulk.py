"""The bulk CDR decoder (robofuel.ingest.ros.cdr_bulk) against the general one (mcap_ros2), value for value.

Every message of every CDR topic of generated teleop MCAPs, of a file of assorted ROS 2 types written here, and of
the real ROS 2 MCAPs in ../shared/data is decoded both ways and compared bit for bit, leaf by leaf; the streams a
topic gives (columns, table, times, stamps, notes) are compared between the bulk and the per-message path; and
damaged or irregular topics fall back to the general path instead of giving values.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mcap_files import DEFS, SEP, T0, TIME, VEC3, stamp, teleop_messages, write_ros2
from mcap_ros2.writer import Writer as Ros2Writer

from robofuel.generate import GeneratedRecording
from robofuel.ingest.base import ReadReport
from robofuel.ingest.mcap.scan import ChannelData, scan_file
from robofuel.ingest.mcap.streams import _collect, _collect_bulk
from robofuel.ingest.ros.cdr_bulk import NotBulk, decode_bulk, layout_of
from robofuel.ingest.ros.decoders import Decoders, Undecodable

HEADER = "MSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id"
QUAT = "MSG: geometry_msgs/Quaternion\nfloat64 x\nfloat64 y\nfloat64 z\nfloat64 w"
POINT = "MSG: geometry_msgs/Point\nfloat64 x\nfloat64 y\nfloat64 z"
MORE_DEFS = {
    "sensor_msgs/msg/Imu": SEP.join(
        [
            "std_msgs/Header header\ngeometry_msgs/Quaternion orientation\nfloat64[9] orientation_covariance\n"
            "geometry_msgs/Vector3 angular_velocity\nfloat64[9] angular_velocity_covariance\n"
            "geometry_msgs/Vector3 linear_acceleration\nfloat64[9] linear_acceleration_covariance",
            HEADER,
            TIME,
            QUAT,
            VEC3,
        ]
    ),
    "geometry_msgs/msg/PoseStamped": SEP.join(
        [
            "std_msgs/Header header\ngeometry_msgs/Pose pose",
            HEADER,
            TIME,
            "MSG: geometry_msgs/Pose\ngeometry_msgs/Point position\ngeometry_msgs/Quaternion orientation",
            POINT,
            QUAT,
        ]
    ),
    "geometry_msgs/msg/TwistStamped": SEP.join(
        [
            "std_msgs/Header header\ngeometry_msgs/Twist twist",
            HEADER,
            TIME,
            "MSG: geometry_msgs/Twist\ngeometry_msgs/Vector3 linear\ngeometry_msgs/Vector3 angular",
            VEC3,
        ]
    ),
    "std_msgs/msg/Float64MultiArray": SEP.join(
        [
            "std_msgs/MultiArrayLayout layout\nfloat64[] data",
            "MSG: std_msgs/MultiArrayLayout\nstd_msgs/MultiArrayDimension[] dim\nuint32 data_offset",
            "MSG: std_msgs/MultiArrayDimension\nstring label\nuint32 size\nuint32 stride",
        ]
    ),
    "lab_msgs/msg/Gauge": DEFS["lab_msgs/msg/Gauge"],
}


def _assorted(i: int) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The ``i``-th message of each assorted topic: an IMU (with a NaN and an infinity), a pose, a twist, a
    multi-array action, a custom type with an int array, a bool and a string."""
    rng = np.random.default_rng(i)
    header = {"stamp": stamp(T0 + i * 10_000_000), "frame_id": "imu_link"}
    v = rng.normal(size=16).tolist()
    v[3] = float("nan") if i == 5 else v[3]
    xyz = lambda k: dict(zip("xyz", v[k : k + 3], strict=True))  # noqa: E731
    quat = dict(zip("xyzw", v[12:16], strict=True))
    yield "/imu", "sensor_msgs/msg/Imu", {
        "header": header, "orientation": quat, "orientation_covariance": [0.01] * 9,
        "angular_velocity": xyz(0), "angular_velocity_covariance": [float("inf")] + [0.0] * 8,
        "linear_acceleration": xyz(3), "linear_acceleration_covariance": [0.0] * 9,
    }  # fmt: skip
    pose = {"position": xyz(6), "orientation": quat}
    yield "/ee_pose", "geometry_msgs/msg/PoseStamped", {"header": header, "pose": pose}
    twist = {"linear": xyz(0), "angular": xyz(9)}
    yield "/cmd_vel", "geometry_msgs/msg/TwistStamped", {"header": header, "twist": twist}
    dim = [{"label": "action", "size": 8, "stride": 8}]
    yield "/action", "std_msgs/msg/Float64MultiArray", {"layout": {"dim": dim, "data_offset": 0}, "data": v[:8]}
    gauge = {"pressure": v[0], "counts": [i, -i, 2**31 - 1], "valid": i % 2 == 0, "label": "g", "tilt": xyz(1)}
    yield "/gauge", "lab_msgs/msg/Gauge", gauge


def write_assorted(path: Path, n: int = 40) -> Path:
    """An MCAP of ``n`` messages on each assorted topic (see :func:`_assorted`), logged at 100 Hz."""
    with open(path, "wb") as f:
        w = Ros2Writer(f)
        schemas = {name: w.register_msgdef(name, text) for name, text in MORE_DEFS.items()}
        for i in range(n):
            for topic, type_name, msg in _assorted(i):
                w.write_message(topic, schemas[type_name], msg, log_time=T0 + i * 10_000_000)
        w.finish()  # type: ignore[no-untyped-call]
    return path


def _leaf_pairs(probe: Any, msg: Any) -> Iterator[tuple[int, Any]]:
    """(leaf index, the general decoder's value) for every numeric leaf; strings must be equal."""
    if isinstance(probe, float):
        yield int(probe), msg
    elif isinstance(probe, str):
        assert probe == msg
    elif isinstance(probe, list):
        assert len(probe) == len(msg)
        for p, m in zip(probe, msg, strict=True):
            yield from _leaf_pairs(p, m)
    else:
        assert list(probe.__slots__) == list(msg.__slots__)
        for name in probe.__slots__:
            yield from _leaf_pairs(getattr(probe, name), getattr(msg, name))


def _bits(value: Any) -> bytes:
    return np.float64(value).tobytes() if isinstance(value, float) else repr(value).encode()


def _cdr_channels(path: Path) -> Iterator[tuple[ChannelData, Decoders]]:
    decoders = Decoders()
    for ch in scan_file(path).channels.values():
        if ch.message_encoding != "cdr" or not ch.messages:
            continue
        try:
            decoders.for_channel(ch)
        except Undecodable:
            continue
        yield ch, decoders


def compare_leaves(path: Path) -> list[str]:
    """Decode every message of every CDR topic of ``path`` both ways and compare each leaf exactly; the
    topics read in bulk."""
    bulk_topics = []
    for ch, decoders in _cdr_channels(path):
        defs = decoders.definitions_for(ch)
        assert ch.schema is not None
        payloads = [d for _, d in sorted(ch.messages, key=lambda m: m[0])]
        bulk = decode_bulk(defs, ch.schema.name, payloads, minimum=1) if defs is not None else None
        if bulk is None:
            continue
        bulk_topics.append(ch.topic)
        decode = decoders.for_channel(ch)
        for i, data in enumerate(payloads):
            for index, value in _leaf_pairs(bulk.layout.probe, decode(data)):
                got = bulk.leaf(index)[i].item()
                assert type(got) is type(value) and _bits(got) == _bits(value), (ch.topic, i, index, got, value)
    return bulk_topics


def compare_streams(path: Path) -> list[str]:
    """The bulk and the per-message collection of every topic of ``path`` give the same mapping; the
    topics collected in bulk."""
    bulk_topics = []
    for ch, decoders in _cdr_channels(path):
        decode = decoders.for_channel(ch)
        fast = _collect_bulk(ch, decode, decoders.definitions_for(ch))
        if fast is None:
            continue
        bulk_topics.append(ch.topic)
        slow = _collect(ch, decode, ReadReport(str(path), "mcap"))
        assert slow is not None
        assert fast.logs == slow.logs and fast.headers == slow.headers and fast.zero_stamps == slow.zero_stamps
        a, b = fast.mapping, slow.mapping
        ta, tb = a.table(), b.table()  # type: ignore[union-attr]
        assert type(a) is type(b) and a.columns == b.columns and ta.tobytes() == tb.tobytes(), ch.topic  # type: ignore[union-attr]
        assert a.notes == b.notes and a.skipped == b.skipped
        assert getattr(a, "arrays", None) == getattr(b, "arrays", None)
    return bulk_topics


def test_generated_teleop_bit_identical(teleop_rec: GeneratedRecording) -> None:
    # joint states, gripper and wrench are read in bulk; the cameras are video, decoded message by message
    expected = {"/joint_states", "/franka_gripper/joint_states", "/ft_sensor/wrench"}
    assert set(compare_leaves(teleop_rec.path)) >= expected
    assert set(compare_streams(teleop_rec.path)) == expected


def test_fixture_and_assorted_types_bit_identical(tmp_path: Path) -> None:
    fixture = write_ros2(tmp_path / "teleop.mcap", teleop_messages())
    expected = {"/joint_states", "/franka_gripper/joint_states", "/ft_sensor/wrench", "/lab/gauge"}
    assert set(compare_streams(fixture)) == expected
    assert set(compare_leaves(fixture)) >= expected
    assorted = write_assorted(tmp_path / "assorted.mcap")
    expected = {"/imu", "/ee_pose", "/cmd_vel", "/action", "/gauge"}
    assert set(compare_leaves(assorted)) == expected
    assert set(compare_streams(assorted)) == expected


def test_real_ros2_recordings_bit_identical(shared_data: Path) -> None:
    files = sorted(shared_data.rglob("*.mcap"))
    assert files, "no MCAP in the shared data"
    read = [topic for f in files for topic in compare_leaves(f)]
    for f in files:
        compare_streams(f)
    assert read  # some real topic has a fixed layout


def _wrench_channel(path: Path) -> tuple[ChannelData, Decoders]:
    for ch, decoders in _cdr_channels(path):
        if ch.topic == "/ft_sensor/wrench":
            return ch, decoders
    raise AssertionError("no wrench topic")


@pytest.mark.parametrize(
    "damage",
    ["truncated", "all_truncated", "big_endian", "frame_renamed", "count_changed"],
)
def test_damaged_topics_fall_back(tmp_path: Path, damage: str) -> None:
    path = write_ros2(tmp_path / "t.mcap", teleop_messages())
    ch, decoders = _wrench_channel(path)
    decode = decoders.for_channel(ch)
    defs = decoders.definitions_for(ch)
    assert defs is not None and ch.schema is not None
    messages = list(ch.messages)
    t, data = messages[7]
    if damage == "truncated":
        messages[7] = (t, data[:-5])
    elif damage == "all_truncated":
        messages = [(t, d[:40]) for t, d in messages]
    elif damage == "big_endian":
        messages[7] = (t, b"\x00\x00" + data[2:])
    elif damage == "frame_renamed":  # same length, another frame id: the structural bytes differ
        messages[7] = (t, data.replace(b"panda_hand", b"panda_hanD"))
    else:  # the frame id's length field
        messages[7] = (t, data[:12] + b"\x05" + data[13:])
    damaged = ChannelData(ch.id, ch.topic, ch.message_encoding, ch.schema, messages)
    assert decode_bulk(defs, ch.schema.name, [d for _, d in messages]) is None
    assert _collect_bulk(damaged, decode, defs) is None
    report = ReadReport(str(path), "mcap")
    slow = _collect(damaged, decode, report)  # the general path decides, message by message
    if damage in ("truncated", "all_truncated"):
        assert report.undecodable or slow is None or len(slow.logs) <= len(messages)


def test_layout_refuses_what_it_cannot_mirror(tmp_path: Path) -> None:
    path = write_ros2(tmp_path / "t.mcap", teleop_messages())
    ch, decoders = _wrench_channel(path)
    defs = decoders.definitions_for(ch)
    assert defs is not None and ch.schema is not None
    data = ch.messages[0][1]
    layout = layout_of(defs, ch.schema.name, data)
    assert len(layout.leaves) == 2 + 6  # stamp sec, nanosec; force and torque
    with pytest.raises(NotBulk):
        layout_of(defs, ch.schema.name, data[:30])
    with pytest.raises(NotBulk):
        layout_of(defs, "geometry_msgs/msg/Nothing", data)


def test_long_arrays_are_not_walked_value_by_value(tmp_path: Path) -> None:
    # a fixed-length blob (a raw image, a point cloud) is left to the general path at once
    path = tmp_path / "blob.mcap"
    with open(path, "wb") as f:
        w = Ros2Writer(f)
        schema = w.register_msgdef("lab_msgs/msg/Blob", "float32 gain\nuint8[] data")
        for i in range(10):
            w.write_message("/blob", schema, {"gain": 0.5, "data": bytes([i]) * 10_000}, log_time=T0 + i)
        w.finish()  # type: ignore[no-untyped-call]
    ((ch, decoders),) = list(_cdr_channels(path))
    defs = decoders.definitions_for(ch)
    assert defs is not None and ch.schema is not None
    with pytest.raises(NotBulk, match="more than"):
        layout_of(defs, ch.schema.name, ch.messages[0][1])
    assert _collect_bulk(ch, decoders.for_channel(ch), defs) is None
    assert compare_leaves(path) == []
