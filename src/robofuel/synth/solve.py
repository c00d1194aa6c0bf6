"""Joints for a synthetic tool trajectory: the embodiment's IK with its joint and velocity limits, and the reason a
candidate is dropped.

:func:`robofuel.embodiment.ik.solve_trajectory` solves each frame from the previous one inside the position limits
and ``|dtheta| <= v_max dt``; a frame is reached within 1 mm and 1 degree
(:func:`robofuel.embodiment.retarget.reachable`). A candidate with any frame not reached is dropped, its reason the
first cause found: ``velocity limit`` (the frame was held back by a joint's velocity limit), ``joint limit`` (a
joint sits at its position limit) or ``unreachable``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robofuel.embodiment.feasibility import limit_violations
from robofuel.embodiment.ik import IkOptions, solve_trajectory
from robofuel.embodiment.model import F64, ArmKinematics
from robofuel.embodiment.retarget import reachable

LIMIT_SLACK = 1e-6  # rad or m: a joint this close to a position limit is "at" it


@dataclass(frozen=True)
class Solved:
    """Joint values (N, n) in registry order (rad or m); ``reason`` None when every frame is reached within the
    limits, else why the candidate is dropped; the worst position error (m) of a reached solution."""

    theta: F64
    reason: str | None
    max_pos_err_m: float


def _cause(kin: ArmKinematics, theta: F64, limited: np.ndarray, missed: np.ndarray) -> str:
    if bool(np.any(limited & missed)):
        return "velocity limit"
    at_limit = (theta <= kin.lower + LIMIT_SLACK) | (theta >= kin.upper - LIMIT_SLACK)
    if bool(np.any(at_limit[missed])):
        return "joint limit"
    return "unreachable"


def solve(kin: ArmKinematics, targets: F64, times_s: F64, theta0: F64 | None) -> Solved:
    """Solve ``targets`` (N, 4, 4; base frame, m) at ``times_s`` (N,) s, starting from ``theta0`` (n,) or the arm's
    home; the joints and whether the candidate is kept."""
    ik = solve_trajectory(kin, targets, times_s, theta0=theta0, opts=IkOptions())
    missed = ~reachable(ik)
    outside, fast = limit_violations(kin, ik.theta, times_s)
    if missed.any():
        return Solved(ik.theta, _cause(kin, ik.theta, ik.velocity_limited, missed), float(ik.pos_err_m.max()))
    if outside:
        return Solved(ik.theta, "joint limit", float(ik.pos_err_m.max()))
    if fast:
        return Solved(ik.theta, "velocity limit", float(ik.pos_err_m.max()))
    return Solved(ik.theta, None, float(ik.pos_err_m.max()) if len(ik.pos_err_m) else 0.0)
