"""The canonical, embodiment-free action space of the standard.

Whatever robot or hand produced an episode, its motion can be stated in these terms (see docs/embodiment.md):

- ``ee_pose`` (role): one stream per arm, columns :data:`EE_POSE_COLUMNS` = position x, y, z (m) then the
  orientation quaternion qx, qy, qz, qw (``quaternion_order="xyzw"``), of the arm's canonical tool frame in the
  named base frame given as the stream's ``frame``. The tool frame's z axis points out of the flange (approach
  direction); for a parallel gripper its y axis runs along the finger opening.
- ``ee_pose_relative`` (role): the same columns, each pose expressed in the frame of the episode's first pose
  (``T_0^-1 T_t``), so a policy can be trained on motions independent of where the arm started.
- ``gripper_aperture`` (role): the distance between the fingers, m (0 = closed).
- ``hand_keypoints`` (role): :data:`HAND_KEYPOINTS` (21 points, MediaPipe order) x, y, z in m.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from robofuel.spatial.quaternions import matrix_to_quat_xyzw, quat_xyzw_to_matrix

F64 = npt.NDArray[np.float64]

EE_POSE_ROLE = "ee_pose"
EE_POSE_RELATIVE_ROLE = "ee_pose_relative"
GRIPPER_APERTURE_ROLE = "gripper_aperture"
HAND_KEYPOINTS_ROLE = "hand_keypoints"
EE_POSE_COLUMNS = ("x", "y", "z", "qx", "qy", "qz", "qw")
QUATERNION_ORDER = "xyzw"
HAND_KEYPOINTS = (
    "wrist",
    "thumb_cmc",
    "thumb_mcp",
    "thumb_ip",
    "thumb_tip",
    "index_mcp",
    "index_pip",
    "index_dip",
    "index_tip",
    "middle_mcp",
    "middle_pip",
    "middle_dip",
    "middle_tip",
    "ring_mcp",
    "ring_pip",
    "ring_dip",
    "ring_tip",
    "pinky_mcp",
    "pinky_pip",
    "pinky_dip",
    "pinky_tip",
)


def poses_to_rows(poses: F64) -> F64:
    """(N, 7) ``ee_pose`` rows (m, quaternion xyzw) of (N, 4, 4) homogeneous transforms."""
    poses = np.asarray(poses, dtype=np.float64).reshape(-1, 4, 4)
    return np.concatenate([poses[:, :3, 3], matrix_to_quat_xyzw(poses[:, :3, :3])], axis=1)


def rows_to_poses(rows: F64) -> F64:
    """(N, 4, 4) homogeneous transforms of (N, 7) ``ee_pose`` rows."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 7)
    poses = np.repeat(np.eye(4)[None], len(rows), axis=0)
    poses[:, :3, :3] = quat_xyzw_to_matrix(rows[:, 3:])
    poses[:, :3, 3] = rows[:, :3]
    return poses
