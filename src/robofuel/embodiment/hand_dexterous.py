"""Human hand to a dexterous hand (the Allegro): fingertip targets (:mod:`robofuel.embodiment.hand_targets`),
fingertip IK (:func:`robofuel.embodiment.dexterous_kinematics.solve_fingertips`) and feasibility
(:func:`assess_hand`: reach, thumb contacts kept, limits, finger self-collision).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel.embodiment.collision import self_collision_checker
from robofuel.embodiment.dexterous_kinematics import (
    FingertipOptions,
    FingertipResult,
    HandKinematics,
    hand_kinematics,
    solve_fingertips,
)
from robofuel.embodiment.feasibility import MAX_COLLISION_CHECKS, PARTIAL_REACH, limit_violations, verdict
from robofuel.embodiment.hand import I64, hand_track, smooth
from robofuel.embodiment.hand_targets import PINCH_HOLD_M, fingertip_targets
from robofuel.embodiment.model import F64
from robofuel.embodiment.registry import Embodiment
from robofuel.standard import EpisodeData

#: A frame is reached when every fingertip ends within this distance (m) of its scaled target. The human and
#: the Allegro differ in proportions (thumb placement, finger spread), so exact matches are not expected.
REACH_TIP_M = 0.015
SMOOTH_S = 0.1  # s, centred moving average of the keypoints (tracking noise)


@dataclass
class HandFeasibilityReport:
    """Per episode and dexterous target. Errors in mm between FK fingertips and their scaled targets. Contacts:
    frames where the thumb target is within the scaled :data:`PINCH_HOLD_M` of another fingertip target, and how
    far the robot's thumb-to-fingertip distance is from the target's there (mm; a pinch that survives reads ~0)."""

    episode: str
    source: str
    target: str
    frames: int
    dropped_frames: int
    scale: float
    reach_tolerance_mm: float
    reachable_fraction: float
    fingertip_error_mm: dict[str, dict[str, float]]
    contact_frames: int
    contact_gap_error_mm: dict[str, float]
    joint_limit_violations: int
    velocity_limit_violations: int
    collision_frames: int | None
    collision_checked_frames: int
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


def _finger_stats(err_mm: F64) -> dict[str, float]:
    return {
        "median": round(float(np.median(err_mm)), 3),
        "p90": round(float(np.percentile(err_mm, 90)), 3),
        "max": round(float(np.max(err_mm)), 3),
    }


def _pinching(kin: HandKinematics, targets: F64, scale: float) -> npt.NDArray[np.bool_]:
    """(N, F) whether each finger's target is within the scaled :data:`PINCH_HOLD_M` of the thumb's target (the
    thumb's own column, and every column of a hand without a thumb, False)."""
    if "thumb" not in kin.fingers:
        return np.zeros(targets.shape[:2], dtype=bool)
    t = kin.fingers.index("thumb")
    near: npt.NDArray[np.bool_] = np.linalg.norm(targets - targets[:, t : t + 1], axis=2) <= scale * PINCH_HOLD_M
    near[:, t] = False
    return near


def _contact_gaps(kin: HandKinematics, targets: F64, tips: F64, scale: float) -> tuple[int, dict[str, float]]:
    """Thumb-to-fingertip contacts in the targets (count of (frame, finger) pairs) and the robot's gap error there."""
    touching = _pinching(kin, targets, scale)
    if not touching.any():
        return 0, {}
    t = kin.fingers.index("thumb")
    want = np.linalg.norm(targets - targets[:, t : t + 1], axis=2)
    got = np.linalg.norm(tips - tips[:, t : t + 1], axis=2)
    return int(touching.sum()), _finger_stats(np.abs(got - want)[touching] * 1e3)


def _finger_of_frames(kin: HandKinematics) -> dict[str, str]:
    """Model frame name -> the finger whose chain carries it (frames on the palm are absent)."""
    model = kin.model
    joint_finger: dict[int, str] = {}
    for finger in kin.fingers:
        j = model.frames[kin.model.getFrameId(kin.spec.fingertips[finger])].parentJoint
        while j > 0:
            joint_finger[j] = finger
            j = model.parents[j]
    return {f.name: joint_finger[f.parentJoint] for f in model.frames if f.parentJoint in joint_finger}


def _collisions(kin: HandKinematics, theta: F64, targets: F64, scale: float) -> tuple[int | None, int, str]:
    """(frames in self-collision, frames checked, note) over up to :data:`MAX_COLLISION_CHECKS` frames. The thumb
    touching a finger in a frame where its target pinches that finger's target (within the scaled
    :data:`PINCH_HOLD_M`) is the grasp, not a collision; anything else touching (fingers through each other, a
    finger through the palm) is."""
    checker, note = self_collision_checker(kin, np.clip(np.zeros(len(kin.names)), kin.lower, kin.upper))
    if checker is None:
        return None, 0, note
    finger = _finger_of_frames(kin)
    pinching = _pinching(kin, targets, scale)
    rows = np.arange(0, len(theta), max(1, len(theta) // MAX_COLLISION_CHECKS))
    hits = 0
    for i in rows:
        for a, b in checker.touching(theta[i]):
            pair = {finger.get(a, "palm"), finger.get(b, "palm")}
            other = next(iter(pair - {"thumb"}), "")
            pinch = "thumb" in pair and other in kin.fingers and bool(pinching[i, kin.fingers.index(other)])
            if not pinch:
                hits += 1
                break
    return hits, len(rows), note + "; the thumb touching a finger it pinches counts as contact"


def assess_hand(
    episode: str,
    source: str,
    kin: HandKinematics,
    targets: F64,
    solution: FingertipResult,
    times_s: F64,
    scale: float = 1.0,
    check_collisions: bool = True,
) -> HandFeasibilityReport:
    """The feasibility report of a fingertip retargeting: per-fingertip errors (FK of the solution against the
    targets, mm), the fraction of frames with every fingertip within :data:`REACH_TIP_M`, thumb contacts kept
    (targets scaled by ``scale`` from the human hand), limit violations (position, and velocity over the frame
    intervals ``times_s`` in s), self-collisions (:func:`_collisions`) and the verdict."""
    err_mm = np.linalg.norm(solution.tips - targets, axis=2) * 1e3
    per = {f: _finger_stats(err_mm[:, i]) for i, f in enumerate(kin.fingers)} | {"all": _finger_stats(err_mm)}
    ok = np.all(err_mm <= REACH_TIP_M * 1e3, axis=1)
    reach = float(np.mean(ok)) if len(ok) else 0.0
    contacts, gap_err = _contact_gaps(kin, targets, solution.tips, scale)
    outside, fast = limit_violations(kin, solution.theta, times_s)
    hits, checked, note = _collisions(kin, solution.theta, targets, scale) if check_collisions else (None, 0, "")
    word, reasons = verdict(reach, outside + fast, hits)
    reasons = [r.replace(">1 mm or >1 deg", f"a fingertip >{REACH_TIP_M * 1e3:.0f} mm") for r in reasons]
    if reach < PARTIAL_REACH:
        worst = max(kin.fingers, key=lambda f: per[f]["median"])
        reasons.append(f"worst fingertip: {worst} (median {per[worst]['median']} mm)")
    return HandFeasibilityReport(
        episode, source, kin.embodiment.id, len(ok), 0, scale, REACH_TIP_M * 1e3, round(reach, 4), per,
        contacts, gap_err, outside, fast, hits, checked, note or "self-collision not checked (disabled)", word, reasons,
    )  # fmt: skip


def hand_to_dexterous(
    data: EpisodeData,
    source: Embodiment,
    target: Embodiment,
    opts: FingertipOptions | None = None,
    smooth_s: float = SMOOTH_S,
    anchor: str = "finger",
    check_collisions: bool = True,
) -> HandDexResult:
    """Retarget a human-hand episode's fingertips to the dexterous hand ``target`` (keypoints smoothed over
    ``smooth_s`` s; ``anchor`` as in :func:`fingertip_targets`)."""
    started = time.perf_counter()
    kin = hand_kinematics(target)
    track = hand_track(data)
    targets, scale = fingertip_targets(smooth(track.points, track.times_s, smooth_s), kin, anchor)
    solution = solve_fingertips(kin, targets, track.times_s, opts)
    report = assess_hand(
        data.meta.id, source.id, kin, targets, solution, track.times_s, round(scale, 4), check_collisions
    )
    report.dropped_frames = track.dropped
    report.seconds = round(time.perf_counter() - started, 3)
    return HandDexResult(targets, solution, track.timestamps_ns, track.times_s, report)
