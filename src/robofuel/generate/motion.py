"""Shared timing for generated recordings: the time base, task phases, min-jerk profiles and sample clocks.

Times inside a recording are seconds from its start (``t0_ns``); written timestamps are int64 ns since the Unix
epoch. No wall-clock value is ever read: a recording's start is a fixed base plus a seeded offset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from robofuel.spatial.profiles import min_jerk

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

T_BASE_NS = 1_793_610_000_000_000_000  # 2026-11-02T09:00:00Z
PHASE_NAMES = ("idle_head", "reach", "grasp", "lift", "transport", "place", "release", "retreat", "idle_tail")


@dataclass(frozen=True)
class Phase:
    """One task phase: ``start_s`` and ``end_s`` in seconds from the recording start."""

    name: str
    start_s: float
    end_s: float


def start_ns(rng: np.random.Generator) -> int:
    """Recording start (ns since epoch): the base plus a seeded whole number of seconds within 30 days."""
    return T_BASE_NS + int(rng.integers(0, 30 * 86400)) * 1_000_000_000


def phase_table(lengths: Mapping[str, float]) -> list[Phase]:
    """Consecutive phases of the given lengths (s), in the mapping's order, starting at 0."""
    out, t = [], 0.0
    for name, length in lengths.items():
        out.append(Phase(name, t, t + float(length)))
        t += float(length)
    return out


def fit_duration(lengths: dict[str, float], duration_s: float | None, idle_s: float | None) -> dict[str, float]:
    """Phase lengths (s) adjusted to a requested total ``duration_s``.

    ``idle_s`` fixes both idle phases. A longer total lengthens the idles equally (beyond ``idle_s`` if given); a
    shorter one compresses the other phases (all of them without ``idle_s``) by one factor.
    """
    out = dict(lengths)
    if idle_s is not None:
        out["idle_head"] = out["idle_tail"] = idle_s
    if duration_s is None:
        return out
    extra = duration_s - sum(out.values())
    if extra >= 0:
        out["idle_head"] += extra / 2
        out["idle_tail"] += extra / 2
        return out
    fixed = {"idle_head", "idle_tail"} if idle_s is not None else set()
    room = duration_s - sum(out[k] for k in fixed)
    if room <= 0:
        raise ValueError(f"duration_s={duration_s} leaves no time for the task")
    scale = room / sum(v for k, v in out.items() if k not in fixed)
    return {k: v if k in fixed else v * scale for k, v in out.items()}


def insert_pause(phases: Sequence[Phase], after: str, pause_s: float | None) -> list[Phase]:
    """The phases with every phase after ``after`` moved ``pause_s`` later: a still pause in between (interpolation
    holds the last key over gaps, see :func:`piecewise`)."""
    out, shift = [], 0.0
    for p in phases:
        out.append(Phase(p.name, p.start_s + shift, p.end_s + shift))
        if p.name == after and pause_s:
            shift = float(pause_s)
    return out


def phase(phases: Sequence[Phase], name: str) -> Phase:
    """The phase called ``name``."""
    return next(p for p in phases if p.name == name)


def piecewise(phases: Sequence[Phase], keys: Sequence[F64], start: F64, t: F64) -> F64:
    """(N, D) min-jerk interpolation at times ``t`` (s): from ``start`` to keys[i] during phase i, held after."""
    out = np.repeat(np.asarray(start, dtype=np.float64)[None, :], len(t), axis=0)
    prev = np.asarray(start, dtype=np.float64)
    for p, key in zip(phases, keys, strict=True):
        m = t >= p.start_s
        tau = (t[m] - p.start_s) / max(p.end_s - p.start_s, 1e-9)
        out[m] = prev + min_jerk(tau)[:, None] * (key - prev)
        prev = np.asarray(key, dtype=np.float64)
    return out


def clock(t0_ns: int, duration_s: float, rate_hz: float, rng: np.random.Generator | None, jitter_ns: int = 0) -> I64:
    """Sample times (int64 ns since epoch) at ``rate_hz`` from ``t0_ns`` through ``duration_s``, with uniform
    +-``jitter_ns`` jitter (never enough to reorder samples)."""
    n = int(np.floor(duration_s * rate_hz + 1e-9)) + 1
    ts: I64 = t0_ns + np.round(np.arange(n) * 1e9 / rate_hz).astype(np.int64)
    if jitter_ns and rng is not None:
        ts = ts + rng.integers(-jitter_ns, jitter_ns + 1, n)
        ts[0] = max(int(ts[0]), t0_ns)
    return ts


def seconds(ts: I64, t0_ns: int) -> F64:
    """Seconds from the recording start of int64 ns timestamps."""
    out: F64 = (ts - t0_ns).astype(np.float64) / 1e9
    return out


PURPOSES = ("plan", "noise", "faults", "session")


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """An independent generator per purpose (see PURPOSES), so that adding faults leaves the clean signals, and
    changing the signals leaves the session metadata, exactly as they were for the same seed."""
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.default_rng([seed, PURPOSES.index(purpose)])
