"""One synthetic candidate from a source demonstration: draw the variation, edit the tool path, solve the joints,
replay it in simulation, and say whether it is kept and why not.

A target embodiment other than the source's gets the source's tool path placed in its workspace by
:func:`robofuel.embodiment.retarget.auto_alignment` (a translation, once per source), which moves the scene with it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robofuel.embodiment.model import F64, ArmKinematics
from robofuel.embodiment.retarget import auto_alignment, map_aperture
from robofuel.synth.edit import edited_poses
from robofuel.synth.simulate import Checked, run_check, scene, trajectory
from robofuel.synth.solve import Solved, solve
from robofuel.synth.source import SourceDemo
from robofuel.synth.variation import Deltas, Ranges, draw


@dataclass(frozen=True)
class Settings:
    """What every candidate shares: the variations, their ranges, the seed, whether to simulate and render
    (``render`` = (width, height) px or None)."""

    vary: tuple[str, ...] = ("object_pose",)
    ranges: Ranges = field(default_factory=Ranges)
    seed: int = 0
    simulate: bool = True
    render: tuple[int, int] | None = None


@dataclass
class Candidate:
    """A candidate's seed, displacements, solved joints, new scene (object and goal poses, 4x4 base frame) and
    check; ``reason`` says why it is dropped (None: kept)."""

    index: int
    seed: int
    deltas: Deltas
    solved: Solved
    object_pose: F64
    goal: F64 | None
    check: Checked
    reason: str | None

    def scene_dict(self, src: SourceDemo) -> dict[str, Any]:
        return {
            "object_size_m": round(src.object_size_m, 6),
            "table_height_m": round(src.table_height_m, 6),
            "object_pose": np.round(self.object_pose, 6).tolist(),
            "goal": None if self.goal is None else np.round(self.goal, 6).tolist(),
            "source_object_pose": np.round(src.object_pose, 6).tolist(),
            "source_place_pose": None if src.place_pose is None else np.round(src.place_pose, 6).tolist(),
        }


def candidate_seed(seed: int, source_id: str, index: int) -> int:
    """A 63-bit seed for candidate ``index`` of ``source_id`` under the run's ``seed``: stable across runs."""
    return int(hashlib.sha256(f"{seed}:{source_id}:{index}".encode()).hexdigest()[:15], 16)


def placed(kin: ArmKinematics, src: SourceDemo, same_arm: bool) -> SourceDemo:
    """The source with its tool path and scene moved into the target arm's workspace and its aperture (m) clipped
    to the target gripper's range (unchanged on its own arm)."""
    if same_arm:
        return src
    aperture = None if src.aperture_m is None else map_aperture(src.aperture_m, kin.arm.gripper)[0]
    offset = np.asarray(auto_alignment(kin, src.poses).offset)
    move = np.eye(4)
    move[:3, 3] = offset
    place = None if src.place_pose is None else move @ src.place_pose
    return SourceDemo(
        src.meta, src.embodiment, src.timestamps_ns, src.times_s, src.joints, move @ src.poses, aperture,
        src.phases, move @ src.object_pose, src.object_size_m, src.table_height_m + float(offset[2]), place,
    )  # fmt: skip


def make_candidate(src: SourceDemo, kin: ArmKinematics, target_id: str, index: int, settings: Settings,
                   theta0: F64 | None) -> Candidate:  # fmt: skip
    """Candidate ``index`` of the (placed) source on the arm ``kin``; ``theta0`` the first frame's IK seed."""
    seed = candidate_seed(settings.seed, src.meta.id, index)
    deltas = draw(np.random.default_rng(seed), settings.vary, settings.ranges, src.object_pose, src.place_pose)
    targets = edited_poses(src.times_s, src.poses, src.phases, deltas)
    solved = solve(kin, targets, src.times_s, theta0)
    obj = deltas.object.matrix() @ src.object_pose
    goal = None if src.place_pose is None else deltas.place.matrix() @ src.place_pose
    if solved.reason is not None:
        return Candidate(index, seed, deltas, solved, obj, goal, Checked(False, None, "infeasible"), solved.reason)
    if not settings.simulate:
        check = Checked(False, None, "not simulated: --no-sim")
    else:
        box = scene(target_id, obj, src.object_size_m, src.table_height_m, goal)
        check = run_check(
            box, trajectory(src.times_s, solved.theta, src.aperture_m, src.object_size_m), settings.render
        )
    reason = None if check.kept else f"sim: {check.result.reason if check.result else 'failed'}"
    return Candidate(index, seed, deltas, solved, obj, goal, check, reason)
