"""Where detected hands are in space: the camera frame from pixels and intrinsics, the world frame from the
camera's pose.

Camera frame: x right, y down, z forward (optical axis), m, origin at the optical centre (a pinhole camera with
``fx, fy, cx, cy`` in pixels). World frame: the frame a ``head_pose`` / ``camera_pose`` stream states the camera's
pose in (``x y z qx qy qz qw``: the camera frame's origin and orientation in the world).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from robofuel.resample import nearest_index
from robofuel.standard.canonical import rows_to_poses
from robofuel.standard.data import I64
from robofuel.steps.hand_pose.model import F64

Intrinsics = tuple[float, float, float, float]
POSE_COLUMNS = ("x", "y", "z", "qx", "qy", "qz", "qw")
POSE_ROLES = ("head_pose", "camera_pose")


def intrinsics_for(
    stream: str,
    width: int,
    height: int,
    configured: Mapping[str, Sequence[float]],
    extra: Mapping[str, Any],
    fov_deg: float,
) -> tuple[Intrinsics, str]:
    """``(fx, fy, cx, cy)`` of a video stream and where they came from: the step's config, the episode's
    ``extra["intrinsics"][stream]`` (a list, or a mapping with fx fy cx cy), else a pinhole with the frame centre as
    principal point and ``fov_deg`` horizontal field of view ("assumed")."""
    given = configured.get(stream)
    source = "config"
    if given is None:
        table = extra.get("intrinsics")
        given = table.get(stream) if isinstance(table, Mapping) else None
        source = "episode"
    if isinstance(given, Mapping):
        given = [given.get(k) for k in ("fx", "fy", "cx", "cy")]
    if given is not None and len(given) == 4 and all(isinstance(v, int | float) for v in given):
        fx, fy, cx, cy = (float(v) for v in given)
        return (fx, fy, cx, cy), source
    focal = width / 2 / math.tan(math.radians(fov_deg) / 2)
    return (focal, focal, width / 2, height / 2), "assumed"


def camera_points(px: F64, world: F64 | None, k: Intrinsics) -> F64:
    """(21, 3) keypoints in the camera frame, m: the model's metric hand shape ``world`` (camera-aligned axes, any
    origin) moved by the translation whose pinhole projection best fits ``px`` (21, 2) (linear least squares, two
    equations per keypoint). NaN when the model gives no 3D or the fit puts the hand behind the camera."""
    if world is None:
        return np.full((21, 3), np.nan)
    fx, fy, cx, cy = k
    du, dv = px[:, 0] - cx, px[:, 1] - cy
    zeros = np.zeros(21)
    a = np.vstack([np.column_stack([np.full(21, fx), zeros, -du]), np.column_stack([zeros, np.full(21, fy), -dv])])
    b = np.concatenate([du * world[:, 2] - fx * world[:, 0], dv * world[:, 2] - fy * world[:, 1]])
    t = np.linalg.lstsq(a, b, rcond=None)[0]
    points: F64 = world + t
    return points if (points[:, 2] > 0).all() else np.full((21, 3), np.nan)


def scaled_to(world: F64 | None, size_m: float | None) -> F64 | None:
    """The model's metric hand ``world`` (21, 3) scaled about the wrist so that wrist -> middle-finger MCP is
    ``size_m`` (m); unchanged when ``size_m`` is None (the model's own scale) or the length is degenerate."""
    if world is None or size_m is None:
        return world
    length = float(np.linalg.norm(world[9] - world[0]))
    if not math.isfinite(length) or length < 1e-6:
        return world
    out: F64 = world[0] + (world - world[0]) * (size_m / length)
    return out


def steady_depth(points: F64, times_ns: I64, window_s: float) -> F64:
    """(N, 21, 3) camera-frame hands with each frame's depth replaced by the median over the frames within
    ``window_s`` / 2 of it, each hand moved along the rays through its keypoints (so its pixels do not change).

    One camera gives a hand's distance only through its size in the image, which a few pixels of keypoint error
    change by 10-30% on a small hand; a hand's distance changes slowly, so the median over a short window keeps most
    of the motion and drops most of the per-frame error. NaN frames stay NaN and do not count; ``window_s`` 0 keeps
    the input."""
    depth = points[:, :, 2].mean(axis=1)  # a hand is found with all its keypoints or none
    found = np.isfinite(depth)
    if window_s <= 0 or found.sum() < 2:
        return points
    t, z = times_ns[found], depth[found]
    half = round(window_s * 5e8)
    lo, hi = np.searchsorted(t, t - half, "left"), np.searchsorted(t, t + half, "right")
    steady = np.array([np.median(z[a:b]) for a, b in zip(lo, hi, strict=True)])
    out = points.copy()
    out[found] *= (steady / z)[:, None, None]
    return out


def pose_rows(columns: Sequence[str], values: F64) -> F64 | None:
    """(N, 7) ``x y z qx qy qz qw`` rows of a pose stream's values, or None when a column is missing."""
    index = {c: i for i, c in enumerate(columns)}
    if any(c not in index for c in POSE_COLUMNS):
        return None
    rows: F64 = values[:, [index[c] for c in POSE_COLUMNS]]
    return rows


def to_world(points: F64, frame_ns: I64, pose_ns: I64, rows: F64, max_gap_ns: int) -> F64:
    """(N, 21, 3) camera-frame ``points`` at ``frame_ns`` in the world frame, each with the pose sample nearest in
    time (NaN where none is within ``max_gap_ns`` or the pose is not finite)."""
    out = np.full_like(points, np.nan)
    ok_pose = np.isfinite(rows).all(axis=1)
    if not ok_pose.any() or not len(points):
        return out
    times, poses = pose_ns[ok_pose], rows_to_poses(rows[ok_pose])
    nearest = nearest_index(times, frame_ns)
    close = np.abs(times[nearest] - frame_ns) <= max_gap_ns
    rot, trans = poses[nearest, :3, :3], poses[nearest, :3, 3]
    moved = np.einsum("nij,nkj->nki", rot, points) + trans[:, None, :]
    out[close] = moved[close]
    return out
