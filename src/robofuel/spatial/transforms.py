"""Rigid transforms: 4x4 homogeneous matrices ``T_parent_child`` (rotation as in :mod:`robofuel.spatial.rotations`,
translation in m), mapping child-frame coordinates into the parent frame."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def invert_transform(tf: F64) -> F64:
    """The inverse of one 4x4 rigid transform: ``[R^T, -R^T t]`` (exact for a rotation, unlike a general inverse)."""
    inv = np.eye(4)
    inv[:3, :3] = tf[:3, :3].T
    inv[:3, 3] = -tf[:3, :3].T @ tf[:3, 3]
    return inv


def relative_poses(poses: F64) -> F64:
    """(N, 4, 4) poses expressed in the frame of the first one: ``T_0^-1 T_t`` (empty in, empty out)."""
    poses = np.asarray(poses, dtype=np.float64).reshape(-1, 4, 4)
    if len(poses) == 0:
        return poses.copy()
    out: F64 = invert_transform(poses[0])[None] @ poses
    return out
