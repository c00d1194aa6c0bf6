"""MCAP files for the reader tests, written here so that every value is known.

The teleop recording (:func:`teleop_messages`, :func:`write_ros2`) is written with ``mcap_ros2``'s writer in
16 KiB chunks: 2 s of a Franka Panda's joint states at 250 Hz (7 joints, header stamps 1 ms before the log
time so that the two are told apart), a gripper without stamps, a wrist wrench at 500 Hz, JPEG and H.264
cameras encoded by PyAV, a text topic, a custom numeric type and the ``robofuel.session`` metadata record.
:func:`rewrite` copies it with other writer options (unchunked, no summary, data CRCs); :func:`write_json`
writes JSON (or raw-bytes) channels.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from mcap.reader import make_reader
from mcap.writer import Writer
from mcap_ros2.writer import Writer as Ros2Writer

from robofuel.ingest.base import ReadResult
from robofuel.standard import EventsData, NumericData

Msg = tuple[int, str, str, dict[str, Any]]

T0 = 1_790_000_000_000_000_000
JOINTS = [f"panda_joint{i}" for i in range(1, 8)]
SEP = "\n" + "=" * 80 + "\n"
TIME = "MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec"
HEADER = "MSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id"
VEC3 = "MSG: geometry_msgs/Vector3\nfloat64 x\nfloat64 y\nfloat64 z"
DEFS = {
    "sensor_msgs/msg/JointState": SEP.join(
        [
            "std_msgs/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort",
            HEADER,
            TIME,
        ]
    ),
    "geometry_msgs/msg/WrenchStamped": SEP.join(
        [
            "std_msgs/Header header\ngeometry_msgs/Wrench wrench",
            HEADER,
            TIME,
            "MSG: geometry_msgs/Wrench\ngeometry_msgs/Vector3 force\ngeometry_msgs/Vector3 torque",
            VEC3,
        ]
    ),
    "sensor_msgs/msg/CompressedImage": SEP.join(["std_msgs/Header header\nstring format\nuint8[] data", HEADER, TIME]),
    "foxglove_msgs/msg/CompressedVideo": SEP.join(
        ["builtin_interfaces/Time timestamp\nstring frame_id\nuint8[] data\nstring format", TIME]
    ),
    "std_msgs/msg/String": "string data",
    "lab_msgs/msg/Gauge": SEP.join(
        ["float64 pressure\nint32[3] counts\nbool valid\nstring label\ngeometry_msgs/Vector3 tilt", VEC3]
    ),
}
# Expected content, written and then compared value for value.
JOINT_T = T0 + np.arange(500) * 4_000_000  # 250 Hz for 2 s
JOINT_POS = np.sin(np.arange(500)[:, None] * 0.01 + np.arange(7)[None, :])
WRENCH_T = T0 + np.arange(1000) * 2_000_000  # 500 Hz
WRENCH = np.column_stack([np.cos(np.arange(1000) * 0.02 + k) * (k + 1) for k in range(6)])
SESSION = {
    "operator": "op-07",
    "station": "cell-2",
    "scene": "tabletop",
    "site": "lab-1",
    "task_id": "pick.cube",
}
SESSION |= {"instruction": "Pick up the cube.", "embodiment": "franka_panda", "device_id": "panda-0042"}


def encode(codec: str, n: int, pix_fmt: str, **options: str) -> list[bytes]:
    """``n`` 64x48 frames of a moving square, one packet per frame (no B-frames)."""
    ctx: Any = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height, ctx.pix_fmt, ctx.time_base = 64, 48, pix_fmt, Fraction(1, 30)
    ctx.options = options
    packets = []
    for i in range(n):
        img = np.zeros((48, 64, 3), np.uint8)
        img[10:30, i : i + 16, 1] = 255
        frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format=pix_fmt)
        frame.pts = i
        packets += [bytes(p) for p in ctx.encode(frame)]
    return packets + [bytes(p) for p in ctx.encode(None)]


JPEGS = encode("mjpeg", 20, "yuvj420p")
H264 = encode("libx264", 30, "yuv420p", tune="zerolatency", bf="0")


def stamp(t: int) -> dict[str, int]:
    """A builtin_interfaces/Time of ``t`` ns."""
    return {"sec": t // 1_000_000_000, "nanosec": t % 1_000_000_000}


def _joint_messages() -> Iterator[Msg]:
    for i, t in enumerate(JOINT_T.tolist()):
        pos = JOINT_POS[i].tolist()
        js = {
            "name": JOINTS,
            "position": pos,
            "velocity": [p * 2 for p in pos],
            "effort": [p * 3 for p in pos],
        }
        msg = {"header": {"stamp": stamp(t)}} | js
        yield t + 1_000_000, "/joint_states", "sensor_msgs/msg/JointState", msg
        if i % 5 == 0:  # no header stamp: the log time is the sample time
            grip = {
                "header": {},
                "name": ["panda_finger_joint1", "panda_finger_joint2"],
                "position": [0.04] * 2,
            }
            yield t, "/franka_gripper/joint_states", "sensor_msgs/msg/JointState", grip


def _wrench_messages() -> Iterator[Msg]:
    for t, w in zip(WRENCH_T.tolist(), WRENCH.tolist(), strict=True):
        force, torque = (dict(zip("xyz", w[k : k + 3], strict=True)) for k in (0, 3))
        header = {"stamp": stamp(t), "frame_id": "panda_hand"}
        msg = {"header": header, "wrench": {"force": force, "torque": torque}}
        yield t + 500_000, "/ft_sensor/wrench", "geometry_msgs/msg/WrenchStamped", msg


def _camera_messages() -> Iterator[Msg]:
    for i, jpg in enumerate(JPEGS):
        t = T0 + i * 100_000_000
        msg = {"header": {"stamp": stamp(t), "frame_id": "wrist_camera"}, "format": "jpeg", "data": jpg}
        yield t + 3_000_000, "/camera/wrist/image/compressed", "sensor_msgs/msg/CompressedImage", msg
    for i, pkt in enumerate(H264):
        t = T0 + round(i * 1e9 / 30)
        msg = {"timestamp": stamp(t), "frame_id": "front_camera", "data": pkt, "format": "h264"}
        yield t + 2_000_000, "/camera/front/video", "foxglove_msgs/msg/CompressedVideo", msg


def _other_messages() -> Iterator[Msg]:
    for i in range(10):
        t = T0 + i * 200_000_000
        yield t, "/chatter", "std_msgs/msg/String", {"data": f"hello {i}"}
        gauge = {"pressure": 101_325.0 + i, "counts": [i, 2 * i, -i], "valid": i % 2 == 0, "label": "g"}
        yield t, "/lab/gauge", "lab_msgs/msg/Gauge", gauge | {"tilt": {"x": i, "y": 0, "z": 1}}


def teleop_messages() -> list[Msg]:
    """(log time, topic, type, message) of the whole fixture recording, in log-time order."""
    parts = (_joint_messages(), _wrench_messages(), _camera_messages(), _other_messages())
    return sorted((m for part in parts for m in part), key=lambda m: m[0])


def write_ros2(path: Path, messages: list[Msg]) -> Path:
    """A ROS 2 MCAP of ``messages`` with the session and a calibration metadata record."""
    with open(path, "wb") as f:
        w = Ros2Writer(f, chunk_size=16 * 1024)
        w.add_metadata("robofuel.session", SESSION)
        w.add_metadata("calibration", {"camera": "front", "fx": "500.0"})
        schemas = {name: w.register_msgdef(name, text) for name, text in DEFS.items()}
        for log_time, topic, type_name, msg in messages:
            w.write_message(topic, schemas[type_name], msg, log_time=log_time)
        w.finish()  # type: ignore[no-untyped-call]
    return path


def rewrite(src: Path, dst: Path, **options: Any) -> Path:
    """Copy the schemas, channels, messages and metadata of ``src`` into a file written with ``options``."""
    with open(src, "rb") as f, open(dst, "wb") as out:
        reader = make_reader(f)
        w = Writer(out, **options)
        w.start(profile="ros2", library="test-rewrite")
        for m in reader.iter_metadata():
            w.add_metadata(m.name, m.metadata)
        schemas: dict[int, int] = {}
        channels: dict[int, int] = {}
        for schema, channel, msg in reader.iter_messages(log_time_order=False):
            if schema is not None and schema.id not in schemas:
                schemas[schema.id] = w.register_schema(schema.name, schema.encoding, schema.data)
            if channel.id not in channels:
                sid = schemas[schema.id] if schema is not None else 0
                channels[channel.id] = w.register_channel(channel.topic, channel.message_encoding, sid)
            w.add_message(channels[channel.id], msg.log_time, msg.data, msg.publish_time, msg.sequence)
        w.finish()  # type: ignore[no-untyped-call]
    return dst


def summary_counts(path: Path) -> dict[str, int]:
    """Messages per topic as the file's summary statistics declare them."""
    with open(path, "rb") as f:
        summary = make_reader(f).get_summary()
    assert summary is not None and summary.statistics is not None
    return {c.topic: summary.statistics.channel_message_counts.get(i, 0) for i, c in summary.channels.items()}


def write_json(path: Path, channels: dict[str, tuple[str, str, list[tuple[int, Any]]]]) -> Path:
    """An MCAP of channels {topic: (schema name, encoding, [(log time, message)])}; JSON unless bytes."""
    with open(path, "wb") as f:
        w = Writer(f)
        w.start(profile="", library="test")
        for topic, (schema_name, encoding, messages) in channels.items():
            sid = w.register_schema(schema_name, "jsonschema" if encoding == "json" else encoding, b"{}")
            cid = w.register_channel(topic, encoding, sid)
            for log_time, msg in messages:
                data = msg if isinstance(msg, bytes) else json.dumps(msg).encode()
                w.add_message(cid, log_time=log_time, data=data, publish_time=log_time)
        w.finish()  # type: ignore[no-untyped-call]
    return path


def imu_message(i: int) -> dict[str, Any]:
    """The ``i``-th message of a 100 Hz sensor_msgs/Imu as JSON: yaw i/100 rad, x rate 0.1 i rad/s."""
    t = T0 + i * 10_000_000
    return {
        "header": {"stamp": stamp(t), "frame_id": "imu_link"},
        "orientation": {"x": 0.0, "y": 0.0, "z": np.sin(i / 100), "w": np.cos(i / 100)},
        "orientation_covariance": [0.0] * 9,
        "angular_velocity": {"x": 0.1 * i, "y": 0.0, "z": 0.0},
        "linear_acceleration": {"x": 0.0, "y": 0.0, "z": 9.81},
    }


def same_payloads(a: ReadResult, b: ReadResult) -> None:
    """The two reads hold the same streams with identical timestamps, values and packets."""
    pa, pb = a.episodes[0].payloads, b.episodes[0].payloads
    assert pa.keys() == pb.keys()
    for name, x in pa.items():
        y = pb[name]
        np.testing.assert_array_equal(x.timestamps_ns, y.timestamps_ns)  # type: ignore[union-attr]
        if isinstance(x, NumericData):
            np.testing.assert_array_equal(x.values, y.values)  # type: ignore[union-attr]
        elif isinstance(x, EventsData):
            assert x.fields == y.fields  # type: ignore[union-attr]
        else:
            assert x.packets == y.packets  # type: ignore[union-attr]


def data_end(data: bytes) -> int:
    """Offset of the DataEnd record (opcode 0x0F, length 4) of an unchunked file."""
    return data.rindex(b"\x0f\x04\x00\x00\x00\x00\x00\x00\x00")
