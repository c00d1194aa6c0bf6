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


def matrix_to_quat_xyzw(rot: F64) -> F64:
    """(N, 4) unit quaternions x, y, z, w (w >= 0) of (N, 3, 3) rotation matrices."""
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
    """(N, 3, 3) rotation matrices of (N, 4) quaternions x, y, z, w (normalised first)."""
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


def relative_poses(poses: F64) -> F64:
    """(N, 4, 4) poses expressed in the frame of the first one: ``T_0^-1 T_t`` (the ``ee_pose_relative`` role)."""
    poses = np.asarray(poses, dtype=np.float64).reshape(-1, 4, 4)
    if len(poses) == 0:
        return poses.copy()
    inv = np.eye(4)
    inv[:3, :3] = poses[0, :3, :3].T
    inv[:3, 3] = -poses[0, :3, :3].T @ poses[0, :3, 3]
    out: F64 = inv[None] @ poses
    return out
