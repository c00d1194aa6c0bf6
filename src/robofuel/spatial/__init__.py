"""Spatial maths: rotations, quaternions and rigid transforms, in numpy. The one home for them in robofuel.

Conventions (every function states its own too):

- Angles are radians. Rotation matrices are 3x3 and act on column vectors: ``v_parent = R @ v_child``, so the
  columns of ``R`` are the child frame's axes in the parent frame. Transforms are 4x4 homogeneous matrices with the
  same meaning (``T_parent_child``, translation in m).
- Quaternions are ``x, y, z, w`` (scalar last, as ROS and the standard's ``ee_pose`` write them) unless a name says
  ``wxyz``; :func:`wxyz_to_xyzw` and :func:`xyzw_to_wxyz` convert. Functions taking quaternions normalise them;
  a zero quaternion has no direction and gives NaN, never a guess (see each function).
- Batched functions take a leading axis N and return one; ``(N, 3, 3)`` for rotations, ``(N, 4)`` for quaternions.
- A rotation vector (axis-angle) is the unit axis times the angle in [0, pi]; :func:`log_map` and :func:`exp_map`
  convert it from and to a rotation matrix.

Modules: :mod:`~robofuel.spatial.rotations` (matrices, so(3) exp/log, roll-pitch-yaw, elementary rotations),
:mod:`~robofuel.spatial.quaternions` (conversions, slerp, angles), :mod:`~robofuel.spatial.transforms` (4x4 poses).
This package imports numpy only, so any layer of robofuel may use it.
"""

from __future__ import annotations

from robofuel.spatial.quaternions import (
    matrix_to_quat_xyzw,
    quat_angle,
    quat_xyzw_to_matrix,
    quat_xyzw_to_rotvec,
    slerp_unit,
    wxyz_to_xyzw,
    xyzw_to_wxyz,
)
from robofuel.spatial.rotations import (
    axis_angle_batch,
    axis_angle_matrix,
    axis_rotations,
    exp_map,
    log_map,
    rpy_matrix,
    skew,
)
from robofuel.spatial.transforms import invert_transform, relative_poses

__all__ = [
    "axis_angle_batch",
    "axis_angle_matrix",
    "axis_rotations",
    "exp_map",
    "invert_transform",
    "log_map",
    "matrix_to_quat_xyzw",
    "quat_angle",
    "quat_xyzw_to_matrix",
    "quat_xyzw_to_rotvec",
    "relative_poses",
    "rpy_matrix",
    "skew",
    "slerp_unit",
    "wxyz_to_xyzw",
    "xyzw_to_wxyz",
]
