"""Inverse kinematics of an arm's tool frame along a trajectory: damped least squares (Levenberg-Marquardt).

Each frame is solved from the previous frame's solution (warm start); the first from the arm's home configuration.
Every iterate stays inside the joint position limits and, from the second frame on, inside the velocity limits:
``|theta_t - theta_{t-1}| <= v_max * dt`` (rad or m, with ``dt`` in s from the frame times). The error of a pose
is the position error (m, base frame) stacked with the rotation vector (rad, base frame) of ``R_target R^T``.

:func:`solve_pose` takes the same damped least-squares step towards one pose of a numpy URDF chain
(:class:`~robofuel.embodiment.urdf.Chain`: no pinocchio, numeric Jacobian); the sample generator plans with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from robofuel.embodiment.model import F64, ArmKinematics
from robofuel.embodiment.urdf import Chain
from robofuel.spatial.rotations import log_map

if TYPE_CHECKING:
    from robofuel.embodiment.avoid import Avoidance

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class IkOptions:
    """Solver settings. Tolerances: position in m, rotation in rad; ``rot_weight`` is m per rad of error;
    ``posture_gain`` pulls redundant arms towards home in the null space of the task (per iteration, 0-1);
    ``avoid_weight`` weighs the self-collision repulsion rows (m of clearance against m of position error)."""

    first_iters: int = 300
    iters: int = 40
    damping: float = 1e-6
    tol_pos_m: float = 1e-5
    tol_rot_rad: float = 1e-4
    rot_weight: float = 0.3
    posture_gain: float = 0.05
    velocity_limits: bool = True
    avoid_weight: float = 5.0


@dataclass
class IkResult:
    """Per-frame solution: joint values (N, n), residual position (m) and rotation (rad) errors, flags (frames
    held back by the velocity limits; frames where self-collision avoidance acted) and the iterations run."""

    theta: F64
    pos_err_m: F64
    rot_err_rad: F64
    velocity_limited: BoolArray
    iterations: int
    avoided: BoolArray | None = None


def pose_error(pose: F64, target: F64) -> F64:
    """6-vector: target minus pose position (m), then the rotation vector of ``R_target R_pose^T`` (rad)."""
    return np.concatenate([target[:3, 3] - pose[:3, 3], log_map(target[:3, :3] @ pose[:3, :3].T)])


def _converged(err: F64, opts: IkOptions) -> bool:
    return bool(np.linalg.norm(err[:3]) < opts.tol_pos_m and np.linalg.norm(err[3:]) < opts.tol_rot_rad)


def solve_frame(
    kin: ArmKinematics,
    target: F64,
    theta0: F64,
    bounds: tuple[F64, F64],
    opts: IkOptions,
    iters: int,
    avoid: Avoidance | None = None,
) -> tuple[F64, F64, int, bool]:
    """Joint values reaching the 4x4 ``target`` from ``theta0`` within ``bounds``; also the final error, the
    iterations and whether ``avoid``'s repulsion rows (:mod:`robofuel.embodiment.avoid`) were stacked under the
    pose task in some iteration (a step would have brought a link pair inside the margin)."""
    lo, hi = bounds
    weight = np.array([1.0, 1.0, 1.0, opts.rot_weight, opts.rot_weight, opts.rot_weight])
    theta = np.clip(theta0, lo, hi)
    acted = False
    for it in range(iters):
        pose, jac = kin.pose_jacobian(theta)
        err = pose_error(pose, target)
        watch = avoid.repulsion(theta) if avoid is not None else None
        inside = watch is not None and bool(np.any(watch.wanted_m > 0))
        if not inside and _converged(err, opts):
            return theta, err, it, acted
        jw, ew = jac * weight[:, None], err * weight
        step = _dls_step(kin, theta, jw, ew, opts)
        if watch is not None:
            active = watch.jacobian @ step < watch.wanted_m  # d + J step < margin: hold the pairs it would push in
            if active.any():
                acted = True
                jw = np.vstack([jw, opts.avoid_weight * watch.jacobian[active]])
                ew = np.concatenate([ew, opts.avoid_weight * watch.wanted_m[active]])
                step = _dls_step(kin, theta, jw, ew, opts)
        theta = np.clip(theta + step, lo, hi)
    return theta, pose_error(kin.pose(theta), target), iters, acted


def dls_step(jac: F64, err: F64, lam: float, secondary: F64) -> F64:
    """Damped least-squares joint step (n,) for the task error ``err`` through ``jac`` (rows in the task's units per
    rad or m; ``lam`` the damping), plus the ``secondary`` step (n,) projected onto the task's null space (it moves
    no task coordinate, to first order): ``J^T (J J^T + lam I)^-1 (err - J secondary) + secondary``, by a linear
    solve rather than an explicit inverse."""
    step: F64 = jac.T @ np.linalg.solve(jac @ jac.T + lam * np.eye(len(err)), err - jac @ secondary) + secondary
    return step


def _dls_step(kin: ArmKinematics, theta: F64, jw: F64, ew: F64, opts: IkOptions) -> F64:
    """:func:`dls_step` for the weighted task rows ``jw`` / errors ``ew``, with Levenberg-Marquardt damping (more
    when far from the pose target) and the drift towards home as the secondary step."""
    lam = opts.damping + 1e-3 * float(ew[:6] @ ew[:6])
    return dls_step(jw, ew, lam, opts.posture_gain * (kin.home - theta))


def velocity_bounds(lower: F64, upper: F64, velocity: F64, prev: F64 | None, dt: float) -> tuple[F64, F64]:
    """Joint bounds for a frame ``dt`` s after the joint values ``prev``: the position limits, narrowed to
    ``|theta - prev| <= velocity dt``; the position limits alone for a first frame (``prev`` None or ``dt <= 0``)."""
    if prev is None or dt <= 0:
        return lower, upper
    return np.maximum(lower, prev - velocity * dt), np.minimum(upper, prev + velocity * dt)


def solve_trajectory(
    kin: ArmKinematics,
    targets: F64,
    times_s: F64,
    theta0: F64 | None = None,
    opts: IkOptions | None = None,
    avoid: Avoidance | None = None,
) -> IkResult:
    """Solve every 4x4 target of ``targets`` (N, 4, 4) in order; ``times_s`` (N,) are the frame times in s. With
    ``avoid``, a frame whose solution puts the arm's links in contact is solved again keeping them apart (see
    :func:`solve_frame`); ``IkResult.avoided`` marks those frames."""
    opts = opts or IkOptions()
    n = len(targets)
    theta = np.zeros((n, len(kin.names)))
    errs = np.zeros((n, 6))
    limited = np.zeros(n, dtype=bool)
    avoided = np.zeros(n, dtype=bool)
    prev: F64 | None = None
    total = 0
    start = kin.home if theta0 is None else np.asarray(theta0, dtype=np.float64)
    for i in range(n):
        dt = float(times_s[i] - times_s[i - 1]) if i else 0.0
        lo, hi = velocity_bounds(kin.lower, kin.upper, kin.velocity, prev if opts.velocity_limits else None, dt)
        seed = start if prev is None else prev
        iters = opts.iters if i else opts.first_iters
        theta[i], errs[i], it, _ = solve_frame(kin, targets[i], seed, (lo, hi), opts, iters)
        if avoid is not None and avoid.colliding(theta[i]):  # solve again, keeping the links apart
            theta[i], errs[i], more, avoided[i] = solve_frame(kin, targets[i], seed, (lo, hi), opts, 2 * iters, avoid)
            it += more
        total += it
        if prev is not None and opts.velocity_limits:
            tight = (kin.lower < lo - 1e-12) | (kin.upper > hi + 1e-12)
            limited[i] = bool(np.any(tight & ((theta[i] <= lo + 1e-9) | (theta[i] >= hi - 1e-9))))
        prev = theta[i]
    pos = np.linalg.norm(errs[:, :3], axis=1)
    rot = np.linalg.norm(errs[:, 3:], axis=1)
    return IkResult(theta, pos, rot, limited, total, avoided if avoid is not None else None)


_FD_STEP = 1e-6  # rad or m, finite-difference step of chain_jacobian


def chain_jacobian(chain: Chain, q: F64) -> tuple[F64, F64]:
    """The tip pose (4x4) of ``chain`` at ``q`` (n,) and the (6, n) numeric Jacobian of :func:`pose_error`'s
    measure (linear rows m per rad or m, angular rows rad per rad; base frame), from one batched FK call."""
    probes = np.repeat(q[None, :], len(q) + 1, axis=0)
    probes[1:] += np.eye(len(q)) * _FD_STEP
    poses = chain.fk_batch(probes)
    jac = np.zeros((6, len(q)))
    for k in range(len(q)):
        jac[:3, k] = (poses[k + 1, :3, 3] - poses[0, :3, 3]) / _FD_STEP
        jac[3:, k] = log_map(poses[k + 1, :3, :3] @ poses[0, :3, :3].T) / _FD_STEP
    return poses[0], jac


def solve_pose(
    chain: Chain,
    target: F64,
    q0: F64,
    iters: int = 200,
    damping: float = 1e-3,
    tol: float = 1e-6,
    rot_weight: float = 0.5,
) -> F64:
    """Joint values (n,) bringing the tip of ``chain`` to the 4x4 ``target`` (base frame), by damped least squares
    from ``q0``: :func:`dls_step` on :func:`pose_error` with the rotation rows weighted ``rot_weight`` m per rad
    (0.5: 1 cm and 0.02 rad weigh about the same), until the weighted error is below ``tol``.

    Iterates stay 1 mrad (or 1 mm) inside the joint limits. Raises ValueError when the residual stays above 1 mm /
    2 mrad (target out of reach).
    """
    weight = np.array([1.0, 1.0, 1.0, rot_weight, rot_weight, rot_weight])
    q = np.asarray(q0, dtype=np.float64).copy()
    lo, hi = chain.lower + 1e-3, chain.upper - 1e-3
    for _ in range(iters):
        pose, jac = chain_jacobian(chain, q)
        err = pose_error(pose, target) * weight
        if np.linalg.norm(err) < tol:
            break
        q = np.clip(q + dls_step(jac * weight[:, None], err, damping, np.zeros(len(q))), lo, hi)
    err = pose_error(chain.fk(q), target)
    if np.linalg.norm(err[:3]) > 1e-3 or np.linalg.norm(err[3:]) > 2e-3:
        raise ValueError(f"IK did not converge: position error {np.linalg.norm(err[:3]):.4f} m")
    return q
