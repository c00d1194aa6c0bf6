"""Mapping decoded ROS messages to canonical streams, independent of the container (MCAP, ROS 1 or 2 bags).

Messages are read through attribute access only (``msg.header.stamp.sec``), as ``mcap_ros2``, ``rosbags`` and
a JSON document turned into namespaces all allow, so the same mappings serve every reader. One *mapping*
object is made per topic by :func:`mapping_for` from the topic's type name and first message; the reader then
calls ``add(msg)`` for every message in order and finally reads ``table()`` (numeric) or ``packets`` (video).

Known types and what they become (columns; units SI; quaternions ``xyzw`` as ROS writes them):

- ``sensor_msgs/JointState``: ``<joint>.position`` (rad, or m for prismatic joints), ``<joint>.velocity``,
  ``<joint>.effort`` where recorded; role ``joint_position``, or ``gripper_joint`` when the topic names a gripper
  or every joint is a gripper's or finger's; arm and finger joints in one message are split into two streams
  (:mod:`robofuel.ingest.joint_roles`). Columns are matched by joint name, so a reordered message is still right.
- ``geometry_msgs/Wrench[Stamped]``: ``force.x..z`` (N), ``torque.x..z`` (N m); role ``wrench``.
- ``sensor_msgs/Imu``: ``orientation.x..w``, ``angular_velocity.x..z`` (rad/s), ``linear_acceleration.x..z``
  (m/s^2); role ``imu``. Orientation is left out when the sensor marks it absent (covariance[0] = -1).
- ``geometry_msgs/Pose[Stamped]``, ``PoseWithCovariance[Stamped]``: ``position.x..z`` (m),
  ``orientation.x..w``.
- ``geometry_msgs/Twist[Stamped]``: ``linear.x..z`` (m/s), ``angular.x..z`` (rad/s).
- ``geometry_msgs/TransformStamped``; TF topics (``tf2_msgs/TFMessage``, foxglove ``FrameTransform(s)``) give one
  stream per frame pair (:mod:`robofuel.ingest.ros.tf`); ``nav_msgs/Odometry``, ``sensor_msgs/MagneticField`` /
  ``Temperature`` / ``FluidPressure``; ``std_msgs/*MultiArray`` keep ``data[i]`` only.
- Video (see :mod:`robofuel.ingest.ros.video`): ``foxglove_msgs/CompressedVideo``,
  ``sensor_msgs/CompressedImage``, ``sensor_msgs/Image``, ``foxglove.RawImage``.
- ``std_msgs/String``, log messages (``rcl_interfaces/Log``, ``rosgraph_msgs/Log``, ``foxglove/Log``) and any
  text-like type (only strings and booleans, or ``Empty``): an events stream, one event per message; ROS 2 service
  events (``<service>/_service_event``): an events stream of the calls (:mod:`robofuel.ingest.ros.events`).
- Anything else: every numeric field flattened (:mod:`robofuel.ingest.ros.flatten`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from robofuel.embodiment.registry import joint_part
from robofuel.ingest.ros.events import EventsMapping, ServiceEventMapping, text_like
from robofuel.ingest.ros.flatten import GenericMapping, NumericMapping, Row
from robofuel.ingest.ros.services import UndecodedEvent, is_service_event
from robofuel.ingest.ros.video import VideoMapping, video_mapping

Mapping = NumericMapping | VideoMapping | EventsMapping
#: Longest ``std_msgs/*MultiArray`` made into columns.
MULTI_ARRAY_LIMIT = 4096

#: Types that carry text, not signals: kept as events streams (:mod:`robofuel.ingest.ros.events`).
TEXT_TYPES = ("std_msgs/String", "rcl_interfaces/Log", "rosgraph_msgs/Log", "foxglove/Log", "foxglove_msgs/Log")

__all__ = [
    "TEXT_TYPES",
    "GenericMapping",
    "Mapping",
    "NumericMapping",
    "VideoMapping",
    "frame_id",
    "mapping_for",
    "normalise_type",
    "stamp_ns",
]


def normalise_type(name: str) -> str:
    """``pkg/msg/Type``, ``pkg/Type`` and ``pkg.Type`` (foxglove JSON schemas) all become ``pkg/Type``."""
    if "/" not in name and "." in name:
        name = name.replace(".", "/")
    parts = name.split("/")
    return f"{parts[0]}/{parts[-1]}" if len(parts) == 3 else name


def time_ns(stamp: Any) -> int | None:
    """ns of a ``builtin_interfaces/Time`` (sec, nanosec), ROS 1 time (secs, nsecs), JSON (sec, nsec) or
    ``google.protobuf.Timestamp`` (seconds, nanos)."""
    sec = getattr(stamp, "sec", getattr(stamp, "secs", getattr(stamp, "seconds", None)))
    if sec is None:
        return None
    nsec = getattr(stamp, "nanosec", getattr(stamp, "nsec", getattr(stamp, "nsecs", getattr(stamp, "nanos", 0))))
    return int(sec) * 1_000_000_000 + int(nsec)


def _stamp(msg: Any) -> Any:
    """The stamp field of ``msg`` (``header.stamp``, else ``timestamp`` or ``stamp``), None if it has none."""
    header = getattr(msg, "header", None)
    stamp = getattr(header, "stamp", None) if header is not None else getattr(msg, "timestamp", None)
    if stamp is None and header is None:
        stamp = getattr(msg, "stamp", None)
    return stamp


def stamp_ns(msg: Any) -> int | None:
    """``msg.header.stamp`` (or a time-typed ``msg.timestamp`` or ``msg.stamp``, as ROS 2 logs have), ns since
    epoch; None if absent or zero."""
    stamp = _stamp(msg)
    total = time_ns(stamp) if stamp is not None else None
    return total or None


def stamp_is_zero(msg: Any) -> bool:
    """Whether ``msg`` has a time-typed stamp field (as :func:`stamp_ns` reads it) holding 0: never stamped."""
    stamp = _stamp(msg)
    return stamp is not None and time_ns(stamp) == 0


def frame_id(msg: Any) -> str | None:
    """``msg.header.frame_id`` (or ``msg.frame_id``); None when absent or empty."""
    fid = getattr(getattr(msg, "header", None), "frame_id", None) or getattr(msg, "frame_id", None)
    return str(fid) if fid else None


def _xyz(v: Any) -> Row:
    return [float(v.x), float(v.y), float(v.z)]


def _quat(q: Any) -> Row:
    return [float(q.x), float(q.y), float(q.z), float(q.w)]


def _cols(prefix: str, axes: str = "xyz") -> list[str]:
    return [f"{prefix}.{a}" for a in axes]


def _units(columns: list[str], unit: str) -> dict[str, str]:
    return dict.fromkeys(columns, unit)


def _pose_row(p: Any) -> Row:
    return _xyz(p.position) + _quat(p.orientation)


def _twist_row(t: Any) -> Row:
    return _xyz(t.linear) + _xyz(t.angular)


POSE = _cols("position") + _cols("orientation", "xyzw")
TWIST = _cols("linear") + _cols("angular")
WRENCH = _cols("force") + _cols("torque")
POSE_UNITS = _units(POSE[:3], "m")
TWIST_UNITS = _units(TWIST[:3], "m/s") | _units(TWIST[3:], "rad/s")
WRENCH_UNITS = _units(WRENCH[:3], "N") | _units(WRENCH[3:], "N m")


class FixedMapping(NumericMapping):
    """A type with fixed columns: ``row`` turns one message into one float per column."""

    def __init__(self, columns: list[str], row: Callable[[Any], Row], role: str | None, **info: Any) -> None:
        super().__init__(columns, role=role, **info)
        self._row = row

    def row(self, msg: Any) -> Row:
        return self._row(msg)


def _wrench(inner: Callable[[Any], Any]) -> Callable[[Any, str], NumericMapping]:
    row: Callable[[Any], Row] = lambda m: _xyz(inner(m).force) + _xyz(inner(m).torque)  # noqa: E731
    return lambda first, topic: FixedMapping(WRENCH, row, "wrench", column_units=WRENCH_UNITS)


def _pose(inner: Callable[[Any], Any]) -> Callable[[Any, str], NumericMapping]:
    row: Callable[[Any], Row] = lambda m: _pose_row(inner(m))  # noqa: E731
    return lambda first, topic: FixedMapping(POSE, row, "pose", column_units=POSE_UNITS, quaternion_order="xyzw")


def _twist(inner: Callable[[Any], Any]) -> Callable[[Any, str], NumericMapping]:
    row: Callable[[Any], Row] = lambda m: _twist_row(inner(m))  # noqa: E731
    return lambda first, topic: FixedMapping(TWIST, row, "twist", column_units=TWIST_UNITS)


def _imu(first: Any, topic: str) -> NumericMapping:
    """Orientation columns only if the first message has an orientation (covariance[0] != -1, REP 145)."""
    cov = _seq(first, "orientation_covariance")
    has_orientation = len(cov) == 0 or float(cov[0]) != -1.0
    rates = _cols("angular_velocity") + _cols("linear_acceleration")
    units = _units(rates[:3], "rad/s") | _units(rates[3:], "m/s^2")
    if has_orientation:
        row: Callable[[Any], Row] = lambda m: (  # noqa: E731
            _quat(m.orientation) + _xyz(m.angular_velocity) + _xyz(m.linear_acceleration)
        )
        return FixedMapping(
            _cols("orientation", "xyzw") + rates, row, "imu", column_units=units, quaternion_order="xyzw"
        )
    mapping = FixedMapping(
        rates, lambda m: _xyz(m.angular_velocity) + _xyz(m.linear_acceleration), "imu", column_units=units
    )
    mapping.not_provided["orientation"] = "orientation_covariance[0] = -1"
    return mapping


def _transform(first: Any, topic: str) -> NumericMapping:
    cols = _cols("translation") + _cols("rotation", "xyzw")
    # TransformStamped nests the transform; foxglove's FrameTransform holds translation and rotation itself.
    inner: Callable[[Any], Any] = lambda m: m.transform if hasattr(m, "transform") else m  # noqa: E731
    row: Callable[[Any], Row] = lambda m: _xyz(inner(m).translation) + _quat(inner(m).rotation)  # noqa: E731
    return FixedMapping(cols, row, "transform", column_units=_units(cols[:3], "m"), quaternion_order="xyzw")


def _odometry(first: Any, topic: str) -> NumericMapping:
    row: Callable[[Any], Row] = lambda m: _pose_row(m.pose.pose) + _twist_row(m.twist.twist)  # noqa: E731
    units = POSE_UNITS | TWIST_UNITS
    return FixedMapping(POSE + TWIST, row, "odometry", column_units=units, quaternion_order="xyzw")


def _scalar(field: str, role: str, unit: str) -> Callable[[Any, str], NumericMapping]:
    return lambda first, topic: FixedMapping([field], lambda m: [float(getattr(m, field))], role, unit=unit)


def _multi_array(first: Any, topic: str) -> NumericMapping:
    """``std_msgs/*MultiArray``: the ``data`` values only (the layout is a description, not a signal); up to
    :data:`MULTI_ARRAY_LIMIT` of them, as such arrays are the signal itself (an action vector)."""
    return GenericMapping(only=("data",), limit=MULTI_ARRAY_LIMIT)


FIXED: dict[str, Callable[[Any, str], Mapping]] = {
    "geometry_msgs/WrenchStamped": _wrench(lambda m: m.wrench),
    "geometry_msgs/Wrench": _wrench(lambda m: m),
    "geometry_msgs/PoseStamped": _pose(lambda m: m.pose),
    "geometry_msgs/Pose": _pose(lambda m: m),
    "geometry_msgs/PoseWithCovarianceStamped": _pose(lambda m: m.pose.pose),
    "geometry_msgs/PoseWithCovariance": _pose(lambda m: m.pose),
    "geometry_msgs/TwistStamped": _twist(lambda m: m.twist),
    "geometry_msgs/Twist": _twist(lambda m: m),
    "geometry_msgs/TransformStamped": _transform,
    "nav_msgs/Odometry": _odometry,
    "sensor_msgs/Imu": _imu,
    "sensor_msgs/MagneticField": lambda first, topic: FixedMapping(
        _cols("magnetic_field"), lambda m: _xyz(m.magnetic_field), "magnetic_field", unit="T"
    ),
    "sensor_msgs/Temperature": _scalar("temperature", "temperature", "degC"),
    "sensor_msgs/FluidPressure": _scalar("fluid_pressure", "pressure", "Pa"),
}


def _seq(msg: Any, name: str) -> Any:
    """Field ``name`` of ``msg`` (a list, tuple or numpy array), or an empty list when absent."""
    value = getattr(msg, name, None)
    return [] if value is None else value


class JointStateMapping(NumericMapping):
    """``sensor_msgs/JointState``: columns fixed by the first message's joints, later ones matched by name.

    A message whose joint set differs from the first one's (a joint added, dropped or renamed) still gives a
    row: absent joints are NaN, unknown joints are ignored, and the change is noted (a finding on the stream).
    """

    def __init__(self, first: Any, topic: str) -> None:
        names = [str(n) for n in first.name] or [f"joint{i}" for i in range(len(first.position))]
        self.names = names
        self.parts = [p for p in ("position", "velocity", "effort") if len(_seq(first, p)) == len(names)]
        # the topic names a gripper, or every joint is a gripper's (by the built-in models, else by its name);
        # a stream of arm and finger joints together is split after reading (robofuel.ingest.joint_roles)
        gripper = any(k in topic.lower() for k in ("gripper", "finger")) or all(
            joint_part(n) == "gripper" for n in names
        )
        units = {f"{n}.velocity": "rad/s" for n in names} | {f"{n}.effort": "N m" for n in names}
        super().__init__(
            [f"{n}.{p}" for p in self.parts for n in names],
            role="gripper_joint" if gripper else "joint_position",
            # A gripper's finger joints are usually prismatic (m, m/s, N): JointState does not say which.
            unit=None if gripper else "rad",
            column_units={} if gripper else units,
        )
        self._index: dict[tuple[str, ...], tuple[list[int | None], bool]] = {}

    def _order(self, names: tuple[str, ...]) -> tuple[list[int | None], bool]:
        """For each known joint, its index in a message listing ``names`` (None if absent); and whether the
        set of joints differs from the first message's."""
        where = {n: i for i, n in enumerate(names)}
        return [where.get(n) for n in self.names], set(names) != set(self.names)

    def row(self, msg: Any) -> Row:
        names = tuple(str(n) for n in msg.name) or tuple(self.names)
        entry = self._index.get(names)
        if entry is None:
            entry = self._index[names] = self._order(names)
        order, changed = entry
        if changed:
            self.note(f"joint set changed from {self.names} to {list(names)}", "ingest.joint_set_changed")
        out: Row = []
        for part in self.parts:
            values = _seq(msg, part)
            out.extend(float(values[i]) if i is not None and i < len(values) else np.nan for i in order)
        return out


def mapping_for(type_name: str, first: Any, topic: str) -> Mapping | None:
    """The mapping for a topic of ``type_name`` whose first message is ``first``; text types give events."""
    t = normalise_type(type_name)
    if t in FIXED:
        return FIXED[t](first, topic)
    if t in ("sensor_msgs/JointState", "foxglove/JointState"):
        return JointStateMapping(first, topic)
    video = video_mapping(t, first)
    if video is not None:
        return video
    if t in TEXT_TYPES:
        return EventsMapping()
    if isinstance(first, UndecodedEvent) or is_service_event(type_name, topic):
        return ServiceEventMapping()
    if t.startswith("std_msgs/") and t.endswith("MultiArray"):
        return _multi_array(first, topic)
    return EventsMapping() if text_like(first) else GenericMapping()
