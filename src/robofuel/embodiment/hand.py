"""The human hand as a retargeting source: 21 keypoints (:data:`~robofuel.standard.canonical.HAND_KEYPOINTS`, m),
its palm frame, the wrist pose and the thumb-index pinch.

Palm frame (robofuel's convention, shared with :class:`~robofuel.embodiment.registry.HandSpec`): origin at the
wrist keypoint; z from the wrist towards the midpoint of the index and pinky MCP keypoints (towards the fingers);
y from the index MCP towards the pinky MCP, made orthogonal to z; x = y cross z (out of the back of the hand for a
hand whose fingers curl towards -x). As an arm's tool frame, z is the approach and y runs along the opening.

Keypoints are stated in the stream's ``frame``. Camera frames (``head_camera``: x right, y down, z forward) are
turned into a z-up robot-style base frame (x forward, y left, z up) by :data:`ZUP_FROM_FRAME`; other frames are
taken as z-up already.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from robofuel.embodiment.model import F64
from robofuel.errors import InputError
from robofuel.standard import EpisodeData, Stream
from robofuel.standard.canonical import HAND_KEYPOINTS, HAND_KEYPOINTS_ROLE, rows_to_poses

I64 = npt.NDArray[np.int64]
KP = {name: i for i, name in enumerate(HAND_KEYPOINTS)}
FINGERS = ("thumb", "index", "middle", "ring", "pinky")
#: Rotation from a named source frame to the z-up base frame (x forward, y left, z up).
_CAMERA = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
ZUP_FROM_FRAME: dict[str, F64] = {"head_camera": _CAMERA, "camera": _CAMERA, "ego": _CAMERA}
#: Thumb-tip to index-tip distance (m, between keypoints) mapped to a closed and a fully open gripper.
PINCH_CLOSED_M = 0.02
PINCH_OPEN_M = 0.10
POSE_ROLES = ("wrist_pose", "hand_pose")


@dataclass
class HandTrack:
    """Keypoints (N, 21, 3) in m at ``timestamps_ns`` (N,), rotated into the z-up base frame; ``dropped``: rows left
    out because a value was not finite; ``frame``: the stream's frame before rotation."""

    stream: str
    frame: str | None
    timestamps_ns: I64
    points: F64
    dropped: int = 0

    @property
    def times_s(self) -> F64:
        """Seconds from the first kept sample."""
        t: F64 = (self.timestamps_ns - self.timestamps_ns[0]) / 1e9 if len(self.timestamps_ns) else np.zeros(0)
        return t


def zup_rotation(frame: str | None) -> F64:
    """3x3 rotation taking vectors in ``frame`` to the z-up base frame (identity for frames taken as z-up)."""
    return ZUP_FROM_FRAME.get(frame or "", np.eye(3))


#: Keypoints a tracker may not provide (Project Aria's hand model has no thumb CMC): NaN where absent.
OPTIONAL = frozenset({"thumb_cmc"})


def _keypoint_columns(stream: Stream) -> list[int]:
    """Column of each keypoint coordinate, -1 for an :data:`OPTIONAL` keypoint the stream does not have."""
    cols = {c: i for i, c in enumerate(stream.columns)}
    idx = [cols.get(f"{k}_{a}", cols.get(f"{k}.{a}", -1)) for k in HAND_KEYPOINTS for a in "xyz"]
    missing = {HAND_KEYPOINTS[i // 3] for i, c in enumerate(idx) if c < 0}
    if not missing - OPTIONAL and len(missing) < len(HAND_KEYPOINTS):
        return idx
    if len(stream.columns) == 63:  # unnamed columns: MediaPipe order, x y z per point
        return list(range(63))
    raise InputError(f"stream {stream.name}: columns are not 21 hand keypoints x y z")


def hand_track(data: EpisodeData) -> HandTrack:
    """The episode's first ``hand_keypoints`` stream, rows with a non-finite value dropped, in the z-up frame."""
    stream = next((s for s in data.meta.streams if s.role == HAND_KEYPOINTS_ROLE and s.name in data.payloads), None)
    if stream is None:
        raise InputError(f"episode {data.meta.id}: no hand_keypoints stream to retarget from")
    payload = data.numeric(stream.name)
    idx = np.array(_keypoint_columns(stream))
    values = np.where(idx >= 0, payload.values[:, np.maximum(idx, 0)], np.nan).reshape(-1, 21, 3)
    given = [i for i, k in enumerate(HAND_KEYPOINTS) if idx[3 * i] >= 0]
    ok = np.isfinite(values[:, given]).all(axis=(1, 2))
    if ok.sum() < 2:
        raise InputError(f"episode {data.meta.id}: fewer than 2 finite hand keypoint samples")
    points = values[ok] @ zup_rotation(stream.frame).T
    return HandTrack(stream.name, stream.frame, payload.timestamps_ns[ok], points, int((~ok).sum()))


def palm_rotations(points: F64) -> F64:
    """(N, 3, 3) palm frame axes (columns x, y, z) from keypoints (N, 21, 3), in the keypoints' frame."""
    wrist, index, pinky = points[:, KP["wrist"]], points[:, KP["index_mcp"]], points[:, KP["pinky_mcp"]]
    z = (index + pinky) / 2 - wrist
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    y = pinky - index
    y -= np.sum(y * z, axis=1, keepdims=True) * z
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    rot: F64 = np.stack([np.cross(y, z), y, z], axis=2)
    return rot


def wrist_poses(points: F64) -> F64:
    """(N, 4, 4) palm frame poses (origin at the wrist keypoint, m) from keypoints (N, 21, 3)."""
    poses = np.repeat(np.eye(4)[None], len(points), axis=0)
    poses[:, :3, :3] = palm_rotations(points)
    poses[:, :3, 3] = points[:, KP["wrist"]]
    return poses


def pose_stream_poses(data: EpisodeData) -> tuple[I64, F64] | None:
    """Timestamps (ns) and (N, 4, 4) z-up poses of a ``wrist_pose`` / ``hand_pose`` stream (columns found by name:
    x y z in m, qx qy qz qw), or None when the episode has none; rows with a non-finite value are dropped."""
    for s in data.meta.streams:
        if s.role in POSE_ROLES and s.name in data.payloads:
            payload = data.numeric(s.name)
            cols = {c: i for i, c in enumerate(s.columns)}
            order = ("x", "y", "z", "qx", "qy", "qz", "qw")
            if any(c not in cols for c in order):
                raise InputError(f"stream {s.name}: a pose needs columns {', '.join(order)}")
            rows = payload.values[:, [cols[c] for c in order]]
            ok = np.isfinite(rows).all(axis=1)
            poses = rows_to_poses(rows[ok])
            rot = np.eye(4)
            rot[:3, :3] = zup_rotation(s.frame)
            return payload.timestamps_ns[ok], rot[None] @ poses
    return None


def pinch_distance(points: F64) -> F64:
    """(N,) distance (m) between the thumb-tip and index-tip keypoints."""
    d: F64 = np.linalg.norm(points[:, KP["thumb_tip"]] - points[:, KP["index_tip"]], axis=1)
    return d


def aperture_from_pinch(distance_m: F64, max_aperture_m: float) -> F64:
    """Gripper aperture (m): the pinch distance mapped linearly from :data:`PINCH_CLOSED_M` (0 m) to
    :data:`PINCH_OPEN_M` (``max_aperture_m``), clipped; non-decreasing in the distance."""
    fraction = (np.asarray(distance_m, dtype=np.float64) - PINCH_CLOSED_M) / (PINCH_OPEN_M - PINCH_CLOSED_M)
    out: F64 = np.clip(fraction, 0.0, 1.0) * max_aperture_m
    return out


def finger_length(points: F64, finger: str) -> float:
    """Median (over frames) length in m of a finger: MCP to PIP to DIP to tip (thumb: CMC to MCP to IP to tip, or
    MCP to IP to tip where the tracker gives no CMC)."""
    names: tuple[str, ...] = ("cmc", "mcp", "ip", "tip") if finger == "thumb" else ("mcp", "pip", "dip", "tip")
    if finger == "thumb" and not np.isfinite(points[:, KP["thumb_cmc"]]).all():
        names = names[1:]
    chain = points[:, [KP[f"{finger}_{n}"] for n in names]]
    return float(np.median(np.linalg.norm(np.diff(chain, axis=1), axis=2).sum(axis=1)))


def smooth(values: F64, times_s: F64, window_s: float) -> F64:
    """Centred moving average over ``window_s`` seconds (odd frame count from the median interval) along axis 0;
    the window shrinks at both ends. ``window_s <= 0`` or a window of one frame returns a copy."""
    values = np.asarray(values, dtype=np.float64)
    dt = float(np.median(np.diff(times_s))) if len(times_s) > 1 else 0.0
    half = round(window_s / dt / 2) if dt > 0 and window_s > 0 else 0
    if half < 1 or len(values) < 2:
        return values.copy()
    flat = values.reshape(len(values), -1)
    padded = np.vstack([np.zeros((1, flat.shape[1])), np.cumsum(flat, axis=0)])
    idx = np.arange(len(flat))
    lo, hi = np.maximum(idx - half, 0), np.minimum(idx + half + 1, len(flat))
    out: F64 = ((padded[hi] - padded[lo]) / (hi - lo)[:, None]).reshape(values.shape)
    return out
