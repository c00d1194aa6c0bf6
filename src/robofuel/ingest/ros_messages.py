"""Mapping decoded ROS messages to canonical streams, independent of the container (MCAP, ROS 1 or 2 bags).

Each message type has an :class:`Extractor` that turns one decoded message (attribute access, as ``mcap_ros2`` and
``rosbags`` produce) into a row of floats with fixed column names, or into a compressed video frame. Types without
a dedicated extractor are flattened: every numeric scalar and numeric array field becomes columns named by their
path (``pose.position.x``, ``data[3]``). Types with no numeric field at all are reported as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Row = list[float]


def normalise_type(name: str) -> str:
    """``pkg/msg/Type`` and ``pkg/Type`` both become ``pkg/Type``."""
    parts = name.split("/")
    return f"{parts[0]}/{parts[-1]}" if len(parts) == 3 else name


def stamp_ns(msg: Any) -> int | None:
    """Time of ``msg.header.stamp`` (or ``msg.timestamp``) in ns since epoch; None when absent or zero."""
    stamp = getattr(getattr(msg, "header", None), "stamp", None) or getattr(msg, "timestamp", None)
    if stamp is None:
        return None
    sec = getattr(stamp, "sec", getattr(stamp, "secs", 0))
    nsec = getattr(stamp, "nanosec", getattr(stamp, "nsecs", 0))
    total = int(sec) * 1_000_000_000 + int(nsec)
    return total or None


def frame_id(msg: Any) -> str | None:
    fid = getattr(getattr(msg, "header", None), "frame_id", None) or getattr(msg, "frame_id", None)
    return str(fid) if fid else None


@dataclass
class Extractor:
    """How one message type becomes a stream: ``kind`` numeric or video, column names, role and units."""

    kind: str
    columns: list[str] = field(default_factory=list)
    rows: Callable[[Any], Row] | None = None
    role: str | None = None
    unit: str | None = None
    column_units: dict[str, str] = field(default_factory=dict)
    quaternion_order: str | None = None
    codec: str | None = None

    def row(self, msg: Any) -> Row:
        assert self.rows is not None
        return self.rows(msg)


def _xyz(v: Any) -> Row:
    return [float(v.x), float(v.y), float(v.z)]


def _quat(q: Any) -> Row:
    return [float(q.x), float(q.y), float(q.z), float(q.w)]


_XYZ = ["x", "y", "z"]
_Q = ["qx", "qy", "qz", "qw"]


def _prefixed(prefix: str, names: list[str]) -> list[str]:
    return [f"{prefix}.{n}" for n in names]


def _units(columns: list[str], unit: str) -> dict[str, str]:
    return dict.fromkeys(columns, unit)


def _pose(p: Any) -> Row:
    return _xyz(p.position) + _quat(p.orientation)


def _twist(t: Any) -> Row:
    return _xyz(t.linear) + _xyz(t.angular)


_POSE_COLS = _prefixed("position", _XYZ) + _prefixed("orientation", _Q)
_TWIST_COLS = _prefixed("linear", _XYZ) + _prefixed("angular", _XYZ)
_WRENCH_COLS = _prefixed("force", _XYZ) + _prefixed("torque", _XYZ)
_IMU_COLS = _prefixed("orientation", _Q) + _prefixed("angular_velocity", _XYZ) + _prefixed("linear_acceleration", _XYZ)


def _fixed() -> dict[str, Extractor]:
    wrench = Extractor(
        "numeric",
        _WRENCH_COLS,
        lambda m: _xyz(m.force) + _xyz(m.torque),
        "wrench",
        column_units=_units(_WRENCH_COLS[:3], "N") | _units(_WRENCH_COLS[3:], "N m"),
    )
    pose = Extractor(
        "numeric", _POSE_COLS, _pose, "pose", column_units=_units(_POSE_COLS[:3], "m"), quaternion_order="xyzw"
    )
    twist = Extractor(
        "numeric",
        _TWIST_COLS,
        _twist,
        "twist",
        column_units=_units(_TWIST_COLS[:3], "m/s") | _units(_TWIST_COLS[3:], "rad/s"),
    )
    imu_row: Callable[[Any], Row] = lambda m: (  # noqa: E731
        _quat(m.orientation) + _xyz(m.angular_velocity) + _xyz(m.linear_acceleration)
    )
    imu = Extractor(
        "numeric",
        _IMU_COLS,
        imu_row,
        "imu",
        quaternion_order="xyzw",
        column_units=_units(_IMU_COLS[4:7], "rad/s") | _units(_IMU_COLS[7:], "m/s^2"),
    )
    tf_cols = _prefixed("translation", _XYZ) + _prefixed("rotation", _Q)
    transform = Extractor(
        "numeric",
        tf_cols,
        lambda m: _xyz(m.transform.translation) + _quat(m.transform.rotation),
        "transform",
        column_units=_units(tf_cols[:3], "m"),
        quaternion_order="xyzw",
    )
    return {
        "geometry_msgs/WrenchStamped": Extractor(**{**wrench.__dict__, "rows": lambda m: wrench.row(m.wrench)}),
        "geometry_msgs/Wrench": wrench,
        "geometry_msgs/PoseStamped": Extractor(**{**pose.__dict__, "rows": lambda m: _pose(m.pose)}),
        "geometry_msgs/Pose": pose,
        "geometry_msgs/PoseWithCovarianceStamped": Extractor(**{**pose.__dict__, "rows": lambda m: _pose(m.pose.pose)}),
        "geometry_msgs/PoseWithCovariance": Extractor(**{**pose.__dict__, "rows": lambda m: _pose(m.pose)}),
        "geometry_msgs/TwistStamped": Extractor(**{**twist.__dict__, "rows": lambda m: _twist(m.twist)}),
        "geometry_msgs/Twist": twist,
        "geometry_msgs/TransformStamped": transform,
        "nav_msgs/Odometry": Extractor(
            "numeric",
            _POSE_COLS + _TWIST_COLS,
            lambda m: _pose(m.pose.pose) + _twist(m.twist.twist),
            "odometry",
            quaternion_order="xyzw",
        ),
        "sensor_msgs/Imu": imu,
        "sensor_msgs/MagneticField": Extractor(
            "numeric", _XYZ, lambda m: _xyz(m.magnetic_field), "magnetic_field", unit="T"
        ),
        "sensor_msgs/Temperature": Extractor(
            "numeric", ["temperature"], lambda m: [float(m.temperature)], "temperature", unit="degC"
        ),
        "sensor_msgs/FluidPressure": Extractor(
            "numeric", ["fluid_pressure"], lambda m: [float(m.fluid_pressure)], "pressure", unit="Pa"
        ),
        "foxglove_msgs/CompressedVideo": Extractor("video"),
        "foxglove/CompressedVideo": Extractor("video"),
        "sensor_msgs/CompressedImage": Extractor("video"),
        "sensor_msgs/Image": Extractor("video", codec="rawvideo"),
        "foxglove/RawImage": Extractor("video", codec="rawvideo"),
    }


FIXED = _fixed()
VIDEO_CODECS = {
    "h264": "h264",
    "h265": "hevc",
    "hevc": "hevc",
    "av1": "av1",
    "vp9": "vp9",
    "jpeg": "mjpeg",
    "jpg": "mjpeg",
    "png": "png",
}


def video_codec(msg: Any) -> str | None:
    """FFmpeg codec name of a CompressedImage / CompressedVideo message's ``format`` (e.g. 'rgb8; jpeg ...')."""
    fmt = str(getattr(msg, "format", "")).lower()
    for key, codec in VIDEO_CODECS.items():
        if key in fmt:
            return codec
    return None


def joint_state_extractor(first: Any) -> Extractor:
    """Columns ``<joint>.position`` (+ ``.velocity``, ``.effort`` when the first message has them)."""
    names = [str(n) for n in first.name] or [f"joint{i}" for i in range(len(first.position))]
    parts = [p for p in ("position", "velocity", "effort") if len(getattr(first, p, [])) == len(names)]
    columns = [f"{n}.{p}" for p in parts for n in names]
    units = {f"{n}.effort": "N m" for n in names} | {f"{n}.velocity": "rad/s" for n in names}

    def rows(m: Any) -> Row:
        if [str(n) for n in m.name] != names and len(m.name):
            raise ValueError(f"joint set changed from {names} to {list(m.name)}")
        return [float(v) for p in parts for v in getattr(m, p)]

    role = "gripper_joint" if any(k in " ".join(names).lower() for k in ("finger", "gripper")) else "joint_position"
    return Extractor("numeric", columns, rows, role, unit="rad", column_units=units)


_NUMBER = (bool, int, float, np.number, np.bool_)
MAX_ARRAY = 64  # longer numeric arrays (images, point clouds, covariance blobs) are not flattened into columns


def _fields(msg: Any) -> list[str]:
    slots = getattr(msg, "__slots__", None)
    if slots:
        return list(slots)
    return list(vars(msg)) if hasattr(msg, "__dict__") else []


def _flatten(msg: Any, prefix: str = "") -> Iterator[tuple[str, float]]:
    for name in _fields(msg):
        value = getattr(msg, name)
        path = f"{prefix}{name}"
        if isinstance(value, _NUMBER):
            yield path, float(value)
        elif isinstance(value, bytes | bytearray | np.ndarray) or (
            isinstance(value, list | tuple) and value and all(isinstance(v, _NUMBER) for v in value)
        ):
            if len(value) <= MAX_ARRAY:
                yield from ((f"{path}[{i}]", float(v)) for i, v in enumerate(value))
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                yield from _flatten(v, f"{path}[{i}].")
        elif _fields(value):
            yield from _flatten(value, f"{path}.")


def generic_extractor(first: Any) -> Extractor | None:
    """Flattened numeric fields of an unknown type (column set fixed by the first message); None if there are none."""
    columns = [c for c, _ in _flatten(first) if not c.startswith("header.")]
    if not columns:
        return None

    def rows(m: Any) -> Row:
        values = dict(_flatten(m))
        return [values.get(c, float("nan")) for c in columns]

    return Extractor("numeric", columns, rows)


def extractor_for(type_name: str, first: Any) -> Extractor | None:
    """The extractor for messages of ``type_name`` (built from the first message where columns depend on it)."""
    t = normalise_type(type_name)
    if t in FIXED:
        return FIXED[t]
    if t in ("sensor_msgs/JointState", "foxglove/JointState"):
        return joint_state_extractor(first)
    if t == "std_msgs/String" or t.endswith("/Log"):
        return None
    return generic_extractor(first)
