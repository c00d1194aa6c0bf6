"""The embodiment registry: built-in robots, hands and humans (data files shipped in the package) and user ones.

An embodiment is what produced a motion. Its record names a kinematic model file (URDF) inside a package that ships
it offline (``example-robot-data``, ``pybullet_data``) or a file registered by the user, the base frame that poses
are stated in, and per arm: the joints (URDF names, base to tip), the end-effector frame, the offset from it to the
canonical tool frame (m, rad; see :mod:`robofuel.standard.canonical`), a home configuration (rad or m) and the
gripper mapping. Joint limits are never copied into the records: they are read from the model file.

Built-ins live in ``robofuel/embodiment/builtin/*.toml``; user embodiments in ``<user_dir>/<id>/embodiment.json``
beside a copy of their URDF (``robofuel embodiment add``; the CLI uses ``<lake>/embodiments``).
"""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from robofuel.errors import InputError, RobofuelError

KINDS = ("arm", "gripper", "dexterous_hand", "humanoid", "human_hand", "handheld_gripper")
PACKAGES = ("example-robot-data", "pybullet_data", "file", "none")
BUILTIN_DIR = Path(__file__).parent / "builtin"
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class ModelUnavailable(RobofuelError):
    """The package shipping an embodiment's model file is not installed (the message says what to install)."""


@dataclass(frozen=True)
class GripperSpec:
    """A gripper's mapping between aperture (m between the fingers) and joint values (rad or m).

    Each joint moves linearly from ``open`` (at ``max_aperture_m``) to ``closed`` (at 0 m).
    """

    max_aperture_m: float
    joints: tuple[str, ...] = ()
    open: tuple[float, ...] = ()
    closed: tuple[float, ...] = ()


@dataclass(frozen=True)
class ArmSpec:
    """One arm: joints base to tip, end-effector frame, tool offset (m, rad roll-pitch-yaw), home, gripper."""

    name: str
    joints: tuple[str, ...]
    ee_frame: str
    tool_xyz: tuple[float, float, float] = (0.0, 0.0, 0.0)
    tool_rpy: tuple[float, float, float] = (0.0, 0.0, 0.0)
    home: tuple[float, ...] | None = None
    gripper: GripperSpec | None = None


@dataclass(frozen=True)
class HandSpec:
    """A dexterous hand: its palm frame, the rotation (rad roll-pitch-yaw) from that frame to robofuel's palm
    convention (z towards the fingers, y from the index to the little-finger side, x = y cross z, out of the back
    of the hand), and per human finger (``thumb``, ``index``...) the fingertip and knuckle frames of the model."""

    palm_frame: str
    palm_rpy: tuple[float, float, float] = (0.0, 0.0, 0.0)
    fingertips: dict[str, str] = field(default_factory=dict)
    knuckles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Embodiment:
    """One registry record. ``package`` + ``path`` locate the model file; ``aliases`` map data names to joints."""

    id: str
    name: str
    kind: str
    package: str = "none"
    path: str = ""
    srdf: str | None = None
    base_frame: str | None = None
    arms: tuple[ArmSpec, ...] = ()
    joints: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    #: Other names datasets give it (LeRobot ``robot_type``, robomimic ``env_args``...), matched case-insensitively.
    known_as: tuple[str, ...] = ()
    notes: str = ""
    source: str = "builtin"
    hand: HandSpec | None = None
    #: Whole-body retargeting (humanoids): key frames by role and ``sole_points`` (see the G1's record).
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def has_model(self) -> bool:
        return self.package != "none"

    @property
    def all_joints(self) -> tuple[str, ...]:
        """Every joint the embodiment drives: ``joints`` if given, else the arms' joints then their grippers'."""
        if self.joints:
            return self.joints
        names = [j for a in self.arms for j in a.joints]
        names += [j for a in self.arms if a.gripper for j in a.gripper.joints]
        return tuple(names)

    def arm(self, name: str | None = None) -> ArmSpec:
        """The arm called ``name`` (the first arm when None); InputError if there is none."""
        for a in self.arms:
            if name is None or a.name == name:
                return a
        raise InputError(f"embodiment {self.id!r} has no arm {name or ''!r}".replace(" ''", ""))

    def model_path(self) -> Path:
        """The model file on this machine; ModelUnavailable when its package is missing."""
        return _locate(self.package, self.path)

    def available(self) -> bool:
        """Whether the model file can be found offline here."""
        try:
            return self.model_path().is_file()
        except (ModelUnavailable, RobofuelError, InputError):
            return False

    def srdf_path(self) -> Path | None:
        if self.srdf is None:
            return None
        path = _locate(self.package, self.srdf)
        return path if path.is_file() else None


def _package_root(package: str) -> Path:
    if package == "example-robot-data":
        from robofuel.embodiment.robot_data import example_robot_data_path

        return example_robot_data_path("panda_description/urdf/panda.urdf").parents[2]
    if package == "pybullet_data":
        spec = importlib.util.find_spec("pybullet_data")  # the data package only, pybullet itself is not imported
        if spec is None or not spec.submodule_search_locations:
            raise ModelUnavailable("this model ships with pybullet_data: pip install pybullet")
        return Path(next(iter(spec.submodule_search_locations)))
    raise InputError(f"unknown model package {package!r}; known: {', '.join(PACKAGES)}")


def _locate(package: str, path: str) -> Path:
    if package == "none":
        raise InputError("this embodiment has no kinematic model")
    if package == "file":
        return Path(path)
    return _package_root(package) / path


def _gripper(d: dict[str, Any] | None) -> GripperSpec | None:
    if not d:
        return None
    return GripperSpec(
        float(d["max_aperture_m"]),
        tuple(d.get("joints", ())),
        tuple(float(v) for v in d.get("open", ())),
        tuple(float(v) for v in d.get("closed", ())),
    )


def _hand(d: dict[str, Any] | None) -> HandSpec | None:
    if not d:
        return None
    rpy = tuple(float(v) for v in d.get("palm_rpy", (0, 0, 0)))
    knuckles = dict(d.get("knuckles", {}))
    return HandSpec(str(d["palm_frame"]), rpy, dict(d.get("fingertips", {})), knuckles)  # type: ignore[arg-type]


def _arm(d: dict[str, Any]) -> ArmSpec:
    home = d.get("home")
    return ArmSpec(
        name=str(d.get("name", "arm")),
        joints=tuple(d["joints"]),
        ee_frame=str(d["ee_frame"]),
        tool_xyz=tuple(float(v) for v in d.get("tool_xyz", (0, 0, 0))),  # type: ignore[arg-type]
        tool_rpy=tuple(float(v) for v in d.get("tool_rpy", (0, 0, 0))),  # type: ignore[arg-type]
        home=tuple(float(v) for v in home) if home is not None else None,
        gripper=_gripper(d.get("gripper")),
    )


def from_dict(d: dict[str, Any], source: str = "builtin") -> Embodiment:
    """An :class:`Embodiment` from its record (the TOML/JSON layout of docs/embodiment.md)."""
    model = d.get("model", {})
    kind = str(d.get("kind", "arm"))
    if kind not in KINDS:
        raise InputError(f"embodiment {d.get('id')!r}: kind {kind!r} is not one of {', '.join(KINDS)}")
    return Embodiment(
        id=str(d["id"]),
        name=str(d.get("name", d["id"])),
        kind=kind,
        package=str(model.get("package", "none")),
        path=str(model.get("path", "")),
        srdf=model.get("srdf"),
        base_frame=model.get("base_frame"),
        arms=tuple(_arm(a) for a in d.get("arms", ())),
        joints=tuple(d.get("joints", ())),
        aliases=dict(d.get("aliases", {})),
        known_as=tuple(str(n) for n in d.get("known_as", ())),
        notes=str(d.get("notes", "")),
        source=source,
        hand=_hand(d.get("hand")),
        body=dict(d.get("body", {})),
    )


def to_dict(e: Embodiment) -> dict[str, Any]:
    """The record of ``e`` as plain JSON-able data (inverse of :func:`from_dict`)."""
    arms = []
    for a in e.arms:
        arm: dict[str, Any] = {"name": a.name, "joints": list(a.joints), "ee_frame": a.ee_frame}
        arm |= {"tool_xyz": list(a.tool_xyz), "tool_rpy": list(a.tool_rpy)}
        arm |= {"home": list(a.home)} if a.home is not None else {}
        if a.gripper is not None:
            g = a.gripper
            arm["gripper"] = {"max_aperture_m": g.max_aperture_m, "joints": list(g.joints)}
            arm["gripper"] |= {"open": list(g.open), "closed": list(g.closed)}
        arms.append(arm)
    model = {"package": e.package, "path": e.path, "srdf": e.srdf, "base_frame": e.base_frame}
    body: dict[str, Any] = {"id": e.id, "name": e.name, "kind": e.kind}
    body |= {"model": {k: v for k, v in model.items() if v is not None}}
    body |= {"arms": arms, "joints": list(e.joints), "aliases": e.aliases, "known_as": list(e.known_as)}
    body |= {"notes": e.notes, "source": e.source}
    if e.body:
        body["body"] = e.body
    if e.hand is not None:
        h = e.hand
        hand = {"palm_frame": h.palm_frame, "palm_rpy": list(h.palm_rpy), "fingertips": h.fingertips}
        body["hand"] = hand | {"knuckles": h.knuckles}
    return body


#: How datasets name a joint's position column: ``J`` (LeRobot ``names``, robomimic), ``J.position`` (ROS
#: JointState), ``J.pos`` (LeRobot 2025 robots: SO-100/101, Koch, LeKiwi), ``J_pos``.
POSITION_SUFFIXES = (".position", ".pos", "_pos")
#: Prefixes LeRobot put before joint names in older datasets (``main_shoulder_pan`` of Koch and SO-100).
JOINT_PREFIXES = ("main_", "follower_")


def column_joints(column: str) -> tuple[str, ...]:
    """The joint names ``column`` may hold the position of, by the naming conventions above: ``shoulder_pan.pos``,
    ``arm.panda_joint1.position`` name their joint, ``main_shoulder_pan`` itself or ``shoulder_pan``;
    ``J.velocity`` or ``J.effort`` name no position (empty)."""
    name = column
    for suffix in POSITION_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    else:
        if name.rsplit(".", 1)[-1] in ("velocity", "effort", "vel", "eff", "torque", "cur", "current"):
            return ()
    name = name.rsplit(".", 1)[-1]
    bare = [name[len(p) :] for p in JOINT_PREFIXES if name.startswith(p) and len(name) > len(p)]
    return tuple(n for n in (name, *bare) if n)


def joint_column(columns: list[str], keys: list[str]) -> int | None:
    """Index of the first column holding the position of a joint called any of ``keys`` (its URDF name and
    aliases), exact names first, then ignoring case; None when no column does."""
    names = [column_joints(c) for c in columns]
    for fold in (False, True):
        for key in keys:
            want = key.lower() if fold else key
            for i, candidates in enumerate(names):
                if any((n.lower() if fold else n) == want for n in candidates):
                    return i
    return None


#: Words that make an unknown joint a gripper's.
GRIPPER_WORDS = ("gripper", "finger", "knuckle", "jaw")


@cache
def joint_parts() -> dict[str, str]:
    """Every built-in model's joint names (URDF names and aliases, lower case) -> ``arm`` or ``gripper``."""
    parts: dict[str, str] = {}
    for e in builtins().values():
        for arm in e.arms:
            gripper = arm.gripper.joints if arm.gripper else ()
            for names, part in ((arm.joints, "arm"), (gripper, "gripper")):
                aliases = [a for a, j in e.aliases.items() if j in names]
                parts.update(dict.fromkeys((n.lower() for n in [*names, *aliases]), part))
    return parts


def joint_part(name: str) -> str:
    """``gripper`` for a gripper or finger joint, else ``arm``: by the built-in models where they name the joint
    (``panda_finger_joint1``, SO-101's ``gripper``), else by :data:`GRIPPER_WORDS` in its name (Robotiq's
    ``left_inner_knuckle_joint``)."""
    candidates = column_joints(name) or (name,)
    for joint in candidates:
        known = joint_parts().get(joint.lower())
        if known is not None:
            return known
    return "gripper" if any(k in candidates[0].lower() for k in GRIPPER_WORDS) else "arm"


def resolve(name: str, found: dict[str, Embodiment]) -> str | None:
    """The id of the embodiment called ``name`` (its id, or one of its ``known_as`` names, any case); None if none."""
    if name in found:
        return name
    key = name.strip().lower()
    for e in found.values():
        if key == e.id.lower() or key in (n.lower() for n in e.known_as):
            return e.id
    return None


@cache
def builtins() -> dict[str, Embodiment]:
    """The built-in embodiments by id (parsed once)."""
    records = (tomllib.loads(p.read_text()) for p in sorted(BUILTIN_DIR.glob("*.toml")))
    return {e.id: e for e in (from_dict(r) for r in records)}


class Registry:
    """Built-in embodiments plus the user's, read from ``user_dir`` (None: built-ins only)."""

    def __init__(self, user_dir: Path | None = None) -> None:
        self.user_dir = user_dir

    def _user(self) -> dict[str, Embodiment]:
        found: dict[str, Embodiment] = {}
        if self.user_dir is None or not self.user_dir.is_dir():
            return found
        for record in sorted(self.user_dir.glob("*/embodiment.json")):
            e = from_dict(json.loads(record.read_text()), source="user")
            if e.package == "file" and not Path(e.path).is_absolute():
                e = replace(e, path=str(record.parent / e.path))
            found[e.id] = e
        return found

    def all(self) -> dict[str, Embodiment]:
        """Every embodiment by id; a user record never shadows a built-in of the same id."""
        return {**self._user(), **builtins()}

    def get(self, embodiment_id: str) -> Embodiment:
        """The embodiment ``embodiment_id``; InputError naming the known ids if absent."""
        found = self.all()
        resolved = resolve(embodiment_id, found)
        if resolved is None:
            raise InputError(f"unknown embodiment {embodiment_id!r}; known: {', '.join(sorted(found))}")
        return found[resolved]

    def add(self, record: Embodiment, urdf: Path) -> Embodiment:
        """Store a user embodiment: a copy of ``urdf`` and its record under ``<user_dir>/<id>/``."""
        if self.user_dir is None:
            raise InputError("no folder to keep user embodiments in")
        if not _ID.match(record.id):
            raise InputError(f"embodiment id {record.id!r}: use lowercase letters, digits, '_', '.', '-'")
        if record.id in self.all():
            raise InputError(f"embodiment {record.id!r} exists already")
        folder = self.user_dir / record.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.urdf").write_bytes(urdf.read_bytes())
        stored = replace(record, package="file", path="model.urdf", source="user")
        (folder / "embodiment.json").write_text(json.dumps(to_dict(stored), indent=2) + "\n")
        return self.get(record.id)
