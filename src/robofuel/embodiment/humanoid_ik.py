"""Whole-body inverse kinematics of a humanoid on a floating base (pinocchio free-flyer model of its URDF).

The configuration is the base pose (position m, quaternion xyzw, in the world frame: z up, ground at z = 0) and
the embodiment's joints (rad). Each frame is solved from the previous solution (warm start) by the project's damped
least-squares step (:func:`robofuel.embodiment.ik.dls_step`) on weighted key-link tasks (position m, rotation rad
as the rotation vector of ``R_target R^T``, :func:`robofuel.embodiment.ik.pose_error`), with the drift towards the
standing posture in the task's null space. Every iterate stays inside the joint limits and, from the second frame
on, the velocity limits (:func:`robofuel.embodiment.ik.velocity_bounds`). After each frame the base is raised by the
depth of any sole point below the ground, so no solution penetrates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from robofuel.embodiment.humanoid_targets import RobotSize
from robofuel.embodiment.ik import dls_step, pose_error, velocity_bounds
from robofuel.embodiment.model import F64, pinocchio
from robofuel.embodiment.registry import Embodiment
from robofuel.errors import InputError

#: Task weights: key -> (position weight per m, rotation weight per rad); keys are the embodiment's ``[body]`` roles
WEIGHTS: dict[str, tuple[float, float]] = {
    "left_foot": (10.0, 3.0),
    "right_foot": (10.0, 3.0),
    "pelvis": (3.0, 1.0),
    "torso": (0.0, 0.6),
    "left_hand": (1.0, 0.0),
    "right_hand": (1.0, 0.0),
    "left_elbow": (0.5, 0.0),
    "right_elbow": (0.5, 0.0),
    "left_knee": (0.5, 0.0),
    "right_knee": (0.5, 0.0),
}
FOOT_KEYS = ("left_foot", "right_foot")


@dataclass(frozen=True)
class WholeBodyOptions:
    """Iterations (first frame, later frames), Levenberg-Marquardt damping, posture gain, limits on or off."""

    first_iters: int = 200
    iters: int = 8
    damping: float = 1e-4
    posture_gain: float = 0.02
    velocity_limits: bool = True
    tol_step: float = 1e-5
    max_step: float = 0.1  # rad (or m) per iteration at most, so a frame cannot jump to another IK branch


class WholeBody:
    """The humanoid's floating-base model: key frames by role, joint limits, sole points of each foot."""

    def __init__(self, embodiment: Embodiment) -> None:
        pin = pinocchio()
        if not embodiment.body:
            raise InputError(f"embodiment {embodiment.id!r} has no [body] section: no whole-body retargeting")
        full = pin.buildModelFromUrdf(str(embodiment.model_path()), pin.JointModelFreeFlyer())
        keep = {"root_joint", *embodiment.all_joints}
        locked = [j for j in range(1, full.njoints) if full.names[j] not in keep]
        self.model = pin.buildReducedModel(full, locked, pin.neutral(full)) if locked else full
        self.pin, self.data, self.embodiment = pin, self.model.createData(), embodiment
        self.frames = {k: int(self.model.getFrameId(v)) for k, v in embodiment.body.items() if isinstance(v, str)}
        self.joint_names = [str(self.model.names[j]) for j in range(2, self.model.njoints)]
        self.lower = np.array(self.model.lowerPositionLimit[7:], dtype=np.float64)
        self.upper = np.array(self.model.upperPositionLimit[7:], dtype=np.float64)
        self.velocity = np.array(self.model.velocityLimit[6:], dtype=np.float64)
        self.soles = np.asarray(embodiment.body.get("sole_points", [[0.0, 0.0, 0.0]]), dtype=np.float64)
        self.standing = self._standing()

    def _standing(self) -> F64:
        """The neutral configuration with the soles on the ground (z = 0)."""
        q: F64 = self.pin.neutral(self.model)
        self.place(q)
        q[2] -= min(float(self.sole_world(f)[:, 2].min()) for f in FOOT_KEYS)
        return q

    def place(self, q: F64) -> None:
        """Forward kinematics of ``q`` into the model's data (frame placements)."""
        self.pin.framesForwardKinematics(self.model, self.data, q)

    def frame_pose(self, key: str) -> F64:
        """4x4 world pose of the key frame ``key`` (after :meth:`place`)."""
        pose: F64 = self.data.oMf[self.frames[key]].homogeneous
        return pose

    def sole_world(self, foot: str) -> F64:
        """(k, 3) world positions of the foot's sole points (after :meth:`place`)."""
        m = self.data.oMf[self.frames[foot]]
        out: F64 = self.soles @ np.asarray(m.rotation).T + np.asarray(m.translation)
        return out

    def size(self) -> RobotSize:
        """Leg length (hip to knee to ankle), arm length (shoulder to elbow to hand), the ankle's and the foot
        frame's heights over the sole and the pelvis origin over the hips' midpoint (pelvis frame), m, standing.
        The ankle is the ``left_ankle`` frame where the record names one, else the foot frame."""
        self.place(self.standing)
        p = {k: self.frame_pose(k)[:3, 3] for k in self.frames}
        ankle = p.get("left_ankle", p["left_foot"])
        leg = np.linalg.norm(p["left_hip"] - p["left_knee"]) + np.linalg.norm(p["left_knee"] - ankle)
        shoulder = p["left_shoulder"]
        arm = np.linalg.norm(shoulder - p["left_elbow"]) + np.linalg.norm(p["left_elbow"] - p["left_hand"])
        hips = (p["left_hip"] + p["right_hip"]) / 2
        over = self.frame_pose("pelvis")[:3, :3].T @ (p["pelvis"] - hips)
        size = RobotSize(float(leg), float(arm), float(ankle[2]), (over[0], over[1], over[2]))
        size.foot_frame_height_m = float(p["left_foot"][2])
        return size

    def _rows(self, q: F64, pos: dict[str, F64], rot: dict[str, F64]) -> tuple[F64, F64]:
        """The weighted task Jacobian (rows, nv) and error (rows,) at ``q``."""
        pin = self.pin
        pin.computeJointJacobians(self.model, self.data, q)
        pin.updateFramePlacements(self.model, self.data)
        jacs, errs = [], []
        for key, (wp, wr) in WEIGHTS.items():
            if key not in self.frames or (key not in pos and key not in rot):
                continue
            frame = self.frames[key]
            jac = pin.getFrameJacobian(self.model, self.data, frame, pin.ReferenceFrame.LOCAL_WORLD_ALIGNED)
            pose = self.data.oMf[frame].homogeneous
            target = np.eye(4)
            target[:3, :3] = rot.get(key, pose[:3, :3])
            target[:3, 3] = pos.get(key, pose[:3, 3])
            err = pose_error(pose, target)
            if wp > 0 and key in pos:
                jacs.append(wp * jac[:3])
                errs.append(wp * err[:3])
            if wr > 0 and key in rot:
                jacs.append(wr * jac[3:])
                errs.append(wr * err[3:])
        return np.vstack(jacs), np.concatenate(errs)

    def solve_frame(
        self,
        q0: F64,
        pos: dict[str, F64],
        rot: dict[str, F64],
        bounds: tuple[F64, F64],
        opts: WholeBodyOptions,
        iters: int,
    ) -> F64:
        """The configuration tracking the targets from ``q0`` within the joint ``bounds``, soles above ground."""
        lo, hi = bounds
        q = q0.copy()
        q[7:] = np.clip(q[7:], lo, hi)
        for _ in range(iters):
            jac, err = self._rows(q, pos, rot)
            lam = opts.damping + 1e-3 * float(err @ err)
            posture = np.zeros(self.model.nv)
            posture[6:] = opts.posture_gain * (self.standing[7:] - q[7:])
            step = dls_step(jac, err, lam, posture)
            step *= min(1.0, opts.max_step / max(float(np.max(np.abs(step))), 1e-12))  # stay on one IK branch
            q = self.pin.integrate(self.model, q, step)
            q[7:] = np.clip(q[7:], lo, hi)
            if float(np.max(np.abs(step))) < opts.tol_step:
                break
        return self.lift(q)

    def lift(self, q: F64) -> F64:
        """``q`` with the base raised by the depth of the lowest sole point below the ground (if any)."""
        self.place(q)
        low = min(float(self.sole_world(f)[:, 2].min()) for f in FOOT_KEYS)
        if low < 0:
            q = q.copy()
            q[2] -= low
        return q

    def solve(
        self, positions: dict[str, F64], rotations: dict[str, F64], times_s: F64, opts: WholeBodyOptions | None = None
    ) -> F64:
        """(N, nq) configurations (base xyz, quaternion xyzw, joints) for the per-frame targets."""
        opts = opts or WholeBodyOptions()
        n = len(times_s)
        out = np.zeros((n, self.model.nq))
        q = self.standing.copy()
        keys = [k for k in WEIGHTS if k in positions or k in rotations]
        if "pelvis" in positions:
            q[:3] = positions["pelvis"][0]
        prev: F64 | None = None
        for i in range(n):
            dt = float(times_s[i] - times_s[i - 1]) if i else 0.0
            use_prev = prev if opts.velocity_limits else None
            bounds = velocity_bounds(self.lower, self.upper, self.velocity, use_prev, dt)
            pos = {k: positions[k][i] for k in keys if k in positions}
            rot = {k: rotations[k][i] for k in keys if k in rotations}
            q = self.solve_frame(q, pos, rot, bounds, opts, opts.iters if i else opts.first_iters)
            out[i] = q
            prev = q[7:]
        return out


def model_info(body: WholeBody) -> dict[str, Any]:
    """The model's size, for reports."""
    return {"nq": int(body.model.nq), "nv": int(body.model.nv), "joints": len(body.joint_names)}
