"""Rotation matrices: skew matrices, the so(3) exponential and logarithm maps, URDF roll-pitch-yaw, elementary
rotations about x, y or z.

Rotations are 3x3 matrices acting on column vectors (``v_parent = R @ v_child``); angles in rad; a rotation vector
is the unit axis times the angle (rad, in [0, pi] from :func:`log_map`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def skew(v: F64) -> F64:
    """The 3x3 cross-product matrix of a 3-vector: ``skew(v) @ u == np.cross(v, u)``."""
    x, y, z = (float(c) for c in v)
    return np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])


def axis_angle_matrix(axis: F64, angle: float) -> F64:
    """Rodrigues rotation of ``angle`` rad about the unit vector ``axis`` (right-handed)."""
    k = skew(axis)
    rot: F64 = np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)
    return rot


def axis_angle_batch(axis: F64, angles: F64) -> F64:
    """(N, 3, 3) Rodrigues rotations about one unit ``axis`` by each of ``angles`` (N,) rad."""
    k = skew(axis)
    s, c = np.sin(angles)[:, None, None], np.cos(angles)[:, None, None]
    rot: F64 = np.eye(3)[None] + s * k[None] + (1 - c) * (k @ k)[None]
    return rot


def exp_map(rotvec: F64) -> F64:
    """The 3x3 rotation of a rotation vector (rad): about its direction by its norm; identity for the zero vector."""
    v = np.asarray(rotvec, dtype=np.float64)
    angle = float(np.linalg.norm(v))
    if angle < 1e-12:
        return np.eye(3) + skew(v)  # first order: exact to the float64 precision at this size
    return axis_angle_matrix(v / angle, angle)


def log_map(rot: F64) -> F64:
    """The rotation vector (rad, angle in [0, pi]) of a 3x3 rotation matrix: the inverse of :func:`exp_map`.

    Near pi, where ``sin(angle)`` vanishes, the axis is read from the symmetric part of ``rot``
    (``u u^T (1 - cos)``, the row of ``u``'s largest component) and its sign from the skew part (``R - R^T`` is
    ``2 sin(angle) [u]x``), so a rotation just short of pi about ``-z`` is not taken for one about ``+z``; at pi
    exactly ``u`` and ``-u`` are the same rotation. Near zero it is the first-order ``vee((R - R^T) / 2)``.
    """
    cos = np.clip((np.trace(rot) - 1) / 2, -1.0, 1.0)
    angle = float(np.arccos(cos))
    v = np.array([rot[2, 1] - rot[1, 2], rot[0, 2] - rot[2, 0], rot[1, 0] - rot[0, 1]])
    if angle < 1e-7:
        return 0.5 * v
    if angle > np.pi - 1e-4:  # sin(angle) vanishes: axis from the symmetric part, sign from the skew part
        sym = (rot + rot.T) / 2 - cos * np.eye(3)  # u u^T (1 - cos angle)
        i = int(np.argmax(np.diag(sym)))
        axis = sym[i] / np.linalg.norm(sym[i])  # +-u, from the row of u's largest component
        return np.asarray((axis if axis @ v >= 0 else -axis) * angle, dtype=np.float64)
    return np.asarray(v * angle / (2 * np.sin(angle)), dtype=np.float64)


def rpy_matrix(roll: float, pitch: float, yaw: float) -> F64:
    """Rotation of URDF fixed-axis roll-pitch-yaw (rad): ``R = Rz(yaw) Ry(pitch) Rx(roll)``."""
    cr, sr, cp, sp, cy, sy = np.cos(roll), np.sin(roll), np.cos(pitch), np.sin(pitch), np.cos(yaw), np.sin(yaw)
    rot: F64 = np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )
    return rot


def axis_rotations(axis: int, angles: F64) -> F64:
    """(N, 3, 3) right-handed rotations about the coordinate axis ``axis`` (0 = x, 1 = y, 2 = z) by ``angles``
    (N,) rad."""
    a = np.asarray(angles, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    out = np.zeros((len(a), 3, 3))
    j, k = (axis + 1) % 3, (axis + 2) % 3
    out[:, axis, axis] = 1.0
    out[:, j, j], out[:, j, k], out[:, k, j], out[:, k, k] = c, -s, s, c
    return out
