"""Feasibility of an episode on a target embodiment: how much of the motion the target arm can reproduce.

:func:`retarget_episode` computes the source tool trajectory by forward kinematics of the episode's joint stream,
aligns it to the target (see :mod:`robofuel.embodiment.retarget`), solves IK with joint and velocity limits and
checks the result: :class:`FeasibilityReport` gives the fraction of reachable frames, position (mm) and orientation
(degree) errors of the target's tool frame found by forward kinematics of the solution, limit violations,
self-collisions and a verdict (``feasible``, ``partial``, ``infeasible``) with its reasons.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from robofuel.embodiment.collision import shared_checker
from robofuel.embodiment.fk import ee_trajectory, gripper_aperture
from robofuel.embodiment.ik import BoolArray, IkOptions, pose_error
from robofuel.embodiment.model import F64, ArmKinematics, arm_kinematics
from robofuel.embodiment.registry import ArmSpec, Embodiment, Registry
from robofuel.embodiment.retarget import Alignment, RetargetResult, map_aperture, reachable, retarget
from robofuel.errors import InputError
from robofuel.standard import EpisodeData

FEASIBLE_REACH = 0.99  # fraction of reachable frames for 'feasible'
PARTIAL_REACH = 0.8  # below this: 'infeasible'
MAX_COLLISION_CHECKS = 500  # frames checked for self-collision per episode, evenly spread


@dataclass
class FeasibilityReport:
    """Per episode and target. Errors: position mm, orientation degree, of the tool frame, FK of the IK result.
    ``avoidance_frames``: frames where the IK pushed link pairs apart (None: avoidance off or no geometry)."""

    episode: str
    source: str
    target: str
    arm: str
    frames: int
    reachable_fraction: float
    position_error_mm: dict[str, float]
    orientation_error_deg: dict[str, float]
    joint_limit_violations: int
    velocity_limit_violations: int
    velocity_limited_frames: int
    collision_frames: int | None
    collision_checked_frames: int
    collision_note: str
    avoidance_frames: int | None
    alignment: dict[str, Any]
    gripper: str
    verdict: str
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stats(values: F64, mask: BoolArray) -> dict[str, float]:
    reach = values[mask]
    return {
        "median": round(float(np.median(values)), 4) if len(values) else 0.0,
        "p90": round(float(np.percentile(values, 90)), 4) if len(values) else 0.0,
        "max": round(float(np.max(values)), 4) if len(values) else 0.0,
        "median_reachable": round(float(np.median(reach)), 4) if len(reach) else float("nan"),
    }


def fk_errors(kin: ArmKinematics, result: RetargetResult) -> tuple[F64, F64]:
    """Position (mm) and orientation (degree) error per frame, from forward kinematics of the IK solution."""
    poses = kin.fk(result.ik.theta)
    errs = np.array([pose_error(p, t) for p, t in zip(poses, result.targets, strict=True)]).reshape(-1, 6)
    return np.linalg.norm(errs[:, :3], axis=1) * 1e3, np.rad2deg(np.linalg.norm(errs[:, 3:], axis=1))


class JointLimits(Protocol):
    """Joint position (rad or m) and velocity (per s) limits, one value per joint: an arm's or a hand's."""

    lower: F64
    upper: F64
    velocity: F64


def limit_violations(kin: JointLimits, theta: F64, times_s: F64) -> tuple[int, int]:
    """Frames outside the joint position limits, and frames moving faster than the velocity limits (1e-6 slack)."""
    outside = np.any((theta < kin.lower - 1e-6) | (theta > kin.upper + 1e-6), axis=1)
    dt = np.diff(times_s)
    speed = np.abs(np.diff(theta, axis=0)) / np.where(dt > 0, dt, np.inf)[:, None]
    fast = np.any(speed > kin.velocity * (1 + 1e-6), axis=1)
    return int(outside.sum()), int(fast.sum())


def verdict(reach: float, limits: int, collisions: int | None) -> tuple[str, list[str]]:
    """The verdict from the reachable fraction, limit violations and collision frames, with its reasons."""
    reasons = []
    if reach < FEASIBLE_REACH:
        reasons.append(f"{1 - reach:.1%} of frames out of reach (>1 mm or >1 deg from the target)")
    if limits:
        reasons.append(f"{limits} frames violate joint limits")
    if collisions:
        reasons.append(f"{collisions} checked frames in self-collision")
    if reach < PARTIAL_REACH:
        return "infeasible", reasons
    return ("feasible" if not reasons else "partial"), reasons


def _collisions(kin: ArmKinematics, theta: F64, check: bool) -> tuple[int | None, int, str]:
    if not check:
        return None, 0, "self-collision not checked (disabled)"
    checker, note = shared_checker(kin)
    if checker is None:
        return None, 0, note
    hits, checked = checker.count(theta, max(1, len(theta) // MAX_COLLISION_CHECKS))
    return hits, checked, note


def assess(
    episode: str,
    source: str,
    kin: ArmKinematics,
    result: RetargetResult,
    check_collisions: bool = True,
    gripper: str = "",
) -> FeasibilityReport:
    """The feasibility report of a retargeting result on the arm ``kin``."""
    pos_mm, rot_deg = fk_errors(kin, result)
    ok = reachable(result.ik)
    outside, fast = limit_violations(kin, result.ik.theta, result.times_s)
    hits, checked, note = _collisions(kin, result.ik.theta, check_collisions)
    reach = float(np.mean(ok)) if len(ok) else 0.0
    word, reasons = verdict(reach, outside + fast, hits)
    return FeasibilityReport(
        episode,
        source,
        kin.embodiment.id,
        kin.arm.name,
        len(ok),
        round(reach, 4),
        _stats(pos_mm, ok),
        _stats(rot_deg, ok),
        outside,
        fast,
        int(result.ik.velocity_limited.sum()),
        hits,
        checked,
        note,
        None if result.ik.avoided is None else int(result.ik.avoided.sum()),
        result.alignment.to_dict(),
        gripper,
        word,
        reasons,
    )


def retarget_episode(
    data: EpisodeData,
    target_id: str,
    registry: Registry | None = None,
    source_id: str | None = None,
    alignment: Alignment | None = None,
    check_collisions: bool = True,
    opts: IkOptions | None = None,
) -> tuple[RetargetResult, FeasibilityReport]:
    """Retarget the episode's first arm to ``target_id``'s first arm; the result and its feasibility report."""
    registry = registry or Registry()
    source = registry.get(source_id or data.meta.embodiment or "")
    if source_id is None and data.meta.embodiment is None:
        raise InputError(f"episode {data.meta.id} names no embodiment: pass the source embodiment")
    target = registry.get(target_id)
    if not target.arms:
        raise InputError(f"embodiment {target_id!r} has no arm to retarget to")
    started = time.perf_counter()
    joints, poses = ee_trajectory(data, source)
    kin = arm_kinematics(target)
    result = retarget(kin, poses, joints.times_s, alignment, opts, check_collisions)
    note = _map_gripper(data, source, target.arms[0], result, int(joints.timestamps_ns[0]))
    report = assess(data.meta.id, source.id, kin, result, check_collisions, note)
    report.seconds = round(time.perf_counter() - started, 3)
    return result, report


def _map_gripper(data: EpisodeData, source: Embodiment, target_arm: ArmSpec, result: RetargetResult, t0_ns: int) -> str:
    """Resample the source aperture (m) onto the joint frames (common clock, ns) and map it to the target."""
    grip = gripper_aperture(data, source, source.arms[0])
    if grip is None:
        return "no gripper data in the source episode"
    ts, aperture = grip
    t_s = (ts - t0_ns) / 1e9
    resampled = np.interp(result.times_s, t_s, aperture) if len(t_s) else aperture
    result.aperture_m, result.gripper_joints = map_aperture(resampled, target_arm.gripper)
    if target_arm.gripper is None:
        return "aperture kept in m; the target has no gripper in its record"
    how = "joint values" if result.gripper_joints is not None else "aperture only (no gripper joints in the model)"
    return f"aperture mapped to the target's 0-{target_arm.gripper.max_aperture_m * 1e3:.0f} mm range, {how}"
