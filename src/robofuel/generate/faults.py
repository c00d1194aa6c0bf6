"""Faults injected into generated recordings, each recorded in the ground truth with its stream and time range.

A :class:`Draft` holds a recording's streams before they are written (numeric series and video frames keyed by
logical stream name); each fault kind is a function that changes the draft in place. Two kinds act on the writer
instead: ``missing_stream`` (the stream is not written) and ``truncated_file`` (the written file is cut).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from robofuel.generate.media import Frame

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

FAULT_KINDS = (
    "dropped_frames",
    "timestamp_jump",
    "timestamp_reversal",
    "clock_offset",
    "frozen_sensor",
    "nan_inf",
    "joint_limit",
    "force_spike",
    "idle_head_tail",
    "black_frames",
    "blurred_frames",
    "overexposed_frames",
    "missing_stream",
    "truncated_file",
    "wrong_units",
)

#: Default duration (s) of each fault's time range.
_DURATION = {
    "dropped_frames": 0.3,
    "frozen_sensor": 1.0,
    "nan_inf": 0.05,
    "joint_limit": 0.6,
    "force_spike": 0.03,
    "black_frames": 0.5,
    "blurred_frames": 0.8,
    "overexposed_frames": 0.6,
}


@dataclass(frozen=True)
class FaultSpec:
    """One fault: ``kind`` from FAULT_KINDS; stream and time range (s from recording start) placed by seed if None."""

    kind: str
    stream: str | None = None
    start_s: float | None = None
    duration_s: float | None = None
    params: Mapping[str, float] = field(default_factory=dict, hash=False)


@dataclass
class Series:
    """A numeric stream: ``ts`` int64 ns since epoch, ``values`` (N, C) float64."""

    ts: I64
    values: F64


@dataclass
class Draft:
    """A recording before writing: numeric series, video frames with their timestamps, joint limits if a robot."""

    t0_ns: int
    duration_s: float
    numeric: dict[str, Series]
    video: dict[str, tuple[I64, list[Frame]]]
    defaults: Mapping[str, str]  # fault kind -> default stream for this recording kind
    limits: tuple[F64, F64] | None = None
    omitted: set[str] = field(default_factory=set)


def _window(ts: I64, t0: int, spec: FaultSpec) -> npt.NDArray[np.bool_]:
    start = t0 + int((spec.start_s or 0.0) * 1e9)
    end = start + int((spec.duration_s or 0.0) * 1e9)
    mask: npt.NDArray[np.bool_] = (ts >= start) & (ts <= end)
    if not mask.any():  # make sure at least one sample is hit
        mask[int(np.searchsorted(ts, start).clip(0, len(ts) - 1))] = True
    return mask


def _frozen(d: Draft, s: FaultSpec) -> None:
    series = d.numeric[s.stream or ""]
    m = _window(series.ts, d.t0_ns, s)
    series.values[m] = series.values[np.argmax(m)]


def _nan_inf(d: Draft, s: FaultSpec) -> None:
    series = d.numeric[s.stream or ""]
    idx = np.flatnonzero(_window(series.ts, d.t0_ns, s))
    series.values[idx, 0] = np.nan
    series.values[idx[-1], -1] = np.inf


def _joint_limit(d: Draft, s: FaultSpec) -> None:
    if d.limits is None:
        raise ValueError("joint_limit needs a robot with joint limits (teleop recordings only)")
    series = d.numeric[s.stream or ""]
    j = int(s.params.get("joint", 3))
    m = _window(series.ts, d.t0_ns, s)
    series.values[m, j] = d.limits[1][j] + float(s.params.get("excess_rad", 0.25))


def _force_spike(d: Draft, s: FaultSpec) -> None:
    series = d.numeric[s.stream or ""]
    m = _window(series.ts, d.t0_ns, s)
    col = int(s.params.get("column", 2 if series.values.shape[1] >= 3 else 0))
    series.values[m, col] += float(s.params.get("magnitude", 150.0))


def _wrong_units(d: Draft, s: FaultSpec) -> None:
    series = d.numeric[s.stream or ""]
    cols = int(s.params.get("columns", series.values.shape[1]))
    series.values[:, :cols] = np.degrees(series.values[:, :cols])


def _shift(d: Draft, name: str, mask: npt.NDArray[np.bool_], delta_ns: int) -> None:
    if name in d.numeric:
        d.numeric[name].ts[mask] += delta_ns
    else:
        d.video[name][0][mask] += delta_ns


def _stamps(d: Draft, name: str) -> I64:
    return d.numeric[name].ts if name in d.numeric else d.video[name][0]


def _jump(d: Draft, s: FaultSpec) -> None:
    ts = _stamps(d, s.stream or "")
    _shift(d, s.stream or "", ts >= d.t0_ns + int((s.start_s or 0) * 1e9), int(s.params.get("jump_s", 0.5) * 1e9))


def _reversal(d: Draft, s: FaultSpec) -> None:
    ts = _stamps(d, s.stream or "")
    i = int(np.searchsorted(ts, d.t0_ns + int((s.start_s or 0) * 1e9)))
    mask = np.zeros(len(ts), dtype=bool)
    mask[i : i + int(s.params.get("samples", 3))] = True
    _shift(d, s.stream or "", mask, -int(s.params.get("back_s", 0.05) * 1e9))


def _clock_offset(d: Draft, s: FaultSpec) -> None:
    ts = _stamps(d, s.stream or "")
    _shift(d, s.stream or "", np.ones(len(ts), dtype=bool), int(s.params.get("offset_s", 0.08) * 1e9))


def _dropped(d: Draft, s: FaultSpec) -> None:
    ts, frames = d.video[s.stream or ""]
    keep = ~_window(ts, d.t0_ns, s)
    d.video[s.stream or ""] = (ts[keep], [f for f, k in zip(frames, keep, strict=True) if k])


def _frames(change: Callable[[Frame], Frame]) -> Callable[[Draft, FaultSpec], None]:
    def apply(d: Draft, s: FaultSpec) -> None:
        ts, frames = d.video[s.stream or ""]
        for i in np.flatnonzero(_window(ts, d.t0_ns, s)):
            frames[i] = change(frames[i])

    return apply


def _blur(img: Frame) -> Frame:
    out = img.astype(np.float64)
    for axis in (0, 1):
        out = sum(np.roll(out, k, axis=axis) for k in range(-4, 5)) / 9.0  # type: ignore[assignment]
    return out.astype(np.uint8)


def _omit(d: Draft, s: FaultSpec) -> None:
    d.omitted.add(s.stream or "")


def _nothing(d: Draft, s: FaultSpec) -> None:
    """Applied by the plan (idle_head_tail) or the writer (truncated_file)."""


APPLY: dict[str, Callable[[Draft, FaultSpec], None]] = {
    "dropped_frames": _dropped,
    "timestamp_jump": _jump,
    "timestamp_reversal": _reversal,
    "clock_offset": _clock_offset,
    "frozen_sensor": _frozen,
    "nan_inf": _nan_inf,
    "joint_limit": _joint_limit,
    "force_spike": _force_spike,
    "wrong_units": _wrong_units,
    "missing_stream": _omit,
    "black_frames": _frames(lambda f: np.zeros_like(f)),
    "blurred_frames": _frames(_blur),
    "overexposed_frames": _frames(lambda f: np.clip(f.astype(np.int32) * 3 + 120, 0, 255).astype(np.uint8)),
    "idle_head_tail": _nothing,
    "truncated_file": _nothing,
}


def normalise(faults: Sequence[str | FaultSpec]) -> list[FaultSpec]:
    """FaultSpecs from names or specs; unknown kinds are refused."""
    specs = [FaultSpec(f) if isinstance(f, str) else f for f in faults]
    for s in specs:
        if s.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {s.kind!r}; known: {', '.join(FAULT_KINDS)}")
    return specs


def place(spec: FaultSpec, d: Draft, active: tuple[float, float], rng: np.random.Generator) -> FaultSpec:
    """Fill in the stream, start and duration of a fault left open, within the ``active`` span (s)."""
    stream = spec.stream or d.defaults.get(spec.kind)
    if spec.kind not in ("idle_head_tail", "truncated_file") and stream is None:
        raise ValueError(f"fault {spec.kind} does not apply to this kind of recording")
    lo, hi = active
    start = (
        spec.start_s if spec.start_s is not None else float(rng.uniform(lo + 0.25 * (hi - lo), lo + 0.6 * (hi - lo)))
    )
    duration = spec.duration_s if spec.duration_s is not None else _DURATION.get(spec.kind, 0.0)
    return replace(spec, stream=stream, start_s=round(start, 3), duration_s=duration)


def apply(spec: FaultSpec, d: Draft) -> None:
    """Inject one placed fault into the draft."""
    name = spec.stream or ""
    if spec.kind not in ("idle_head_tail", "truncated_file") and name not in d.numeric and name not in d.video:
        raise ValueError(f"fault {spec.kind}: no stream {name!r} in this recording")
    APPLY[spec.kind](d, spec)
