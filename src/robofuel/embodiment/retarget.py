"""Retargeting an end-effector trajectory to another embodiment: workspace alignment, IK, gripper mapping.

Source poses are 4x4 tool poses in the source's base frame (m). The target's base frame is placed so that
``p_target = c + scale * (p - c) + offset`` (m, with ``c`` the source trajectory's centroid) and orientations are
kept as they are: both base frames are taken as z-up with the same yaw. :func:`auto_alignment` picks the offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robofuel.embodiment.avoid import avoidance
from robofuel.embodiment.ik import BoolArray, IkOptions, IkResult, solve_trajectory
from robofuel.embodiment.model import F64, ArmKinematics
from robofuel.embodiment.registry import GripperSpec

REACH_POS_M = 1e-3  # a frame is reachable when IK ends within 1 mm ...
REACH_ROT_RAD = float(np.deg2rad(1.0))  # ... and 1 degree of its target
_PROBES = 12  # frames tried per candidate placement


@dataclass(frozen=True)
class Alignment:
    """Placement of the source trajectory in the target's base frame: ``offset`` (m) and ``scale`` about the
    centroid; ``auto`` says whether :func:`auto_alignment` chose it."""

    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    scale: float = 1.0
    auto: bool = False

    def apply(self, poses: F64) -> F64:
        """(N, 4, 4) poses moved and scaled; rotations unchanged."""
        out = np.array(poses, dtype=np.float64, copy=True)
        centre = out[:, :3, 3].mean(axis=0) if len(out) else np.zeros(3)
        out[:, :3, 3] = centre + self.scale * (out[:, :3, 3] - centre) + np.asarray(self.offset)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"offset_m": [round(v, 6) for v in self.offset], "scale": self.scale, "auto": self.auto}


@dataclass
class RetargetResult:
    """The aligned targets (N, 4, 4), the IK solution on the target arm, and the mapped gripper aperture."""

    alignment: Alignment
    targets: F64
    ik: IkResult
    times_s: F64
    aperture_m: F64 | None = None
    gripper_joints: F64 | None = None
    notes: list[str] = field(default_factory=list)


def reachable(ik: IkResult) -> BoolArray:
    """(N,) bool: frames whose IK residual is within :data:`REACH_POS_M` and :data:`REACH_ROT_RAD`."""
    ok: BoolArray = (ik.pos_err_m <= REACH_POS_M) & (ik.rot_err_rad <= REACH_ROT_RAD)
    return ok


def _score(kin: ArmKinematics, poses: F64, alignment: Alignment) -> tuple[float, float]:
    """(fraction of probe frames reached, median joint-limit margin over them): the margin of a frame is its joint
    nearest a limit, as a fraction of that joint's half range (1 at mid-range, 0 at a limit; unbounded joints 1)."""
    idx = np.unique(np.linspace(0, len(poses) - 1, min(_PROBES, len(poses))).round().astype(int))
    targets = alignment.apply(poses)[idx]
    ik = solve_trajectory(kin, targets, np.zeros(len(idx)), opts=IkOptions(iters=100, velocity_limits=False))
    half = (kin.upper - kin.lower) / 2
    with np.errstate(invalid="ignore"):
        room = np.where(np.isfinite(half), 1 - np.abs(ik.theta - (kin.upper + kin.lower) / 2) / half, 1.0)
    return float(np.mean(reachable(ik))), float(np.median(np.min(room, axis=1)))


def candidate_offsets(kin: ArmKinematics, poses: F64, scale: float) -> list[tuple[float, float, float]]:
    """Offsets (m) to try, in order: none, then moving the centroid towards the target's home tool position."""
    home = kin.pose(kin.home)[:3, 3]
    shift = home - poses[:, :3, 3].mean(axis=0)
    offsets = [np.zeros(3)] + [f * shift for f in (0.25, 0.5, 0.75, 1.0)]
    offsets += [shift + np.array(d) for d in ((0.1, 0, 0), (-0.1, 0, 0), (0, 0, 0.1), (0, 0, -0.1))]
    return [(float(o[0]), float(o[1]), float(o[2])) for o in offsets]


def auto_alignment(kin: ArmKinematics, poses: F64, scale: float = 1.0) -> Alignment:
    """No offset when that reaches every probe frame (the recorded placement is kept); else, of the candidates,
    the one reaching the most probe frames, ties broken by the joint-limit margin (a path near a limit leaves the
    velocity-limited IK no room)."""
    best, best_key = Alignment(scale=scale, auto=True), (-1.0, -1.0)
    for offset in candidate_offsets(kin, poses, scale):
        candidate = Alignment(offset, scale, auto=True)
        key = _score(kin, poses, candidate)
        if not any(offset) and key[0] >= 1.0:
            return candidate
        if key > best_key:
            best, best_key = candidate, key
    return best


def map_aperture(aperture_m: F64, target: GripperSpec | None) -> tuple[F64, F64 | None]:
    """Target aperture (m, the source's clipped to the target's range) and target gripper joint values (N, k)."""
    if target is None:
        return np.asarray(aperture_m, dtype=np.float64), None
    a = np.clip(aperture_m, 0.0, target.max_aperture_m)
    if not target.joints:
        return a, None
    closure = (1 - a / target.max_aperture_m)[:, None]
    joints: F64 = np.asarray(target.open) + (np.asarray(target.closed) - np.asarray(target.open)) * closure
    return a, joints


def retarget(
    kin: ArmKinematics,
    poses: F64,
    times_s: F64,
    alignment: Alignment | None = None,
    opts: IkOptions | None = None,
    avoid_collisions: bool = True,
) -> RetargetResult:
    """Align ``poses`` (N, 4, 4; source base frame, m) to the target arm ``kin`` and solve IK along them, keeping
    the arm's links apart (:mod:`robofuel.embodiment.avoid`) unless ``avoid_collisions`` is False or the model has
    no collision geometry."""
    alignment = alignment or auto_alignment(kin, poses)
    targets = alignment.apply(poses)
    avoid = avoidance(kin) if avoid_collisions else None
    ik = solve_trajectory(kin, targets, times_s, opts=opts, avoid=avoid)
    return RetargetResult(alignment, targets, ik, times_s)
