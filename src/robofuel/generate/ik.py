"""Damped-least-squares inverse kinematics on a :class:`~robofuel.embodiment.urdf.Chain` (numeric Jacobian).

Poses are 4x4 transforms of the chain's tip link in its base frame (m, rad). The error is the position error (m)
stacked with half the axis-angle orientation error (rad), so 1 cm and 0.02 rad weigh about the same.
"""

from __future__ import annotations

import numpy as np

from robofuel.embodiment.urdf import F64, Chain
from robofuel.spatial.rotations import log_map

_EPS = 1e-6  # rad, finite-difference step


def rotation_error(current: F64, target: F64) -> F64:
    """Axis-angle vector (rad, base frame) of the rotation taking ``current`` onto ``target``."""
    return log_map(target @ current.T)


def pose_error(pose: F64, target: F64) -> F64:
    """6-vector: target minus pose position (m), then 0.5 x the orientation error (rad)."""
    return np.concatenate([target[:3, 3] - pose[:3, 3], 0.5 * rotation_error(pose[:3, :3], target[:3, :3])])


def jacobian(chain: Chain, q: F64) -> tuple[F64, F64]:
    """The tip pose at ``q`` and the (6, n) numeric Jacobian of the error measure, from one batched FK call."""
    probes = np.repeat(q[None, :], len(q) + 1, axis=0)
    probes[1:] += np.eye(len(q)) * _EPS
    poses = chain.fk_batch(probes)
    jac = np.zeros((6, len(q)))
    for k in range(len(q)):
        jac[:3, k] = (poses[k + 1, :3, 3] - poses[0, :3, 3]) / _EPS
        jac[3:, k] = 0.5 * rotation_error(poses[0, :3, :3], poses[k + 1, :3, :3]) / _EPS
    return poses[0], jac


def solve_ik(chain: Chain, target: F64, q0: F64, iters: int = 200, damping: float = 1e-3, tol: float = 1e-6) -> F64:
    """Joint values bringing the tip to the 4x4 ``target``, by damped least squares from ``q0``.

    Iterates stay 1 mrad inside the joint limits. Raises ValueError when the residual stays above 1 mm / 2 mrad
    (target out of reach).
    """
    q = np.asarray(q0, dtype=np.float64).copy()
    lo, hi = chain.lower + 1e-3, chain.upper - 1e-3
    for _ in range(iters):
        pose, jac = jacobian(chain, q)
        err = pose_error(pose, target)
        if np.linalg.norm(err) < tol:
            break
        step = jac.T @ np.linalg.solve(jac @ jac.T + damping * np.eye(6), err)
        q = np.clip(q + step, lo, hi)
    err = pose_error(chain.fk(q), target)
    if np.linalg.norm(err[:3]) > 1e-3 or np.linalg.norm(err[3:]) > 1e-3:
        raise ValueError(f"IK did not converge: position error {np.linalg.norm(err[:3]):.4f} m")
    return q
