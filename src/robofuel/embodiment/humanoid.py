"""Human body to humanoid: an episode's skeleton stream (BVH, ASF/AMC) retargeted onto a humanoid's whole body.

:func:`body_to_humanoid` reads the person's key points (:mod:`robofuel.embodiment.body_source`), makes the robot's
targets (scaled by the leg-length ratio, feet planted during contacts: :mod:`robofuel.embodiment.humanoid_targets`),
solves the floating-base IK (:mod:`robofuel.embodiment.humanoid_ik`) and reports its quality
(:mod:`robofuel.embodiment.humanoid_quality`) with a verdict. Speed: ``fps_per_core`` is frames solved per second of
this process's CPU time (the solve is single-threaded), so a loaded machine does not lower it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from robofuel.embodiment.body_source import body_points
from robofuel.embodiment.humanoid_ik import WholeBody, WholeBodyOptions, model_info
from robofuel.embodiment.humanoid_quality import quality
from robofuel.embodiment.humanoid_targets import BodyTargets, TargetOptions, body_targets
from robofuel.embodiment.model import F64
from robofuel.embodiment.registry import Embodiment, builtins
from robofuel.standard import EpisodeData

MAX_SKATING_M_PER_S = 0.01  # 'feasible' allows at most 1 cm of foot skating per second of motion
MAX_KEY_LINK_ERROR_M = 0.1  # ... and a median key-link error of 10 cm


@dataclass
class HumanoidResult:
    """Configurations (N, nq: base xyz m, quaternion xyzw, joints rad), their joint names, the targets solved for
    and the report (metrics, scale, verdict)."""

    qs: F64
    joint_names: list[str]
    targets: BodyTargets
    report: dict[str, Any]

    @property
    def joints(self) -> F64:
        out: F64 = self.qs[:, 7:]
        return out

    @property
    def base_pose(self) -> F64:
        out: F64 = self.qs[:, :7]
        return out


@cache
def _builtin_model(embodiment_id: str) -> WholeBody:
    return WholeBody(builtins()[embodiment_id])


def whole_body(embodiment: Embodiment) -> WholeBody:
    """The floating-base model of ``embodiment`` (built-ins cached per process)."""
    if embodiment.source == "builtin" and embodiment.id in builtins():
        return _builtin_model(embodiment.id)
    return WholeBody(embodiment)


def _verdict(report: dict[str, Any], seconds: float) -> tuple[str, list[str]]:
    reasons = []
    if report["joint_limit_violations"] or report["velocity_limit_violations"]:
        reasons.append("joint position or velocity limits violated")
    if report["penetration_frames"]:
        reasons.append(f"soles below the ground in {report['penetration_frames']} frames")
    if report["foot_skating_m"] > MAX_SKATING_M_PER_S * max(seconds, 1.0):
        reasons.append(f"feet skate {report['foot_skating_m']:.3f} m while in contact")
    if report["key_link_error_m"] > MAX_KEY_LINK_ERROR_M:
        reasons.append(f"median key-link error {report['key_link_error_m']:.3f} m")
    return ("feasible" if not reasons else "partial"), reasons


def body_to_humanoid(
    data: EpisodeData,
    target: Embodiment,
    targets_opts: TargetOptions | None = None,
    ik_opts: WholeBodyOptions | None = None,
) -> HumanoidResult:
    """Retarget the episode's skeleton onto ``target``'s whole body (see the module docstring)."""
    model = whole_body(target)
    body = body_points(data)
    targets = body_targets(body, model.size(), targets_opts)
    start = time.process_time()
    qs = model.solve(targets.positions, targets.rotations, targets.times_s, ik_opts)
    cpu = time.process_time() - start
    seconds = float(targets.times_s[-1]) if len(targets.times_s) else 0.0
    report: dict[str, Any] = {
        "episode": data.meta.id,
        "source": "human_body",
        "target": target.id,
        "method": "whole_body_floating_base",
        "frames": len(qs),
        "duration_s": round(seconds, 3),
        "scale": round(targets.scale, 4),
        "scale_note": "robot leg length / person's leg length (hip-knee-ankle), applied to the whole body",
        "arm_length_ratio": None if np.isnan(targets.arm_ratio) else round(targets.arm_ratio, 4),
        "source_unit_m": body.unit_m,
        "source_joints": body.joints,
        "planted": (targets_opts or TargetOptions()).plant,
        "model": model_info(model),
    }
    report |= quality(model, qs, targets)
    report["fps_per_core"] = round(len(qs) / cpu, 1) if cpu > 0 else None
    report["verdict"], report["reasons"] = _verdict(report, seconds)
    return HumanoidResult(qs, list(model.joint_names), targets, report)
