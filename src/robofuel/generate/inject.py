"""Injecting placed faults into a :class:`~robofuel.generate.draft.Draft`, one function per fault kind.

Each function changes the draft in place over the fault's time range (s from the recording start). Only written
stamps (``ts``) are changed by timing faults; receive times (``log_ts``) stay true. ``idle_head_tail`` is applied
by the task plan, ``truncated_file`` by the writer, ``missing_stream`` by the writer leaving the stream out;
``long_idle`` and ``missed_grasp`` by the plan, ``task_failed`` and ``invalid_embodiment`` in the session metadata.
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


def _saturation(d: Draft, s: FaultSpec) -> None:
    """``column`` pushed up by a half-sine of ``rise`` times its range over the stream and clipped at its maximum
    plus ``headroom`` times that range: the reading sits at the end of the sensor's range for a run."""
    values, m = _values(d, s)
    c = int(s.params["column"])
    span = float(np.ptp(values[:, c])) or 1.0
    level = float(values[:, c].max()) + float(s.params["headroom"]) * span
    idx = np.flatnonzero(m)
    shape = np.sin(np.pi * (np.arange(len(idx)) + 1) / (len(idx) + 1))
    values[idx, c] = np.minimum(values[idx, c] + float(s.params["rise"]) * span * shape, level)


def _duplicated(d: Draft, s: FaultSpec) -> None:
    """Column ``source`` written into column ``target`` over the whole stream (a logging slot mix-up)."""
    values, _ = _values(d, s)
    values[:, int(s.params["target"])] = values[:, int(s.params["source"])]


def _joint_velocity(d: Draft, s: FaultSpec) -> None:
    """Joint ``joint`` jerked out and back by a half-sine of ``amplitude_rad`` over the window (far faster than its
    URDF velocity limit); its velocity column (the stream's second third) follows."""
    series = d.numeric[s.stream or ""]
    values, m = _values(d, s)
    idx = np.flatnonzero(m)
    j, n = int(s.params["joint"]), values.shape[1] // 3
    bump = float(s.params["amplitude_rad"]) * np.sin(np.pi * (np.arange(len(idx)) + 1) / (len(idx) + 1))
    values[idx, j] += bump
    if len(idx) > 1:
        values[idx, n + j] += np.gradient(bump, (series.ts[idx] - d.t0_ns) / 1e9)


def _contact(d: Draft, s: FaultSpec) -> None:
    """``force_n`` (N) pushed on ``column`` over the window with 0.1 s ramps: the arm at rest is pressed on."""
    series = d.numeric[s.stream or ""]
    values, m = _values(d, s)
    idx = np.flatnonzero(m)
    t = (series.ts[idx] - series.ts[idx[0]]) / 1e9
    ramp = np.clip(np.minimum(t, t[-1] - t) / 0.1, 0.0, 1.0)
    values[idx, int(s.params["column"])] += float(s.params["force_n"]) * ramp


def _frozen_video(d: Draft, s: FaultSpec) -> None:
    """The window's first frame repeated over the window (the camera stopped updating, stamps go on)."""
    video = d.video[s.stream or ""]
    idx = np.flatnonzero(window(video.ts, d.t0_ns, s))
    for i in idx[1:]:
        video.frames[i] = video.frames[idx[0]].copy()


def _codec_mismatch(d: Draft, s: FaultSpec) -> None:
    """The stream's format written as another codec than its packets are: H.264 declared h265, JPEG declared png."""
    d.declared_codec[s.stream or ""] = "h265" if s.stream == "camera_front" else "png"


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


def underexpose(img: Frame, s: FaultSpec) -> Frame:
    """Pixel values times ``gain`` (below 1: too little light)."""
    return (img.astype(np.float64) * float(s.params.get("gain", 0.3))).astype(np.uint8)


def _omit(d: Draft, s: FaultSpec) -> None:
    d.omitted.add(s.stream or "")


def _nothing(d: Draft, s: FaultSpec) -> None:
    """Applied by the plan (idle_head_tail, long_idle, missed_grasp), the session (task_failed,
    invalid_embodiment) or the writer (truncated_file)."""


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
    "saturation": _saturation,
    "duplicated_channel": _duplicated,
    "joint_velocity": _joint_velocity,
    "contact_without_motion": _contact,
    "missed_grasp": _nothing,
    "underexposed_frames": _frames(underexpose),
    "frozen_frames": _frozen_video,
    "codec_mismatch": _codec_mismatch,
    "long_idle": _nothing,
    "task_failed": _nothing,
    "invalid_embodiment": _nothing,
}


def apply(spec: FaultSpec, d: Draft) -> None:
    """Inject one placed fault into the draft."""
    APPLY[spec.kind](d, spec)
