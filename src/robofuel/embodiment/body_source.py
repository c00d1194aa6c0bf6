"""A human skeleton's key points from an episode's ``body_keypoints`` stream (BVH, ASF/AMC joint positions).

The stream's columns are ``<joint>.x/.y/.z`` (any skeleton naming: ``Hips``, ``mixamorig:LeftUpLeg``, CMU's
``LeftToeBase``, MocapBank's ``LeftKnee``). :func:`body_points` picks the joints standing for each key point
(:data:`CANDIDATES`, first match wins, case and separators ignored) and states them in metres, z up: the length
unit is found from the body's height (BVH declares none: m, cm, mm, inches or CMU's inch / 0.45, whichever gives a
height of 0.8 to 2.5 m), the up axis is the one along which the head is farthest above the ankles, brought to z by
a proper rotation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from robofuel.embodiment.model import F64
from robofuel.errors import InputError
from robofuel.standard import EpisodeData, NumericData

ROLE = "body_keypoints"
UNITS_M = (1.0, 0.01, 0.001, 0.0254, 0.0254 / 0.45)  # m, cm, mm, inch, CMU's ASF unit (length 0.45: inch / 0.45)
HEIGHT_M = (0.8, 2.5)  # plausible head-over-ankle height of a person

#: Key point -> joint names (normalised: lower case, letters and digits; ``{s}`` is ``left``/``l`` or ``right``/``r``)
CANDIDATES: dict[str, tuple[str, ...]] = {
    "pelvis": ("hips", "pelvis", "root"),
    "hip": ("{s}upleg", "{s}hip", "{s}thigh", "{s}femur", "{s}upperleg"),
    "knee": ("{s}leg", "{s}knee", "{s}tibia", "{s}shin", "{s}lowerleg"),
    "ankle": ("{s}foot", "{s}ankle"),
    "toe": ("{s}toebase", "{s}toe", "{s}toes", "{s}footend", "{s}ankleend"),
    "shoulder": ("{s}arm", "{s}upperarm", "{s}humerus", "{s}shoulder"),
    "elbow": ("{s}forearm", "{s}elbow", "{s}lowerarm", "{s}radius"),
    "wrist": ("{s}hand", "{s}wrist"),
    "neck": ("neck", "neck1", "upperneck", "lowerneck", "chest2", "spine2"),
    "head": ("head", "headtop", "headend", "neckend"),
}
SIDED = ("hip", "knee", "ankle", "toe", "shoulder", "elbow", "wrist")
REQUIRED = ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "head")
_SIDES = {"left": ("left", "l"), "right": ("right", "r")}


@dataclass
class BodyPoints:
    """Key points (N, 3) by name (``pelvis``, ``left_ankle``...; m, z up, the capture's origin and heading),
    the stream's timestamps (ns), the length unit found (m per file unit) and the joints used."""

    points: dict[str, F64]
    timestamps_ns: np.ndarray
    unit_m: float
    joints: dict[str, str]

    def __getitem__(self, key: str) -> F64:
        return self.points[key]

    def get(self, key: str) -> F64 | None:
        return self.points.get(key)


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.rsplit(":", 1)[-1].lower())


def body_stream(data: EpisodeData) -> str | None:
    """Name of the episode's skeleton stream (role ``body_keypoints``), None when it has none."""
    for s in data.meta.streams:
        if s.role == ROLE and isinstance(data.payloads.get(s.name), NumericData):
            return s.name
    return None


def _match(joints: list[str]) -> dict[str, str]:
    """Key point name -> joint name of the stream, by :data:`CANDIDATES`."""
    by_norm = {_norm(j): j for j in reversed(joints)}  # first joint of a name wins
    found: dict[str, str] = {}
    for key, names in CANDIDATES.items():
        sides = _SIDES.items() if key in SIDED else [("", ("",))]
        for side, words in sides:
            options = [n.format(s=w) for n in names for w in words]
            hit = next((by_norm[o] for o in options if o in by_norm), None)
            if hit is not None:
                found[f"{side}_{key}" if side else key] = hit
    return found


def _up_rotation(up: F64) -> F64:
    """A proper rotation taking the unit axis ``up`` (+-x, +-y or +-z) to +z, by a cyclic permutation of the axes
    (y up: x' = z, y' = x, z' = y) then a half turn about x' when the axis points down."""
    axis = int(np.argmax(np.abs(up)))
    perm = {0: (1, 2, 0), 1: (2, 0, 1), 2: (0, 1, 2)}[axis]
    rot = np.eye(3)[list(perm)]
    if up[axis] < 0:
        rot = np.diag([1.0, -1.0, -1.0]) @ rot
    return rot


def body_points(data: EpisodeData, stream: str | None = None) -> BodyPoints:
    """The key points of the episode's skeleton stream; InputError naming what is missing."""
    name = stream or body_stream(data)
    if name is None:
        raise InputError(f"episode {data.meta.id} has no skeleton stream (role {ROLE})")
    payload = data.payloads[name]
    assert isinstance(payload, NumericData)
    columns = next(s.columns for s in data.meta.streams if s.name == name)
    joints = [c[:-2] for c in columns[::3]]
    found = _match(joints)
    missing = [k for k in REQUIRED if k not in found]
    if missing:
        raise InputError(f"episode {data.meta.id}: stream {name} names no joint for {', '.join(missing)}")
    xyz = np.asarray(payload.values, dtype=np.float64).reshape(len(payload.timestamps_ns), -1, 3)
    raw = {k: xyz[:, joints.index(j)] for k, j in found.items()}
    rise = np.nanmedian(raw["head"] - (raw["left_ankle"] + raw["right_ankle"]) / 2, axis=0)
    axis = np.zeros(3)
    axis[int(np.argmax(np.abs(rise)))] = np.sign(rise[int(np.argmax(np.abs(rise)))])
    height = float(np.max(np.abs(rise)))
    unit = next((u for u in UNITS_M if HEIGHT_M[0] <= height * u <= HEIGHT_M[1]), None)
    if unit is None:
        units = "m, cm, mm, in, CMU"
        raise InputError(f"episode {data.meta.id}: a body {height:.4g} units tall fits no length unit ({units})")
    rot = _up_rotation(axis) * unit
    points = {k: np.asarray(v @ rot.T, dtype=np.float64) for k, v in raw.items()}
    return BodyPoints(points, np.asarray(payload.timestamps_ns, dtype=np.int64), unit, found)
