"""A small URDF reader and numpy forward kinematics for serial chains.

Frames follow URDF: each joint's ``origin`` (xyz in m, rpy in rad, fixed axes X-Y-Z) places the child link in the
parent link's frame, then revolute joints rotate about ``axis`` and prismatic joints translate along it. Transforms
are 4x4 homogeneous matrices mapping child-frame coordinates into the base frame.
"""

from __future__ import annotations

import sysconfig
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from robofuel.errors import MissingExtra

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Joint:
    name: str
    type: str  # revolute | continuous | prismatic | fixed
    parent: str
    child: str
    origin: F64  # 4x4, child joint frame in parent link frame
    axis: F64  # unit vector in the joint frame
    lower: float
    upper: float
    velocity: float


def rpy_matrix(roll: float, pitch: float, yaw: float) -> F64:
    """Rotation matrix of URDF fixed-axis roll-pitch-yaw (R = Rz(yaw) Ry(pitch) Rx(roll))."""
    cr, sr, cp, sp, cy, sy = np.cos(roll), np.sin(roll), np.cos(pitch), np.sin(pitch), np.cos(yaw), np.sin(yaw)
    rot: F64 = np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )
    return rot


def axis_angle_matrix(axis: F64, angle: float) -> F64:
    """Rodrigues rotation of ``angle`` rad about unit ``axis``."""
    x, y, z = axis
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    rot: F64 = np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)
    return rot


def _floats(text: str | None, default: str) -> F64:
    return np.array([float(v) for v in (text or default).split()])


def _joint(el: ET.Element) -> Joint:
    origin = el.find("origin")
    xyz = _floats(origin.get("xyz") if origin is not None else None, "0 0 0")
    rpy = _floats(origin.get("rpy") if origin is not None else None, "0 0 0")
    tf = np.eye(4)
    tf[:3, :3], tf[:3, 3] = rpy_matrix(*rpy), xyz
    axis_el, limit = el.find("axis"), el.find("limit")
    axis = _floats(axis_el.get("xyz") if axis_el is not None else None, "1 0 0")
    lim = limit.attrib if limit is not None else {}
    parent, child = el.find("parent"), el.find("child")
    return Joint(
        name=el.get("name", ""),
        type=el.get("type", "fixed"),
        parent=parent.get("link", "") if parent is not None else "",
        child=child.get("link", "") if child is not None else "",
        origin=tf,
        axis=axis / np.linalg.norm(axis),
        lower=float(lim.get("lower", -np.pi)),
        upper=float(lim.get("upper", np.pi)),
        velocity=float(lim.get("velocity", 1.0)),
    )


class Chain:
    """The serial chain of a URDF from ``base`` to ``tip``; ``joints`` are the movable ones in order."""

    def __init__(self, urdf: Path, base: str, tip: str) -> None:
        root = ET.parse(urdf).getroot()
        by_child = {j.child: j for j in (_joint(e) for e in root.iter("joint"))}
        path: list[Joint] = []
        link = tip
        while link != base:
            if link not in by_child:
                raise ValueError(f"{urdf}: no chain from {base} to {tip} (stuck at {link})")
            path.append(by_child[link])
            link = by_child[link].parent
        self.path = path[::-1]
        self.joints = [j for j in self.path if j.type != "fixed"]
        self.lower = np.array([j.lower for j in self.joints])
        self.upper = np.array([j.upper for j in self.joints])
        self.names = [j.name for j in self.joints]

    def link_frames(self, q: F64) -> list[F64]:
        """Base-frame transform of every link along the chain (after each joint), for joint values ``q``."""
        tf, frames, i = np.eye(4), [], 0
        for j in self.path:
            tf = tf @ j.origin
            if j.type != "fixed":
                motion = np.eye(4)
                if j.type == "prismatic":
                    motion[:3, 3] = j.axis * q[i]
                else:
                    motion[:3, :3] = axis_angle_matrix(j.axis, float(q[i]))
                tf = tf @ motion
                i += 1
            frames.append(tf)
        return frames

    def fk(self, q: F64) -> F64:
        """4x4 pose of the tip link in the base frame."""
        return self.link_frames(q)[-1]


def _rotation_error(current: F64, target: F64) -> F64:
    """Axis-angle vector (rad) rotating ``current`` onto ``target``, in the base frame."""
    r = target @ current.T
    angle = np.arccos(np.clip((np.trace(r) - 1) / 2, -1.0, 1.0))
    if angle < 1e-9:
        return np.zeros(3)
    v = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    return v * angle / (2 * np.sin(angle)) if angle < np.pi - 1e-6 else v


def solve_ik(chain: Chain, target: F64, q0: F64, iters: int = 200, damping: float = 1e-3) -> F64:
    """Joint values reaching the 4x4 ``target`` pose, by damped least squares from ``q0``, within joint limits."""
    q = q0.astype(np.float64).copy()
    for _ in range(iters):
        pose = chain.fk(q)
        err = np.concatenate([target[:3, 3] - pose[:3, 3], 0.5 * _rotation_error(pose[:3, :3], target[:3, :3])])
        if np.linalg.norm(err) < 1e-6:
            break
        jac = np.zeros((6, len(q)))
        for k in range(len(q)):
            dq = q.copy()
            dq[k] += 1e-6
            p2 = chain.fk(dq)
            jac[:3, k] = (p2[:3, 3] - pose[:3, 3]) / 1e-6
            jac[3:, k] = 0.5 * _rotation_error(pose[:3, :3], p2[:3, :3]) / 1e-6
        step = jac.T @ np.linalg.solve(jac @ jac.T + damping * np.eye(6), err)
        q = np.clip(q + step, chain.lower + 1e-3, chain.upper - 1e-3)
    return q


def example_robot_data_path(relative: str) -> Path:
    """Path of a file shipped by the ``example-robot-data`` package (offline robot models)."""
    root = Path(sysconfig.get_paths()["purelib"]) / "cmeel.prefix" / "share" / "example-robot-data" / "robots"
    path = root / relative
    if not path.is_file():
        raise MissingExtra("example-robot-data", "models")
    return path


def panda_chain() -> Chain:
    """The Franka Panda arm from example-robot-data, base ``panda_link0`` to tool ``panda_hand``."""
    return Chain(example_robot_data_path("panda_description/urdf/panda.urdf"), "panda_link0", "panda_hand")
