"""Scalar cues for segmentation, found by stream role and put on one uniform time grid.

Times on the grid are seconds from ``Episode.start_ns``. Three cues are derived, whatever the streams are called:

- motion speed of the end effector or the hand: joint-space speed (rad/s, or m/s for prismatic joints) from a
  ``joint_position`` stream, the speed (m/s) of the wrist keypoint of ``hand_keypoints`` or of the position of a
  ``pose`` / ``transform`` stream, or, last, the gyro rate (rad/s) of an ``imu``;
- closure of the gripper or hand, 0 (open) to 1 (closed): from ``gripper_width`` (m), the finger positions of a
  ``gripper_joint`` stream, ``glove_pressure`` (kPa, summed over fingers) or the fingertip-to-wrist distance of
  ``hand_keypoints`` (m, MediaPipe order);
- contact force: the force magnitude (N) of a ``wrench`` stream less its median, in the sensor's frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from robofuel.standard import EpisodeData, NumericData, Stream, StreamKind

F64 = npt.NDArray[np.float64]
GRID_HZ = 100.0  # Hz, the rate every cue is resampled to
TIPS = (4, 8, 12, 16, 20)  # MediaPipe indices of the five fingertips; 0 is the wrist


@dataclass(frozen=True)
class Cue:
    """One scalar cue on the grid: ``t`` (s from episode start), ``v`` (its unit) and the stream it came from."""

    t: F64
    v: F64
    stream: str
    role: str


def grid(duration_s: float) -> F64:
    """Uniform times (s from episode start) at GRID_HZ covering ``[0, duration_s]``."""
    n = max(int(np.floor(duration_s * GRID_HZ)) + 1, 2)
    out: F64 = np.arange(n) / GRID_HZ
    return out


def resample(data: NumericData, start_ns: int, t: F64) -> F64 | None:
    """(len(t), C) values linearly interpolated at ``t``; rows with NaN/inf and repeated times are left out.

    A column with no finite value at all (a channel the device does not provide, such as an IMU's temperature)
    does not cost the rows; it stays NaN. None when fewer than 4 usable samples remain.
    """
    ts = (data.timestamps_ns - start_ns) / 1e9
    finite = np.isfinite(data.values)
    provided = finite.any(axis=0)
    if not provided.any():
        return None
    good = finite[:, provided].all(axis=1)
    ts, values = ts[good], data.values[good]
    if len(ts) < 4:
        return None
    order = np.argsort(ts, kind="stable")
    ts, values = ts[order], values[order]
    keep = np.concatenate([[True], np.diff(ts) > 0])
    ts, values = ts[keep], values[keep]
    if len(ts) < 4:
        return None
    return np.stack([np.interp(t, ts, values[:, c]) for c in range(values.shape[1])], axis=1)


def _kernel(m: int, deriv: int) -> F64:
    """Savitzky-Golay (quadratic) weights over 2m + 1 samples: smoothing, or the first derivative per sample."""
    k = np.arange(-m, m + 1, dtype=np.float64)
    if deriv:
        out: F64 = k / (k**2).sum()
        return out
    return (3 * (3 * m * m + 3 * m - 1) - 15 * k**2) / ((2 * m + 1) * (4 * m * m + 4 * m - 3))


def smooth(x: F64, window_s: float, deriv: int = 0) -> F64:
    """Savitzky-Golay smoothing (order 2) along axis 0 over ``window_s`` seconds; ``deriv`` 1 gives d/dt (1/s).

    The ends are padded by odd reflection, so a ramp stays a ramp up to the first and last sample.
    """
    m = max(round(window_s * GRID_HZ) // 2, 2)
    if len(x) <= 2 * m + 1:
        return np.gradient(x, 1 / GRID_HZ, axis=0) if deriv else x.copy()
    weights = _kernel(m, deriv)[::-1] * (GRID_HZ if deriv else 1.0)
    cols = x.reshape(len(x), -1)
    out = np.empty_like(cols)
    for c in range(cols.shape[1]):
        col = cols[:, c]
        padded = np.concatenate([2 * col[0] - col[m:0:-1], col, 2 * col[-1] - col[-2 : -m - 2 : -1]])
        out[:, c] = np.convolve(padded, weights, mode="valid")
    result: F64 = out.reshape(x.shape)
    return result


def numeric_streams(data: EpisodeData, *roles: str) -> Iterator[tuple[Stream, NumericData]]:
    """Numeric streams with samples whose role is in ``roles``, in the order of the roles."""
    for role in roles:
        for s in data.meta.streams:
            payload = data.payloads.get(s.name)
            numeric = s.kind is StreamKind.numeric and isinstance(payload, NumericData)
            if numeric and s.role == role and isinstance(payload, NumericData) and len(payload.timestamps_ns):
                yield s, payload


def _norm(x: F64) -> F64:
    """Row-wise Euclidean norm."""
    out: F64 = np.sqrt((x * x).sum(axis=1))
    return out


def _suffixed(stream: Stream, suffix: str) -> list[int]:
    return [i for i, c in enumerate(stream.columns) if c.endswith(suffix)]


def _joint_speed(stream: Stream, x: F64) -> F64:
    vel = _suffixed(stream, ".velocity")
    if vel:
        return _norm(smooth(x[:, vel], 0.09))
    pos = _suffixed(stream, ".position") or list(range(x.shape[1]))
    return _norm(smooth(x[:, pos], 0.11, deriv=1))


def _point_speed(stream: Stream, x: F64) -> F64:
    return _norm(smooth(x[:, :3], 0.15, deriv=1))


def _gyro_rate(stream: Stream, x: F64) -> F64:
    gyro = [i for i, c in enumerate(stream.columns) if c.startswith("gyro")] or [0, 1, 2]
    return _norm(smooth(x[:, gyro], 0.09))


SPEED_SOURCES: tuple[tuple[str, Callable[[Stream, F64], F64]], ...] = (
    ("pose", _point_speed),
    ("transform", _point_speed),
    ("joint_position", _joint_speed),
    ("hand_keypoints", _point_speed),
    ("imu", _gyro_rate),
)


def speed_cue(data: EpisodeData, t: F64) -> Cue | None:
    """Motion speed of the first stream found in SPEED_SOURCES order (see the module docstring)."""
    for role, fn in SPEED_SOURCES:
        for stream, payload in numeric_streams(data, role):
            x = resample(payload, data.meta.start_ns, t)
            if x is not None and x.shape[1] >= 3:
                return Cue(t, fn(stream, x), stream.name, role)
    return None


def _normalise(x: F64, invert: bool) -> F64 | None:
    """x scaled to 0..1 between its 1st and 99th percentiles (inverted if asked); None if it hardly changes."""
    lo, hi = np.percentile(x, [1, 99])
    noise = 1.4826 * float(np.median(np.abs(np.diff(x)))) + 1e-12
    if hi - lo < 20 * noise or hi - lo <= 1e-9:
        return None
    y = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    out: F64 = 1.0 - y if invert else y
    return out


def _width(stream: Stream, x: F64) -> F64:
    pos = _suffixed(stream, ".position") or list(range(x.shape[1]))
    out: F64 = np.abs(x[:, pos]).sum(axis=1)  # mirrored fingers (one joint negative) count as opening too
    return out


def _fingertip_spread(stream: Stream, x: F64) -> F64:
    if x.shape[1] < 63:
        return np.zeros(len(x))
    pts = x[:, :63].reshape(len(x), 21, 3)
    d = pts[:, TIPS] - pts[:, :1]
    out: F64 = np.sqrt((d * d).sum(axis=2)).mean(axis=1)
    return out


#: role -> (scalar of the stream, True when a larger value means more open)
CLOSURE_SOURCES: tuple[tuple[str, Callable[[Stream, F64], F64], bool], ...] = (
    ("gripper_width", lambda s, x: x[:, 0], True),
    ("gripper_joint", _width, True),
    ("glove_pressure", lambda s, x: x.sum(axis=1), False),
    ("hand_keypoints", _fingertip_spread, True),
)


def closure_cues(data: EpisodeData, t: F64) -> list[Cue]:
    """Closure (0 open .. 1 closed) from every usable source, in CLOSURE_SOURCES order of preference."""
    out: list[Cue] = []
    for role, fn, invert in CLOSURE_SOURCES:
        for stream, payload in numeric_streams(data, role):
            x = resample(payload, data.meta.start_ns, t)
            if x is None:
                continue
            closure = _normalise(smooth(fn(stream, x), 0.05), invert)
            if closure is not None:
                out.append(Cue(t, closure, stream.name, role))
    return out


def contact_cue(data: EpisodeData, t: F64) -> Cue | None:
    """Force magnitude (N) of the first ``wrench`` stream, less its median (the sensor bias and the arm's load)."""
    for stream, payload in numeric_streams(data, "wrench"):
        x = resample(payload, data.meta.start_ns, t)
        if x is None or x.shape[1] < 3:
            continue
        force = [i for i, c in enumerate(stream.columns) if c.startswith("force")][:3] or [0, 1, 2]
        f = smooth(x[:, force], 0.05)
        mag = np.linalg.norm(f - np.median(f, axis=0), axis=1)
        return Cue(t, mag, stream.name, "wrench")
    return None
