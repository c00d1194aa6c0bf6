"""Arm and gripper joints told apart by name, and a joint stream that holds both split in two.

A robot driver often publishes one ``sensor_msgs/JointState`` with every joint: a Franka's seven arm joints and
its two finger joints, a UR arm with its gripper's knuckle. Judged as one stream it is neither an arm (the joint
limits, velocities and kinematics are the arm's) nor a gripper (the grasp is the fingers'). Each joint is classed
by :func:`robofuel.embodiment.registry.joint_part` (the built-in models' arm and gripper joints, else the words
gripper / finger in its name), and a mixed stream becomes two: the arm's joints keep the stream (role
``joint_position``, rad) and the gripper's go to ``<name>.gripper`` (role ``gripper_joint``; a gripper's finger
joints are often prismatic, which JointState does not say, so no unit is declared).
"""

from __future__ import annotations

from collections.abc import Callable

from robofuel.embodiment.registry import joint_part
from robofuel.ingest.base import Built, ReadReport
from robofuel.standard import NumericData, Stream, numeric_stream

#: Units of an arm's JointState columns by their part (position, velocity, effort).
ARM_UNITS = {"position": "rad", "velocity": "rad/s", "effort": "N m"}


def joint_of(column: str) -> tuple[str, str]:
    """(joint, part) of a JointState column ``<joint>.<position|velocity|effort>``."""
    joint, _, part = column.rpartition(".")
    return (joint, part) if joint else (column, "position")


def gripper_columns(columns: list[str]) -> list[int]:
    """Indices of the columns that belong to gripper or finger joints."""
    return [i for i, c in enumerate(columns) if joint_part(joint_of(c)[0]) == "gripper"]


def _part(stream: Stream, data: NumericData, cols: list[int], name: str, role: str) -> Built:
    columns = [stream.columns[i] for i in cols]
    payload = NumericData(data.timestamps_ns, data.values[:, cols])
    arm = role == "joint_position"
    units = {c: ARM_UNITS[joint_of(c)[1]] for c in columns if arm and joint_of(c)[1] != "position"}
    info = {"frame": stream.frame, "source": stream.source, "rate_hz": stream.rate_hz, "clock": stream.clock}
    made = numeric_stream(name, payload, columns, role=role, unit="rad" if arm else None, column_units=units, **info)
    return made.model_copy(update={"clock_offset_ns": stream.clock_offset_ns}), payload


def split_joint_roles(built: Built, unique: Callable[[str], str], report: ReadReport) -> list[Built]:
    """``built`` as it is, or, for a joint stream holding arm and gripper joints, its arm part under its own name
    and its gripper part as ``<name>.gripper`` (listed in ``report``)."""
    stream, data = built
    if stream.role != "joint_position" or not isinstance(data, NumericData):
        return [built]  # a stream already called a gripper's (by its topic) keeps every joint
    grip = gripper_columns(stream.columns)
    if not grip or len(grip) == len(stream.columns):
        return [built]
    arm = [i for i in range(len(stream.columns)) if i not in grip]
    gripper = _part(stream, data, grip, unique(f"{stream.name}.gripper"), "gripper_joint")
    report.add_stream(gripper[0], split_from=stream.name)
    return [_part(stream, data, arm, stream.name, "joint_position"), gripper]
