"""What a synthetic episode changes: rigid displacements of the object, of the place and of the start, drawn
uniformly within documented ranges (docs/synth.md).

A :class:`Delta` moves a point ``p`` of the base frame (m) to ``c + shift + Rz(yaw) (p - c)``: a turn by ``yaw``
(rad) about the vertical axis through the centre ``c``, then a translation by ``shift`` (m). Applied to a tool pose
(``D @ T``) it carries the tool rigidly with the object (or place) it is centred on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robofuel.embodiment.model import F64
from robofuel.errors import InputError
from robofuel.spatial.rotations import axis_angle_matrix

VARIATIONS = ("object_pose", "place_pose", "start_pose")


@dataclass(frozen=True)
class Ranges:
    """Half-widths of the uniform draws: the object's and the place's x and y shift (m) and yaw (rad); the start
    pose's shift along x, y and z (m)."""

    object_xy_m: float = 0.05
    object_yaw_rad: float = float(np.deg2rad(30.0))
    place_xy_m: float = 0.05
    place_yaw_rad: float = float(np.deg2rad(30.0))
    start_xyz_m: float = 0.03

    def to_dict(self) -> dict[str, float]:
        return {
            "object_xy_m": self.object_xy_m,
            "object_yaw_deg": round(float(np.rad2deg(self.object_yaw_rad)), 3),
            "place_xy_m": self.place_xy_m,
            "place_yaw_deg": round(float(np.rad2deg(self.place_yaw_rad)), 3),
            "start_xyz_m": self.start_xyz_m,
        }


@dataclass(frozen=True)
class Delta:
    """A rigid displacement: turn ``yaw_rad`` about the vertical through ``centre`` (m), then move by ``shift``."""

    centre: tuple[float, float, float] = (0.0, 0.0, 0.0)
    shift: tuple[float, float, float] = (0.0, 0.0, 0.0)
    yaw_rad: float = 0.0

    def matrix(self) -> F64:
        """The 4x4 transform (base frame)."""
        c, rot = np.asarray(self.centre), axis_angle_matrix(np.array([0.0, 0.0, 1.0]), self.yaw_rad)
        out = np.eye(4)
        out[:3, :3] = rot
        out[:3, 3] = c + np.asarray(self.shift) - rot @ c
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "centre_m": [round(v, 6) for v in self.centre],
            "shift_m": [round(v, 6) for v in self.shift],
            "yaw_rad": round(self.yaw_rad, 6),
        }


@dataclass(frozen=True)
class Deltas:
    """The displacements of one synthetic episode: of the object (grasp side), the place and the start."""

    object: Delta = field(default_factory=Delta)
    place: Delta = field(default_factory=Delta)
    start: Delta = field(default_factory=Delta)

    def to_dict(self) -> dict[str, Any]:
        return {"object": self.object.to_dict(), "place": self.place.to_dict(), "start": self.start.to_dict()}


def parse_vary(text: str) -> tuple[str, ...]:
    """The variations named in ``--vary`` (comma-separated); InputError naming the known ones."""
    names = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
    unknown = [v for v in names if v not in VARIATIONS]
    if unknown or not names:
        raise InputError(f"--vary {text!r}: choose from {', '.join(VARIATIONS)} (comma-separated)")
    return names


def _xy(rng: np.random.Generator, half: float) -> tuple[float, float, float]:
    x, y = rng.uniform(-half, half, size=2)
    return float(x), float(y), 0.0


def _centre(pose: F64 | None) -> tuple[float, float, float]:
    p = np.zeros(3) if pose is None else pose[:3, 3]
    return float(p[0]), float(p[1]), float(p[2])


def draw(
    rng: np.random.Generator, vary: tuple[str, ...], ranges: Ranges, object_pose: F64, place_pose: F64 | None
) -> Deltas:
    """One episode's displacements: uniform within ``ranges`` for the parts named in ``vary``, none otherwise
    (the place is only varied where the source places the object)."""
    obj, place, start = Delta(), Delta(), Delta()
    if "object_pose" in vary:
        yaw = float(rng.uniform(-ranges.object_yaw_rad, ranges.object_yaw_rad))
        obj = Delta(_centre(object_pose), _xy(rng, ranges.object_xy_m), yaw)
    if "place_pose" in vary and place_pose is not None:
        yaw = float(rng.uniform(-ranges.place_yaw_rad, ranges.place_yaw_rad))
        place = Delta(_centre(place_pose), _xy(rng, ranges.place_xy_m), yaw)
    if "start_pose" in vary:
        shift = rng.uniform(-ranges.start_xyz_m, ranges.start_xyz_m, size=3)
        start = Delta(shift=(float(shift[0]), float(shift[1]), float(shift[2])))
    return Deltas(obj, place, start)
