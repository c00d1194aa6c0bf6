"""Streams of one robomimic demo: per-step datasets, image observations, and nested groups on their own clocks.

Split from :mod:`robofuel.ingest.hdf5.robomimic` (which reads the file and its metadata); see its docstring for the
timing rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel.ingest.base import Built, ReadReport
from robofuel.ingest.video.png import png_packets
from robofuel.standard import (
    Finding,
    NumericData,
    Severity,
    Stream,
    VideoData,
    numeric_stream,
    video_stream,
)
from robofuel.standard.data import F64, I64

OBS_GROUPS = ("obs", "next_obs")
OPERATOR_INPUT = "operator_input"  # nested groups: teleop device and controller telemetry, not robot signals
ROLES = {"actions": "action", "states": "state", "robot0_joint_pos": "joint_position"}
UNITS = {"joint_torques": "N m", "robot0_joint_pos": "rad", "robot0_joint_vel": "rad/s"}
#: Values per step above which a non-image array is not made a numeric stream (depth maps, point clouds).
MAX_VALUES_PER_STEP = 1024
Array = npt.NDArray[Any]


def _epoch_ns(seconds: Any) -> int:
    """An attribute holding seconds since the epoch, as ns; 0 when absent or not a finite number."""
    if not isinstance(seconds, int | float | str) or not _is_float(seconds):
        return 0
    value = float(seconds)
    return round(value * 1e9) if math.isfinite(value) else 0


def _is_float(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _columns(name: str, arr: Array) -> list[str]:
    """``name`` for one value per step, ``name[i]`` for vectors, ``name[i,j]`` for matrices."""
    shape = arr.shape[1:]
    if int(np.prod(shape)) == 1:
        return [name]
    if len(shape) == 1:
        return [f"{name}[{i}]" for i in range(shape[0])]
    return [f"{name}[{','.join(map(str, idx))}]" for idx in np.ndindex(*shape)]


def _table(arr: Array) -> F64:
    return np.asarray(arr, dtype=np.float64).reshape(len(arr), -1)


def _is_image(arr: Array) -> bool:
    return arr.ndim == 4 and arr.dtype == np.uint8 and arr.shape[-1] in (1, 3)


@dataclass
class _Bucket:
    """Datasets of one group with one length: they become one stream."""

    group: str
    length: int
    members: list[tuple[str, Array]] = field(default_factory=list)

    def get(self, name: str) -> Array | None:
        return next((a for n, a in self.members if n == name), None)


class _Demo:
    """Builds the streams of one demo group; ``t0``: step 0, ns since the epoch; ``freq``: steps per s."""

    def __init__(self, demo: Any, key: str, t0: int, freq: float, report: ReadReport) -> None:
        self.demo, self.key, self.t0, self.freq, self.report = demo, key, t0, freq, report
        self.findings: list[Finding] = []
        self.steps = self._steps()

    def _steps(self) -> int:
        for name in ("actions", "states"):
            if name in self.demo and not hasattr(self.demo[name], "keys"):
                return len(self.demo[name])
        num = self.demo.attrs.get("num_samples")
        return int(num) if num is not None and _is_float(num) else 0

    def step_times(self, n: int) -> I64:
        """Times of steps 0..n-1, ns since the epoch."""
        return self.t0 + np.round(np.arange(n) * (1e9 / self.freq)).astype(np.int64)

    def streams(self) -> list[Built]:
        out: list[Built] = []
        buckets: dict[tuple[str, int], _Bucket] = {}
        for path, arr in self._datasets():
            group, _, name = path.rpartition("/")
            if group in OBS_GROUPS or not group:
                built = self._single(path, arr)
                if built is not None:
                    out.append(built)
                continue
            if name.endswith("_counters") and f"{group}/{name[:-9]}" in self.demo:
                group, name = f"{group}/{name[:-9]}", "counters"
            bucket = buckets.setdefault((group, len(arr)), _Bucket(group, len(arr)))
            bucket.members.append((name, arr))
        clock = _tick_clock(list(buckets.values()), self.t0)
        lengths: dict[str, int] = {}
        for group, _ in buckets:
            lengths[group] = lengths.get(group, 0) + 1
        for (group, n), bucket in sorted(buckets.items()):
            name = group.replace("/", ".") + (f"@{n}" if lengths[group] > 1 else "")
            out.append(self._group(name, bucket, clock))
        return out

    def _datasets(self) -> list[tuple[str, Array]]:
        """(path in the demo, array) of every per-step numeric dataset; others are counted as skipped."""
        found: list[tuple[str, Array]] = []

        def visit(name: str, obj: Any) -> None:
            if hasattr(obj, "keys"):
                return
            arr = np.asarray(obj[()])
            if arr.ndim == 0 or arr.dtype.kind not in "biuf":
                self.report.skipped[f"{name}: not a numeric per-step array"] += 1
            elif name.startswith("next_obs/") and _is_image(arr):
                self.report.skipped[f"{name}: image repeating obs one step later"] += 1
            elif not _is_image(arr) and int(np.prod(arr.shape[1:])) > MAX_VALUES_PER_STEP:
                self.report.skipped[f"{name}: {arr.shape[1:]} values per step, not a vector"] += 1
            else:
                found.append((name, arr))

        self.demo.visititems(visit)
        return sorted(found, key=lambda item: item[0])

    def _single(self, path: str, arr: Array) -> Built:
        """A dataset that is a stream of its own (top level or observation group)."""
        name = path.replace("/", ".")
        ts = self._times_for(name, len(arr))
        if _is_image(arr):
            height, width = int(arr.shape[1]), int(arr.shape[2])
            video = VideoData(ts, codec="png", width=width, height=height, packets=png_packets(arr))
            return self._note(video_stream(name, video, source=path, rate_hz=self.freq)), video
        data = NumericData(ts, _table(arr))
        key = path.rpartition("/")[2]
        info = {"role": ROLES.get(key), "unit": UNITS.get(key), "source": path, "rate_hz": self.freq}
        return self._note(numeric_stream(name, data, _columns(key, arr), **info)), data

    def _times_for(self, name: str, n: int) -> I64:
        """Step times for a per-step dataset; a dataset of another length is spread over the demo, said so."""
        if n == self.steps:
            return self.step_times(n)
        return self._spread(name, n)

    def _spread(self, name: str, n: int) -> I64:
        duration_s = max(self.steps - 1, 0) / self.freq
        self.findings.append(
            self.report.finding(
                "timing.assumed_rate",
                f"{self.key}: {name} has {n} samples for {self.steps} control steps and no times of its own; "
                f"spread evenly over the demo's {duration_s:.2f} s",
                Severity.info,
                stream=name,
                value=float(n),
            )
        )
        return self.t0 + np.round(np.linspace(0.0, duration_s * 1e9, n)).astype(np.int64)

    def _group(self, name: str, bucket: _Bucket, clock: _Clock | None) -> Built:
        ts, how = self._group_times(name, bucket, clock)
        columns = [c for key, arr in bucket.members for c in _columns(key, arr)]
        data = NumericData(ts, np.hstack([_table(arr) for _, arr in bucket.members]))
        stream = numeric_stream(
            name, data, columns, source=bucket.group, rate_hz=None if how else self.freq, role=OPERATOR_INPUT
        )
        return self._note(stream, timed_by=how), data

    def _group_times(self, name: str, bucket: _Bucket, clock: _Clock | None) -> tuple[I64, str]:
        """Times of a group's rows and how they were found ('' for control steps)."""
        for stamp_name in ("timestamp", "timestamps"):
            own = bucket.get(stamp_name)
            if own is not None and own.ndim == 1 and own.dtype.kind == "f":
                return _seconds_to_ns(own, self.t0), f"its '{stamp_name}' dataset"
        for member, arr in bucket.members:
            if member.endswith("timestamps") and arr.ndim == 2 and arr.dtype.kind == "f":
                return _seconds_to_ns(arr.mean(axis=1), self.t0), f"the row mean of its '{member}' dataset"
        counters = bucket.get("counters")
        if counters is not None and clock is not None and counters.ndim == 1:
            return clock.at(counters), f"its 'counters' through the tick clock of {clock.source}"
        if bucket.length == self.steps:
            return self.step_times(bucket.length), ""
        return self._spread(name, bucket.length), "spread evenly over the demo (no times in the file)"

    def _note(self, stream: Stream, timed_by: str = "") -> Stream:
        """Add the stream to the report, with whether it runs per control step and how it was timed."""
        own = stream.count != self.steps
        entry = self.report.add_stream(stream)
        if own or entry.get("rate") != "own":
            entry["rate"] = "own" if own else "control step"
        if timed_by or own:
            entry["timed_by"] = timed_by or "spread evenly over the demo (no times in the file)"
        return stream


def _seconds_to_ns(seconds: Array, t0: int) -> I64:
    """Seconds to ns since the epoch: epoch seconds as they are, small values (< 1e6 s) as offsets to t0."""
    values = np.asarray(seconds, dtype=np.float64)
    base = 0 if values.size and np.nanmax(values) > 1e6 else t0
    return base + np.round(values * 1e9).astype(np.int64)


@dataclass
class _Clock:
    """The wall-clock time (ns) of each controller tick, from a group holding ``counters`` and timestamps."""

    counters: F64
    times_ns: F64
    source: str

    def at(self, counters: Array) -> I64:
        """Times of the given tick counters, interpolated (and extrapolated at the ends) linearly."""
        c = np.asarray(counters, dtype=np.float64)
        if len(self.counters) == 1:
            return np.full(len(c), int(self.times_ns[0]), dtype=np.int64)
        t = np.interp(c, self.counters, self.times_ns)
        slope = (self.times_ns[-1] - self.times_ns[0]) / max(self.counters[-1] - self.counters[0], 1.0)
        t = np.where(c < self.counters[0], self.times_ns[0] + (c - self.counters[0]) * slope, t)
        t = np.where(c > self.counters[-1], self.times_ns[-1] + (c - self.counters[-1]) * slope, t)
        return np.round(t).astype(np.int64)


def _tick_clock(buckets: list[_Bucket], t0: int) -> _Clock | None:
    """The first group with increasing ``counters`` and timestamps of the same length, as a tick clock."""
    for bucket in buckets:
        counters = bucket.get("counters")
        stamps = next((a for n, a in bucket.members if n.endswith(("timestamp", "timestamps"))), None)
        if counters is None or stamps is None or counters.ndim != 1 or stamps.dtype.kind != "f":
            continue
        seconds = stamps.mean(axis=1) if stamps.ndim == 2 else stamps
        if len(counters) and np.all(np.diff(counters) > 0):
            ns = _seconds_to_ns(seconds, t0).astype(np.float64)
            return _Clock(counters.astype(np.float64), ns, bucket.group)
    return None
