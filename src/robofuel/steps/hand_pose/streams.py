"""The ``hand_keypoints`` streams the ``hand_pose`` step writes: one per hand and video, in the camera frame, and
one per hand and video in the world frame where the camera's pose is known.

Columns (the Aria import's layout, so retargeting reads both alike): ``confidence`` (the model's score for the
hand, 0 in a frame where it was not found), ``<keypoint>_x/_y/_z`` for the 21 keypoints of
:data:`~robofuel.standard.canonical.HAND_KEYPOINTS` (m; NaN where not found), and in the camera-frame stream
``<keypoint>_u/_v`` (pixels of the video, x right, y down from the top-left corner) and, where the model gives
them, ``<keypoint>_score``. One row per frame the model ran on, at that frame's timestamp.
"""

from __future__ import annotations

import numpy as np

from robofuel.standard import NumericData, Stream, numeric_stream
from robofuel.standard.canonical import HAND_KEYPOINTS, HAND_KEYPOINTS_ROLE
from robofuel.steps.hand_pose.model import F64, Side
from robofuel.steps.hand_pose.track import SideTrack, VideoTrack

XYZ = [f"{k}_{a}" for k in HAND_KEYPOINTS for a in "xyz"]
UV = [f"{k}_{a}" for k in HAND_KEYPOINTS for a in "uv"]
SCORES = [f"{k}_score" for k in HAND_KEYPOINTS]
#: ``Stream.source`` of every stream this step writes starts with this (so a re-run replaces them).
SOURCE = "hand_pose:"


def stream_name(video: str, side: Side, world: bool = False) -> str:
    return f"hands-{video}-{side}" + ("-world" if world else "")


def camera_stream(video: Stream, track: VideoTrack, side: Side, model: str) -> tuple[Stream, NumericData]:
    """The camera-frame stream of one hand (frame: the video stream's frame, or its name)."""
    s: SideTrack = track.sides[side]
    n = len(track.timestamps_ns)
    parts: list[F64] = [s.score[:, None], s.camera.reshape(n, 63), s.px.reshape(n, 42)]
    columns = ["confidence", *XYZ, *UV]
    if np.isfinite(s.keypoint_scores).any():
        parts.append(s.keypoint_scores)
        columns += SCORES
    data = NumericData(track.timestamps_ns, np.hstack(parts))
    units = dict.fromkeys(XYZ, "m") | dict.fromkeys(UV, "px")
    info = {"role": HAND_KEYPOINTS_ROLE, "frame": video.frame or video.name, "column_units": units}
    name = stream_name(video.name, side)
    return numeric_stream(name, data, columns, **info, source=f"{SOURCE}{video.name} {model}"), data


def world_stream(
    video: Stream, track: VideoTrack, side: Side, points: F64, frame: str, model: str
) -> tuple[Stream, NumericData]:
    """The world-frame stream of one hand: ``points`` (N, 21, 3) m in ``frame``."""
    s = track.sides[side]
    data = NumericData(track.timestamps_ns, np.hstack([s.score[:, None], points.reshape(len(points), 63)]))
    info = {"role": HAND_KEYPOINTS_ROLE, "frame": frame, "column_units": dict.fromkeys(XYZ, "m")}
    name = stream_name(video.name, side, world=True)
    return numeric_stream(name, data, ["confidence", *XYZ], **info, source=f"{SOURCE}{video.name} {model}"), data
