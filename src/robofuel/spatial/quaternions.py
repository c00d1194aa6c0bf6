"""Unit quaternions as numpy arrays (N, 4), scalar last: ``x, y, z, w`` unless a name says ``wxyz``.

``q`` and ``-q`` are the same rotation; functions returning quaternions pick ``w >= 0``. Inputs are normalised
first; a zero quaternion (how many senders say "not provided") gives NaN where it is used, never a made-up rotation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def xyzw_to_wxyz(quat: F64) -> F64:
    """(..., 4) quaternions reordered from x, y, z, w to w, x, y, z."""
    out: F64 = np.asarray(quat)[..., [3, 0, 1, 2]]
    return out


def wxyz_to_xyzw(quat: F64) -> F64:
    """(..., 4) quaternions reordered from w, x, y, z to x, y, z, w."""
    out: F64 = np.asarray(quat)[..., [1, 2, 3, 0]]
    return out


def matrix_to_quat_xyzw(rot: F64) -> F64:
    """(N, 4) unit quaternions x, y, z, w (w >= 0) of (N, 3, 3) rotation matrices (one 3x3 gives (1, 4))."""
    rot = np.asarray(rot, dtype=np.float64).reshape(-1, 3, 3)
    tr = np.trace(rot, axis1=1, axis2=2)
    cand = np.stack(
        [
            1 + tr,
            1 + rot[:, 0, 0] - rot[:, 1, 1] - rot[:, 2, 2],
            1 - rot[:, 0, 0] + rot[:, 1, 1] - rot[:, 2, 2],
            1 - rot[:, 0, 0] - rot[:, 1, 1] + rot[:, 2, 2],
        ],
        axis=1,
    )
    k = np.argmax(cand, axis=1)
    s = np.sqrt(np.maximum(cand[np.arange(len(rot)), k], 1e-300)) * 2  # 4 x the largest component
    r = rot
    w = np.choose(
        k, [s / 4, (r[:, 2, 1] - r[:, 1, 2]) / s, (r[:, 0, 2] - r[:, 2, 0]) / s, (r[:, 1, 0] - r[:, 0, 1]) / s]
    )
    x = np.choose(
        k, [(r[:, 2, 1] - r[:, 1, 2]) / s, s / 4, (r[:, 0, 1] + r[:, 1, 0]) / s, (r[:, 0, 2] + r[:, 2, 0]) / s]
    )
    y = np.choose(
        k, [(r[:, 0, 2] - r[:, 2, 0]) / s, (r[:, 0, 1] + r[:, 1, 0]) / s, s / 4, (r[:, 1, 2] + r[:, 2, 1]) / s]
    )
    z = np.choose(
        k, [(r[:, 1, 0] - r[:, 0, 1]) / s, (r[:, 0, 2] + r[:, 2, 0]) / s, (r[:, 1, 2] + r[:, 2, 1]) / s, s / 4]
    )
    q = np.stack([x, y, z, w], axis=1)
    q *= np.where(q[:, 3:] < 0, -1.0, 1.0)
    out: F64 = q / np.linalg.norm(q, axis=1, keepdims=True)
    return out


def quat_xyzw_to_matrix(quat: F64) -> F64:
    """(N, 3, 3) rotation matrices of (N, 4) quaternions x, y, z, w (normalised first; a zero one gives NaN)."""
    q = np.asarray(quat, dtype=np.float64).reshape(-1, 4)
    x, y, z, w = (q / np.linalg.norm(q, axis=1, keepdims=True)).T
    rot: F64 = np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], axis=1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], axis=1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], axis=1),
        ],
        axis=1,
    )
    return rot


def quat_xyzw_to_rotvec(xyzw: F64) -> F64:
    """Rotation vectors (N, 3), rad, angle in [0, pi], of quaternions (N, 4) x, y, z, w (normalised first; a zero
    one gives NaN)."""
    q = xyzw / np.linalg.norm(xyzw, axis=1, keepdims=True)
    q = np.where(q[:, 3:4] < 0, -q, q)  # angle in [0, pi]
    sin_half = np.linalg.norm(q[:, :3], axis=1)
    angle = 2.0 * np.arctan2(sin_half, q[:, 3])
    scale = np.where(sin_half > 1e-12, angle / np.where(sin_half > 1e-12, sin_half, 1.0), 2.0)
    out: F64 = q[:, :3] * scale[:, None]
    return out


def quat_angle(a: F64, b: F64) -> F64:
    """(N,) angle (rad, in [0, pi]) of the rotation between unit quaternions ``a`` and ``b`` (N, 4), either order
    of components as long as both share it; ``q`` and ``-q`` count as the same rotation."""
    dots = np.abs(np.sum(a * b, axis=1))
    out: F64 = 2.0 * np.arccos(np.clip(dots, 0.0, 1.0))
    return out


def slerp_unit(a: F64, b: F64, u: F64) -> F64:
    """Spherical interpolation from unit quaternions ``a`` to ``b`` (N, 4; any component order both share) at the
    fractions ``u`` (N, 1) in [0, 1], the shorter way round; linear (then normalised) below 1e-6 rad apart. NaN
    rows stay NaN."""
    dot = np.sum(a * b, axis=1, keepdims=True)
    b = np.where(dot < 0, -b, b)  # the shorter way round
    dot = np.abs(dot)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    small = theta < 1e-6
    sin = np.where(small, 1.0, np.sin(theta))
    wa = np.where(small, 1.0 - u, np.sin((1.0 - u) * theta) / sin)
    wb = np.where(small, u, np.sin(u * theta) / sin)
    out: F64 = wa * a + wb * b
    unit: F64 = out / np.linalg.norm(out, axis=1, keepdims=True)
    return unit
