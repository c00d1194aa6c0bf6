"""Signals derived from streams on a common time grid, for cross-correlation.

A grid is evenly spaced int64 ns times on the reference clock (each stream's timestamps plus its clock offset).
Streams are resampled onto it with :mod:`robofuel.resample` (linear, slerp for quaternions), after dropping
non-finite rows and repeated or out-of-order timestamps. Every signal is 1-D, one value per grid time, smoothed
over ``SMOOTH_S`` so that sensor noise does not dominate its derivative:

- ``magnitude``: Euclidean norm of the columns (an IMU's angular rate, rad/s);
- ``speed``: norm of the time derivative of the columns (m/s for points, rad/s for joints);
- ``orientation_rate``: rotation rate of a quaternion (rad/s);
- ``load_change``: time derivative of the force magnitude's departure from its median (N/s);
- ``grip_change``: time derivative of the summed grip effort (N/s, or the effort's unit per s);
- ``closure_change``: time derivative of the gripper's closure, the negated summed finger positions (m/s).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from robofuel.resample import grid_fits, grid_points, linear, slerp
from robofuel.spatial.quaternions import quat_angle
from robofuel.standard import NumericData
from robofuel.standard.data import F64, I64
from robofuel.steps.sync.pairs import Signal

SMOOTH_S = 0.1  # s, moving-average window applied before differentiating


def clean(data: NumericData, columns: tuple[int, ...], offset_ns: int) -> tuple[I64, F64]:
    """Timestamps on the reference clock (ns) and the chosen columns, finite rows only, strictly increasing."""
    ts = data.timestamps_ns + np.int64(offset_ns)
    values = data.values[:, list(columns)]
    ok = np.isfinite(values).all(axis=1)
    ts, values = ts[ok], values[ok]
    order = np.argsort(ts, kind="stable")
    ts, values = ts[order], values[order]
    keep = np.concatenate([[True], np.diff(ts) > 0]) if len(ts) else np.zeros(0, dtype=bool)
    return ts[keep], values[keep]


def overlap_grid(spans: list[tuple[int, int]], rate_hz: float, samples: int | None = None) -> I64:
    """Grid times (ns) at ``rate_hz`` over the time all ``spans`` (first, last ns) share; empty if none, or if the
    grid would hold more points than ``samples`` source samples justify (:func:`robofuel.resample.grid_fits`: the
    grid's memory is O(samples), never O(span))."""
    lo = max(a for a, _ in spans)
    hi = min(b for _, b in spans)
    if hi <= lo:
        return np.zeros(0, dtype=np.int64)
    step = round(1e9 / rate_hz)
    if samples is not None and not grid_fits(grid_points(hi - lo, step), samples):
        return np.zeros(0, dtype=np.int64)
    out: I64 = np.arange(lo, hi, step, dtype=np.int64)
    return out


def smooth(x: F64, n: int) -> F64:
    """Moving average over ``n`` samples along axis 0, edges padded with the edge value (no fall-off at the ends)."""
    if n <= 1:
        return x
    kernel = np.ones(n) / n
    pad = n // 2 + 1
    cols = x.reshape(len(x), -1)
    out = np.empty_like(cols)
    for c in range(cols.shape[1]):
        padded = np.pad(cols[:, c], (pad, pad), mode="edge")
        out[:, c] = np.convolve(padded, kernel, mode="same")[pad:-pad]
    return out.reshape(x.shape)


def _rate(x: F64, dt_s: float) -> F64:
    out: F64 = np.gradient(x, dt_s, axis=0)
    return out


def _speed(values: F64, dt_s: float, n: int) -> F64:
    out: F64 = np.linalg.norm(_rate(smooth(values, n), dt_s).reshape(len(values), -1), axis=1)
    return out


def _orientation_rate(quats: F64, dt_s: float, n: int) -> F64:
    """Rotation rate (rad/s) between successive unit quaternions on the grid, then smoothed."""
    angle = quat_angle(quats[1:], quats[:-1]) / dt_s
    return smooth(np.append(angle, angle[-1:]), n)


def _load_change(force: F64, dt_s: float, n: int) -> F64:
    """Clipped at the 99th percentile of its magnitude: one collision-like spike must not outweigh every grasp."""
    load = np.linalg.norm(force - np.median(force, axis=0), axis=1)
    change = _rate(smooth(load, n), dt_s)
    limit = float(np.percentile(np.abs(change), 99))
    out: F64 = np.clip(change, -limit, limit)
    return out


DERIVE: dict[str, Callable[[F64, float, int], F64]] = {
    "magnitude": lambda v, dt, n: smooth(np.linalg.norm(v, axis=1), n),
    "speed": _speed,
    "orientation_rate": _orientation_rate,
    "load_change": _load_change,
    "grip_change": lambda v, dt, n: _rate(smooth(v.sum(axis=1), n), dt),
    "closure_change": lambda v, dt, n: _rate(smooth(-v.sum(axis=1), n), dt),
}


def derive(signal: Signal, ts: I64, values: F64, grid: I64) -> F64:
    """The 1-D ``signal`` of a cleaned stream (``ts`` ns, ``values``) at the ``grid`` times (ns)."""
    dt_s = float(grid[1] - grid[0]) / 1e9 if len(grid) > 1 else 1.0
    n = max(1, round(SMOOTH_S / dt_s))
    on_grid = slerp(ts, values, grid) if signal.kind == "orientation_rate" else linear(ts, values, grid)
    return DERIVE[signal.kind](on_grid, dt_s, n)
