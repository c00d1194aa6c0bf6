"""Events in the cues: movements (speed bumps), gripper or hand closure and opening, and contact transients.

A movement is a bump of the speed between two stops or speed minima. Its onset and offset are not taken where the
speed crosses a threshold (that lags by the time the speed needs to build up) but extrapolated to zero speed: for
a smooth start the speed grows as (t - t0)^2, so sqrt(speed) is close to a line through the crossings of 5% and
20% of the bump's peak, and that line meets zero at t0. The same is done on the closure rate |d closure / dt| to
time when a gripper or hand starts to close or open. All times are seconds from the episode start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robofuel.steps.annotate.signals import F64, GRID_HZ, Cue, smooth

LOW, HIGH = 0.05, 0.2  # fractions of a bump's peak whose crossings are extrapolated to zero
SPLIT = 0.35  # a speed minimum below this fraction of the lower neighbouring peak splits a movement in two


@dataclass(frozen=True)
class Bump:
    """A bump of a non-negative rate: extrapolated onset and offset (s), time (s) and value of the peak, and
    ``depth`` 0..1: how far the rate falls at its ends relative to the peak (1 = to zero: a clear boundary)."""

    on_s: float
    off_s: float
    peak_s: float
    peak: float
    area: float
    depth_on: float
    depth_off: float


def _crossing(t: F64, r: F64, start: int, stop: int, level: float) -> float | None:
    """First time (s, linearly interpolated) walking from index ``start`` toward ``stop`` where r drops below
    ``level``; None if it does not within the range."""
    step = 1 if stop > start else -1
    for i in range(start, stop + step, step):
        if r[i] < level:
            j = i - step
            frac = (r[j] - level) / max(r[j] - r[i], 1e-12)
            return float(t[j] + frac * (t[i] - t[j]))
    return None


def _edge(t: F64, r: F64, peak_i: int, stop_i: int, floor: float) -> float:
    """Extrapolated zero-rate time of the edge from the peak at ``peak_i`` toward ``stop_i`` (a stop or minimum).

    The lower crossing level is kept above ``floor`` (the rate's noise), the upper one at least 3 times higher.
    """
    peak = float(r[peak_i])
    low = min(max(LOW * peak, floor), 0.2 * peak)
    high = min(max(HIGH * peak, 3 * low), 0.6 * peak)
    hi = _crossing(t, r, peak_i, stop_i, high)
    lo = _crossing(t, r, peak_i, stop_i, low)
    if hi is None or lo is None or lo == hi:
        return float(t[stop_i])
    t0 = lo - (hi - lo) * np.sqrt(low) / (np.sqrt(high) - np.sqrt(low))
    lo_t, hi_t = sorted((float(t[stop_i]), float(t[peak_i])))
    return float(np.clip(t0, lo_t, hi_t))


def _runs(mask: F64) -> list[tuple[int, int]]:
    """[start, end) index ranges where ``mask`` is non-zero."""
    padded = np.concatenate([[0], (mask > 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _split(r: F64, a: int, b: int) -> list[tuple[int, int]]:
    """Split the index range [a, b] (inclusive) at deep local minima (below SPLIT of the lower of the two peaks
    beside it); neighbouring pieces share the minimum's index."""
    seg = r[a : b + 1]
    if len(seg) < 5:
        return [(a, b)]
    interior = np.flatnonzero((seg[1:-1] <= seg[:-2]) & (seg[1:-1] < seg[2:])) + 1
    best: tuple[float, int] | None = None
    for m in interior:
        ratio = seg[m] / max(min(seg[:m].max(), seg[m + 1 :].max()), 1e-12)
        if ratio < SPLIT and (best is None or ratio < best[0]):
            best = (float(ratio), int(m))
    if best is None:
        return [(a, b)]
    cut = a + best[1]
    return _split(r, a, cut) + _split(r, cut, b)


def _pieces(r: F64, level: float) -> list[tuple[int, int, int, int]]:
    """(start, end, lower search limit, upper search limit) indices of each bump: runs above ``level`` split at
    deep minima; an edge facing a split searches up to the minimum, one facing rest up to the next bump."""
    pieces: list[tuple[int, int]] = []
    for a0, b0 in _runs((r >= level).astype(np.float64)):
        pieces += _split(r, max(a0 - 1, 0), min(b0, len(r) - 1))
    out = []
    for k, (a, b) in enumerate(pieces):
        lo = a if k and pieces[k - 1][1] == a else (pieces[k - 1][1] if k else 0)
        hi = (
            b
            if k + 1 < len(pieces) and pieces[k + 1][0] == b
            else (pieces[k + 1][0] if k + 1 < len(pieces) else len(r) - 1)
        )
        out.append((a, b, lo, hi))
    return out


def bumps(t: F64, r: F64, level: float, min_s: float = 0.08, floor: float = 0.0) -> list[Bump]:
    """Bumps of the rate ``r`` (>= 0) above ``level``, split at deep minima, with extrapolated ends (s); ``floor``
    is the rate's noise level, below which crossings are not trusted."""
    out: list[Bump] = []
    for a, b, lo, hi in _pieces(r, level):
        if (b - a) / GRID_HZ < min_s:
            continue
        p = a + int(np.argmax(r[a : b + 1]))
        peak = float(r[p])
        out.append(
            Bump(
                _edge(t, r, p, lo, floor),
                _edge(t, r, p, hi, floor),
                float(t[p]),
                peak,
                float(r[a : b + 1].sum() / GRID_HZ),
                1.0 - min(float(r[lo : p + 1].min()) / peak, 1.0),
                1.0 - min(float(r[p : hi + 1].min()) / peak, 1.0),
            )
        )
    return out


def movements(speed: Cue, rel_level: float = 0.05, min_peak: float = 0.12) -> list[Bump]:
    """Movements of the hand or end effector: speed bumps above ``rel_level`` of the episode's peak speed (or
    three times the resting noise) whose own peak reaches ``min_peak`` of it. Ordered in time."""
    v = speed.v
    top = float(np.percentile(v, 99.5))
    if top <= 0:
        return []
    noise = float(np.percentile(v, 10))  # about the rest noise: most episodes are still a tenth of the time
    level = max(rel_level * top, 3.0 * noise)
    return [b for b in bumps(speed.t, v, level, floor=2.5 * noise) if b.peak >= min_peak * top]


@dataclass(frozen=True)
class Transition:
    """A closure change: ``closing`` True for closing, False for opening; onset and offset (s); ``amount`` the
    fraction (0..1) of the full closure range it covers."""

    closing: bool
    on_s: float
    off_s: float
    amount: float
    stream: str


def transitions(closure: Cue, min_amount: float = 0.3) -> list[Transition]:
    """Closings and openings covering at least ``min_amount`` of the closure range, ordered in time."""
    rate = smooth(closure.v, 0.09, deriv=1)
    out: list[Transition] = []
    for closing, r in ((True, np.clip(rate, 0, None)), (False, np.clip(-rate, 0, None))):
        top = float(r.max())
        if top <= 0:
            continue
        for b in bumps(closure.t, r, 0.1 * top, min_s=0.05):
            if b.area >= min_amount:
                out.append(Transition(closing, b.on_s, b.off_s, min(b.area, 1.0), closure.stream))
    return sorted(out, key=lambda x: x.on_s)


def contacts(force: Cue, min_rate: float = 20.0) -> list[float]:
    """Times (s) of contact transients: peaks of |dF/dt| above ``min_rate`` (N/s) and 5 times its median."""
    rate = np.abs(smooth(force.v, 0.05, deriv=1))
    level = max(min_rate, 5.0 * float(np.median(rate)))
    return [b.peak_s for b in bumps(force.t, rate, level, min_s=0.02)]
