"""Wearable (robot-free) capture of a worker's pick-and-place, written in the ``wearable`` folder layout.

See docs/formats/wearable.md for the layout. Frames: ``head_camera`` (x right, y down, z forward, m; the head is
assumed still) for hand keypoints and the wrist trajectory; ``imu`` (the wrist IMU, axes aligned with the hand) for
gyro (rad/s) and specific force (m/s^2, gravity included, so a still IMU reads 9.81 m/s^2 upwards).
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from robofuel.generate.media import Frame
from robofuel.generate.render import background, segment, square
from robofuel.generate.teleop import min_jerk
from robofuel.generate.urdf import axis_angle_matrix

F64 = npt.NDArray[np.float64]
G_CAM = np.array([0.0, 9.81, 0.0])  # gravity in head_camera coordinates (y down), m/s^2
KEYPOINTS = (
    "wrist",
    "thumb_cmc",
    "thumb_mcp",
    "thumb_ip",
    "thumb_tip",
    "index_mcp",
    "index_pip",
    "index_dip",
    "index_tip",
    "middle_mcp",
    "middle_pip",
    "middle_dip",
    "middle_tip",
    "ring_mcp",
    "ring_pip",
    "ring_dip",
    "ring_tip",
    "pinky_mcp",
    "pinky_pip",
    "pinky_dip",
    "pinky_tip",
)
FINGERS = ("thumb", "index", "middle", "ring", "pinky")
STREAMS = {
    "imu_wrist": "imu_wrist",
    "hand_keypoints": "hand_keypoints",
    "glove_pressure": "glove_pressure",
    "ego": "ego",
    "audio": "audio",
}
DEFAULTS = {
    "dropped_frames": "ego",
    "timestamp_jump": "imu_wrist",
    "timestamp_reversal": "imu_wrist",
    "clock_offset": "imu_wrist",
    "frozen_sensor": "glove_pressure",
    "nan_inf": "hand_keypoints",
    "force_spike": "glove_pressure",
    "black_frames": "ego",
    "blurred_frames": "ego",
    "overexposed_frames": "ego",
    "missing_stream": "glove_pressure",
    "wrong_units": "imu_wrist",
}
FOCAL, WIDTH, HEIGHT = 250.0, 320, 240
PHASE_NAMES = ("idle_head", "reach", "grasp", "lift", "transport", "place", "release", "retreat", "idle_tail")


def plan_phases(rng: np.random.Generator, idle_s: float | None) -> list[tuple[str, float, float]]:
    lengths = [
        rng.uniform(0.5, 0.9),
        rng.uniform(0.9, 1.4),
        rng.uniform(0.4, 0.6),
        rng.uniform(0.5, 0.8),
        rng.uniform(0.9, 1.5),
        rng.uniform(0.5, 0.8),
        rng.uniform(0.3, 0.5),
        rng.uniform(0.6, 0.9),
        rng.uniform(0.5, 0.9),
    ]
    if idle_s is not None:
        lengths[0] = lengths[-1] = idle_s
    out, t = [], 0.0
    for name, length in zip(PHASE_NAMES, lengths, strict=True):
        out.append((name, t, t + float(length)))
        t += float(length)
    return out


def _piecewise(phases: list[tuple[str, float, float]], keys: list[F64], t: F64) -> F64:
    """Min-jerk interpolation of per-phase end values ``keys`` (the first phase starts at keys[0])."""
    out = np.repeat(keys[0][None, :], len(t), axis=0)
    prev = keys[0]
    for (_, a, b), key in zip(phases, keys, strict=True):
        m = (t >= a) & (t <= b)
        out[m] = prev + min_jerk((t[m] - a) / (b - a))[:, None] * (key - prev)
        out[t > b] = key
        prev = key
    return out


def scene(rng: np.random.Generator) -> tuple[F64, F64]:
    """Seeded wrist positions (m, head_camera frame) at the part (grasp) and at the fixture (place)."""
    obj = np.array([rng.uniform(-0.12, 0.0), 0.22, rng.uniform(0.45, 0.55)])
    goal = np.array([rng.uniform(0.08, 0.18), 0.22, rng.uniform(0.45, 0.55)])
    return obj, goal


def wrist_motion(phases: list[tuple[str, float, float]], places: tuple[F64, F64], t: F64) -> tuple[F64, F64, F64]:
    """Wrist position (N, 3) m, yaw (rad) and grip closure 0..1 (N,) at times ``t`` (s); head_camera frame."""
    rest = np.array([0.12, 0.32, 0.32])
    obj, goal = places
    up = np.array([0.0, -0.1, 0.0])
    pos_keys = [rest, obj, obj, obj + up, goal + up, goal, goal, goal + up + [0.03, -0.05, -0.1], rest]
    yaw_keys = [np.array([v]) for v in (0.0, 0.3, 0.3, 0.3, -0.4, -0.4, -0.4, -0.1, 0.0)]
    grip_keys = [np.array([v]) for v in (0.0, 0.1, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0)]
    pos = _piecewise(phases, pos_keys, t)
    return pos, _piecewise(phases, yaw_keys, t)[:, 0], _piecewise(phases, grip_keys, t)[:, 0]


def rotations(yaw: F64) -> F64:
    """(N, 3, 3) wrist orientations in head_camera coordinates: a rotation of ``yaw`` rad about the camera y axis."""
    return np.stack([axis_angle_matrix(np.array([0.0, 1.0, 0.0]), float(y)) for y in yaw])


def imu(pos: F64, rot: F64, t: F64, rng: np.random.Generator) -> F64:
    """(N, 6) gyro (rad/s) and specific force (m/s^2) in the IMU frame, with white noise."""
    acc = np.gradient(np.gradient(pos, t, axis=0), t, axis=0)
    force = np.einsum("nji,nj->ni", rot, acc - G_CAM)
    drot = np.gradient(rot, t, axis=0)
    omega_hat = np.einsum("nji,njk->nik", rot, drot)
    gyro = np.stack([omega_hat[:, 2, 1], omega_hat[:, 0, 2], omega_hat[:, 1, 0]], axis=1)
    return np.hstack([gyro, force]) + rng.normal(0.0, [0.002] * 3 + [0.02] * 3, (len(t), 6))


def keypoints(pos: F64, rot: F64, grip: F64) -> F64:
    """(N, 63) 21 hand keypoints (m, head_camera frame), MediaPipe order; fingers curl with ``grip``."""
    spread = np.array([-0.035, -0.02, 0.0, 0.018, 0.034])
    pts = np.zeros((len(pos), 21, 3))
    for f, x0 in enumerate(spread):
        for k in range(4):
            reach = 0.05 + 0.022 * k
            curl = grip * (0.5 + 0.35 * k) * (0.6 if f == 0 else 1.0)
            local = np.stack(
                [np.full_like(grip, x0 * (1 + 0.2 * k)), -reach * np.sin(curl) * 0.6, reach * np.cos(curl)], axis=1
            )
            pts[:, 1 + 4 * f + k] = np.einsum("nij,nj->ni", rot, local)
    return (pts + pos[:, None, :]).reshape(len(pos), 63)


def ego_frame(kp: F64, obj_px: tuple[float, float] | None) -> Frame:
    """The egocentric camera's view: bench, part, and the hand skeleton."""
    img = background(WIDTH, HEIGHT, (180, 175, 160), (110, 120, 130), horizon=0.2)
    if obj_px is not None:
        square(img, np.array(obj_px), 9, (230, 170, 40))
    p = kp.reshape(21, 3)
    uv = FOCAL * p[:, :2] / np.maximum(p[:, 2:3], 0.05) + [WIDTH / 2, HEIGHT / 2]
    for f in range(5):
        chain = [0, *range(1 + 4 * f, 5 + 4 * f)]
        for a, b in itertools.pairwise(chain):
            segment(img, uv[a], uv[b], 2.5, (240, 200, 170))
    return img
