"""Trimming: where the demonstration moves, from each motion stream's speed, made one window for every stream.

Per motion stream (roles in ``motion_roles``; position channels only, ``.velocity`` / ``.effort`` left out) the
speed at each sample is the distance between the mean pose over the ``window_s / 2`` before it and the mean pose
over the ``window_s / 2`` after it, divided by the time between those means (stream units per second). A sample
moves when its speed exceeds both ``fraction`` of the stream's 95th-percentile speed and ``noise_factor`` times
the speed that sensor noise alone would show (noise estimated from second differences, so it holds for a stream
that moves all the time). The episode's active span runs from the earliest first moving sample to the latest last
one over all motion streams (a stream still moving keeps the span open), widened by ``pad_s`` and then narrowed to
the time every stream covers where that lies in the idle parts (consistent across streams). Times are ns on the
episode's reference clock unless named ``_s`` (seconds from the episode start).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from robofuel.standard import EpisodeData, NumericData, Stream, VideoData
from robofuel.standard.data import F64

VELOCITY_SUFFIXES = (".velocity", ".effort")


@dataclass(frozen=True)
class MotionSpan:
    """First and last moving sample of one stream (ns), or None for a stream that never moves."""

    stream: str
    first_ns: int | None
    last_ns: int | None


def position_columns(stream: Stream) -> list[int]:
    """Indices of the channels that are positions (not velocities or efforts)."""
    return [i for i, c in enumerate(stream.columns) if not c.endswith(VELOCITY_SUFFIXES)]


def box_speed(t_s: F64, pos: F64, window_s: float) -> F64:
    """(N,) speed in units/s: distance between the mean pose over ``window_s / 2`` before and after each sample."""
    n, half = len(t_s), window_s / 2.0
    cs = np.vstack([np.zeros((1, pos.shape[1])), np.cumsum(pos, axis=0)])
    ct = np.concatenate([[0.0], np.cumsum(t_s)])
    idx = np.arange(n)
    lo = np.searchsorted(t_s, t_s - half, side="left")
    hi = np.maximum(np.searchsorted(t_s, t_s + half, side="right"), idx + 1)
    n_before, n_after = idx + 1 - lo, hi - idx
    before = (cs[idx + 1] - cs[lo]) / n_before[:, None]
    after = (cs[hi] - cs[idx]) / n_after[:, None]
    dt = (ct[hi] - ct[idx]) / n_after - (ct[idx + 1] - ct[lo]) / n_before
    speed: F64 = np.linalg.norm(after - before, axis=1) / np.where(dt > 0, dt, np.inf)
    full = np.flatnonzero((t_s - half >= t_s[0]) & (t_s + half <= t_s[-1]))
    if full.size:  # samples nearer an end than half a window take the nearest full-window speed
        speed[: full[0]] = speed[full[0]]
        speed[full[-1] + 1 :] = speed[full[-1]]
    return speed


def noise_sigma(values: F64) -> F64:
    """(C,) white-noise sigma per channel, from the median absolute second difference (sqrt(6) sigma for white
    noise, nearly nothing for a smooth signal sampled fast); zeros for fewer than 5 samples."""
    if len(values) < 5:
        return np.zeros(values.shape[1])
    d2 = np.diff(values, n=2, axis=0)
    sigma: F64 = 1.4826 * np.median(np.abs(d2 - np.median(d2, axis=0)), axis=0) / np.sqrt(6.0)
    return sigma


def noise_speed(t_s: F64, pos: F64, window_s: float) -> float:
    """Speed (units/s) that white sensor noise alone shows in :func:`box_speed` (each half-window mean of m samples
    has sigma / sqrt(m))."""
    if len(t_s) < 5:
        return 0.0
    sigma = noise_sigma(pos)
    dt = float(np.median(np.diff(t_s)))
    m = max(1.0, window_s / 2.0 / dt) if dt > 0 else 1.0
    return float(np.sqrt(2.0 * np.sum(sigma**2) / m) / (window_s / 2.0))


def motion_span(stream: Stream, data: NumericData, config: dict[str, float]) -> MotionSpan:
    """The first and last moving sample of one motion stream (see the module docstring for "moving")."""
    cols = position_columns(stream)
    rows = np.isfinite(data.values[:, cols]).all(axis=1) if cols else np.zeros(0, dtype=bool)
    if not cols or rows.sum() < 5:
        return MotionSpan(stream.name, None, None)
    ts = data.timestamps_ns[rows]
    t_s = (ts - ts[0]).astype(np.float64) / 1e9
    pos = data.values[rows][:, cols]
    speed = box_speed(t_s, pos, config["window_s"])
    threshold = max(
        config["fraction"] * float(np.percentile(speed, 95)),
        config["noise_factor"] * noise_speed(t_s, pos, config["window_s"]),
        1e-12,
    )
    moving = np.flatnonzero(speed > threshold)
    if moving.size == 0:
        return MotionSpan(stream.name, None, None)
    return MotionSpan(stream.name, int(ts[moving[0]]), int(ts[moving[-1]]))


def motion_spans(data: EpisodeData, roles: Sequence[str], config: dict[str, float]) -> list[MotionSpan]:
    """Motion span of every numeric stream whose role is in ``roles`` and that has samples closer together than
    half the motion window (a sparser stream, a localiser publishing every 0.6 s, shows no speed in the window:
    it cannot tell motion from rest, so it is no motion stream)."""
    out = []
    for s in data.meta.streams:
        payload = data.payloads.get(s.name)
        if s.role in roles and isinstance(payload, NumericData) and len(payload.timestamps_ns):
            dt = np.diff(payload.timestamps_ns)
            dt = dt[dt > 0]
            if dt.size and float(np.median(dt)) > config["window_s"] / 2.0 * 1e9:
                continue
            out.append(motion_span(s, payload, config))
    return out


def coverage_ns(data: EpisodeData) -> tuple[int, int] | None:
    """(latest first sample, earliest last sample) over numeric and video streams with samples, ns; None if none."""
    starts, ends = [], []
    for s in data.meta.streams:
        payload = data.payloads.get(s.name)
        if isinstance(payload, NumericData | VideoData) and len(payload.timestamps_ns):
            starts.append(int(payload.timestamps_ns.min()))
            ends.append(int(payload.timestamps_ns.max()))
    return (max(starts), min(ends)) if starts else None


def active_window(
    spans: Sequence[MotionSpan], coverage: tuple[int, int] | None, episode: tuple[int, int], pad_s: float
) -> tuple[int, int] | None:
    """The kept window (ns): the union of the streams' motion spans, padded, within the episode, narrowed to the
    common coverage where that cuts only idle time. None when no stream moves."""
    firsts = [s.first_ns for s in spans if s.first_ns is not None]
    lasts = [s.last_ns for s in spans if s.last_ns is not None]
    if not firsts or not lasts:
        return None
    first, last, pad = min(firsts), max(lasts), int(pad_s * 1e9)
    start, end = max(first - pad, episode[0]), min(last + pad, episode[1])
    if coverage is not None:
        start = max(start, min(coverage[0], first))
        end = min(end, max(coverage[1], last))
    return start, end


def split_pieces(window: tuple[int, int], gaps: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``window`` (ns) between the long ``gaps`` (ns, any order, may overlap), in time order."""
    pieces, start = [], window[0]
    for a, b in sorted(gaps):
        if b <= start or a >= window[1]:
            continue
        if a > start:
            pieces.append((start, a))
        start = max(start, b)
    if start < window[1]:
        pieces.append((start, window[1]))
    return pieces
