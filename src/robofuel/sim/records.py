"""Records of a physical check: the scene, the trajectory replayed in it, and the result (no simulator needed).

Frames: every pose is a 4x4 homogeneous transform in the embodiment's base frame (m), like the canonical
end-effector poses (:mod:`robofuel.standard.canonical`). Joint vectors follow the registry's joint order of the
embodiment's arm (rad, or m for prismatic joints), as in :mod:`robofuel.embodiment.model`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class SimObject:
    """A rigid box on the table: its name, full extents (m), mass (kg) and pose at the start (base frame)."""

    name: str
    size_m: tuple[float, float, float]
    pose: F64
    mass_kg: float = 0.1


@dataclass(frozen=True)
class SimScene:
    """What the robot works in: a table whose top is at ``table_height_m`` (m, base frame z), the objects on it,
    which object the task moves (``manipulated``) and where it should end (``goal``, its centre within
    ``goal_tolerance_m`` m), or ``goal=None`` when the task only lifts it."""

    embodiment: str
    objects: tuple[SimObject, ...]
    manipulated: str
    table_height_m: float = 0.0
    goal: F64 | None = None
    goal_tolerance_m: float = 0.03


@dataclass(frozen=True)
class SimTrajectory:
    """Joint targets over time: ``time_s`` (T,) s from the episode start, ``joints`` (T, n) in the arm's registry
    order, ``gripper_aperture_m`` (T,) the finger opening (m, 0 = closed) or None for an arm without gripper."""

    time_s: F64
    joints: F64
    gripper_aperture_m: F64 | None = None


@dataclass(frozen=True)
class SimResult:
    """The outcome of one replay.

    ``success`` is True when the task was done physically; otherwise ``reason`` names the first cause
    (``missed grasp``, ``dropped``, ``off goal``, ``collision``, ``joint limit``, ``unstable``). ``goal_error_m`` is
    the distance (m) from the object's final centre to the goal (0 when there is no goal), ``max_penetration_m`` the
    deepest contact between the robot and the table or objects. ``frames`` maps a camera name to rendered frames
    (N, H, W, 3) uint8 at ``frame_times_s`` (N,) s; both are empty when nothing was rendered.
    """

    success: bool
    reason: str
    object_final_pose: F64
    goal_error_m: float
    max_penetration_m: float
    frames: dict[str, U8] = field(default_factory=dict)
    frame_times_s: F64 = field(default_factory=lambda: np.zeros(0))
