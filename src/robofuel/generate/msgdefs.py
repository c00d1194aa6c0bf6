"""ROS 2 message definitions (.msg text with dependencies) for the messages the generator writes into MCAP."""

from __future__ import annotations

_SEP = "\n" + "=" * 80 + "\n"
_TIME = "MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec"
_HEADER = "MSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id"
_VECTOR3 = "MSG: geometry_msgs/Vector3\nfloat64 x\nfloat64 y\nfloat64 z"


def _with(main: str, *deps: str) -> str:
    return _SEP.join([main, *deps])


JOINT_STATE = _with(
    "std_msgs/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort", _HEADER, _TIME
)
WRENCH_STAMPED = _with(
    "std_msgs/Header header\ngeometry_msgs/Wrench wrench",
    _HEADER,
    _TIME,
    "MSG: geometry_msgs/Wrench\ngeometry_msgs/Vector3 force\ngeometry_msgs/Vector3 torque",
    _VECTOR3,
)
COMPRESSED_IMAGE = _with("std_msgs/Header header\nstring format\nuint8[] data", _HEADER, _TIME)
COMPRESSED_VIDEO = _with("builtin_interfaces/Time timestamp\nstring frame_id\nuint8[] data\nstring format", _TIME)

DEFS = {
    "sensor_msgs/msg/JointState": JOINT_STATE,
    "geometry_msgs/msg/WrenchStamped": WRENCH_STAMPED,
    "sensor_msgs/msg/CompressedImage": COMPRESSED_IMAGE,
    "foxglove_msgs/msg/CompressedVideo": COMPRESSED_VIDEO,
}
