"""A worker's hand during a pick-and-place, simulated for the wearable rig: wrist motion, IMU, keypoints, glove.

Frames: ``head_camera`` (x right, y down, z forward, m) for the wrist trajectory and hand keypoints; the head is
still and level, so gravity is +y there. ``imu`` is fixed to the wrist: its axes coincide with ``head_camera`` when
the hand is at rest (start and end), and turn with the hand. The IMU reads gyro (rad/s) and specific force
f = R^T (a - g) (m/s^2, gravity included: at rest it reads 9.81 m/s^2 along -y, i.e. up), both in ``imu`` axes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robofuel.generate.motion import F64, Phase, fit_duration, insert_pause, phase_table, piecewise
from robofuel.spatial.rotations import axis_angle_batch
from robofuel.standard.canonical import HAND_KEYPOINTS

G_CAM = np.array([0.0, 9.81, 0.0])  # gravity in head_camera coordinates (y down), m/s^2
KEYPOINTS = HAND_KEYPOINTS  # the canonical 21-point hand layout
FINGERS = ("thumb", "index", "middle", "ring", "pinky")
REST = np.array([0.12, 0.32, 0.32])  # m, wrist at rest in head_camera
UP = np.array([0.0, -0.1, 0.0])  # m, lift height (y is down)
PART_OFFSET = np.array([0.0, 0.03, 0.09])  # m, part centre from the wrist, in imu axes (in the closed fingers)
#: Seeded ranges (s) of the phase lengths.
LENGTHS = {
    "idle_head": (0.5, 0.9),
    "reach": (0.9, 1.4),
    "grasp": (0.4, 0.6),
    "lift": (0.5, 0.8),
    "transport": (0.9, 1.5),
    "place": (0.5, 0.8),
    "release": (0.3, 0.5),
    "retreat": (0.6, 0.9),
    "idle_tail": (0.5, 0.9),
}


@dataclass(frozen=True)
class HandPlan:
    """Phases (s from start) and the wrist positions (m, head_camera) at the part (grasp) and fixture (place)."""

    phases: list[Phase]
    obj: F64
    goal: F64

    @property
    def duration_s(self) -> float:
        return self.phases[-1].end_s


@dataclass(frozen=True)
class HandMotion:
    """The hand at N times: wrist position (N, 3) m and orientation (N, 3, 3) in head_camera, grip 0..1 (N,)."""

    t: F64
    pos: F64
    rot: F64
    grip: F64


def make_plan(
    rng: np.random.Generator, duration_s: float | None, idle_s: float | None, pause_s: float | None = None
) -> HandPlan:
    """Seeded phase lengths (a task of 5-8 s before stretching) and grasp and place positions; ``pause_s`` holds
    the hand still after the lift."""
    lengths = fit_duration({k: float(rng.uniform(*r)) for k, r in LENGTHS.items()}, duration_s, idle_s)
    obj = np.array([rng.uniform(-0.12, 0.0), 0.2, rng.uniform(0.45, 0.55)])
    goal = np.array([rng.uniform(0.08, 0.18), 0.2, rng.uniform(0.45, 0.55)])
    return HandPlan(insert_pause(phase_table(lengths), "lift", pause_s), obj, goal)


def motion(plan: HandPlan, t: F64) -> HandMotion:
    """Min-jerk wrist position, yaw (about y) and pitch (about x) and grip closure at times ``t`` (s)."""
    obj, goal = plan.obj, plan.goal
    pos_keys = [REST, obj, obj, obj + UP, goal + UP, goal, goal, goal + UP + [0.03, -0.05, -0.1], REST]
    angle_keys = [(0.0, 0.0), (0.3, 0.35), (0.3, 0.35), (0.3, 0.2), (-0.4, 0.2), (-0.4, 0.35), (-0.4, 0.35),
                  (-0.1, 0.1), (0.0, 0.0)]  # fmt: skip
    grip_keys = [0.0, 0.1, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    pos = piecewise(plan.phases, pos_keys, REST, t)
    angles = piecewise(plan.phases, [np.array(a) for a in angle_keys], np.zeros(2), t)
    grip = piecewise(plan.phases, [np.array([g]) for g in grip_keys], np.zeros(1), t)[:, 0]
    rot = axis_angle_batch(np.array([0.0, 1.0, 0.0]), angles[:, 0]) @ axis_angle_batch(
        np.array([1.0, 0.0, 0.0]), angles[:, 1]
    )
    return HandMotion(t, pos, rot, grip)


def imu(m: HandMotion, rng: np.random.Generator) -> F64:
    """(N, 6) gyro (rad/s) and specific force (m/s^2) in ``imu`` axes, with white noise."""
    acc = np.gradient(np.gradient(m.pos, m.t, axis=0), m.t, axis=0)
    force = np.einsum("nji,nj->ni", m.rot, acc - G_CAM)
    omega_hat = np.einsum("nji,njk->nik", m.rot, np.gradient(m.rot, m.t, axis=0))  # R^T dR/dt
    gyro = np.stack([omega_hat[:, 2, 1], omega_hat[:, 0, 2], omega_hat[:, 1, 0]], axis=1)
    out: F64 = np.hstack([gyro, force]) + rng.normal(0.0, [0.002] * 3 + [0.02] * 3, (len(m.t), 6))
    return out


#: Finger bones (m): MCP to PIP, PIP to DIP, DIP to tip; and each joint's flexion at full grip (rad).
BONES = (0.045, 0.025, 0.02)
FLEX = (0.8, 1.0, 0.6)
MCP_Z = 0.085  # the knuckles' distance from the wrist along the hand, m


def _finger(x0: float, grip: F64) -> F64:
    """(N, 4, 3) a finger's MCP, PIP, DIP and tip in the hand frame (m): a chain of three bones from its knuckle,
    each joint flexing towards the palm side (+y) in proportion to ``grip`` (0..1)."""
    points = [np.broadcast_to(np.array([x0, 0.0, MCP_Z]), (len(grip), 3))]
    angle = np.zeros_like(grip)
    for bone, flex in zip(BONES, FLEX, strict=True):
        angle = angle + grip * flex
        step = np.stack([np.zeros_like(grip), bone * np.sin(angle), bone * np.cos(angle)], axis=1)
        points.append(points[-1] + step)
    return np.stack(points, axis=1)


def _thumb(grip: F64) -> F64:
    """(N, 4, 3) the thumb's CMC, MCP, IP and tip in the hand frame (m): abducted and pointing away from the palm
    when open, its tip swinging across to meet the curled index fingertip (a pinch about 2 cm wide) as ``grip``
    (0..1) closes, so the thumb-index distance shrinks with closure as on a real hand."""
    base = np.array([-0.03, 0.0, 0.015])
    open_tip = base + np.array([-0.045, 0.03, 0.065])
    closed_tip = np.array([-0.03, 0.055, 0.09])  # 2 cm short of the curled index tip (-0.02, 0.071, 0.095)
    g = grip[:, None]
    tip = (1 - g) * open_tip + g * closed_tip
    bulge = base + np.array([-0.03, 0.0, 0.03])  # the joints bow outward, away from the fingers
    points = []
    for k, u in enumerate((0.0, 0.35, 0.7, 1.0)):
        point = (1 - u) ** 2 * base + 2 * u * (1 - u) * bulge + u**2 * tip
        points.append(point if k else np.broadcast_to(base, tip.shape))
    return np.stack(points, axis=1)


def keypoints(m: HandMotion, rng: np.random.Generator) -> F64:
    """(N, 63) the 21 hand keypoints (m, head_camera), MediaPipe order, x/y/z per point: fingers flex at their
    three joints with grip (:func:`_finger`) and the thumb opposes them (:func:`_thumb`).

    Tracking noise: 0.8 mm per coordinate.
    """
    spread = np.array([-0.035, -0.02, 0.0, 0.018, 0.034])
    local = np.zeros((len(m.t), 21, 3))
    local[:, 1:5] = _thumb(m.grip)
    for f, x0 in enumerate(spread[1:], start=1):
        local[:, 1 + 4 * f : 5 + 4 * f] = _finger(float(x0), m.grip)
    pts = np.einsum("nij,npj->npi", m.rot, local)
    out: F64 = (pts + m.pos[:, None, :]).reshape(len(m.t), 63) + rng.normal(0.0, 8e-4, (len(m.t), 63))
    return out


def glove(m: HandMotion, plan: HandPlan, rng: np.random.Generator) -> F64:
    """(N, 5) fingertip pressures (kPa): rising with grip closure, a little more while the part is lifted."""
    peak = rng.uniform(20.0, 40.0, 5)
    lifted = ((m.t > plan.phases[3].start_s) & (m.t < plan.phases[5].end_s)).astype(np.float64)
    load = m.grip[:, None] * peak[None, :] * (1.0 + 0.15 * lifted[:, None])
    out: F64 = np.clip(load + rng.normal(0.0, 0.3, (len(m.t), 5)), 0.0, None)
    return out


def part_positions(m: HandMotion, plan: HandPlan) -> F64:
    """(N, 3) part centre (m, head_camera): in the tray, in the hand from lift to the end of place, then placed."""
    lift, place = plan.phases[3], plan.phases[5]
    ends = motion(plan, np.array([lift.start_s, place.end_s]))
    picked, placed = ends.pos + np.einsum("nij,j->ni", ends.rot, PART_OFFSET)
    out: F64 = np.where((m.t < lift.start_s)[:, None], picked, placed)
    carried = (m.t >= lift.start_s) & (m.t <= place.end_s)
    out[carried] = (m.pos + np.einsum("nij,j->ni", m.rot, PART_OFFSET))[carried]
    return out
