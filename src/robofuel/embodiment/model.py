"""Kinematic models of embodiments, loaded with pinocchio (``pip install 'robofuel[models]'``), imported lazily.

An :class:`ArmKinematics` is the model of one arm of an embodiment: the URDF reduced to the embodiment's joints
(every other joint held at its neutral value, 0 rad or 0 m), with an extra frame ``robofuel_tool_<arm>`` at the
canonical tool frame (the arm's ``ee_frame`` moved by ``tool_xyz`` m and ``tool_rpy`` rad). Joint vectors are the
arm's joints in registry order, in rad (revolute and continuous) or m (prismatic). Poses are 4x4 homogeneous
transforms of the tool frame in the embodiment's base frame (m).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel._lazy import require
from robofuel.embodiment.registry import ArmSpec, Embodiment, builtins
from robofuel.errors import InputError
from robofuel.spatial.rotations import rpy_matrix

F64 = npt.NDArray[np.float64]


def pinocchio() -> Any:
    """The pinocchio module, or MissingExtra naming ``robofuel[models]``."""
    return require("pinocchio", "models")


@dataclass(frozen=True)
class _JointSlot:
    name: str
    idx_q: int
    idx_v: int
    nq: int  # 1, or 2 for a continuous joint stored as (cos, sin)


def _reduce(pin: Any, full: Any, keep: tuple[str, ...]) -> Any:
    missing = [n for n in keep if not full.existJointName(n)]
    if missing:
        raise InputError(f"model {full.name!r} has no joints {missing}")
    locked = [j for j in range(1, full.njoints) if full.names[j] not in keep]
    return pin.buildReducedModel(full, locked, pin.neutral(full)) if locked else full


def _add_tool_frame(pin: Any, model: Any, arm: ArmSpec) -> int:
    if not model.existFrame(arm.ee_frame):
        raise InputError(f"model {model.name!r} has no frame {arm.ee_frame!r}")
    ee = model.frames[model.getFrameId(arm.ee_frame)]
    offset = pin.SE3(rpy_matrix(*arm.tool_rpy), np.asarray(arm.tool_xyz, dtype=np.float64))
    frame = pin.Frame(f"robofuel_tool_{arm.name}", ee.parentJoint, ee.placement * offset, pin.FrameType.OP_FRAME)
    return int(model.addFrame(frame))


class ArmKinematics:
    """Forward kinematics and Jacobians of one arm's tool frame in the embodiment's base frame."""

    def __init__(self, embodiment: Embodiment, arm: ArmSpec) -> None:
        pin = pinocchio()
        full = pin.buildModelFromUrdf(str(embodiment.model_path()))
        self.pin, self.embodiment, self.arm = pin, embodiment, arm
        self.model = _reduce(pin, full, embodiment.all_joints)
        self.tool = _add_tool_frame(pin, self.model, arm)
        self.data = self.model.createData()
        self.neutral: F64 = pin.neutral(self.model)
        self.slots = [self._slot(n) for n in arm.joints]
        self.names = list(arm.joints)
        self.lower, self.upper, self.velocity = self._limits()
        self.base_inv = self._base_inverse(embodiment.base_frame)

    def _slot(self, name: str) -> _JointSlot:
        j = self.model.joints[self.model.getJointId(name)]
        return _JointSlot(name, int(j.idx_q), int(j.idx_v), int(j.nq))

    def _limits(self) -> tuple[F64, F64, F64]:
        lo, hi, vel = [], [], []
        for s in self.slots:
            continuous = s.nq == 2
            lo.append(-np.inf if continuous else float(self.model.lowerPositionLimit[s.idx_q]))
            hi.append(np.inf if continuous else float(self.model.upperPositionLimit[s.idx_q]))
            v = float(self.model.velocityLimit[s.idx_v])
            vel.append(v if v > 0 else np.inf)
        return np.array(lo), np.array(hi), np.array(vel)

    def _base_inverse(self, base: str | None) -> F64:
        if base is None:
            return np.eye(4)
        if not self.model.existFrame(base):
            raise InputError(f"model {self.model.name!r} has no base frame {base!r}")
        self.pin.framesForwardKinematics(self.model, self.data, self.neutral)
        inv: F64 = np.linalg.inv(self.data.oMf[self.model.getFrameId(base)].homogeneous)
        return inv

    @property
    def home(self) -> F64:
        """The arm's home configuration (rad/m): the registry's, else mid-range, 0 for unbounded joints."""
        if self.arm.home is not None:
            return np.asarray(self.arm.home, dtype=np.float64)
        mid = (self.lower + self.upper) / 2
        return np.where(np.isfinite(mid), mid, 0.0)

    def config(self, theta: F64) -> F64:
        """The reduced model's configuration vector for arm joint values ``theta`` (n,)."""
        q = self.neutral.copy()
        for s, t in zip(self.slots, theta, strict=True):
            if s.nq == 1:
                q[s.idx_q] = t
            else:
                q[s.idx_q], q[s.idx_q + 1] = np.cos(t), np.sin(t)
        return q

    def pose(self, theta: F64) -> F64:
        """4x4 tool pose in the base frame for one joint vector (n,)."""
        self.pin.framesForwardKinematics(self.model, self.data, self.config(theta))
        pose: F64 = self.base_inv @ self.data.oMf[self.tool].homogeneous
        return pose

    def fk(self, theta: F64) -> F64:
        """(N, 4, 4) tool poses in the base frame for joint values (N, n)."""
        theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        return np.stack([self.pose(t) for t in theta]) if len(theta) else np.zeros((0, 4, 4))

    def pose_jacobian(self, theta: F64) -> tuple[F64, F64]:
        """The tool pose (4x4) and its (6, n) Jacobian in the base frame: linear (m/rad) then angular rows."""
        pin = self.pin
        q = self.config(theta)
        pin.computeJointJacobians(self.model, self.data, q)
        pin.updateFramePlacements(self.model, self.data)
        jac = pin.getFrameJacobian(self.model, self.data, self.tool, pin.ReferenceFrame.LOCAL_WORLD_ALIGNED)
        rot = self.base_inv[:3, :3]
        cols = jac[:, [s.idx_v for s in self.slots]]
        out: F64 = np.vstack([rot @ cols[:3], rot @ cols[3:]])
        pose: F64 = self.base_inv @ self.data.oMf[self.tool].homogeneous
        return pose, out


@cache
def _cached(embodiment_id: str, arm: str | None) -> ArmKinematics:
    e = builtins()[embodiment_id]
    return ArmKinematics(e, e.arm(arm))


def arm_kinematics(embodiment: Embodiment, arm: str | None = None) -> ArmKinematics:
    """The kinematics of ``embodiment``'s arm ``arm`` (first arm when None); built-ins are cached per process."""
    if embodiment.source == "builtin" and embodiment.id in builtins():
        return _cached(embodiment.id, arm)
    return ArmKinematics(embodiment, embodiment.arm(arm))
