"""Kinematics of a dexterous robot hand (the Allegro) and fingertip inverse kinematics, on pinocchio.

:class:`HandKinematics` loads the hand's URDF with every joint of the record's ``joints`` (rad, registry order) and
gives the fingertip frames named by the record's ``[hand]`` table, in the palm frame (``HandSpec.palm_frame``, m).
:func:`solve_fingertips` matches fingertip targets (N, F, 3) frame by frame: damped least squares
(Levenberg-Marquardt) on the stacked fingertip position Jacobians (3F x n), projected onto the joint position
limits (a joint pinned at a bound drops out of the step so the others take up the motion), warm-started from
the previous frame's solution (the first frame from mid-flexion).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from robofuel.embodiment.ik import dls_step, velocity_bounds
from robofuel.embodiment.model import F64, pinocchio
from robofuel.embodiment.registry import Embodiment, HandSpec, builtins
from robofuel.errors import InputError
from robofuel.spatial.rotations import rpy_matrix


@dataclass(frozen=True)
class FingertipOptions:
    """Solver settings: iterations (first frame, later frames), damping, stop when every fingertip is within
    ``tol_m`` (m) or a step moves no joint by more than ``min_step_rad`` (rad). The first frame starts from every
    joint at ``start_flexion`` (rad). Each step also moves the joints by ``posture_gain`` of their way towards the
    relaxed pose (:meth:`HandKinematics.posture`) within the fingertips' null space: a finger has three flexion
    joints for the two coordinates of its tip in the flexion plane, and this shares a curl between them rather
    than leaving the distal joints hyperextended."""

    first_iters: int = 200
    iters: int = 30
    damping: float = 1e-5
    tol_m: float = 2e-4
    min_step_rad: float = 1e-5
    start_flexion: float = 0.3
    posture_gain: float = 0.05


@dataclass
class FingertipResult:
    """Joint values (N, n) rad, fingertip positions by FK of them (N, F, 3) m and their errors (N, F) m."""

    theta: F64
    tips: F64
    error_m: F64
    iterations: int


class HandKinematics:
    """Fingertip forward kinematics and Jacobians of a dexterous hand, in its palm frame."""

    def __init__(self, embodiment: Embodiment) -> None:
        if embodiment.hand is None or not embodiment.joints:
            raise InputError(f"embodiment {embodiment.id!r} has no [hand] table or joints: not a dexterous hand")
        pin = pinocchio()
        self.pin, self.embodiment, self.spec = pin, embodiment, embodiment.hand
        self.model = pin.buildModelFromUrdf(str(embodiment.model_path()))
        self.data = self.model.createData()
        self.names = list(embodiment.joints)
        self.fingers = list(self.spec.fingertips)
        self.idx_q = [self._index(n) for n in self.names]
        self.tip_ids = [self._frame(self.spec.fingertips[f]) for f in self.fingers]
        self.lower = self.model.lowerPositionLimit[self.idx_q].copy()
        self.upper = self.model.upperPositionLimit[self.idx_q].copy()
        self.velocity = self.model.velocityLimit[self.idx_q].copy()
        self.palm_inv = self._palm_inverse(self.spec)

    def _index(self, joint: str) -> int:
        if not self.model.existJointName(joint):
            raise InputError(f"model {self.model.name!r} has no joint {joint!r}")
        j = self.model.joints[self.model.getJointId(joint)]
        if j.nq != 1:
            raise InputError(f"joint {joint!r}: only 1-DoF joints are supported in a hand")
        return int(j.idx_q)

    def _frame(self, name: str) -> int:
        if not self.model.existFrame(name):
            raise InputError(f"model {self.model.name!r} has no frame {name!r}")
        return int(self.model.getFrameId(name))

    def _palm_inverse(self, spec: HandSpec) -> F64:
        self.pin.framesForwardKinematics(self.model, self.data, self.pin.neutral(self.model))
        inv: F64 = np.linalg.inv(self.data.oMf[self._frame(spec.palm_frame)].homogeneous)
        return inv

    @property
    def palm_rotation(self) -> F64:
        """3x3 axes of robofuel's palm convention (columns x, y, z) in the model's palm frame."""
        return rpy_matrix(*self.spec.palm_rpy)

    def posture(self, flexion: float) -> F64:
        """A relaxed pose (n,) rad: joints whose range is centred on zero (sideways or twisting base joints) at
        zero, the others at ``flexion`` clipped to their limits."""
        centred = np.abs(self.lower + self.upper) < 0.1 * (self.upper - self.lower)
        out: F64 = np.where(centred, 0.0, np.clip(flexion, self.lower, self.upper))
        return out

    def config(self, theta: F64) -> F64:
        q: F64 = self.pin.neutral(self.model)
        q[self.idx_q] = theta
        return q

    def frame_positions(self, theta: F64, frames: list[str]) -> F64:
        """(len(frames), 3) positions (m, palm frame) of named frames at joint values ``theta`` (n,)."""
        self.pin.framesForwardKinematics(self.model, self.data, self.config(theta))
        world = np.array([self.data.oMf[self._frame(f)].translation for f in frames])
        out: F64 = world @ self.palm_inv[:3, :3].T + self.palm_inv[:3, 3]
        return out

    def tips(self, theta: F64) -> F64:
        """(F, 3) fingertip positions (m, palm frame) at joint values ``theta`` (n,)."""
        return self.frame_positions(theta, [self.spec.fingertips[f] for f in self.fingers])

    def tips_jacobian(self, theta: F64) -> tuple[F64, F64]:
        """Fingertip positions (F, 3) and their stacked position Jacobian (3F, n), palm frame (m, m/rad)."""
        pin, model, data = self.pin, self.model, self.data
        pin.computeJointJacobians(model, data, self.config(theta))
        pin.updateFramePlacements(model, data)
        rot = self.palm_inv[:3, :3]
        frame = pin.ReferenceFrame.LOCAL_WORLD_ALIGNED
        jac = [rot @ pin.getFrameJacobian(model, data, i, frame)[:3, self.idx_q] for i in self.tip_ids]
        tips = np.array([data.oMf[i].translation for i in self.tip_ids]) @ rot.T + self.palm_inv[:3, 3]
        return tips, np.vstack(jac)


@cache
def _cached(embodiment_id: str) -> HandKinematics:
    return HandKinematics(builtins()[embodiment_id])


def hand_kinematics(embodiment: Embodiment) -> HandKinematics:
    """The kinematics of a dexterous hand; built-ins are cached per process."""
    if embodiment.source == "builtin" and embodiment.id in builtins():
        return _cached(embodiment.id)
    return HandKinematics(embodiment)


def solve_frame(
    kin: HandKinematics, target: F64, theta0: F64, bounds: tuple[F64, F64], opts: FingertipOptions, iters: int
) -> tuple[F64, int]:
    """Joint values (n,) within ``bounds`` (rad) bringing the fingertips towards ``target`` (F, 3) from
    ``theta0``; also the iterations used."""
    lower, upper = bounds
    theta = np.clip(theta0, lower, upper)
    posture = kin.posture(opts.start_flexion)
    for it in range(iters):
        tips, jac = kin.tips_jacobian(theta)
        err = (target - tips).reshape(-1)
        if np.max(np.linalg.norm(err.reshape(-1, 3), axis=1)) < opts.tol_m:
            return theta, it
        lam = opts.damping + 1e-2 * float(err @ err)
        step = dls_step(jac, err, lam, opts.posture_gain * (posture - theta))
        blocked = ((theta <= lower) & (step < 0)) | ((theta >= upper) & (step > 0))
        if blocked.any():  # joints pinned at a bound: let the free ones take up the motion instead
            step = dls_step(np.where(blocked, 0.0, jac), err, lam, np.zeros_like(theta))
        new = np.clip(theta + step, lower, upper)
        if np.max(np.abs(new - theta)) < opts.min_step_rad:
            return new, it + 1
        theta = new
    return theta, iters


def solve_fingertips(
    kin: HandKinematics, targets: F64, times_s: F64, opts: FingertipOptions | None = None
) -> FingertipResult:
    """Solve every frame of ``targets`` (N, F, 3; palm frame, m) in order, each from the previous solution and
    within the joint position limits and the velocity limits over the frame interval (``times_s`` in s)."""
    opts = opts or FingertipOptions()
    n = len(targets)
    theta = np.zeros((n, len(kin.names)))
    start = np.clip(np.full(len(kin.names), opts.start_flexion), kin.lower, kin.upper)
    total = 0
    for i in range(n):
        prev = theta[i - 1] if i else None
        dt = float(times_s[i] - times_s[i - 1]) if i else 0.0
        bounds = velocity_bounds(kin.lower, kin.upper, kin.velocity, prev, dt)
        seed = start if prev is None else prev
        theta[i], it = solve_frame(kin, targets[i], seed, bounds, opts, opts.iters if i else opts.first_iters)
        total += it
    tips = np.array([kin.tips(t) for t in theta]).reshape(n, len(kin.fingers), 3)
    return FingertipResult(theta, tips, np.linalg.norm(tips - targets, axis=2), total)


def describe(kin: HandKinematics) -> dict[str, Any]:
    """Fingers, fingertip frames and joint count, for reports."""
    return {"fingers": kin.fingers, "fingertips": kin.spec.fingertips, "joints": len(kin.names)}
