"""Resampling a stream's samples at other times: nearest, linear, zero-order hold and slerp for rotations.

Times are int64 ns on one clock (the episode's reference clock); values are (N, C) float64. Query times before
the first sample take the first sample, after the last the last (no extrapolation). :func:`resample` picks the
method per column group from the stream's metadata: quaternion columns (``Stream.quaternion_order``) by slerp,
discrete columns (every value an integer: counters, modes, buttons) by zero-order hold, the rest linearly.

Cost follows samples, never the time span: every uniform grid a step or exporter builds over an episode is sized by
:func:`grid_points` first and checked by :func:`grid_fits` (at most :data:`GRID_PER_SAMPLE` points per source sample,
and never fewer than :data:`MIN_GRID`), so an episode of 40 samples spread over five days costs kilobytes, not the
gigabytes a 100 Hz grid over five days would.
"""

from __future__ import annotations

import numpy as np

from robofuel.spatial.quaternions import slerp_unit
from robofuel.standard import NumericData, Stream
from robofuel.standard.data import F64, I64

#: Most points a uniform grid may hold per source sample (a 1 kHz grid over 60 Hz samples is about 17).
GRID_PER_SAMPLE = 64
#: A grid of up to this many points is always allowed (short episodes of few samples).
MIN_GRID = 100_000


def grid_points(span_ns: int, step_ns: float) -> int:
    """Points of a uniform grid with step ``step_ns`` covering ``[0, span_ns]`` (both ends), computed without
    building it."""
    if span_ns <= 0 or step_ns <= 0:
        return 1
    return int(span_ns // step_ns) + 1


def grid_fits(points: int, samples: int) -> bool:
    """Whether a grid of ``points`` may be built over ``samples`` source samples: at most
    ``max(MIN_GRID, GRID_PER_SAMPLE * samples)`` points, which bounds a grid's memory by O(samples) (8 bytes per
    point and column: 100k points of 10 columns are 8 MB)."""
    return points <= max(MIN_GRID, GRID_PER_SAMPLE * samples)


def nearest_index(src_ns: I64, at_ns: I64) -> I64:
    """For each query time, the index of the sample nearest to it (the earlier one on ties)."""
    if len(src_ns) == 0:
        raise ValueError("cannot resample an empty stream")
    right = np.clip(np.searchsorted(src_ns, at_ns, side="left"), 0, len(src_ns) - 1)
    left = np.clip(right - 1, 0, len(src_ns) - 1)
    take_left = np.abs(at_ns - src_ns[left]) <= np.abs(src_ns[right] - at_ns)
    out: I64 = np.where(take_left, left, right).astype(np.int64)
    return out


def zoh_index(src_ns: I64, at_ns: I64) -> I64:
    """For each query time, the index of the last sample at or before it (the first sample before the start)."""
    out: I64 = np.clip(np.searchsorted(src_ns, at_ns, side="right") - 1, 0, max(len(src_ns) - 1, 0)).astype(np.int64)
    return out


def linear(src_ns: I64, values: F64, at_ns: I64) -> F64:
    """Values linearly interpolated at ``at_ns``, column by column (NaN samples propagate to their neighbours)."""
    out: F64 = np.empty((len(at_ns), values.shape[1]), dtype=np.float64)
    if len(at_ns) == 0 or values.shape[1] == 0:
        return out
    t = (src_ns - src_ns[0]).astype(np.float64)
    q = (at_ns - src_ns[0]).astype(np.float64)
    for c in range(values.shape[1]):
        out[:, c] = np.interp(q, t, values[:, c])
    return out


def slerp(src_ns: I64, quats: F64, at_ns: I64) -> F64:
    """Unit quaternions (N, 4), any component order, spherically interpolated at ``at_ns``.

    A zero (or non-finite) quaternion has no direction: the values interpolated from it are NaN, never a guess;
    callers that must not write NaN (gap repair) check for it."""
    norm = np.linalg.norm(quats, axis=1, keepdims=True)
    q = quats / np.where(norm > 0, norm, np.nan)
    hi = np.clip(np.searchsorted(src_ns, at_ns, side="right"), 1, len(src_ns) - 1) if len(src_ns) > 1 else None
    if hi is None:
        return np.repeat(q[:1], len(at_ns), axis=0)
    lo = hi - 1
    span = (src_ns[hi] - src_ns[lo]).astype(np.float64)
    u = np.clip((at_ns - src_ns[lo]) / np.where(span > 0, span, 1.0), 0.0, 1.0)[:, None]
    return slerp_unit(q[lo], q[hi], u)


def quaternion_groups(stream: Stream) -> list[list[int]]:
    """Column indices of each quaternion in the stream, in ``quaternion_order``: four columns ``<prefix>.x/.y/.z/.w``,
    or ``<prefix>qx/qy/qz/qw`` (the canonical ``ee_pose`` columns ``qx qy qz qw``)."""
    if stream.quaternion_order is None:
        return []
    names = {c: i for i, c in enumerate(stream.columns)}
    groups = []
    for col in stream.columns:
        for tail, sep in ((".x", "."), ("qx", "q")):
            if col.endswith(tail):
                prefix = col[: -len(tail)]
                idx = [names.get(f"{prefix}{sep}{a}") for a in stream.quaternion_order]
                if all(i is not None for i in idx):
                    groups.append([int(i) for i in idx if i is not None])
    return groups


def resample(data: NumericData, stream: Stream, at_ns: I64) -> F64:
    """The stream's values at ``at_ns``: slerp for quaternions, zero-order hold for discrete columns, else linear."""
    ts, values = data.timestamps_ns, data.values
    if len(at_ns) == 0:
        return np.empty((0, values.shape[1]), dtype=np.float64)
    if len(ts) == 1:
        return np.repeat(values, len(at_ns), axis=0)
    out = linear(ts, values, at_ns)
    finite = np.isfinite(values)
    discrete = np.all(np.where(finite, values == np.round(values), True), axis=0)
    if discrete.any():
        out[:, discrete] = values[zoh_index(ts, at_ns)][:, discrete]
    for group in quaternion_groups(stream):
        out[:, group] = slerp(ts, values[:, group], at_ns)
    return out
