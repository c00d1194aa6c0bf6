"""Quality of a whole-body retargeting, per episode, from forward kinematics of the solution (m, world frame).

- ``foot_skating_m``: total horizontal travel of the robot's feet (foot frame origin) between consecutive frames
  where the person's foot is in contact, summed over both feet;
- ``penetration_m``: depth of the lowest sole point below the ground (0 when none is below), and the frames where
  one is more than 1 mm below;
- ``joint_limit_violations`` / ``velocity_limit_violations``: (frame, joint) pairs outside the URDF's position limits
  or faster than its velocity limits (1e-6 tolerance);
- ``tracking_error_m``: per key link, median / p90 / max distance between the link and its target;
- ``balance_fraction``: fraction of frames whose centre of mass (pinocchio, projected on the ground) lies inside the
  support polygon, the convex hull of the sole points within ``CONTACT_M`` of the ground.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from robofuel.embodiment.humanoid_ik import FOOT_KEYS, WholeBody
from robofuel.embodiment.humanoid_targets import BodyTargets
from robofuel.embodiment.model import F64

CONTACT_M = 0.01  # a sole point this close to the ground supports the robot
TRACKED = (
    "pelvis",
    "left_foot",
    "right_foot",
    "left_hand",
    "right_hand",
    "left_elbow",
    "right_elbow",
    "left_knee",
    "right_knee",
)


def _hull(points: F64) -> F64:
    """Convex hull (k, 2) of 2D points, counter-clockwise (monotone chain)."""
    pts = sorted({(float(x), float(y)) for x, y in points})
    if len(pts) < 3:
        return np.array(pts)

    def half(seq: list[tuple[float, float]]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for p in seq:
            while (
                len(out) >= 2
                and ((out[-1][0] - out[-2][0]) * (p[1] - out[-2][1]) - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0]))
                <= 0
            ):
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    return np.array(lower[:-1] + upper[:-1])


def inside(hull: F64, p: F64) -> bool:
    """Whether the 2D point ``p`` lies in the counter-clockwise convex polygon ``hull`` (edges included)."""
    if len(hull) < 3:
        return False
    edges = np.roll(hull, -1, axis=0) - hull
    rel = p[None, :] - hull
    return bool(np.all(edges[:, 0] * rel[:, 1] - edges[:, 1] * rel[:, 0] >= -1e-9))


def _stats(values: F64) -> dict[str, float]:
    if not len(values):
        return {"median": 0.0, "p90": 0.0, "max": 0.0}
    return {
        k: round(float(f(values)), 5)
        for k, f in (("median", np.median), ("p90", lambda v: np.percentile(v, 90)), ("max", np.max))
    }


def quality(body: WholeBody, qs: F64, targets: BodyTargets) -> dict[str, Any]:
    """The metrics of the module docstring for configurations ``qs`` (N, nq) solved for ``targets``."""
    pin, n = body.pin, len(qs)
    feet = {f: np.zeros((n, 3)) for f in FOOT_KEYS}
    err = {k: np.zeros(n) for k in TRACKED if k in body.frames and k in targets.positions}
    low, balanced = np.zeros(n), np.zeros(n, dtype=bool)
    for i, q in enumerate(qs):
        body.place(q)
        com = pin.centerOfMass(body.model, body.data, q)
        soles = np.vstack([body.sole_world(f) for f in FOOT_KEYS])
        low[i] = soles[:, 2].min()
        support = soles[soles[:, 2] < CONTACT_M, :2]
        balanced[i] = inside(_hull(support), np.asarray(com)[:2]) if len(support) >= 3 else False
        for f in FOOT_KEYS:
            feet[f][i] = body.frame_pose(f)[:3, 3]
        for k in err:
            err[k][i] = np.linalg.norm(body.frame_pose(k)[:3, 3] - targets.positions[k][i])
    return {
        "foot_skating_m": round(skating(feet, targets), 5),
        "penetration_m": round(float(max(0.0, -low.min())) if n else 0.0, 5),
        "penetration_frames": int(np.sum(low < -1e-3)),
        **limit_violations(body, qs, targets.times_s),
        "tracking_error_m": {k: _stats(v) for k, v in err.items()},
        "key_link_error_m": round(float(np.mean([np.median(v) for v in err.values()])) if err else 0.0, 5),
        "balance_fraction": round(float(balanced.mean()) if n else 0.0, 4),
        "contact_frames": {s.split("_")[0]: int(targets.contact[s.split("_")[0]].sum()) for s in FOOT_KEYS},
    }


def skating(feet: dict[str, F64], targets: BodyTargets) -> float:
    """Total horizontal travel (m) of the feet between consecutive frames where the person's foot is in contact."""
    total = 0.0
    for f, p in feet.items():
        c = targets.contact[f.split("_")[0]]
        both = c[1:] & c[:-1]
        total += float(np.linalg.norm(np.diff(p[:, :2], axis=0), axis=1)[both].sum())
    return total


def limit_violations(body: WholeBody, qs: F64, times_s: F64) -> dict[str, int]:
    """(frame, joint) pairs outside the position limits, and faster than the velocity limits."""
    j = qs[:, 7:]
    pos = int(np.sum((j < body.lower - 1e-6) | (j > body.upper + 1e-6)))
    vel = 0
    if len(j) > 1:
        dt = np.diff(times_s)[:, None]
        vel = int(np.sum(np.abs(np.diff(j, axis=0)) > body.velocity * dt * (1 + 1e-6) + 1e-9))
    return {"joint_limit_violations": pos, "velocity_limit_violations": vel}
