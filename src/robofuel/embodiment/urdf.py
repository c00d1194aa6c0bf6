"""A small URDF reader and vectorised numpy forward kinematics for serial chains (no extra needed).

Frames follow URDF: each joint's ``origin`` (xyz in m, rpy in rad, fixed axes X-Y-Z) places the joint frame in the
parent link's frame; a revolute or continuous joint then rotates the child link about ``axis`` (a unit vector in the
joint frame) by q rad, a prismatic joint translates it along ``axis`` by q m. Transforms are 4x4 homogeneous
matrices mapping child-frame coordinates (m) into the chain's base frame. Only the kinematic and inertial tags are
read (``joint``, ``link/inertial``); geometry, materials and ``mimic`` are ignored.

This is the numpy half of the kinematics stack (the sample generator, ``robofuel embodiment show/add`` and the QC
velocity limits use it; :func:`robofuel.embodiment.ik.solve_pose` solves IK on a :class:`Chain`); retargeting uses
the pinocchio models of :mod:`robofuel.embodiment.model` (reduced models, tool frames, analytic Jacobians).
Rotations come from :mod:`robofuel.spatial`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from robofuel.spatial.rotations import axis_angle_batch, rpy_matrix

F64 = npt.NDArray[np.float64]
MOVABLE = ("revolute", "continuous", "prismatic")
GRAVITY = 9.81  # m/s^2, along -z of the base frame


@dataclass(frozen=True)
class Joint:
    """One URDF joint. Limits in rad (revolute) or m (prismatic); continuous joints have infinite limits."""

    name: str
    type: str  # revolute | continuous | prismatic | fixed | floating | planar
    parent: str
    child: str
    origin: F64  # 4x4: the joint frame in the parent link frame
    axis: F64  # unit vector in the joint frame
    lower: float
    upper: float
    velocity: float  # rad/s or m/s
    effort: float  # N m or N


@dataclass(frozen=True)
class Inertial:
    """A link's mass (kg) and centre of mass (m, in the link frame)."""

    mass: float
    com: F64


@dataclass(frozen=True)
class Model:
    """A parsed URDF: joints by name (document order), inertials by link name, and the root link."""

    name: str
    joints: dict[str, Joint]
    inertials: dict[str, Inertial]
    root: str

    def chain(self, base: str, tip: str) -> Chain:
        """The serial chain from link ``base`` to link ``tip``."""
        return Chain(self, base, tip)


def _floats(text: str | None, default: str) -> F64:
    return np.array([float(v) for v in (text or default).split()], dtype=np.float64)


def _origin(el: ET.Element | None) -> F64:
    origin = el.find("origin") if el is not None else None
    xyz = _floats(origin.get("xyz") if origin is not None else None, "0 0 0")
    rpy = _floats(origin.get("rpy") if origin is not None else None, "0 0 0")
    tf = np.eye(4)
    tf[:3, :3], tf[:3, 3] = rpy_matrix(*rpy), xyz
    return tf


def _joint(el: ET.Element) -> Joint:
    kind = el.get("type", "fixed")
    axis_el, limit, parent, child = el.find("axis"), el.find("limit"), el.find("parent"), el.find("child")
    axis = _floats(axis_el.get("xyz") if axis_el is not None else None, "1 0 0")
    lim = limit.attrib if limit is not None else {}
    unbounded = kind == "continuous" or limit is None
    return Joint(
        name=el.get("name", ""),
        type=kind,
        parent=parent.get("link", "") if parent is not None else "",
        child=child.get("link", "") if child is not None else "",
        origin=_origin(el),
        axis=axis / np.linalg.norm(axis),
        lower=-np.inf if unbounded else float(lim.get("lower", 0.0)),
        upper=np.inf if unbounded else float(lim.get("upper", 0.0)),
        velocity=float(lim.get("velocity", np.inf)),
        effort=float(lim.get("effort", np.inf)),
    )


def _inertial(link: ET.Element) -> Inertial | None:
    el = link.find("inertial")
    mass = el.find("mass") if el is not None else None
    if el is None or mass is None:
        return None
    return Inertial(float(mass.get("value", "0")), _origin(el)[:3, 3])


def parse_urdf(source: Path | str) -> Model:
    """Parse a URDF file (``Path``) or URDF XML text (``str``)."""
    root = ET.parse(source).getroot() if isinstance(source, Path) else ET.fromstring(source)
    joints = {j.name: j for j in (_joint(e) for e in root.findall("joint"))}
    links = [e.get("name", "") for e in root.findall("link")]
    inertials = {e.get("name", ""): i for e in root.findall("link") if (i := _inertial(e)) is not None}
    children = {j.child for j in joints.values()}
    roots = [name for name in links if name not in children]
    if len(roots) != 1:
        raise ValueError(f"URDF {root.get('name')!r}: expected one root link, found {roots}")
    return Model(root.get("name", ""), joints, inertials, roots[0])


class Chain:
    """The serial chain of a model from ``base`` to ``tip``; ``joints`` are its movable joints, base to tip."""

    def __init__(self, model: Model, base: str, tip: str) -> None:
        by_child = {j.child: j for j in model.joints.values()}
        path: list[Joint] = []
        link = tip
        while link != base:
            if link not in by_child:
                raise ValueError(f"URDF {model.name!r}: no chain from {base} to {tip} (stuck at {link})")
            path.append(by_child[link])
            link = by_child[link].parent
        self.model, self.base, self.tip = model, base, tip
        self.path = path[::-1]
        self.joints = [j for j in self.path if j.type in MOVABLE]
        self.names = [j.name for j in self.joints]
        self.lower = np.array([j.lower for j in self.joints])
        self.upper = np.array([j.upper for j in self.joints])
        self.velocity = np.array([j.velocity for j in self.joints])
        self.effort = np.array([j.effort for j in self.joints])

    def link_frames_batch(self, q: F64) -> F64:
        """(N, L, 4, 4) base-frame pose of every link after each joint of the path, for joint values (N, n)."""
        q = np.atleast_2d(np.asarray(q, dtype=np.float64))
        tf = np.repeat(np.eye(4)[None], len(q), axis=0)
        frames, i = [], 0
        for j in self.path:
            tf = tf @ j.origin
            if j.type in MOVABLE:
                motion = np.repeat(np.eye(4)[None], len(q), axis=0)
                if j.type == "prismatic":
                    motion[:, :3, 3] = q[:, i, None] * j.axis
                else:
                    motion[:, :3, :3] = axis_angle_batch(j.axis, q[:, i])
                tf = tf @ motion
                i += 1
            frames.append(tf)
        return np.stack(frames, axis=1)

    def link_frames(self, q: F64) -> list[F64]:
        """Base-frame pose (4x4) of every link after each joint of the path, for one joint vector (n,)."""
        return list(self.link_frames_batch(q)[0])

    def fk_batch(self, q: F64) -> F64:
        """(N, 4, 4) pose of the tip link in the base frame for joint values (N, n)."""
        tip: F64 = self.link_frames_batch(q)[:, -1]
        return tip

    def fk(self, q: F64) -> F64:
        """4x4 pose of the tip link in the base frame for one joint vector (n,)."""
        tip: F64 = self.fk_batch(q)[0]
        return tip

    def gravity_torques(self, q: F64, payload_kg: F64 | None = None, payload_at: F64 | None = None) -> F64:
        """(N, n) joint torques (N m; N for prismatic) holding the links, and an optional point payload, still.

        Gravity is ``GRAVITY`` along -z of the base frame. ``payload_kg`` (N,) sits at ``payload_at`` (3,), a point
        in the tip frame (m). The result is what a torque sensor reads at rest: tau = sum_i J_i(q)^T m_i g z.
        """
        frames = self.link_frames_batch(q)
        masses: list[tuple[int, F64, F64]] = []  # (index of the owning link in the path, kg (N,), point (N, 3))
        for k, j in enumerate(self.path):
            inertial = self.model.inertials.get(j.child)
            if inertial is not None and inertial.mass > 0:
                point = frames[:, k, :3, :3] @ inertial.com + frames[:, k, :3, 3]
                masses.append((k, np.full(len(frames), inertial.mass), point))
        if payload_kg is not None and payload_at is not None:
            masses.append((len(self.path) - 1, payload_kg, frames[:, -1, :3, :3] @ payload_at + frames[:, -1, :3, 3]))
        tau = np.zeros((len(frames), len(self.joints)))
        movable = [k for k, j in enumerate(self.path) if j.type in MOVABLE]
        for col, k in enumerate(movable):
            axis = frames[:, k, :3, :3] @ self.path[k].axis
            for owner, mass, point in masses:
                if owner >= k:
                    lever = axis if self.path[k].type == "prismatic" else np.cross(axis, point - frames[:, k, :3, 3])
                    tau[:, col] += mass * GRAVITY * lever[:, 2]
        return tau
