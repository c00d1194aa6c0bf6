"""Teleoperated Franka Panda pick-and-place, written as a ROS 2 MCAP.

The arm follows min-jerk joint-space segments between inverse-kinematics solutions of Cartesian waypoints (hand
frame ``panda_hand``, pointing down, in the base frame ``panda_link0``). Topics:

- ``/joint_states`` sensor_msgs/msg/JointState, 250 Hz: 7 joints, position (rad), velocity (rad/s), effort (N m)
- ``/franka_gripper/joint_states`` sensor_msgs/msg/JointState, 100 Hz: two fingers, position (m) = width / 2
- ``/ft_sensor/wrench`` geometry_msgs/msg/WrenchStamped, 250 Hz, frame ``panda_hand``: held object weight and
  contact transients at grasp and place (N, N m)
- ``/camera/front/video`` foxglove_msgs/msg/CompressedVideo, H.264 Annex B, 30 fps, 320x240
- ``/camera/wrist/image/compressed`` sensor_msgs/msg/CompressedImage, JPEG, 15 fps, 160x120 (``cameras=2``)
- MCAP metadata ``robofuel.session``: operator, station, scene, site, task_id, instruction, embodiment, device_id
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robofuel.generate import faults as F
from robofuel.generate.media import Frame
from robofuel.generate.render import Camera, background, segment, square
from robofuel.generate.truth import GeneratedRecording, write_truth
from robofuel.generate.urdf import Chain, panda_chain, solve_ik

T_BASE_NS = 1_793_610_000_000_000_000  # 2026-11-02T09:00:00Z
HOME = np.array([0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785])
FINGER_DEPTH = 0.1034  # m from panda_hand origin to the fingertip centre, along hand z
OPEN_WIDTH = 0.08
G = 9.81
STREAMS = {
    "joint_states": "joint_states",
    "gripper": "franka_gripper.joint_states",
    "wrench": "ft_sensor.wrench",
    "camera_front": "camera.front.video",
    "camera_wrist": "camera.wrist.image.compressed",
}
DEFAULTS = {
    "dropped_frames": "camera_front",
    "timestamp_jump": "joint_states",
    "timestamp_reversal": "joint_states",
    "clock_offset": "wrench",
    "frozen_sensor": "joint_states",
    "nan_inf": "wrench",
    "joint_limit": "joint_states",
    "force_spike": "wrench",
    "black_frames": "camera_front",
    "blurred_frames": "camera_front",
    "overexposed_frames": "camera_front",
    "missing_stream": "wrench",
    "wrong_units": "joint_states",
}
FRONT = Camera((1.7, 0.45, 1.0), (0.35, 0.0, 0.3), 320, 240, 230.0)


def min_jerk(tau: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    """Min-jerk position profile s(tau) for tau in [0, 1]."""
    t = np.clip(tau, 0.0, 1.0)
    return 10 * t**3 - 15 * t**4 + 6 * t**5  # type: ignore[no-any-return]


@dataclass
class Plan:
    phases: list[tuple[str, float, float]]
    keys: list[np.ndarray]  # type: ignore[type-arg]  # joint configuration at the end of each phase
    obj: np.ndarray  # type: ignore[type-arg]
    goal: np.ndarray  # type: ignore[type-arg]
    width: float
    mass: float

    def phase(self, name: str) -> tuple[float, float]:
        return next((a, b) for n, a, b in self.phases if n == name)


def _hand(chain: Chain, pos: np.ndarray, yaw: float, q0: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    tf = np.eye(4)
    c, s = np.cos(yaw), np.sin(yaw)
    tf[:3, :3] = np.array([[c, s, 0], [s, -c, 0], [0, 0, -1.0]])  # hand z down, rotated about world z
    tf[:3, 3] = pos
    return solve_ik(chain, tf, q0)


def make_plan(chain: Chain, rng: np.random.Generator, idle_s: float | None = None) -> Plan:
    """Seeded phases (s), object and goal positions (m, base frame) and the joint keyframes."""
    obj = np.array([rng.uniform(0.42, 0.6), rng.uniform(-0.25, -0.05), 0.025])
    goal = np.array([rng.uniform(0.42, 0.6), rng.uniform(0.08, 0.28), 0.025])
    yaw = float(rng.uniform(-0.3, 0.3))
    lengths = {
        "idle_head": rng.uniform(0.5, 0.9),
        "reach": rng.uniform(1.4, 2.2),
        "grasp": rng.uniform(0.6, 0.9),
        "lift": rng.uniform(0.8, 1.1),
        "transport": rng.uniform(1.4, 2.2),
        "place": rng.uniform(0.8, 1.1),
        "release": rng.uniform(0.4, 0.6),
        "retreat": rng.uniform(0.8, 1.1),
        "idle_tail": rng.uniform(0.5, 0.9),
    }
    if idle_s is not None:
        lengths["idle_head"] = lengths["idle_tail"] = idle_s
    phases, t = [], 0.0
    for name, length in lengths.items():
        phases.append((name, t, t + float(length)))
        t += float(length)
    up = np.array([0.0, 0.0, 0.15])
    grasp_q = _hand(chain, obj + [0, 0, FINGER_DEPTH], yaw, HOME)
    lift_q = _hand(chain, obj + up + [0, 0, FINGER_DEPTH], yaw, grasp_q)
    above_q = _hand(chain, goal + up + [0, 0, FINGER_DEPTH], yaw + 0.4, lift_q)
    place_q = _hand(chain, goal + [0, 0, FINGER_DEPTH + 0.002], yaw + 0.4, above_q)
    retreat_q = _hand(chain, goal + up + [0, 0, FINGER_DEPTH + 0.05], yaw + 0.4, place_q)
    keys = [HOME, grasp_q, grasp_q, lift_q, above_q, place_q, place_q, retreat_q, retreat_q]
    return Plan(phases, keys, obj, goal, float(rng.uniform(0.04, 0.05)), float(rng.uniform(0.2, 0.5)))


def joint_positions(plan: Plan, t_s: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    """(N, 7) joint positions (rad) at times ``t_s`` (s from start): min-jerk between phase keyframes."""
    q = np.repeat(HOME[None, :], len(t_s), axis=0)
    prev = HOME
    for (_, a, b), key in zip(plan.phases, plan.keys, strict=True):
        m = (t_s >= a) & (t_s <= b + 1e-9) if b > a else t_s >= a
        q[m] = prev + min_jerk((t_s[m] - a) / max(b - a, 1e-9))[:, None] * (key - prev)
        q[t_s > b] = key
        prev = key
    return q


def gripper_width(plan: Plan, t_s: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    """Aperture (m): closes on the object during grasp, opens during release."""
    g0, g1 = plan.phase("grasp")
    r0, r1 = plan.phase("release")
    close = min_jerk((t_s - g0) / (0.6 * (g1 - g0)))
    open_ = min_jerk((t_s - r0) / (r1 - r0))
    return OPEN_WIDTH - (OPEN_WIDTH - plan.width) * close * (1 - open_)  # type: ignore[no-any-return]


def _bump(t_s: np.ndarray, at: float, sigma: float) -> np.ndarray:  # type: ignore[type-arg]
    return np.exp(-0.5 * ((t_s - at) / sigma) ** 2)  # type: ignore[no-any-return]


def wrench(plan: Plan, chain: Chain, q: np.ndarray, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:  # type: ignore[type-arg]
    """(N, 6) force (N) and torque (N m) in the hand frame: held weight, contact bumps, sensor noise."""
    g0, g1 = plan.phase("grasp")
    _p0, p1 = plan.phase("place")
    r0, r1 = plan.phase("release")
    held = ((t_s >= g0 + 0.6 * (g1 - g0)) & (t_s < r0 + 0.5 * (r1 - r0))).astype(np.float64)
    lifted = held * np.clip((t_s - plan.phase("lift")[0]) / 0.2, 0, 1) * np.clip((p1 - t_s) / 0.15, 0, 1)
    out = np.zeros((len(t_s), 6))
    for i in range(0, len(t_s)):
        rot = chain.fk(q[i])[:3, :3]
        out[i, :3] = rot.T @ np.array([0.0, 0.0, -plan.mass * G]) * lifted[i]
    out[:, 2] += 8.0 * _bump(t_s, g0 + 0.6 * (g1 - g0), 0.04) + 10.0 * _bump(t_s, p1 - 0.05, 0.04)
    out[:, 3:] = np.cross(np.array([0.0, 0.0, 0.1]), out[:, :3])
    return out + rng.normal(0.0, 0.05, out.shape)


def _grid(t0_ns: int, duration_s: float, rate: float, rng: np.random.Generator, jitter_ns: int) -> np.ndarray:  # type: ignore[type-arg]
    n = int(duration_s * rate) + 1
    ts = t0_ns + np.round(np.arange(n) * 1e9 / rate).astype(np.int64)
    return ts + rng.integers(-jitter_ns, jitter_ns + 1, n) if jitter_ns else ts  # type: ignore[no-any-return]


def _object_position(plan: Plan, chain: Chain, q: np.ndarray, t: float) -> np.ndarray:  # type: ignore[type-arg]
    if t < plan.phase("lift")[0]:
        return plan.obj
    if t > plan.phase("release")[1]:
        return plan.goal
    pose = chain.fk(q)
    return pose[:3, 3] + pose[:3, 2] * FINGER_DEPTH  # type: ignore[no-any-return]


def front_frame(plan: Plan, chain: Chain, q: np.ndarray, t: float) -> Frame:  # type: ignore[type-arg]
    """The front camera's view: table, goal pad, object, and the arm's links as a thick polyline."""
    img = background(FRONT.width, FRONT.height, (196, 204, 214), (150, 128, 104), horizon=0.3)
    (goal_px,), _ = FRONT.project(plan.goal[None, :] - [0, 0, 0.024])
    square(img, goal_px, 14, (70, 160, 80))
    points = np.array([np.zeros(3)] + [f[:3, 3] for f in chain.link_frames(q)])
    uv, _ = FRONT.project(points)
    for a, b in itertools.pairwise(uv):
        segment(img, a, b, 5.0, (235, 235, 235))
    segment(img, uv[-1], uv[-1], 7.0, (60, 60, 60))
    (obj_px,), (depth,) = FRONT.project(_object_position(plan, chain, q, t)[None, :])
    square(img, obj_px, FRONT.focal * 0.025 / depth, (200, 40, 40))
    return img


def wrist_frame(plan: Plan, chain: Chain, q: np.ndarray, t: float) -> Frame:  # type: ignore[type-arg]
    """The wrist camera's view along the hand z axis: the object and goal pad as squares."""
    w, h, f = 160, 120, 120.0
    pose = chain.fk(q)
    img = background(w, h, (120, 110, 100), (120, 110, 100), horizon=0.0)
    img = np.asarray((img * np.clip(0.6 + pose[2, 3], 0.5, 1.2)).clip(0, 255), dtype=np.uint8)
    for point, color, size in (
        (plan.goal, (70, 160, 80), 0.05),
        (_object_position(plan, chain, q, t), (200, 40, 40), 0.05),
    ):
        p = pose[:3, :3].T @ (point - pose[:3, 3])
        if p[2] > 0.02:
            square(img, np.array([f * p[0] / p[2] + w / 2, f * p[1] / p[2] + h / 2]), f * size / 2 / p[2], color)
    return img


def build_draft(plan: Plan, chain: Chain, t0_ns: int, rng: np.random.Generator, cameras: int) -> F.Draft:
    """Every stream of the recording, sampled at its own rate on the reference clock."""
    duration = plan.phases[-1][2]
    js_ts = _grid(t0_ns, duration, 250.0, rng, 20_000)
    t = (js_ts - t0_ns) / 1e9
    q = joint_positions(plan, t) + rng.normal(0.0, 2e-4, (len(t), 7))
    dq = np.gradient(q, t, axis=0)
    effort = 20.0 * np.sin(q) + 2.0 * dq + rng.normal(0.0, 0.1, q.shape)
    gr_ts = _grid(t0_ns, duration, 100.0, rng, 20_000)
    width = gripper_width(plan, (gr_ts - t0_ns) / 1e9)
    numeric = {
        "joint_states": F.Series(js_ts, np.hstack([q, dq, effort])),
        "gripper": F.Series(gr_ts, np.stack([width / 2, width / 2], axis=1)),
        "wrench": F.Series(js_ts.copy(), wrench(plan, chain, q, t, rng)),
    }
    video = {}
    for name, fps, render in (("camera_front", 30.0, front_frame), ("camera_wrist", 15.0, wrist_frame))[:cameras]:
        ts = _grid(t0_ns, duration, fps, rng, 0)
        idx = np.clip(np.searchsorted(js_ts, ts), 0, len(js_ts) - 1)
        video[name] = (ts, [render(plan, chain, q[i], (x - t0_ns) / 1e9) for i, x in zip(idx, ts, strict=True)])
    return F.Draft(t0_ns, duration, numeric, video, DEFAULTS, (chain.lower, chain.upper))


OPERATORS = ("op-01", "op-02", "op-03", "op-04")
STATIONS = ("cell-1", "cell-2", "cell-3")


def session_for(rng: np.random.Generator, device: str) -> dict[str, str]:
    """Seeded session metadata of a teleop recording (what the ``robofuel.session`` MCAP record holds)."""
    return {
        "operator": str(rng.choice(OPERATORS)),
        "station": str(rng.choice(STATIONS)),
        "scene": "tabletop-a",
        "site": "lab-1",
        "task_id": "pick_place.cube",
        "instruction": "Pick up the red cube and place it on the green pad.",
        "embodiment": "franka_panda",
        "device_id": device,
    }


def generate_teleop(
    out_dir: Path,
    name: str,
    seed: int,
    faults: Sequence[str | F.FaultSpec] = (),
    cameras: int = 2,
    duration_s: float | None = None,
) -> GeneratedRecording:
    """Write ``<out>/recordings/<name>.mcap`` and its ground truth ``<out>/truth/<name>.json``.

    ``duration_s`` stretches the idle head and tail to reach roughly that length (it never shortens the task).
    """
    from robofuel.generate.mcap_writer import TOPICS, truncate, write_mcap

    rng = np.random.default_rng(seed)
    specs = F.normalise(faults)
    chain = panda_chain()
    idle = 4.0 if any(s.kind == "idle_head_tail" for s in specs) else None
    plan = make_plan(chain, rng, idle)
    if duration_s is not None and duration_s > plan.phases[-1][2]:
        plan = make_plan(chain, np.random.default_rng(seed), (duration_s - plan.phases[-1][2]) / 2 + 0.7)
    t0 = T_BASE_NS + int(rng.integers(0, 30 * 86400)) * 1_000_000_000
    draft = build_draft(plan, chain, t0, rng, cameras)
    active = (plan.phase("reach")[0], plan.phase("retreat")[1])
    placed = [F.place(s, draft, active, rng) for s in specs]
    for s in placed:
        F.apply(s, draft)
    path = out_dir / "recordings" / f"{name}.mcap"
    path.parent.mkdir(parents=True, exist_ok=True)
    session = session_for(rng, f"panda-{seed % 3:04d}")
    write_mcap(path, draft, session)
    extra: dict[str, object] = {"topics": {k: v for k, v in TOPICS.items() if k in draft.numeric or k in draft.video}}
    if any(s.kind == "truncated_file" for s in placed):
        extra["truncated_at_byte"] = truncate(path, 0.7)
    truth = write_truth(
        out_dir,
        name,
        kind="teleop",
        seed=seed,
        t0_ns=t0,
        duration_s=plan.phases[-1][2],
        phases=plan.phases,
        faults=placed,
        streams=STREAMS,
        session=session,
        extra=extra,
    )
    return GeneratedRecording("teleop", path, truth, tuple(placed))
