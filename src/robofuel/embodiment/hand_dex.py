"""Human hand to a dexterous hand (the Allegro): fingertip targets from keypoints, fingertip IK, feasibility.

Targets: each human fingertip keypoint is taken relative to the knuckle centre (mean of the index, middle and ring
MCP keypoints, m) in the human palm frame (:func:`robofuel.embodiment.hand.palm_rotations`), scaled by the ratio of
the robot's to the human's middle-finger length (knuckle to tip, straight robot finger; the human's summed
segments, median over the episode), and placed at the robot's knuckle centre in its palm convention
(``HandSpec.palm_rpy``). Fingers the robot lacks (the Allegro's pinky) are left out. Solved by
:func:`robofuel.embodiment.dexhand.solve_fingertips`; checked by :func:`assess_hand`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from robofuel.embodiment.dexhand import (
    FingertipOptions,
    FingertipResult,
    HandKinematics,
    hand_kinematics,
    solve_fingertips,
)
from robofuel.embodiment.feasibility import PARTIAL_REACH, verdict
from robofuel.embodiment.hand import I64, KP, finger_length, hand_track, palm_rotations, smooth
from robofuel.embodiment.model import F64
from robofuel.embodiment.registry import Embodiment
from robofuel.errors import InputError
from robofuel.standard import EpisodeData

#: A frame is reached when every fingertip ends within this distance (m) of its scaled target. The human and
#: the Allegro differ in proportions (thumb placement, finger spread), so exact matches are not expected.
REACH_TIP_M = 0.015
SMOOTH_S = 0.1  # s, centred moving average of the keypoints (tracking noise)
_ANCHOR_FINGERS = ("index", "middle", "ring")
ANCHORS = ("finger", "palm")


@dataclass
class HandFeasibilityReport:
    """Per episode and dexterous target. Errors in mm between FK fingertips and their scaled targets."""

    episode: str
    source: str
    target: str
    frames: int
    dropped_frames: int
    scale: float
    reach_tolerance_mm: float
    reachable_fraction: float
    fingertip_error_mm: dict[str, dict[str, float]]
    joint_limit_violations: int
    velocity_limit_violations: int
    collision_note: str
    verdict: str
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class HandDexResult:
    """Targets (N, F, 3) m in the robot's palm frame, the solution, frame times (ns and s) and the report."""

    targets: F64
    solution: FingertipResult
    timestamps_ns: I64
    times_s: F64
    report: HandFeasibilityReport


def _human_knuckle(finger: str) -> int:
    return KP["thumb_cmc" if finger == "thumb" else f"{finger}_mcp"]


def fingertip_targets(points: F64, kin: HandKinematics, anchor: str = "palm") -> tuple[F64, float]:
    """(N, F, 3) targets (m, robot palm frame) for the robot's fingers, and the scale used, from keypoints
    (N, 21, 3) in any one frame. ``anchor``: ``finger`` (each tip relative to its own knuckle: thumb CMC or
    finger MCP, placed at the robot's knuckle of that finger) or ``palm`` (every tip relative to the knuckle
    centre, placed at the robot's knuckle centre)."""
    if anchor not in ANCHORS:
        raise InputError(f"anchor {anchor!r}: choose one of {', '.join(ANCHORS)}")
    rot = palm_rotations(points)
    zero = np.zeros(len(kin.names))
    middle = kin.frame_positions(zero, [kin.spec.knuckles["middle"], kin.spec.fingertips["middle"]])
    scale = float(np.linalg.norm(middle[1] - middle[0]) / finger_length(points, "middle"))
    if anchor == "palm":
        used = [f for f in _ANCHOR_FINGERS if f in kin.spec.knuckles]
        centre = points[:, [KP[f"{f}_mcp"] for f in used]].mean(axis=1)
        base_h = np.repeat(centre[:, None, :], len(kin.fingers), axis=1)
        robot_centre = kin.frame_positions(zero, [kin.spec.knuckles[f] for f in used]).mean(axis=0)
        base_r = np.repeat(robot_centre[None], len(kin.fingers), axis=0)
    else:
        base_h = points[:, [_human_knuckle(f) for f in kin.fingers]]
        base_r = kin.frame_positions(zero, [kin.spec.knuckles[f] for f in kin.fingers])
    tips_h = points[:, [KP[f"{f}_tip"] for f in kin.fingers]] - base_h
    local = np.einsum("nji,nfj->nfi", rot, tips_h)  # R^T (tip - base): human palm coordinates
    targets: F64 = base_r[None] + scale * local @ kin.palm_rotation.T
    return targets, scale


def _finger_stats(err_mm: F64) -> dict[str, float]:
    return {
        "median": round(float(np.median(err_mm)), 3),
        "p90": round(float(np.percentile(err_mm, 90)), 3),
        "max": round(float(np.max(err_mm)), 3),
    }


def _velocity_violations(kin: HandKinematics, theta: F64, times_s: F64) -> int:
    dt = np.diff(times_s)
    speed = np.abs(np.diff(theta, axis=0)) / np.where(dt > 0, dt, np.inf)[:, None]
    return int(np.any(speed > kin.velocity * (1 + 1e-6), axis=1).sum())


def assess_hand(
    episode: str, source: str, kin: HandKinematics, targets: F64, solution: FingertipResult, times_s: F64
) -> HandFeasibilityReport:
    """The feasibility report of a fingertip retargeting: per-fingertip errors (FK of the solution against the
    targets, mm), the fraction of frames with every fingertip within :data:`REACH_TIP_M`, limit violations
    (position, and velocity over the frame intervals ``times_s`` in s) and the verdict."""
    err_mm = np.linalg.norm(solution.tips - targets, axis=2) * 1e3
    per = {f: _finger_stats(err_mm[:, i]) for i, f in enumerate(kin.fingers)} | {"all": _finger_stats(err_mm)}
    ok = np.all(err_mm <= REACH_TIP_M * 1e3, axis=1)
    reach = float(np.mean(ok)) if len(ok) else 0.0
    theta = solution.theta
    outside = int(np.any((theta < kin.lower - 1e-6) | (theta > kin.upper + 1e-6), axis=1).sum())
    fast = _velocity_violations(kin, theta, times_s)
    word, reasons = verdict(reach, outside + fast, None)
    reasons = [r.replace(">1 mm or >1 deg", f"a fingertip >{REACH_TIP_M * 1e3:.0f} mm") for r in reasons]
    if reach < PARTIAL_REACH:
        worst = max(kin.fingers, key=lambda f: per[f]["median"])
        reasons.append(f"worst fingertip: {worst} (median {per[worst]['median']} mm)")
    return HandFeasibilityReport(
        episode, source, kin.embodiment.id, len(ok), 0, 0.0, REACH_TIP_M * 1e3, round(reach, 4), per,
        outside, fast, "self-collision between fingers not checked", word, reasons,
    )  # fmt: skip


def hand_to_dexterous(
    data: EpisodeData,
    source: Embodiment,
    target: Embodiment,
    opts: FingertipOptions | None = None,
    smooth_s: float = SMOOTH_S,
    anchor: str = "palm",
) -> HandDexResult:
    """Retarget a human-hand episode's fingertips to the dexterous hand ``target`` (keypoints smoothed over
    ``smooth_s`` s; ``anchor`` as in :func:`fingertip_targets`)."""
    started = time.perf_counter()
    kin = hand_kinematics(target)
    track = hand_track(data)
    targets, scale = fingertip_targets(smooth(track.points, track.times_s, smooth_s), kin, anchor)
    solution = solve_fingertips(kin, targets, track.times_s, opts)
    report = assess_hand(data.meta.id, source.id, kin, targets, solution, track.times_s)
    report.dropped_frames, report.scale = track.dropped, round(scale, 4)
    report.seconds = round(time.perf_counter() - started, 3)
    return HandDexResult(targets, solution, track.timestamps_ns, track.times_s, report)
