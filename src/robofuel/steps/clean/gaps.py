"""Gaps in numeric streams: repaired by interpolation where short and the signal allows, else kept or split at.

A stream's nominal interval is the median positive interval between its timestamps. Per stream, in this order:

1. rows repeated verbatim (same timestamp, same values) are dropped: redundant logging, nothing lost;
2. runs of non-finite values (NaN, inf) in one channel no longer than ``repair_max_s`` and with finite samples on
   both sides are interpolated linearly in time;
3. an interval longer than ``gap_factor`` nominal intervals is a gap. A gap whose missing time (its length less
   one interval) is at most ``repair_max_s`` is filled with samples at the nominal rate by
   :func:`robofuel.resample.resample` (linear; zero-order hold for discrete channels, slerp for quaternions) if
   the signal allows it: no channel changes across the gap by more than ``jump_factor`` times what it changes
   over that time at its 99th-percentile rate, plus six noise sigmas; and every value written is finite (repair
   never invents a NaN: a zero quaternion cannot be slerped). A gap of ``split_gap_s`` or more is long: the
   episode is split there (see the step). Other gaps stay as they are and are reported.

Streams whose timestamps go backwards are left alone (the profile step rejects them). An event-driven stream
(commands, tracker outputs: :mod:`robofuel.steps.qc.sampling`) gets steps 1 and 2 only: its pauses are no gaps, so
nothing is interpolated across them (that would invent commands or detections) and the episode is not split at
them. Times are int64 ns on the episode's reference clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robofuel.resample import resample
from robofuel.standard import NumericData, Stream
from robofuel.standard.data import F64, I64
from robofuel.steps.clean.trim import noise_sigma
from robofuel.steps.qc import sampling
from robofuel.steps.qc.context import runs

REPAIRED = ("gap_repaired", "non_finite_repaired", "duplicate_samples_dropped")


@dataclass(frozen=True)
class Span:
    """One thing found or done on a stream between two sample times (ns): ``kind`` is one of REPAIRED,
    ``gap_unrepaired`` or ``long_gap``; ``count`` the samples inserted, values replaced, rows dropped or (for gaps
    left alone) samples missing; ``note`` why a gap was left alone."""

    stream: str
    kind: str
    start_ns: int
    end_ns: int
    count: int
    note: str = ""


@dataclass
class StreamRepair:
    """A stream after repair: its samples (the input object when nothing changed) and the spans found or done."""

    data: NumericData
    changed: bool = False
    spans: list[Span] = field(default_factory=list)


def nominal_interval_ns(ts: I64) -> float | None:
    """Median positive interval (ns), None without one."""
    dt = np.diff(ts)
    dt = dt[dt > 0]
    return float(np.median(dt)) if dt.size else None


def drop_repeats(name: str, data: NumericData) -> tuple[NumericData, list[Span]]:
    """Drop rows that repeat the previous row verbatim (same time, same values, NaN equal to NaN)."""
    ts, v = data.timestamps_ns, data.values
    if len(ts) < 2:
        return data, []
    same = (np.diff(ts) == 0) & np.all((v[1:] == v[:-1]) | (np.isnan(v[1:]) & np.isnan(v[:-1])), axis=1)
    if not same.any():
        return data, []
    keep = np.concatenate([[True], ~same])
    dup_ts = ts[1:][same]
    span = Span(name, "duplicate_samples_dropped", int(dup_ts.min()), int(dup_ts.max()), int(same.sum()))
    return NumericData(ts[keep], v[keep]), [span]


def fill_non_finite(name: str, data: NumericData, max_ns: float) -> tuple[NumericData, list[Span]]:
    """Interpolate (linearly in time) short non-finite runs that have finite samples on both sides, per channel;
    one span per run of rows touched, ``count`` the values replaced."""
    ts, values = data.timestamps_ns, data.values.copy()
    t = (ts - ts[0]).astype(np.float64) if len(ts) else np.zeros(0)
    touched = np.zeros(values.shape, dtype=bool)
    for c in range(values.shape[1]):
        bad = ~np.isfinite(values[:, c])
        for a, b in runs(bad):
            if a == 0 or b == len(ts) or ts[b] - ts[a - 1] > max_ns + (ts[a] - ts[a - 1]):
                continue
            values[a:b, c] = np.interp(t[a:b], t[~bad], values[~bad, c])
            touched[a:b, c] = True
    rows = runs(np.asarray(touched.any(axis=1), dtype=bool))
    if not rows:
        return data, []
    spans = [Span(name, "non_finite_repaired", int(ts[a]), int(ts[b - 1]), int(touched[a:b].sum())) for a, b in rows]
    return NumericData(ts, values), spans


def _allowed_change(data: NumericData, jump_factor: float) -> F64:
    """(C,) per-channel rate (units/ns) at the 99th percentile of regular intervals, times ``jump_factor``."""
    dt = np.diff(data.timestamps_ns).astype(np.float64)
    dv = np.abs(np.diff(data.values, axis=0))
    ok = (dt > 0) & np.isfinite(dv).all(axis=1)
    if not ok.any():
        return np.zeros(data.values.shape[1])
    rate: F64 = np.percentile(dv[ok] / dt[ok, None], 99, axis=0) * jump_factor
    return rate


def _gap_fill_times(start: int, end: int, interval: float) -> I64:
    """Sample times strictly inside (start, end) at the nominal ``interval``, evenly spread."""
    missing = max(1, round((end - start) / interval) - 1)
    filled: I64 = start + np.round(np.arange(1, missing + 1) * (end - start) / (missing + 1)).astype(np.int64)
    return filled


def _gap_verdict(data: NumericData, i: int, allowed: F64, sigma: F64, cfg: Mapping[str, Any]) -> str:
    """Why gap i (between samples i and i+1) cannot be filled, or "" when it can."""
    ts, v = data.timestamps_ns, data.values
    length, interval = float(ts[i + 1] - ts[i]), nominal_interval_ns(ts) or 1.0
    if length >= cfg["split_gap_s"] * 1e9:
        return "long"
    if length - interval > cfg["repair_max_s"] * 1e9:
        return f"longer than the {cfg['repair_max_s']} s that is interpolated"
    if not (np.isfinite(v[i]).all() and np.isfinite(v[i + 1]).all()):
        return "non-finite samples at its edge"
    step = np.abs(v[i + 1] - v[i])
    if np.any(step > allowed * length + 6.0 * sigma):
        return "the signal jumps across it"
    return ""


def fill_gaps(stream: Stream, data: NumericData, cfg: Mapping[str, Any]) -> tuple[NumericData, list[Span]]:
    """Fill the short gaps the signal allows; report the long ones and those left alone.

    A fill is only written when every value it would write is finite: a gap whose interpolation gives NaN (a
    zero quaternion has no direction to slerp along) is left as it is, reported with the reason."""
    ts = data.timestamps_ns
    interval = nominal_interval_ns(ts)
    if interval is None:
        return data, []
    gaps = np.flatnonzero(np.diff(ts) > cfg["gap_factor"] * interval)
    allowed, sigma = _allowed_change(data, cfg["jump_factor"]), noise_sigma(data.values)
    spans, fills = [], []
    for i in gaps:
        start, end = int(ts[i]), int(ts[i + 1])
        missing = max(1, round((end - start) / interval) - 1)
        why = _gap_verdict(data, int(i), allowed, sigma, cfg)
        if why == "long":
            spans.append(Span(stream.name, "long_gap", start, end, missing))
        elif why:
            spans.append(Span(stream.name, "gap_unrepaired", start, end, missing, why))
        else:
            fills.append((start, end, _gap_fill_times(start, end, interval)))
    if not fills:
        return data, spans
    at = np.concatenate([f[2] for f in fills])
    filled = resample(data, stream, at)
    new_ts, new_values, offset = [], [], 0
    for start, end, times in fills:
        values = filled[offset : offset + len(times)]
        offset += len(times)
        if not np.isfinite(values).all():
            why = "interpolating across it gives no finite value"
            spans.append(Span(stream.name, "gap_unrepaired", start, end, len(times), why))
            continue
        new_ts.append(times)
        new_values.append(values)
        spans.append(Span(stream.name, "gap_repaired", start, end, len(times)))
    spans.sort(key=lambda sp: sp.start_ns)
    if not new_ts:
        return data, spans
    all_ts = np.concatenate([ts, *new_ts])
    order = np.argsort(all_ts, kind="stable")
    values = np.vstack([data.values, *new_values])
    return NumericData(all_ts[order], values[order]), spans


def repair_stream(stream: Stream, data: NumericData, cfg: Mapping[str, Any]) -> StreamRepair:
    """Drop verbatim repeats, fill short non-finite runs, fill short gaps (not on an event-driven stream); report
    what was done and left."""
    if len(data.timestamps_ns) < 3 or np.any(np.diff(data.timestamps_ns) < 0):
        return StreamRepair(data)
    out, spans = drop_repeats(stream.name, data)
    out, more = fill_non_finite(stream.name, out, cfg["repair_max_s"] * 1e9)
    spans += more
    if not sampling.event_driven(stream, out.timestamps_ns, cfg):
        out, more = fill_gaps(stream, out, cfg)
        spans += more
    return StreamRepair(out, any(s.kind in REPAIRED for s in spans), spans)


def video_long_gaps(name: str, ts: I64, cfg: Mapping[str, Any]) -> list[Span]:
    """Intervals between a camera's frames (ns) longer than ``gap_factor`` nominal intervals and at least
    ``split_gap_s``, as ``long_gap`` spans."""
    if len(ts) < 2:
        return []
    dt = np.diff(ts)
    interval = nominal_interval_ns(ts) or 1.0
    long = (dt > cfg["gap_factor"] * interval) & (dt >= cfg["split_gap_s"] * 1e9)
    return [
        Span(name, "long_gap", int(ts[i]), int(ts[i + 1]), max(1, round(float(dt[i]) / interval) - 1))
        for i in np.flatnonzero(long)
    ]


def remaining_non_finite(data: NumericData) -> I64:
    """Timestamps (ns) of the rows that still hold a non-finite value."""
    bad: I64 = data.timestamps_ns[~np.isfinite(data.values).all(axis=1)]
    return bad
