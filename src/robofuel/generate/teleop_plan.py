"""The teleoperated Panda pick-and-place: seeded scene, task phases, joint trajectory, gripper and wrench signals.

Frames: the robot base ``panda_link0`` (x forward, z up, m) for positions; ``panda_hand`` (the flange, z along the
fingers) for the wrist force-torque sensor. The arm moves min-jerk in joint space between damped-least-squares IK
solutions of Cartesian waypoints with the hand pointing down.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robofuel.embodiment.ik import solve_pose
from robofuel.embodiment.urdf import GRAVITY, Chain
from robofuel.generate.motion import F64, Phase, fit_duration, insert_pause, phase, phase_table, piecewise
from robofuel.spatial.profiles import min_jerk
from robofuel.spatial.rotations import axis_rotations

HOME = np.array([0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785])  # rad, the Panda "ready" pose
FINGER_DEPTH = 0.1034  # m from the panda_hand origin to the fingertip centre, along hand z
OPEN_WIDTH = 0.08  # m, gripper fully open
LIFT = np.array([0.0, 0.0, 0.15])  # m, height of the carry above the table contact
#: Seeded ranges (s) of the phase lengths; a task is 8-13 s long before any requested stretching.
LENGTHS = {
    "idle_head": (0.7, 1.2),
    "reach": (1.5, 2.5),
    "grasp": (0.6, 1.0),
    "lift": (0.8, 1.3),
    "transport": (1.6, 2.6),
    "place": (0.9, 1.3),
    "release": (0.4, 0.7),
    "retreat": (0.8, 1.3),
    "idle_tail": (0.7, 1.2),
}


@dataclass(frozen=True)
class Scene:
    """Object and place positions (m, base frame, object centre on the table), hand yaw (rad), object width
    (m, what the closed gripper reads) and mass (kg)."""

    obj: F64
    goal: F64
    yaw: float
    width: float
    mass: float


@dataclass(frozen=True)
class Plan:
    """Phases (s from start) and the joint configuration (rad) reached at the end of each phase; ``missed``: the
    gripper closes beside the object (fully, with no grip force and nothing lifted)."""

    phases: list[Phase]
    keys: list[F64]
    scene: Scene
    missed: bool = False

    @property
    def duration_s(self) -> float:
        return self.phases[-1].end_s

    def closed_s(self) -> float:
        """When the fingers reach the object (s): 60% into the grasp phase."""
        g = phase(self.phases, "grasp")
        return g.start_s + 0.6 * (g.end_s - g.start_s)


def make_scene(rng: np.random.Generator) -> Scene:
    """Seeded object on the right of the table, place pad on the left, both within easy reach."""
    obj = np.array([rng.uniform(0.42, 0.6), rng.uniform(-0.25, -0.05), 0.025])
    goal = np.array([rng.uniform(0.42, 0.6), rng.uniform(0.08, 0.28), 0.025])
    return Scene(obj, goal, float(rng.uniform(-0.3, 0.3)), float(rng.uniform(0.04, 0.05)), float(rng.uniform(0.2, 0.5)))


def _hand(chain: Chain, point: F64, yaw: float, q0: F64) -> F64:
    """Joint values putting the fingertip centre at ``point`` (m), hand z down, rotated ``yaw`` about world z."""
    tf = np.eye(4)
    tf[:3, :3] = axis_rotations(2, np.array([yaw]))[0] @ np.diag([1.0, -1.0, -1.0])  # Rz(yaw), then z down (Rx(pi))
    tf[:3, 3] = point + [0.0, 0.0, FINGER_DEPTH]
    return solve_pose(chain, tf, q0)


def make_plan(
    chain: Chain,
    rng: np.random.Generator,
    duration_s: float | None = None,
    idle_s: float | None = None,
    pause_s: float | None = None,
    missed: bool = False,
) -> Plan:
    """Seeded scene, phase lengths and IK keyframes; ``pause_s`` holds the arm still after the lift, ``missed``
    makes the grasp miss. Raises ValueError if ``duration_s`` would make the arm exceed its URDF joint velocity
    limits."""
    scene = make_scene(rng)
    lengths = fit_duration({k: float(rng.uniform(*r)) for k, r in LENGTHS.items()}, duration_s, idle_s)
    grasp = _hand(chain, scene.obj, scene.yaw, HOME)
    lift = _hand(chain, scene.obj + LIFT, scene.yaw, grasp)
    above = _hand(chain, scene.goal + LIFT, scene.yaw + 0.4, lift)
    place = _hand(chain, scene.goal + [0.0, 0.0, 0.002], scene.yaw + 0.4, above)
    retreat = _hand(chain, scene.goal + LIFT + [0.0, 0.0, 0.05], scene.yaw + 0.4, place)
    keys = [HOME, grasp, grasp, lift, above, place, place, retreat, retreat]
    plan = Plan(insert_pause(phase_table(lengths), "lift", pause_s), keys, scene, missed)
    t = np.linspace(0.0, plan.duration_s, int(plan.duration_s * 250) + 1)
    speed = np.abs(np.gradient(joint_positions(plan, t), t, axis=0)).max(axis=0)
    if (speed > chain.velocity).any():
        shortest = plan.duration_s * float((speed / chain.velocity).max())
        raise ValueError(
            f"duration_s={duration_s} is too short: joint speeds would exceed the URDF limits "
            f"(this seed needs at least {shortest:.1f} s)"
        )
    return plan


def joint_positions(plan: Plan, t: F64) -> F64:
    """(N, 7) joint positions (rad) at times ``t`` (s from start)."""
    return piecewise(plan.phases, plan.keys, HOME, t)


def gripper_width(plan: Plan, t: F64) -> F64:
    """Finger aperture (m) at ``t`` (s): open, closing on the object during grasp, opening during release."""
    g, r = phase(plan.phases, "grasp"), phase(plan.phases, "release")
    close = min_jerk((t - g.start_s) / (plan.closed_s() - g.start_s))
    opening = min_jerk((t - r.start_s) / (r.end_s - r.start_s))
    closed = 0.0 if plan.missed else plan.scene.width
    out: F64 = OPEN_WIDTH - (OPEN_WIDTH - closed) * close * (1 - opening)
    return out


def held(plan: Plan, t: F64) -> F64:
    """0..1: how much of the object's weight hangs on the hand (ramps in at lift, out as it touches the pad)."""
    lift, place = phase(plan.phases, "lift"), phase(plan.phases, "place")
    if plan.missed:
        return np.zeros_like(t)
    out: F64 = np.clip((t - lift.start_s) / 0.2, 0, 1) * np.clip((place.end_s - t) / 0.15, 0, 1)
    return out


def _bump(t: F64, at: float, sigma: float) -> F64:
    out: F64 = np.exp(-0.5 * ((t - at) / sigma) ** 2)
    return out


def wrench(plan: Plan, chain: Chain, t: F64, rng: np.random.Generator) -> F64:
    """(N, 6) force (N) and torque (N m) on the wrist sensor, in the ``panda_hand`` frame, at times ``t`` (s).

    The held object's weight and inertia (m (g - a) at the fingertips), contact pushes when the fingers close and
    when the object touches the pad, a constant sensor bias and white noise.
    """
    poses = chain.fk_batch(joint_positions(plan, t))
    tip = poses[:, :3, 3] + poses[:, :3, 2] * FINGER_DEPTH
    acc = np.gradient(np.gradient(tip, t, axis=0), t, axis=0)
    gvec = np.array([0.0, 0.0, -GRAVITY])
    force_world = plan.scene.mass * held(plan, t)[:, None] * (gvec - acc)
    force = np.einsum("nji,nj->ni", poses[:, :3, :3], force_world)  # R^T f: into the hand frame
    place = phase(plan.phases, "place")
    if not plan.missed:  # the fingers touch the object, the object touches the pad
        force[:, 2] -= 8.0 * _bump(t, plan.closed_s(), 0.04) + 10.0 * _bump(t, place.end_s - 0.05, 0.04)
    torque = np.cross(np.array([0.0, 0.0, FINGER_DEPTH]), force)
    bias = rng.normal(0.0, [0.3, 0.3, 0.3, 0.02, 0.02, 0.02])
    out: F64 = np.hstack([force, torque]) + bias + rng.normal(0.0, [0.05] * 3 + [0.005] * 3, (len(t), 6))
    return out


def joint_state(plan: Plan, chain: Chain, t: F64, rng: np.random.Generator) -> F64:
    """(N, 21) joint positions (rad), velocities (rad/s) and measured torques (N m) at times ``t`` (s).

    Torques: gravity of the links (URDF inertials) and of the held object, viscous friction, a rough inertia term
    and sensor noise.
    """
    q = joint_positions(plan, t)
    dq = np.gradient(q, t, axis=0)
    ddq = np.gradient(dq, t, axis=0)
    payload = plan.scene.mass * held(plan, t)
    tau = chain.gravity_torques(q, payload, np.array([0.0, 0.0, FINGER_DEPTH]))
    tau += 0.6 * dq + 0.3 * ddq + rng.normal(0.0, 0.05, q.shape)
    return np.hstack([q + rng.normal(0.0, 2e-5, q.shape), dq + rng.normal(0.0, 1e-3, q.shape), tau])


def gripper_state(plan: Plan, t: F64, rng: np.random.Generator) -> F64:
    """(N, 6) finger positions (m, each half the width), velocities (m/s) and grip forces (N) at times ``t`` (s)."""
    half = gripper_width(plan, t) / 2
    vel = np.gradient(half, t)
    squeeze = 20.0 * (half < plan.scene.width / 2 + 0.001) * (np.abs(vel) < 1e-3) * (not plan.missed)
    noisy = half + rng.normal(0.0, 2e-5, len(t))
    return np.stack([noisy, noisy, vel, vel, squeeze / 2, squeeze / 2], axis=1)
