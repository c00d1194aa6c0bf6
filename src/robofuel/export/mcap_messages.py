"""ROS 2 messages the MCAP exporter writes: their ``ros2msg`` definitions and how one sample of a stream fills one.

A stream's columns pick its message type (by name, so column order does not matter; every column must find a
field, else the generic ``std_msgs/msg/Float64MultiArray`` is used and nothing is lost):

- ``<joint>.position`` / ``.velocity`` / ``.effort`` (or role ``joint_position`` / ``gripper_joint``, bare columns
  being positions) -> ``sensor_msgs/msg/JointState`` (rad or m, rad/s or m/s, N m or N: the stream's units);
- ``force.x..z`` + ``torque.x..z`` -> ``geometry_msgs/msg/WrenchStamped`` (N, N m);
- ``position.x..z`` + ``orientation.x..w`` -> ``geometry_msgs/msg/PoseStamped`` (m, unit quaternion);
- ``translation.x..z`` + ``rotation.x..w`` -> ``geometry_msgs/msg/TransformStamped`` (m, unit quaternion);
- ``linear.x..z`` + ``angular.x..z`` -> ``geometry_msgs/msg/TwistStamped`` (m/s, rad/s);
- role ``imu``: ``angular_velocity.x..z`` (rad/s), ``linear_acceleration.x..z`` (m/s^2) and optionally
  ``orientation.x..w`` -> ``sensor_msgs/msg/Imu`` (orientation marked absent, covariance[0] = -1, REP 145, when
  the stream has none);
- anything else -> ``std_msgs/msg/Float64MultiArray`` (``data`` = the row; one layout dimension ``columns``).

Every header's ``frame_id`` is the stream's ``frame``; ``stamp`` is the sample time (ns since the Unix epoch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from robofuel.standard import Stream

Msg = dict[str, Any]
#: (sample time in ns since the Unix epoch, one row of floats or one packet) -> message fields.
Build = Callable[[int, Any], Msg]

_SEP = "\n" + "=" * 80 + "\n"
_TIME = "MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec"
_HEADER = "MSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id"
_VECTOR3 = "MSG: geometry_msgs/Vector3\nfloat64 x\nfloat64 y\nfloat64 z"
_POINT = "MSG: geometry_msgs/Point\nfloat64 x\nfloat64 y\nfloat64 z"
_QUAT = "MSG: geometry_msgs/Quaternion\nfloat64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1"
_TRANSFORM = "MSG: geometry_msgs/Transform\ngeometry_msgs/Vector3 translation\ngeometry_msgs/Quaternion rotation"
_STAMPED_TF = "std_msgs/Header header\nstring child_frame_id\ngeometry_msgs/Transform transform"


def _with(main: str, *deps: str) -> str:
    return _SEP.join([main, *deps])


MSGDEFS: dict[str, str] = {
    "sensor_msgs/msg/JointState": _with(
        "std_msgs/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort",
        _HEADER,
        _TIME,
    ),
    "geometry_msgs/msg/WrenchStamped": _with(
        "std_msgs/Header header\ngeometry_msgs/Wrench wrench",
        _HEADER,
        _TIME,
        "MSG: geometry_msgs/Wrench\ngeometry_msgs/Vector3 force\ngeometry_msgs/Vector3 torque",
        _VECTOR3,
    ),
    "sensor_msgs/msg/Imu": _with(
        "std_msgs/Header header\ngeometry_msgs/Quaternion orientation\nfloat64[9] orientation_covariance\n"
        "geometry_msgs/Vector3 angular_velocity\nfloat64[9] angular_velocity_covariance\n"
        "geometry_msgs/Vector3 linear_acceleration\nfloat64[9] linear_acceleration_covariance",
        _HEADER,
        _TIME,
        _QUAT,
        _VECTOR3,
    ),
    "geometry_msgs/msg/PoseStamped": _with(
        "std_msgs/Header header\ngeometry_msgs/Pose pose",
        _HEADER,
        _TIME,
        "MSG: geometry_msgs/Pose\ngeometry_msgs/Point position\ngeometry_msgs/Quaternion orientation",
        _POINT,
        _QUAT,
    ),
    "geometry_msgs/msg/TransformStamped": _with(_STAMPED_TF, _HEADER, _TIME, _TRANSFORM, _VECTOR3, _QUAT),
    "tf2_msgs/msg/TFMessage": _with(
        "geometry_msgs/TransformStamped[] transforms",
        "MSG: geometry_msgs/TransformStamped\n" + _STAMPED_TF,
        _HEADER,
        _TIME,
        _TRANSFORM,
        _VECTOR3,
        _QUAT,
    ),
    "geometry_msgs/msg/TwistStamped": _with(
        "std_msgs/Header header\ngeometry_msgs/Twist twist",
        _HEADER,
        _TIME,
        "MSG: geometry_msgs/Twist\ngeometry_msgs/Vector3 linear\ngeometry_msgs/Vector3 angular",
        _VECTOR3,
    ),
    "std_msgs/msg/Float64MultiArray": _with(
        "std_msgs/MultiArrayLayout layout\nfloat64[] data",
        "MSG: std_msgs/MultiArrayLayout\nstd_msgs/MultiArrayDimension[] dim\nuint32 data_offset",
        "MSG: std_msgs/MultiArrayDimension\nstring label\nuint32 size\nuint32 stride",
    ),
    "foxglove_msgs/msg/CompressedVideo": _with(
        "builtin_interfaces/Time timestamp\nstring frame_id\nuint8[] data\nstring format", _TIME
    ),
    "sensor_msgs/msg/CompressedImage": _with("std_msgs/Header header\nstring format\nuint8[] data", _HEADER, _TIME),
    "sensor_msgs/msg/Image": _with(
        "std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\n"
        "uint8[] data",
        _HEADER,
        _TIME,
    ),
}

#: FFmpeg codec -> foxglove ``CompressedVideo.format``; -> ``CompressedImage.format``.
VIDEO_FORMATS = {"h264": "h264", "hevc": "h265", "h265": "h265", "av1": "av1", "vp9": "vp9"}
IMAGE_FORMATS = {"mjpeg": "jpeg", "jpeg": "jpeg", "png": "png"}
JOINT_PARTS = ("position", "velocity", "effort")
JOINT_ROLES = ("joint_position", "gripper_joint")


@dataclass(frozen=True)
class MessagePlan:
    """The ROS 2 type one stream is written as, and how one sample becomes one message."""

    type_name: str
    build: Build


def time_msg(t_ns: int) -> Msg:
    """``builtin_interfaces/Time`` of a time in ns since the Unix epoch (sec is int32: until 2038)."""
    sec, nanosec = divmod(int(t_ns), 1_000_000_000)
    return {"sec": sec, "nanosec": nanosec}


def header(t_ns: int, frame: str | None) -> Msg:
    return {"stamp": time_msg(t_ns), "frame_id": frame or ""}


def _axes(prefix: str, axes: str) -> list[str]:
    return [f"{prefix}.{a}" for a in axes]


def _vec(row: list[float], idx: dict[str, int], prefix: str, axes: str = "xyz") -> Msg:
    return {a: row[idx[f"{prefix}.{a}"]] for a in axes}


def columns_index(stream: Stream, wanted: list[str]) -> dict[str, int] | None:
    """Column indices by name when the stream's columns are exactly ``wanted`` (in any order); else None."""
    if sorted(stream.columns) != sorted(wanted):
        return None
    return {c: i for i, c in enumerate(stream.columns)}


def joint_plan(stream: Stream) -> MessagePlan | None:
    """JointState when every column is ``<joint>.<part>`` (or a bare joint name in a joint stream) and every
    part present covers every joint; else None."""
    cells: dict[tuple[str, str], int] = {}
    for i, col in enumerate(stream.columns):
        joint, _, part = col.rpartition(".")
        if part not in JOINT_PARTS or not joint:
            if stream.role not in JOINT_ROLES:
                return None
            joint, part = col, "position"
        cells[(joint, part)] = i
    names = list(dict.fromkeys(j for j, _ in cells))
    parts = [p for p in JOINT_PARTS if any(q == p for _, q in cells)]
    if not names or len(cells) != len(names) * len(parts):
        return None
    index = {p: [cells[(n, p)] for n in names] for p in parts}
    frame = stream.frame

    def build(t_ns: int, row: list[float]) -> Msg:
        msg: Msg = {"header": header(t_ns, frame), "name": names}
        for part in JOINT_PARTS:
            msg[part] = [row[i] for i in index[part]] if part in index else []
        return msg

    return MessagePlan("sensor_msgs/msg/JointState", build)


def _imu_plan(stream: Stream) -> MessagePlan | None:
    rates = _axes("angular_velocity", "xyz") + _axes("linear_acceleration", "xyz")
    with_q = _axes("orientation", "xyzw") + rates
    idx = columns_index(stream, with_q) or columns_index(stream, rates)
    if stream.role != "imu" or idx is None:
        return None
    has_q, frame = "orientation.w" in idx, stream.frame

    def build(t_ns: int, row: list[float]) -> Msg:
        quat = _vec(row, idx, "orientation", "xyzw") if has_q else {"x": 0.0, "y": 0.0, "z": 0.0, "w": 1.0}
        return {
            "header": header(t_ns, frame),
            "orientation": quat,
            "orientation_covariance": [0.0 if has_q else -1.0] + [0.0] * 8,
            "angular_velocity": _vec(row, idx, "angular_velocity"),
            "angular_velocity_covariance": [0.0] * 9,
            "linear_acceleration": _vec(row, idx, "linear_acceleration"),
            "linear_acceleration_covariance": [0.0] * 9,
        }

    return MessagePlan("sensor_msgs/msg/Imu", build)


def transform_msg(t_ns: int, row: list[float], idx: dict[str, int], parent: str | None, child: str) -> Msg:
    """One ``geometry_msgs/TransformStamped``: ``child`` in ``parent`` (m, unit quaternion xyzw)."""
    return {
        "header": header(t_ns, parent),
        "child_frame_id": child,
        "transform": {"translation": _vec(row, idx, "translation"), "rotation": _vec(row, idx, "rotation", "xyzw")},
    }


TRANSFORM = _axes("translation", "xyz") + _axes("rotation", "xyzw")


#: Stamped types made of two fields of the stream: type -> (body field, first part, second part, its axes).
PAIRS = {
    "geometry_msgs/msg/WrenchStamped": ("wrench", "force", "torque", "xyz"),
    "geometry_msgs/msg/TwistStamped": ("twist", "linear", "angular", "xyz"),
    "geometry_msgs/msg/PoseStamped": ("pose", "position", "orientation", "xyzw"),
}


def _pair_plan(type_name: str, idx: dict[str, int], frame: str | None) -> MessagePlan:
    field, first, second, axes = PAIRS[type_name]

    def build(t_ns: int, row: list[float]) -> Msg:
        body = {first: _vec(row, idx, first), second: _vec(row, idx, second, axes)}
        return {"header": header(t_ns, frame), field: body}

    return MessagePlan(type_name, build)


def _stamped_plan(stream: Stream) -> MessagePlan | None:
    """WrenchStamped, TwistStamped, PoseStamped or TransformStamped by the stream's column names."""
    frame = stream.frame
    for type_name, (_, first, second, axes) in PAIRS.items():
        idx = columns_index(stream, _axes(first, "xyz") + _axes(second, axes))
        if idx is not None:
            return _pair_plan(type_name, idx, frame)
    tf = columns_index(stream, TRANSFORM)
    if tf is None:
        return None
    found = tf
    return MessagePlan("geometry_msgs/msg/TransformStamped", lambda t, r: transform_msg(t, r, found, frame, ""))


def _array_plan(stream: Stream) -> MessagePlan:
    size = len(stream.columns)
    layout = {"dim": [{"label": "columns", "size": size, "stride": size}], "data_offset": 0}
    return MessagePlan("std_msgs/msg/Float64MultiArray", lambda t, row: {"layout": layout, "data": list(row)})


def numeric_plan(stream: Stream) -> MessagePlan:
    """The message type of a numeric stream (see the module docstring); Float64MultiArray when none fits."""
    return joint_plan(stream) or _imu_plan(stream) or _stamped_plan(stream) or _array_plan(stream)


def video_plan(stream: Stream, codec: str, width: int | None, height: int | None) -> MessagePlan | None:
    """CompressedVideo (H.264, HEVC, AV1, VP9), CompressedImage (JPEG, PNG) or Image (raw frames, the stream's
    ``pixel_format`` as encoding) carrying each packet byte for byte; None for other codecs."""
    frame = stream.frame
    if codec in VIDEO_FORMATS:
        fmt = VIDEO_FORMATS[codec]
        return MessagePlan(
            "foxglove_msgs/msg/CompressedVideo",
            lambda t, p: {"timestamp": time_msg(t), "frame_id": frame or "", "data": p, "format": fmt},
        )
    if codec in IMAGE_FORMATS:
        image = IMAGE_FORMATS[codec]
        return MessagePlan(
            "sensor_msgs/msg/CompressedImage", lambda t, p: {"header": header(t, frame), "format": image, "data": p}
        )
    if codec == "rawvideo" and width and height and stream.pixel_format:
        w, h, enc = width, height, stream.pixel_format
        raw: Build = lambda t, p: {  # noqa: E731
            "header": header(t, frame),
            **{"height": h, "width": w, "encoding": enc, "is_bigendian": 0, "step": len(p) // h, "data": p},
        }
        return MessagePlan("sensor_msgs/msg/Image", raw)
    return None
