"""The physical check's entry point, :func:`check`, and its records (defined in :mod:`robofuel.sim.records`).

Frames: every pose is a 4x4 homogeneous transform in the embodiment's base frame (m), like the canonical
end-effector poses (:mod:`robofuel.standard.canonical`). Joint vectors follow the registry's joint order of the
embodiment's arm (rad, or m for prismatic joints), as in :mod:`robofuel.embodiment.model`.
"""

from __future__ import annotations

from robofuel.sim.records import F64, U8, SimObject, SimResult, SimScene, SimTrajectory

__all__ = ["F64", "U8", "SimObject", "SimResult", "SimScene", "SimTrajectory", "check"]


def check(
    scene: SimScene,
    trajectory: SimTrajectory,
    *,
    render: tuple[int, int] | None = None,
    camera_hz: float = 10.0,
) -> SimResult:
    """Replay ``trajectory`` in ``scene`` with MuJoCo and judge it; ``render`` = (width, height) px also renders
    the scene's cameras at ``camera_hz`` Hz. Needs the ``sim`` extra (MissingExtra otherwise)."""
    from robofuel.sim.mujoco_check import check as _check  # lazy: mujoco is an optional extra

    result: SimResult = _check(scene, trajectory, render=render, camera_hz=camera_hz)
    return result
