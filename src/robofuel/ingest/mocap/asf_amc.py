"""Reader for Acclaim motion capture (the CMU Graphics Lab database's format): an ``.amc`` motion file with the
``.asf`` skeleton it was recorded with.

The recording is the ``.amc`` file; its skeleton is the ``.asf`` beside it whose name its own starts with
(``01_01.amc`` -> ``01.asf``), else the only ``.asf`` in its folder. One file is one episode.

- The ASF gives ``:units`` (``angle deg`` or ``rad``; ``length`` is a scale, the base unit is not declared), the
  ``:root`` (channel ``order``, rotation ``axis`` order, ``position``, ``orientation``), each bone's ``direction``
  (unit vector, world frame of the rest pose), ``length``, local frame ``axis`` (three angles and their order) and
  ``dof`` (``rx ry rz tx ty tz`` subset), and the ``:hierarchy`` (``parent child...`` lines).
- The AMC gives frames: a frame number on its own line, then one line per bone, ``name`` and its dof values.

Streams:

- ``mocap.channels``: every channel as recorded, ``root.tx`` ... ``root.rz``, then ``<bone>.<dof>``; rotations in
  ``deg`` (or ``rad``, as declared); translations in the file's length unit (``extra["asf"]["length_unit"]``);
- ``mocap.joint_positions``: the root and the end of every bone in the world frame (``asf_world``) by forward
  kinematics, ``<name>.x/.y/.z``, same length unit. A bone's rotation is ``C · R · C⁻¹`` on its parent's (``C`` its
  axis frame, ``R`` its dof rotations composed in x, y, z order); its end is its parent's end plus length times its
  rotated direction.

Time: AMC files store no frame rate. Frame ``i`` is at ``i / rate`` from 0 ns (``extra["time_base"]`` =
``relative``): the rate given with ``--set rate_hz=HZ`` (or ``fps``), else 120 Hz, the CMU database's rate, with a
``timing.unknown_rate`` warning (QC then does not judge durations on it).

Damage: a frame cut short at the end of the file, or a line that does not parse, ends the motion there with a
blocking ``ingest.truncated`` naming the line. No skeleton beside the motion, a skeleton that does not parse, or no
complete frame raise :class:`UnreadableRecording`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from robofuel.spatial.rotations import axis_rotations
from robofuel.standard.data import F64

HINT = "an Acclaim recording is an .amc motion file with the .asf skeleton it was captured with, side by side"
CMU_RATE_HZ = 120.0
_ROOT = "root"
DOFS = ("rx", "ry", "rz", "tx", "ty", "tz")


@dataclass
class Bone:
    """One ASF bone: unit ``direction`` (world, rest pose), ``length``, axis frame angles and order, dof names."""

    name: str
    direction: tuple[float, float, float] = (0.0, 0.0, 0.0)
    length: float = 0.0
    axis: tuple[float, float, float] = (0.0, 0.0, 0.0)
    axis_order: str = "XYZ"
    dof: list[str] = field(default_factory=list)
    parent: str | None = None


@dataclass
class Skeleton:
    """What an ASF file holds; bones in hierarchy order (parents first), the root first."""

    units: dict[str, str]
    bones: dict[str, Bone]

    @property
    def degrees(self) -> bool:
        return not self.units.get("angle", "deg").lower().startswith("rad")


def _sections(text: str) -> dict[str, list[list[str]]]:
    """``:keyword`` -> the word lists of its lines (comments and blank lines left out)."""
    out: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0].startswith(":"):
            current = out.setdefault(words[0][1:].lower(), [])
            if len(words) > 1:
                current.append(words[1:])
        else:
            current.append(words)
    return out


def _bone(lines: list[list[str]]) -> Bone:
    bone = Bone(name="")
    for words in lines:
        key, rest = words[0].lower(), words[1:]
        if key == "name":
            bone.name = rest[0]
        elif key == "direction":
            bone.direction = (float(rest[0]), float(rest[1]), float(rest[2]))
        elif key == "length":
            bone.length = float(rest[0])
        elif key == "axis":
            bone.axis = (float(rest[0]), float(rest[1]), float(rest[2]))
            bone.axis_order = rest[3].upper() if len(rest) > 3 else "XYZ"
        elif key == "dof":
            bone.dof = [d.lower() for d in rest]
    if not bone.name:
        raise ValueError("a bone without a name")
    return _checked(bone)


def _checked(bone: Bone) -> Bone:
    """``bone`` if its axis order and degrees of freedom are ones forward kinematics knows, else ValueError."""
    if sorted(bone.axis_order) != ["X", "Y", "Z"]:
        raise ValueError(f"bone {bone.name!r}: axis order {bone.axis_order!r} is not an order of X, Y, Z")
    unknown = [d for d in bone.dof if d not in DOFS]
    if unknown or len(set(bone.dof)) != len(bone.dof):
        raise ValueError(f"bone {bone.name!r}: degrees of freedom {bone.dof} (known: {' '.join(DOFS)}, once each)")
    return bone


def _root(sections: dict[str, list[list[str]]]) -> Bone:
    items = {w[0].lower(): w[1:] for w in sections.get("root", [])}
    order = [c.lower() for c in items.get("order", ["TX", "TY", "TZ", "RX", "RY", "RZ"])]
    angles = items.get("orientation", ["0", "0", "0"])
    axis = (float(angles[0]), float(angles[1]), float(angles[2]))
    return _checked(Bone(_ROOT, axis=axis, axis_order=(items.get("axis") or ["XYZ"])[0].upper(), dof=order))


def parse_asf(text: str) -> Skeleton:
    """The skeleton of an ASF file's text; ValueError when it does not parse."""
    sections = _sections(text)
    if "bonedata" not in sections or "hierarchy" not in sections:
        raise ValueError("no :bonedata or no :hierarchy section")
    found: dict[str, Bone] = {}
    block: list[list[str]] = []
    for words in sections["bonedata"]:
        if words[0].lower() == "begin":
            block = []
        elif words[0].lower() == "end":
            bone = _bone(block)
            found[bone.name] = bone
        else:
            block.append(words)
    bones = {_ROOT: _root(sections)}
    for words in sections["hierarchy"]:
        if words[0].lower() in ("begin", "end"):
            continue
        if words[0] not in bones:
            raise ValueError(f"hierarchy: parent {words[0]!r} comes before its own parent, or is not a bone")
        for child in words[1:]:
            if child not in found:
                raise ValueError(f"hierarchy: {child!r} is not defined in :bonedata")
            found[child].parent = words[0]
            bones[child] = found[child]
    units = {w[0].lower(): w[1] for w in sections.get("units", []) if len(w) > 1}
    return Skeleton(units, bones)


@dataclass
class Motion:
    """The AMC frames read: (N, channels) values in :func:`columns` order, and why reading stopped early."""

    rows: F64
    stopped: str | None = None


def _motion(rows: list[F64], width: int, stopped: str | None) -> Motion:
    return Motion(np.array(rows, dtype=np.float64).reshape(len(rows), width), stopped)


def columns(skeleton: Skeleton) -> list[str]:
    """``root.tx`` ... then ``<bone>.<dof>`` for every bone with degrees of freedom, in hierarchy order."""
    return [f"{b.name}.{d}" for b in skeleton.bones.values() for d in b.dof]


def parse_amc(lines: list[str], skeleton: Skeleton) -> Motion:
    """Every complete frame of an AMC file's lines, up to the first damaged line."""
    width = {b.name: len(b.dof) for b in skeleton.bones.values() if b.dof}
    start = {name: i for i, name in enumerate(width)}
    offsets = np.cumsum([0, *width.values()])
    total = int(offsets[-1])
    rows: list[F64] = []
    frame: F64 | None = None
    seen: set[str] = set()
    for n, line in enumerate(lines, start=1):
        words = line.split("#", 1)[0].split()
        if not words or words[0].startswith(":"):
            continue
        if len(words) == 1 and re.fullmatch(r"\d+", words[0]):
            if frame is not None and seen == set(width):
                rows.append(frame)
            frame, seen = np.zeros(total), set()
            continue
        name = words[0]
        try:
            values = [float(v) for v in words[1:]]
        except ValueError:
            return _motion(rows, total, f"line {n} holds a value that is not a number")
        if frame is None or name not in width or len(values) != width[name]:
            return _motion(rows, total, f"line {n} ({name}) does not fit the skeleton")
        at = int(offsets[start[name]])
        frame[at : at + len(values)] = values
        seen.add(name)
    if frame is not None and seen == set(width):
        rows.append(frame)
        return _motion(rows, total, None)
    return _motion(rows, total, "the last frame is cut short" if frame is not None else None)


def _euler(angles: F64, order: str, degrees: bool) -> F64:
    """(N, 3, 3): rotations about the fixed axes in ``order`` (``XYZ``: x first), ``angles`` (N, 3) in x, y, z."""
    deg = angles if degrees else np.degrees(angles)
    out = np.repeat(np.eye(3)[None], len(angles), axis=0)
    for axis in order:
        out = axis_rotations("XYZ".index(axis), np.radians(deg[:, "XYZ".index(axis)])) @ out
    return out


def forward_kinematics(skeleton: Skeleton, rows: F64) -> F64:
    """(N, B, 3) world positions of the root and every bone's end for each frame of channel values."""
    n, col = len(rows), 0
    rot: dict[str, F64] = {}
    pos: dict[str, F64] = {}
    for bone in skeleton.bones.values():
        angles, shift = np.zeros((n, 3)), np.zeros((n, 3))
        for dof in bone.dof:
            target = shift if dof.startswith("t") else angles
            target[:, "xyz".index(dof[1])] = rows[:, col]
            col += 1
        axis = np.asarray(bone.axis, dtype=np.float64)[None]
        c = _euler(axis, bone.axis_order, skeleton.degrees)[0]
        local = c @ _euler(angles, "XYZ", skeleton.degrees) @ c.T
        if bone.parent is None:
            rot[bone.name], pos[bone.name] = local, shift
            continue
        rot[bone.name] = rot[bone.parent] @ local
        direction = np.asarray(bone.direction, dtype=np.float64) * bone.length
        pos[bone.name] = pos[bone.parent] + np.einsum("nij,j->ni", rot[bone.name], direction)
    out: F64 = np.stack([pos[b] for b in skeleton.bones], axis=1)
    return out


def skeleton_path(motion: Path) -> Path | None:
    """The ``.asf`` beside ``motion`` whose stem starts its name (``01.asf`` for ``01_01.amc``), else the only one."""
    found = sorted(motion.parent.glob("*.asf")) + sorted(motion.parent.glob("*.ASF"))
    named = [p for p in found if motion.stem.lower().startswith(p.stem.lower())]
    if named:
        return max(named, key=lambda p: len(p.stem))
    return found[0] if len(found) == 1 else None
