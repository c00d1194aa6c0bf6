"""Reader for robomimic / robosuite demonstration HDF5 files (``data/demo_N`` groups).

One episode per ``demo_N`` group, in numeric order of N (``Episode.recording.index`` = position in that
order).

Time: robomimic stores control steps, not times. Step ``i`` of a demo is at ``t0 + i / control_freq``, with
the control frequency (Hz) from the ``env_args`` / ``env_info`` / ``teleop_env_metadata`` JSON attributes of
``data`` (20 Hz with an info finding when none says it) and ``t0`` the demo's ``timestamp`` attribute (s
since the epoch, written by the RoboTurk-style teleop system) or, when there is none, 0 ns: the Unix epoch
stands for the start of the demo (``extra.time_base`` says which). The file's ``date`` / ``time`` attributes
say when the file was assembled, in local time, and go to ``extra`` only.

Streams:

- every dataset directly under the demo (``actions``, ``states``, ``rewards``, ``dones``, ``joint_torques``,
  ``interventions``, ``user_acting``...) is one numeric stream named as the dataset;
- every dataset of the observation groups ``obs`` / ``next_obs`` is one stream ``obs.<key>`` /
  ``next_obs.<key>``; image observations (T, H, W, 3 or 1) uint8 become a video stream of lossless PNG
  images, one packet per step (codec ``png``: each frame decodes on its own and pixels survive exactly);
  ``next_obs`` images repeat ``obs`` shifted by one step and are left out (counted in the report);
- the datasets of any other group (teleop streams such as ``controller_info/...``, ``user_info/0/...``) are
  gathered into one stream per group and length, named by the group path with dots (``@<length>`` appended
  when a group holds several lengths); a dataset ``X_counters`` beside a group ``X`` joins that group as
  ``counters``.

Groups of another length than the demo run at their own rate and are timed, in this order of preference: by
their own ``timestamp`` / ``timestamps`` dataset (s since the epoch), by a 2-D ``*timestamps`` dataset (one
column per user; the mean of the row), by a ``counters`` dataset mapped through the demo's tick clock (a
group holding both ``counters`` and timestamps, as ``controller_info`` does), or else spread evenly over the
demo with an info finding. Columns are ``<dataset>`` for one value per step, else ``<dataset>[i]``
(``[i,j]`` for matrices). Booleans and integers become floats. Values keep the simulator's units (robosuite:
rad, m, N m).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel._lazy import require
from robofuel.errors import MissingExtra, UnreadableRecording
from robofuel.ingest.base import ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.standard import (
    EpisodeData,
    Finding,
    NumericData,
    Payload,
    Severity,
    Stream,
    Task,
    VideoData,
    numeric_stream,
    video_stream,
)

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
#: Where an HDF5 superblock may start (files with a user block put it at a power of two from 512).
MAGIC_OFFSETS = (0, 512, 1024, 2048)
SUFFIXES = (".hdf5", ".h5", ".he5")
DEFAULT_FREQ = 20.0
OBS_GROUPS = ("obs", "next_obs")
OPERATOR_INPUT = "operator_input"  # nested groups: teleop device and controller telemetry, not robot signals
ROLES = {"actions": "action", "states": "state", "robot0_joint_pos": "joint_position"}
UNITS = {"joint_torques": "N m", "robot0_joint_pos": "rad", "robot0_joint_vel": "rad/s"}
#: Values per step above which a non-image array is not made a numeric stream (depth maps, point clouds).
MAX_VALUES_PER_STEP = 1024
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Array = npt.NDArray[Any]
Built = tuple[Stream, Payload]


def has_hdf5_magic(path: Path) -> bool:
    """Whether the file holds an HDF5 superblock signature where one may start; never raises."""
    try:
        with open(path, "rb") as f:
            head = f.read(MAGIC_OFFSETS[-1] + len(HDF5_MAGIC))
    except OSError:
        return False
    return any(head[o : o + len(HDF5_MAGIC)] == HDF5_MAGIC for o in MAGIC_OFFSETS)


def _demo_number(key: str) -> int:
    tail = key.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else -1


class RobomimicReader(Reader):
    name = "hdf5-robomimic"
    description = "robomimic / robosuite demonstration HDF5 (data/demo_N groups)"

    def sniff(self, path: Path) -> bool:
        """An HDF5 file with ``data/demo_*`` groups. A file named ``.hdf5`` / ``.h5`` that is not readable
        HDF5 (truncated, not HDF5 at all) is claimed too, so that reading it says what is wrong."""
        if not path.is_file():
            return False
        damaged_name = path.suffix.lower() in SUFFIXES
        if not has_hdf5_magic(path):
            return damaged_name
        try:
            h5py = require("h5py", "hdf5")
        except MissingExtra:
            return True  # HDF5 it is; read() says which extra to install to look inside
        try:
            with h5py.File(path, "r") as h:
                data = h.get("data")
                return data is not None and hasattr(data, "keys") and any(k.startswith("demo") for k in data)
        except OSError:
            return damaged_name
        except Exception:
            return False

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        h5py = require("h5py", "hdf5")
        hint = "the file may be truncated or not HDF5 at all; copy it again from the source"
        if not has_hdf5_magic(path):
            raise UnreadableRecording(str(path), "not an HDF5 file (no HDF5 signature at its start)", hint)
        try:
            h = h5py.File(path, "r")
        except OSError as exc:
            raise UnreadableRecording(str(path), f"not a readable HDF5 file ({exc})", hint) from exc
        try:
            with h:
                return _FileReader(h, path, ctx).read()
        except (OSError, KeyError, RuntimeError) as exc:  # what h5py raises on damaged objects in a file
            raise UnreadableRecording(str(path), f"damaged HDF5 content ({exc})", hint) from exc


def _json(value: Any) -> Any:
    """An HDF5 attribute as plain JSON data: JSON text parsed, numpy values converted, bytes decoded."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return [_json(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _attrs(obj: Any) -> dict[str, Any]:
    return {str(k): _json(v) for k, v in obj.attrs.items()}


def _find(tree: Any, key: str) -> Any:
    """The first value of ``key`` in nested dicts / lists, depth first; None if absent."""
    stack = [tree]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            if key in node:
                return node[key]
            stack = list(node.values()) + stack
        elif isinstance(node, list):
            stack = list(node) + stack
    return None


@dataclass
class FileMeta:
    """What the ``data`` group's attributes say about every demo of the file."""

    attrs: dict[str, Any]
    freq: float
    freq_declared: bool
    env: str | None
    robots: list[str]

    @classmethod
    def of(cls, attrs: dict[str, Any]) -> FileMeta:
        env_meta = [attrs.get(k) for k in ("env_args", "env_info", "teleop_env_metadata")]
        freq = _find(env_meta, "control_freq")
        declared = isinstance(freq, int | float) and not isinstance(freq, bool) and freq > 0
        robots = _find(env_meta, "robots")
        names = [robots] if isinstance(robots, str) else [str(r) for r in robots or []]
        env = attrs.get("env") or _find(env_meta, "env_name")
        return cls(attrs, float(freq) if declared else DEFAULT_FREQ, declared, str(env) if env else None, names)

    @property
    def embodiment(self) -> str | None:
        """Robot names lowercased (``panda``); two-arm set-ups join them with ``+`` (``panda+panda``)."""
        return "+".join(r.lower() for r in self.robots) or None


class _FileReader:
    """Reads every demo of one open file."""

    def __init__(self, h: Any, path: Path, ctx: ReadContext) -> None:
        self.h, self.path, self.ctx = h, path, ctx
        self.report = ReadReport(str(path), RobomimicReader.name)

    def read(self) -> ReadResult:
        data = self.h.get("data")
        if data is None or not hasattr(data, "keys"):
            raise UnreadableRecording(str(self.path), "no 'data' group: not a robomimic file", "check --format")
        keys = sorted((k for k in data if k.startswith("demo")), key=lambda k: (_demo_number(k), k))
        if not keys:
            raise UnreadableRecording(str(self.path), "the 'data' group holds no demo_N group", "check --format")
        meta = FileMeta.of(_attrs(data))
        common: list[Finding] = []
        if not meta.freq_declared:
            common.append(
                self.report.finding(
                    "timing.assumed_rate",
                    f"no control_freq in env_args / env_info: steps taken to be {DEFAULT_FREQ:g} Hz apart",
                    Severity.info,
                )
            )
        masks = self._masks()
        episodes = [self._episode(i, key, data[key], meta, masks, common) for i, key in enumerate(keys)]
        self._note_rates()
        return ReadResult(episodes, self.report)

    def _masks(self) -> dict[str, list[str]]:
        """demo key -> names of the robomimic filter masks (``mask/train``...) that list it."""
        out: dict[str, list[str]] = {}
        group = self.h.get("mask")
        if group is None or not hasattr(group, "keys"):
            return out
        for name in sorted(group):
            for demo in np.asarray(group[name][()]).reshape(-1):
                key = demo.decode() if isinstance(demo, bytes) else str(demo)
                out.setdefault(key, []).append(name)
        return out

    def _episode(
        self,
        index: int,
        key: str,
        demo: Any,
        meta: FileMeta,
        masks: dict[str, list[str]],
        common: list[Finding],
    ) -> EpisodeData:
        attrs = _attrs(demo)
        t0 = _epoch_ns(attrs.get("timestamp"))
        builder = _Demo(demo, key, t0, meta.freq, self.report)
        streams = builder.streams()
        findings = [*common, *builder.findings, *self._model_file(key, attrs)]
        self.report.decoded += sum(s.count for s, _ in streams)
        extra = {**meta.attrs, **attrs, "demo": key, "masks": masks.get(key, [])}
        extra["time_base"] = (
            "step 0 at the demo's 'timestamp' attribute" if t0 else "no absolute time: step 0 at the Unix epoch"
        )
        extra["control_freq_hz"] = meta.freq
        completed = _find(attrs.get("metadata"), "completed")
        task = Task(id=meta.env, success=completed if isinstance(completed, bool) else None)
        return make_episode(
            self.ctx,
            RobomimicReader.name,
            index,
            streams,
            findings=findings,
            task=task,
            embodiment=meta.embodiment,
            extra=extra,
        )

    def _model_file(self, key: str, attrs: dict[str, Any]) -> list[Finding]:
        """A ``model_file`` that names a file (not inline MJCF XML) which is not beside the recording."""
        model = attrs.get("model_file")
        if not isinstance(model, str) or not model.strip() or model.lstrip().startswith("<"):
            return []
        if (self.path.parent / model).is_file():
            return []
        message = (
            f"{key}: model_file names the external file {model!r}, which is neither in the recording nor "
            "beside it: the scene cannot be rebuilt to replay the states"
        )
        return [self.report.finding("metadata.missing_model_file", message, Severity.warning)]

    def _note_rates(self) -> None:
        own = sorted(n for n, s in self.report.streams.items() if s.get("rate") == "own")
        if own:
            self.report.finding(
                "timing.multi_rate",
                f"{len(own)} streams run at their own rate, not one sample per control step: "
                f"{', '.join(own)} (the report's streams say how each is timed)",
                Severity.info,
            )


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


def png_packets(frames: Array) -> list[bytes]:
    """Each (H, W, 3|1) uint8 frame as one PNG image (lossless), encoded with PyAV."""
    import av

    height, width, channels = frames.shape[1:]
    fmt = "rgb24" if channels == 3 else "gray"
    ctx: Any = av.CodecContext.create("png", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, fmt
    out = []
    for img in frames:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img if channels == 3 else img[..., 0]), format=fmt)
        out.append(b"".join(bytes(p) for p in ctx.encode(frame)))
    out[-1] += b"".join(bytes(p) for p in ctx.encode(None))
    return out


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
            self._note(name, "video", len(arr))
            return video_stream(name, video, source=path, rate_hz=self.freq), video
        data = NumericData(ts, _table(arr))
        key = path.rpartition("/")[2]
        info = {"role": ROLES.get(key), "unit": UNITS.get(key), "source": path, "rate_hz": self.freq}
        self._note(name, "numeric", len(arr))
        return numeric_stream(name, data, _columns(key, arr), **info), data

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
        self._note(name, "numeric", bucket.length, timed_by=how)
        stream = numeric_stream(
            name, data, columns, source=bucket.group, rate_hz=None if how else self.freq, role=OPERATOR_INPUT
        )
        return stream, data

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

    def _note(self, name: str, kind: str, n: int, timed_by: str = "") -> None:
        """Add the stream to the report: kind, episodes, samples, whether it runs per control step, timing."""
        own = n != self.steps
        entry = self.report.streams.setdefault(name, {"kind": kind, "episodes": 0, "count": 0})
        entry["episodes"] += 1
        entry["count"] += n
        if own or entry.get("rate") != "own":
            entry["rate"] = "own" if own else "control step"
        if timed_by or own:
            entry["timed_by"] = timed_by or "spread evenly over the demo (no times in the file)"


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
