"""Human hand to a parallel-gripper arm: the wrist pose drives the arm's tool frame, the pinch drives the gripper.

The source pose is a ``wrist_pose`` / ``hand_pose`` stream when the episode has one, else the palm frame computed
from the hand keypoints (:func:`robofuel.embodiment.hand.wrist_poses`: origin at the wrist, z towards the fingers,
y across the palm), both turned into the z-up base frame. It then goes through the arm pipeline of
:mod:`robofuel.embodiment.retarget` (workspace alignment, damped least-squares IK with joint and velocity limits)
and the same :class:`~robofuel.embodiment.feasibility.FeasibilityReport`.

Orientation (``orientation``): ``relative`` (default) starts the tool at the target's home orientation and applies
the hand's rotation since the first frame, taken in the base frame (``R_t = R_palm,t R_palm,0^T R_home``): a
hand turned about the vertical turns the gripper about the vertical, whatever the hand's posture is at rest.
``absolute`` uses the palm frame itself as the tool frame (approach along the fingers). The aperture is the thumb-tip to
index-tip distance mapped to the target gripper's range (:func:`robofuel.embodiment.hand.aperture_from_pinch`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from robofuel.embodiment.feasibility import FeasibilityReport, assess
from robofuel.embodiment.hand import (
    I64,
    HandTrack,
    aperture_from_pinch,
    hand_track,
    pinch_distance,
    pose_stream_poses,
    smooth,
    wrist_poses,
)
from robofuel.embodiment.ik import IkOptions
from robofuel.embodiment.model import F64, arm_kinematics
from robofuel.embodiment.registry import Embodiment
from robofuel.embodiment.retarget import Alignment, RetargetResult, map_aperture, retarget
from robofuel.errors import InputError
from robofuel.standard import EpisodeData

DEFAULT_MAX_APERTURE_M = 0.08  # for a target arm whose record names no gripper
SMOOTH_S = 0.2  # s, centred moving average of keypoints before the palm frame (0.8 mm tracking noise on 5 cm
# between wrist and knuckles turns the palm by about 1 degree per frame)
ORIENTATIONS = ("relative", "absolute")


@dataclass
class HandArmResult:
    """The arm result, its report, the frame times (ns) and the human pinch distance (m) at those frames."""

    result: RetargetResult
    report: FeasibilityReport
    timestamps_ns: I64
    pinch_m: F64 | None


def _source_poses(data: EpisodeData, smooth_s: float) -> tuple[I64, F64, HandTrack | None, str]:
    track: HandTrack | None = None
    try:
        track = hand_track(data)
    except InputError:
        if pose_stream_poses(data) is None:
            raise
    stream = pose_stream_poses(data)
    if stream is not None:
        return stream[0], stream[1], track, "wrist pose stream"
    assert track is not None
    points = smooth(track.points, track.times_s, smooth_s)
    return track.timestamps_ns, wrist_poses(points), track, f"palm frame from {track.stream}"


def orient(poses: F64, mode: str, home_rot: F64) -> F64:
    """(N, 4, 4) tool targets from palm poses: ``absolute`` as they are, ``relative`` rotated so that the first
    frame has the orientation ``home_rot`` (3x3) and later frames turn by the palm's rotation since then."""
    if mode not in ORIENTATIONS:
        raise InputError(f"orientation {mode!r}: choose one of {', '.join(ORIENTATIONS)}")
    out = np.array(poses, dtype=np.float64, copy=True)
    if mode == "relative" and len(out):
        out[:, :3, :3] = poses[:, :3, :3] @ poses[0, :3, :3].T @ home_rot
    return out


def _aperture(result: RetargetResult, ts: I64, track: HandTrack | None, target: Embodiment) -> tuple[F64 | None, str]:
    """Pinch distance (m) resampled onto the frames, and the gripper mapping written into ``result``."""
    if track is None:
        return None, "no hand keypoints: no aperture"
    t_s = (track.timestamps_ns - ts[0]) / 1e9
    pinch = np.interp((ts - ts[0]) / 1e9, t_s, pinch_distance(track.points))
    gripper = target.arms[0].gripper
    top = gripper.max_aperture_m if gripper else DEFAULT_MAX_APERTURE_M
    result.aperture_m, result.gripper_joints = map_aperture(aperture_from_pinch(pinch, top), gripper)
    how = "joint values" if result.gripper_joints is not None else "aperture only (no gripper joints in the model)"
    return pinch, f"thumb-index pinch mapped to the target's 0-{top * 1e3:.0f} mm range, {how}"


def hand_to_arm(
    data: EpisodeData,
    source: Embodiment,
    target: Embodiment,
    alignment: Alignment | None = None,
    check_collisions: bool = True,
    opts: IkOptions | None = None,
    orientation: str = "relative",
    smooth_s: float = SMOOTH_S,
) -> HandArmResult:
    """Retarget a human-hand episode to ``target``'s first arm (wrist pose to tool frame, pinch to aperture);
    keypoints are smoothed over ``smooth_s`` seconds before the palm frame is computed."""
    if not target.arms:
        raise InputError(f"embodiment {target.id!r} has no arm to retarget to")
    started = time.perf_counter()
    ts, poses, track, origin = _source_poses(data, smooth_s)
    kin = arm_kinematics(target)
    poses = orient(poses, orientation, kin.pose(kin.home)[:3, :3])
    result = retarget(kin, poses, (ts - ts[0]) / 1e9, alignment, opts, check_collisions)
    result.notes.append(f"source: {origin}, orientation {orientation}")
    pinch, note = _aperture(result, ts, track, target)
    report = assess(data.meta.id, source.id, kin, result, check_collisions, note)
    report.seconds = round(time.perf_counter() - started, 3)
    return HandArmResult(result, report, ts, pinch)
