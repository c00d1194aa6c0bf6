"""Injecting placed faults into a :class:`~robofuel.generate.draft.Draft`, one function per fault kind.

Each function changes the draft in place over the fault's time range (s from the recording start). Only written
stamps (``ts``) are changed by timing faults; receive times (``log_ts``) stay true. ``idle_head_tail`` is applied
by the task plan, ``truncated_file`` by the writer, ``missing_stream`` by the writer leaving the stream out.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from robofuel.generate.draft import I64, Draft, Frame
from robofuel.generate.faults import FaultSpec

Mask = npt.NDArray[np.bool_]


def window(ts: I64, t0_ns: int, spec: FaultSpec) -> Mask:
    """Samples stamped within [start_s, end_s] of the fault; at least the first sample at or after start_s."""
    start = t0_ns + round((spec.start_s or 0.0) * 1e9)
    end = start + round((spec.duration_s or 0.0) * 1e9)
    mask: Mask = (ts >= start) & (ts <= end)
    if not mask.any() and len(ts):
        mask[int(np.searchsorted(ts, start).clip(0, len(ts) - 1))] = True
    return mask


def _values(d: Draft, s: FaultSpec) -> tuple[npt.NDArray[np.float64], Mask]:
    series = d.numeric[s.stream or ""]
    return series.values, window(series.ts, d.t0_ns, s)


def _frozen(d: Draft, s: FaultSpec) -> None:
    values, m = _values(d, s)
    values[m] = values[np.argmax(m)]


def _nan_inf(d: Draft, s: FaultSpec) -> None:
    """NaN in the first value column over the window; +inf in the last column of the window's last sample."""
    values, m = _values(d, s)
    idx = np.flatnonzero(m)
    values[idx, 0] = np.nan
    values[idx[-1], -1] = np.inf


def _joint_limit(d: Draft, s: FaultSpec) -> None:
    """Joint ``joint`` (0-based column) held ``excess_rad`` beyond its upper URDF limit over the window."""
    values, m = _values(d, s)
    j = int(s.params["joint"])
    values[m, j] = d.limits[s.stream or ""][1][j] + float(s.params["excess_rad"])


def _force_spike(d: Draft, s: FaultSpec) -> None:
    """A half-sine pulse of ``magnitude`` (stream units) added to ``column`` over the window (a collision)."""
    values, m = _values(d, s)
    idx = np.flatnonzero(m)
    shape = np.sin(np.pi * (np.arange(len(idx)) + 1) / (len(idx) + 1))
    values[idx, int(s.params["column"])] += float(s.params["magnitude"]) * shape


def _wrong_units(d: Draft, s: FaultSpec) -> None:
    """The first ``columns`` value columns (declared rad or rad/s) written in degrees, over the whole stream."""
    values, _ = _values(d, s)
    cols = int(s.params["columns"])
    values[:, :cols] = np.degrees(values[:, :cols])


def _shift(d: Draft, s: FaultSpec, mask: Mask, delta_s: float) -> None:
    d.stamps(s.stream or "")[mask] += round(delta_s * 1e9)


def _jump(d: Draft, s: FaultSpec) -> None:
    """Every stamp from start_s on moved ``jump_s`` later (a clock step)."""
    ts = d.stamps(s.stream or "")
    _shift(d, s, ts >= d.t0_ns + round((s.start_s or 0.0) * 1e9), float(s.params["jump_s"]))


def _reversal(d: Draft, s: FaultSpec) -> None:
    """The stamps in the window moved ``back_s`` earlier, so the stream's stamps run backwards there."""
    _shift(d, s, window(d.stamps(s.stream or ""), d.t0_ns, s), -float(s.params["back_s"]))


def _clock_offset(d: Draft, s: FaultSpec) -> None:
    """Every stamp of the stream moved ``offset_s`` later (an unsynchronised sensor clock)."""
    ts = d.stamps(s.stream or "")
    _shift(d, s, np.ones(len(ts), dtype=bool), float(s.params["offset_s"]))


def _dropped(d: Draft, s: FaultSpec) -> None:
    video = d.video[s.stream or ""]
    keep = ~window(video.ts, d.t0_ns, s)
    video.ts, video.log_ts = video.ts[keep], video.log_ts[keep]
    video.frames = [f for f, k in zip(video.frames, keep, strict=True) if k]


def _frames(change: Callable[[Frame, FaultSpec], Frame]) -> Callable[[Draft, FaultSpec], None]:
    def apply(d: Draft, s: FaultSpec) -> None:
        video = d.video[s.stream or ""]
        for i in np.flatnonzero(window(video.ts, d.t0_ns, s)):
            video.frames[i] = change(video.frames[i], s)

    return apply


def blur(img: Frame, s: FaultSpec) -> Frame:
    """Box blur of ``kernel_px`` pixels, applied twice (a defocused lens)."""
    k = int(s.params.get("kernel_px", 9))
    out = img.astype(np.float64)
    for axis in (0, 1, 0, 1):
        out = sum((np.roll(out, i, axis=axis) for i in range(-(k // 2), k // 2 + 1)), np.zeros_like(out)) / k
    return out.astype(np.uint8)


def overexpose(img: Frame, s: FaultSpec) -> Frame:
    """Pixel values times ``gain`` plus ``offset``, saturating at 255."""
    out = img.astype(np.float64) * float(s.params.get("gain", 3.0)) + float(s.params.get("offset", 120))
    return np.clip(out, 0, 255).astype(np.uint8)


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
    "black_frames": _frames(lambda f, s: np.zeros_like(f)),
    "blurred_frames": _frames(blur),
    "overexposed_frames": _frames(overexpose),
    "idle_head_tail": _nothing,
    "truncated_file": _nothing,
}


def apply(spec: FaultSpec, d: Draft) -> None:
    """Inject one placed fault into the draft."""
    APPLY[spec.kind](d, spec)
