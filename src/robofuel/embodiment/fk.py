"""Forward kinematics of recorded joint streams into the canonical action space (:mod:`robofuel.standard.canonical`).

Joint values are found by name in the episode's numeric streams (:func:`~robofuel.embodiment.registry.joint_column`):
a column ``J``, ``J.position``, ``J.pos`` (LeRobot's SO-100/101 and Koch), ``main_J`` (older LeRobot datasets),
``<prefix>.J`` or ``<prefix>.J.position`` where ``J`` is the URDF joint name or one of the embodiment's aliases
(Unitree's ``kLeftShoulderPitch``...). A declared unit that is not SI (``deg``) is converted. Streams with role
``joint_position`` are searched first, then ``state``, then ``action``, then the rest. Poses come out as 4x4
transforms of the tool frame in the embodiment's base frame (m), or as ``ee_pose`` rows (m, quaternion xyzw).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from robofuel.embodiment.model import F64, arm_kinematics
from robofuel.embodiment.registry import ArmSpec, Embodiment, GripperSpec, joint_column
from robofuel.errors import InputError
from robofuel.spatial.transforms import relative_poses
from robofuel.standard import EpisodeData, NumericData, Stream, numeric_stream
from robofuel.standard.canonical import (
    EE_POSE_COLUMNS,
    EE_POSE_RELATIVE_ROLE,
    EE_POSE_ROLE,
    GRIPPER_APERTURE_ROLE,
    poses_to_rows,
)
from robofuel.standard.units import column_unit, si_factor

I64 = npt.NDArray[np.int64]
_ROLE_ORDER = ("joint_position", "gripper_joint", "state", "action")


@dataclass
class JointTrajectory:
    """Joint values (N, n) in rad or m of ``names``, at ``timestamps_ns`` (N,), read from stream ``stream``."""

    stream: str
    names: list[str]
    timestamps_ns: I64
    values: F64

    @property
    def times_s(self) -> F64:
        """Seconds from the first sample."""
        t: F64 = (self.timestamps_ns - self.timestamps_ns[0]) / 1e9 if len(self.timestamps_ns) else np.zeros(0)
        return t


def _keys(joint: str, embodiment: Embodiment) -> list[str]:
    return [joint] + [alias for alias, target in embodiment.aliases.items() if target == joint]


def _ordered(data: EpisodeData) -> list[Stream]:
    numeric = [s for s in data.meta.streams if s.kind.value == "numeric" and s.name in data.payloads]
    rank = {r: i for i, r in enumerate(_ROLE_ORDER)}
    return sorted(numeric, key=lambda s: rank.get(s.role or "", len(rank)))


#: |value| beyond which an undeclared joint value cannot be radians (a full turn and a bit).
NOT_RADIANS = 6.5


def _check_radians(data: EpisodeData, stream: Stream, cols: list[int], values: F64) -> None:
    """InputError when joints with no declared unit hold values no joint reaches in rad (degrees, LeRobot's
    -100..100 motor range): retargeting them as radians would invent a motion."""
    undeclared = [k for k, c in enumerate(cols) if column_unit(stream, stream.columns[c]) is None]
    peak = float(np.nanmax(np.abs(values[:, undeclared]), initial=0.0)) if undeclared and len(values) else 0.0
    if peak > NOT_RADIANS:
        raise InputError(
            f"episode {data.meta.id}: stream {stream.name!r} holds joint values up to {peak:.1f} with no unit "
            "declared: not radians (degrees? LeRobot's -100..100 motor range?); declare the unit in a mapping file "
            '(robofuel ingest --map, unit = "deg"; see docs/formats/mapping.md)'
        )


def joint_trajectory(data: EpisodeData, embodiment: Embodiment, joints: tuple[str, ...]) -> JointTrajectory:
    """The first stream holding every joint of ``joints``; InputError naming the joints when none does."""
    for s in _ordered(data):
        idx = [joint_column(s.columns, _keys(j, embodiment)) for j in joints]
        if all(i is not None for i in idx):
            payload = data.numeric(s.name)
            cols = [i for i in idx if i is not None]
            scale = [(si_factor(column_unit(s, s.columns[c])) or (1.0, ""))[0] for c in cols]  # deg -> rad
            values = payload.values[:, cols] * np.asarray(scale)[None, :]
            _check_radians(data, s, cols, values)
            return JointTrajectory(s.name, list(joints), payload.timestamps_ns, values)
    raise InputError(f"episode {data.meta.id}: no numeric stream holds the joints {list(joints)} of {embodiment.id}")


def ee_trajectory(data: EpisodeData, embodiment: Embodiment, arm: str | None = None) -> tuple[JointTrajectory, F64]:
    """The arm's joint trajectory and its (N, 4, 4) tool poses in the base frame (m)."""
    spec = embodiment.arm(arm)
    joints = joint_trajectory(data, embodiment, spec.joints)
    return joints, arm_kinematics(embodiment, spec.name).fk(joints.values)


def aperture_from_joints(gripper: GripperSpec, values: F64) -> F64:
    """(N,) aperture in m from gripper joint values (N, k), by the registry's linear map (clipped to the range).
    A finger recorded mirrored (its values of the other sign than the registry's open value, as robosuite's second
    Panda finger) counts by its magnitude."""
    open_, closed = np.asarray(gripper.open), np.asarray(gripper.closed)
    values = np.asarray(values, dtype=np.float64)
    if len(values):
        ref = np.where(open_ != 0, open_, closed)
        mirrored = (ref != 0) & (np.sign(np.nanmedian(values, axis=0)) == -np.sign(ref))
        values = np.where(mirrored[None, :], -values, values)
    closure = np.mean((values - open_) / (closed - open_), axis=1)
    out: F64 = np.clip(gripper.max_aperture_m * (1 - closure), 0.0, gripper.max_aperture_m)
    return out


def gripper_aperture(data: EpisodeData, embodiment: Embodiment, arm: ArmSpec) -> tuple[I64, F64] | None:
    """Timestamps (ns) and aperture (m) of the arm's gripper, or None if it has no mapped gripper or no data."""
    g = arm.gripper
    if g is None or not g.joints:
        return None
    try:
        traj = joint_trajectory(data, embodiment, g.joints)
    except InputError:
        return None
    return traj.timestamps_ns, aperture_from_joints(g, traj.values)


def _pose_stream(name: str, role: str, ts: I64, poses: F64, frame: str | None) -> tuple[Stream, NumericData]:
    payload = NumericData(ts, poses_to_rows(poses))
    units = {c: "m" if c in "xyz" else "1" for c in EE_POSE_COLUMNS}
    meta = numeric_stream(
        name, payload, list(EE_POSE_COLUMNS), role=role, frame=frame, quaternion_order="xyzw", column_units=units
    )
    return meta, payload


def canonical_streams(data: EpisodeData, embodiment: Embodiment) -> dict[str, tuple[Stream, NumericData]]:
    """Every canonical stream computable for the episode: per arm ``ee_pose.<arm>``, ``ee_pose_relative.<arm>``
    (both m + quaternion xyzw in the base frame) and ``gripper_aperture.<arm>`` (m), keyed by stream name."""
    out: dict[str, tuple[Stream, NumericData]] = {}
    frame = embodiment.base_frame
    for spec in embodiment.arms:
        joints, poses = ee_trajectory(data, embodiment, spec.name)
        ts = joints.timestamps_ns
        out[f"ee_pose.{spec.name}"] = _pose_stream(f"ee_pose.{spec.name}", EE_POSE_ROLE, ts, poses, frame)
        rel_name = f"ee_pose_relative.{spec.name}"
        out[rel_name] = _pose_stream(rel_name, EE_POSE_RELATIVE_ROLE, ts, relative_poses(poses), frame)
        grip = gripper_aperture(data, embodiment, spec)
        if grip is not None:
            payload = NumericData(grip[0], grip[1])
            name = f"gripper_aperture.{spec.name}"
            out[name] = (numeric_stream(name, payload, ["aperture"], role=GRIPPER_APERTURE_ROLE, unit="m"), payload)
    return out
