"""A human's key points made into a humanoid's targets: scale, ground, foot contacts and planting.

Frames: the robot's world frame is z up with the ground at z = 0, its origin under the person's pelvis at the first
frame, the capture's heading kept. Positions are scaled by ``scale`` = the robot's leg length over the person's
(hip to knee plus knee to ankle, medians over the clip): one factor for the whole body, so the motion keeps its
proportions (the arm ratio is reported beside it). Heights are shifted so that the person's ankle height while
standing maps to the robot's ankle height with its sole on the ground.

Contacts: a foot is in contact when its lowest key point (ankle or toe) is within ``contact_height_m`` of the
person's ground (the 2nd percentile of those points over the clip) and moves slower than ``contact_speed_mps``
horizontally (central differences). While in contact its target is held fixed (the mean of the scaled positions over
the contact, on the ground, flat, at the mean heading): planted, so it cannot skate. A contact during which the
person's foot drifts (a pivot, a shuffle) is cut where the drift passes ``replant_m`` and each piece is planted
where it is. Targets never go below the ground.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from robofuel.embodiment.body_source import BodyPoints
from robofuel.embodiment.ik import BoolArray
from robofuel.embodiment.model import F64
from robofuel.spatial.rotations import axis_rotations

SIDES = ("left", "right")


@dataclass(frozen=True)
class TargetOptions:
    """Contact detection (person's size, m and m/s) and whether contacts plant the feet."""

    contact_height_m: float = 0.06
    contact_speed_mps: float = 0.3
    plant: bool = True
    replant_m: float = 0.25  # robot m: a contact whose foot drifts farther is planted again where it went


@dataclass
class RobotSize:
    """What the targets need of the robot (m): leg and arm lengths, the ankle's height over the sole, the pelvis
    over the hips, and the foot frame's height over the sole where it is not the ankle (TALOS's sole frame)."""

    leg_m: float
    arm_m: float
    ankle_height_m: float
    pelvis_over_hips_m: tuple[float, float, float] = (0.0, 0.0, 0.0)  # pelvis origin - hip centres' midpoint
    foot_frame_height_m: float | None = None  # the foot frame's height over the sole (None: the ankle's)


@dataclass
class BodyTargets:
    """Per frame: positions (N, 3) and rotations (N, 3, 3) of the key links in the robot's world frame (m)."""

    positions: dict[str, F64]
    rotations: dict[str, F64]
    contact: dict[str, BoolArray]
    times_s: F64
    scale: float
    arm_ratio: float
    notes: list[str] = field(default_factory=list)


def _length(a: F64, b: F64) -> float:
    return float(np.nanmedian(np.linalg.norm(a - b, axis=1)))


def _frame(y_axis: F64, up: F64) -> F64:
    """(N, 3, 3) rotations with y along ``y_axis`` and z as near ``up`` as orthogonality allows (x = y cross z)."""
    y = y_axis / np.maximum(np.linalg.norm(y_axis, axis=1, keepdims=True), 1e-9)
    x = np.cross(y, up)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=2)


def _yaw_frames(yaw: F64) -> F64:
    rot: F64 = axis_rotations(2, yaw)
    return rot


def _segments(mask: BoolArray) -> list[tuple[int, int]]:
    """(start, stop) index ranges of the runs of True in ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def detect_contacts(body: BodyPoints, times_s: F64, opts: TargetOptions) -> dict[str, BoolArray]:
    """Per side (N,) bool: the person's foot on the ground (height and horizontal speed, person's metres)."""
    lows = {s: _lowest(body, s) for s in SIDES}
    ground = float(np.nanpercentile(np.concatenate([lows[s][:, 2] for s in SIDES]), 2))
    out = {}
    for side in SIDES:
        p = lows[side]
        speed = np.linalg.norm(np.gradient(p[:, :2], times_s, axis=0), axis=1) if len(p) > 1 else np.zeros(len(p))
        out[side] = (p[:, 2] - ground < opts.contact_height_m) & (speed < opts.contact_speed_mps)
    return out


def _lowest(body: BodyPoints, side: str) -> F64:
    """(N, 3) the foot's lowest key point per frame (toe or ankle)."""
    ankle, toe = body[f"{side}_ankle"], body.get(f"{side}_toe")
    if toe is None:
        return ankle
    low: F64 = np.where((toe[:, 2] < ankle[:, 2])[:, None], toe, ankle)
    return low


FOOT_YAW_RAD = 0.6  # the feet's heading stays within this of the pelvis's (a toe marker can point anywhere)


def _foot_yaw(body: BodyPoints, side: str, pelvis_rot: F64) -> F64:
    """(N,) foot heading (rad about z): the ankle-to-toe direction, within :data:`FOOT_YAW_RAD` of the pelvis's."""
    pelvis = np.arctan2(pelvis_rot[:, 1, 0], pelvis_rot[:, 0, 0])
    toe = body.get(f"{side}_toe")
    if toe is None:
        return np.unwrap(pelvis)
    d = toe - body[f"{side}_ankle"]
    rel = np.angle(np.exp(1j * (np.arctan2(d[:, 1], d[:, 0]) - pelvis)))
    out: F64 = np.unwrap(pelvis) + np.clip(rel, -FOOT_YAW_RAD, FOOT_YAW_RAD)
    return out


def body_targets(body: BodyPoints, robot: RobotSize, opts: TargetOptions | None = None) -> BodyTargets:
    """The robot's key-link targets for the person's key points ``body`` (see the module docstring)."""
    opts = opts or TargetOptions()
    times = (body.timestamps_ns - body.timestamps_ns[0]) / 1e9
    leg = np.mean(
        [_length(body[f"{s}_hip"], body[f"{s}_knee"]) + _length(body[f"{s}_knee"], body[f"{s}_ankle"]) for s in SIDES]
    )
    scale = robot.leg_m / float(leg)
    arm_ratio = float("nan")
    if all(f"{s}_{k}" in body.points for s in SIDES for k in ("shoulder", "elbow", "wrist")):
        human_arm = _length(body["left_shoulder"], body["left_elbow"]) + _length(body["left_elbow"], body["left_wrist"])
        arm_ratio = robot.arm_m / human_arm
    contact = detect_contacts(body, times, opts)
    lows = np.concatenate([_lowest(body, s)[:, 2] for s in SIDES])
    ankles = np.concatenate([body[f"{s}_ankle"][contact[s], 2] for s in SIDES])
    rest = float(np.nanmedian(ankles)) if len(ankles) else float(np.nanmin(lows))
    origin = np.array([body["pelvis"][0, 0], body["pelvis"][0, 1], rest])

    def place(p: F64) -> F64:
        out: F64 = scale * (p - origin) + np.array([0.0, 0.0, robot.ankle_height_m])
        return out

    pos = {k: place(v) for k, v in body.points.items()}
    neck = body.get("neck")
    up = (neck if neck is not None else body["head"]) - body["pelvis"]
    rot = {"pelvis": _frame(body["left_hip"] - body["right_hip"], up)}
    shoulders = body.get("left_shoulder") is not None and body.get("right_shoulder") is not None
    rot["torso"] = _frame(body["left_shoulder"] - body["right_shoulder"], up) if shoulders else rot["pelvis"]
    hips = (pos["left_hip"] + pos["right_hip"]) / 2  # the robot's pelvis sits over the hips as its model says
    pos["pelvis"] = hips + np.einsum("nij,j->ni", rot["pelvis"], np.asarray(robot.pelvis_over_hips_m))
    for side in SIDES:
        if f"{side}_wrist" in pos:
            pos[f"{side}_hand"] = pos[f"{side}_wrist"]
    targets = BodyTargets(pos, rot, contact, times, scale, arm_ratio)
    for side in SIDES:
        _feet(targets, body, side, robot, opts)
    return targets


def _feet(t: BodyTargets, body: BodyPoints, side: str, robot: RobotSize, opts: TargetOptions) -> None:
    """The foot target ``<side>_foot``: the scaled ankle, flat at the foot's heading, held still while in contact,
    never below the ankle's standing height."""
    p = t.positions[f"{side}_ankle"].copy()
    yaw = _foot_yaw(body, side, t.rotations["pelvis"])
    p[:, 2] = np.maximum(p[:, 2], robot.ankle_height_m)
    if opts.plant:
        for a, b in _replanted(p, _segments(t.contact[side]), opts.replant_m):
            p[a:b, :2] = p[a:b, :2].mean(axis=0)
            p[a:b, 2] = robot.ankle_height_m
            yaw[a:b] = yaw[a:b].mean()
    if robot.foot_frame_height_m is not None:
        p[:, 2] -= robot.ankle_height_m - robot.foot_frame_height_m
    t.positions[f"{side}_foot"] = p
    t.rotations[f"{side}_foot"] = _yaw_frames(yaw)


def _replanted(p: F64, segments: list[tuple[int, int]], limit_m: float) -> list[tuple[int, int]]:
    """The contact ``segments`` cut where the foot's scaled position ``p`` (N, 3) drifts more than ``limit_m``
    horizontally from where the piece began (a pivot or a shuffle: the foot is planted again there)."""
    out = []
    for a, b in segments:
        start = a
        for i in range(a + 1, b):
            if np.linalg.norm(p[i, :2] - p[start, :2]) > limit_m:
                out.append((start, i))
                start = i
        out.append((start, b))
    return out


def stacked(i: int, t: BodyTargets) -> tuple[dict[str, F64], dict[str, F64]]:
    """Frame ``i``'s target positions and rotations by key name."""
    return {k: v[i] for k, v in t.positions.items()}, {k: v[i] for k, v in t.rotations.items()}


__all__ = ["BodyTargets", "RobotSize", "TargetOptions", "body_targets", "detect_contacts", "stacked"]
