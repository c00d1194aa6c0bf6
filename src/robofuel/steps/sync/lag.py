"""The lag between two signals on one grid, by normalised cross-correlation, with a confidence; and drift.

Convention: a positive lag means the sensor's timestamps are late: the sensor shows at time t + lag what the
reference shows at t, so ``-lag`` is the correction to add to the sensor's timestamps.

Confidence (0..1) = height of the correlation peak minus the height of the next-highest local peak within the
searched lags (both Pearson r, negatives counted as 0). A tall, lone peak is trusted; a low peak, or one with a
rival nearly as high (a periodic motion, noise), is not. A peak at the edge of the searched lags is not a peak:
its confidence is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robofuel.standard.data import F64


@dataclass(frozen=True)
class LagEstimate:
    """``lag_s`` (s, sub-sample by parabolic interpolation), ``peak`` and ``second`` (Pearson r of the peak and of
    its best rival), ``confidence`` (0..1) and ``width_s`` (s, width of the peak at half its height)."""

    lag_s: float
    peak: float
    second: float
    confidence: float
    width_s: float


NO_ESTIMATE = LagEstimate(0.0, 0.0, 0.0, 0.0, 0.0)


def correlation(ref: F64, sensor: F64, max_lag: int) -> F64:
    """Pearson r of ``ref[i]`` with ``sensor[i + lag]`` over their overlap, for lag = -max_lag..max_lag samples."""
    n = len(ref)
    out = np.zeros(2 * max_lag + 1)
    for k, lag in enumerate(range(-max_lag, max_lag + 1)):
        a = ref[max(0, -lag) : n - max(0, lag)]
        b = sensor[max(0, lag) : n - max(0, -lag)]
        a, b = a - a.mean(), b - b.mean()
        denom = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
        out[k] = float(np.dot(a, b)) / denom if denom > 0 else 0.0
    return out


def _local_peaks(r: F64) -> list[int]:
    inner = np.flatnonzero((r[1:-1] >= r[:-2]) & (r[1:-1] > r[2:])) + 1
    return [int(i) for i in inner]


def _half_width(r: F64, k: int) -> int:
    """Samples between the first points left and right of the peak ``k`` below half its height."""
    half = r[k] / 2
    right = k
    while right < len(r) - 1 and r[right] > half:
        right += 1
    left = k
    while left > 0 and r[left] > half:
        left -= 1
    return right - left


def _refine(r: F64, k: int) -> float:
    """Sub-sample offset (-0.5..0.5) of the peak at ``k`` from the parabola through its neighbours."""
    y0, y1, y2 = r[k - 1], r[k], r[k + 1]
    denom = y0 - 2 * y1 + y2
    return float(np.clip(0.5 * (y0 - y2) / denom, -0.5, 0.5)) if denom < 0 else 0.0


def estimate_lag(ref: F64, sensor: F64, dt_s: float, max_lag_s: float) -> LagEstimate:
    """Lag (s) of ``sensor`` behind ``ref`` (same grid, step ``dt_s`` s), searched within +-``max_lag_s``."""
    max_lag = round(max_lag_s / dt_s)
    if len(ref) < 2 * max_lag + 3 or np.std(ref) == 0 or np.std(sensor) == 0:
        return NO_ESTIMATE
    r = correlation(ref, sensor, max_lag)
    peaks = _local_peaks(r)
    if not peaks:
        return NO_ESTIMATE
    k = max(peaks, key=lambda i: r[i])
    if r[k] < float(r.max()) or r[k] <= 0:  # the best lag is at the edge of the window: no peak inside it
        return LagEstimate((k - max_lag) * dt_s, float(r[k]), float(r.max()), 0.0, 0.0)
    second = max((float(r[i]) for i in peaks if i != k), default=0.0)
    confidence = float(np.clip(r[k] - max(second, 0.0), 0.0, 1.0))
    lag_s = (k - max_lag + _refine(r, k)) * dt_s
    return LagEstimate(lag_s, float(r[k]), second, confidence, _half_width(r, k) * dt_s)


@dataclass(frozen=True)
class Drift:
    """Lag (s) over the first and second half of the overlap, and the drift between them (s per s, x 1e6 = ppm)
    with the confidence of the less certain half."""

    first_s: float
    second_s: float
    drift: float
    confidence: float


def estimate_drift(ref: F64, sensor: F64, dt_s: float, max_lag_s: float) -> Drift:
    """Drift of the sensor clock: the lag on each half of the signals, divided by the time between the halves."""
    half = len(ref) // 2
    a = estimate_lag(ref[:half], sensor[:half], dt_s, max_lag_s)
    b = estimate_lag(ref[half:], sensor[half:], dt_s, max_lag_s)
    span_s = half * dt_s
    drift = (b.lag_s - a.lag_s) / span_s if span_s > 0 else 0.0
    return Drift(a.lag_s, b.lag_s, drift, min(a.confidence, b.confidence))


def count_events(signal: F64, dt_s: float, gap_s: float, fraction: float = 0.3) -> int:
    """Separate bursts of activity in ``signal``: runs of samples farther than ``fraction`` of the largest deviation
    from the median, bursts closer than ``gap_s`` (s) counted as one. A lag set by a single event is not
    identifiable: the peak then follows that event's asymmetric shape (a load leaving the hand before the gripper
    opens), not the clocks."""
    deviation = np.abs(signal - np.median(signal))
    top = float(deviation.max()) if len(deviation) else 0.0
    if top <= 0:
        return 0
    active = np.flatnonzero(deviation > fraction * top)
    return 1 + int(np.sum(np.diff(active) * dt_s > gap_s)) if len(active) else 0
