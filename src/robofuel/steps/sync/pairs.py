"""Which streams observe the same motion: pairs of a sensor stream and a reference stream, found by role and columns.

Two kinds of pairs are known, each a physical link rather than a naming convention:

- ``rotation``: an IMU (role ``imu``, gyro columns) and a stream that moves with it: a ``pose`` (its orientation
  rate when it holds a quaternion, else its speed), hand or body keypoints (the wrist point's speed), or joint
  positions (joint-space speed). The IMU's angular-rate magnitude rises and falls with that motion.
- ``contact``: a force-torque sensor (role ``wrench``, force columns) and a gripper (``gripper_joint`` or
  ``gripper_width``): the wrist feels the grasp close and the load come and go when the gripper squeezes and opens.

The reference is the kinematic stream (joints, pose, keypoints, gripper): the sensor's clock is the one corrected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from robofuel.resample import quaternion_groups
from robofuel.standard import NumericData, Payload, Stream, StreamKind

#: Reference roles of an IMU, best first (used to order candidates; the most confident pair wins).
MOTION_ROLES = ("pose", "hand_keypoints", "body_keypoints", "joint_position")
GRIPPER_ROLES = ("gripper_joint", "gripper_width")
AXES = ("x", "y", "z")


@dataclass(frozen=True)
class Signal:
    """How to turn one stream into a 1-D signal: ``kind`` names the derivation (see :mod:`.signals`), ``columns``
    the column indices it reads (a quaternion's four in the stream's own order for ``orientation_rate``)."""

    kind: str
    columns: tuple[int, ...]


@dataclass(frozen=True)
class Pair:
    """A sensor stream whose clock is checked against a reference stream, with the signal derived from each."""

    kind: str
    sensor: Stream
    reference: Stream
    sensor_signal: Signal
    reference_signal: Signal


def gyro_columns(stream: Stream) -> tuple[int, ...]:
    """Angular-rate columns of an IMU stream (``gyro*`` or ``angular_velocity*``)."""
    return tuple(i for i, c in enumerate(stream.columns) if "gyro" in c.lower() or "angular_velocity" in c)


def force_columns(stream: Stream) -> tuple[int, ...]:
    """Force columns of a wrench stream: named ``force*`` / ``f[xyz]``, else those in N, else the first three."""
    named = tuple(i for i, c in enumerate(stream.columns) if c.lower().startswith(("force", "fx", "fy", "fz")))
    if named:
        return named
    in_newton = tuple(i for i, c in enumerate(stream.columns) if stream.column_units.get(c) == "N")
    return in_newton or tuple(range(min(3, len(stream.columns))))


def _point_triplets(columns: Sequence[str]) -> dict[str, tuple[int, int, int]]:
    """Keypoint coordinate triplets by point name: ``<name>_x/_y/_z`` or ``<name>.x/.y/.z`` side by side."""
    index = {c: i for i, c in enumerate(columns)}
    out: dict[str, tuple[int, int, int]] = {}
    for col in columns:
        for sep in ("_", "."):
            if col.endswith(f"{sep}x"):
                name = col[:-2]
                idx = [index.get(f"{name}{sep}{a}") for a in AXES]
                if all(i is not None for i in idx):
                    out[name] = (int(idx[0] or 0), int(idx[1] or 0), int(idx[2] or 0))
    return out


def motion_signal(stream: Stream) -> Signal | None:
    """The motion signal of a kinematic stream: orientation rate, wrist speed, or position speed; None if none."""
    if stream.role == "pose":
        groups = quaternion_groups(stream)
        if groups:
            return Signal("orientation_rate", tuple(groups[0]))
    if stream.role in ("hand_keypoints", "body_keypoints"):
        points = _point_triplets(stream.columns)
        wrist = next((idx for name, idx in points.items() if "wrist" in name.lower()), None)
        if wrist is not None:
            return Signal("speed", wrist)
        if points:
            return Signal("speed", tuple(i for idx in points.values() for i in idx))
    quats = {i for g in quaternion_groups(stream) for i in g}
    positions = tuple(
        i
        for i, c in enumerate(stream.columns)
        if i not in quats and not c.endswith((".velocity", ".effort")) and "orientation" not in c
    )
    return Signal("speed", positions) if positions else None


def grip_signal(stream: Stream) -> Signal | None:
    """A gripper's grip: its effort columns (squeeze force) where recorded, else its closure from positions."""
    effort = tuple(i for i, c in enumerate(stream.columns) if c.endswith(".effort"))
    if effort:
        return Signal("grip_change", effort)
    positions = tuple(i for i, c in enumerate(stream.columns) if not c.endswith((".velocity", ".effort")))
    return Signal("closure_change", positions) if positions else None


def _usable(stream: Stream, payloads: Mapping[str, Payload]) -> bool:
    payload = payloads.get(stream.name)
    return stream.kind is StreamKind.numeric and isinstance(payload, NumericData) and len(payload.timestamps_ns) > 2


def candidate_pairs(streams: Sequence[Stream], payloads: Mapping[str, Payload]) -> list[Pair]:
    """Every physically linked (sensor, reference) pair among the episode's numeric streams with samples."""
    usable = [s for s in streams if _usable(s, payloads)]
    out: list[Pair] = []
    for sensor in usable:
        if sensor.role == "imu" and gyro_columns(sensor):
            sensor_signal = Signal("magnitude", gyro_columns(sensor))
            refs = sorted((s for s in usable if s.role in MOTION_ROLES), key=lambda s: MOTION_ROLES.index(s.role or ""))
            derive = motion_signal
            kind = "rotation"
        elif sensor.role == "wrench":
            sensor_signal = Signal("load_change", force_columns(sensor))
            refs = [s for s in usable if s.role in GRIPPER_ROLES]
            derive = grip_signal
            kind = "contact"
        else:
            continue
        for ref in refs:
            ref_signal = derive(ref)
            if ref_signal is not None and ref.name != sensor.name:
                out.append(Pair(kind, sensor, ref, sensor_signal, ref_signal))
    return out
