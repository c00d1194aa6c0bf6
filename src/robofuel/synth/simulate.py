"""The physical check of a synthetic episode: its scene and trajectory as :mod:`robofuel.sim` records, replayed by
:func:`robofuel.sim.check` (MuJoCo, the ``sim`` extra).

The scene: one box ``object`` (a cube of the inferred edge, :mod:`robofuel.synth.source`) resting on a table whose
top is at the inferred height, at the new object pose; the goal is the new place pose (None for a lift). The
trajectory: the solved joints at the episode's times (s from its start) and the gripper command (m) behind the
recorded aperture (closed where the recording shows the fingers stopped on the object). All poses in the
embodiment's base frame (m).

Where the ``sim`` extra (or the MuJoCo replay module) is missing, nothing fails: :func:`run_check` says so, and the
episodes are kept unchecked (``sim_checked: false``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import robofuel.sim
from robofuel.embodiment.model import F64
from robofuel.errors import MissingExtra
from robofuel.sim import SimObject, SimResult, SimScene, SimTrajectory

OBJECT = "object"
OBJECT_MASS_KG = 0.1  # kg, the box's mass (the source does not tell it)


@dataclass(frozen=True)
class Checked:
    """A replay's outcome: ``checked`` False (with ``note``) when no simulator ran; ``result`` otherwise."""

    checked: bool
    result: SimResult | None
    note: str = ""

    @property
    def kept(self) -> bool:
        """Kept: not checked (nothing to judge by), or checked and successful."""
        return not self.checked or (self.result is not None and self.result.success)

    def to_dict(self) -> dict[str, Any]:
        if self.result is None:
            return {"checked": False, "note": self.note}
        r = self.result
        return {
            "checked": True,
            "success": r.success,
            "reason": r.reason,
            "goal_error_m": round(float(r.goal_error_m), 6),
            "max_penetration_m": round(float(r.max_penetration_m), 6),
        }


def resting(pose: F64, size_m: float, table_height_m: float) -> F64:
    """The pose (4x4) of a cube of edge ``size_m`` resting on the table at ``pose``'s x, y and yaw."""
    out = np.array(pose, dtype=np.float64, copy=True)
    out[2, 3] = table_height_m + size_m / 2
    return out


def scene(embodiment: str, object_pose: F64, size_m: float, table_height_m: float, goal: F64 | None) -> SimScene:
    """The scene of one synthetic episode (frames and units in the module's docstring)."""
    box = SimObject(OBJECT, (size_m, size_m, size_m), resting(object_pose, size_m, table_height_m), OBJECT_MASS_KG)
    target = None if goal is None else resting(goal, size_m, table_height_m)
    return SimScene(embodiment, (box,), OBJECT, table_height_m, target)


def commanded(aperture_m: F64, object_m: float) -> F64:
    """The gripper command (m) behind a recorded aperture (m): a gripper closing on an object stops at its width,
    so the recording shows the width where the command was "closed". The recorded range [object width, widest] is
    mapped linearly onto [0, widest]: the replayed fingers squeeze the box instead of just touching it."""
    a = np.asarray(aperture_m, dtype=np.float64)
    widest = float(a.max()) if len(a) else 0.0
    if widest <= object_m + 1e-4:
        return a
    out: F64 = np.clip((a - object_m) / (widest - object_m), 0.0, 1.0) * widest
    return out


def trajectory(times_s: F64, theta: F64, aperture_m: F64 | None, object_m: float) -> SimTrajectory:
    """The replayed trajectory: ``times_s`` rebased to start at 0 s, the gripper commanded (:func:`commanded`) for
    an object of ``object_m`` m."""
    t = np.asarray(times_s, dtype=np.float64)
    grip = None if aperture_m is None else commanded(aperture_m, object_m)
    return SimTrajectory(t - t[0], np.asarray(theta, dtype=np.float64), grip)


def run_check(s: SimScene, traj: SimTrajectory, render: tuple[int, int] | None) -> Checked:
    """Replay in MuJoCo; unchecked with a note naming what to install when the simulator is missing."""
    try:
        result = robofuel.sim.check(s, traj, render=render)
    except MissingExtra as exc:
        return Checked(False, None, f"not simulated: {exc}")
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith(("robofuel.sim", "mujoco")):
            raise
        return Checked(False, None, f"not simulated: {exc.name} is missing (pip install 'robofuel[sim]')")
    return Checked(True, result)
