"""Reader for robomimic / robosuite demonstration HDF5 files (``data/demo_N`` groups).

One episode per demo. robomimic stores steps, not times: step ``i`` is at ``start + i / control_freq`` with the
control frequency from ``env_info`` / ``env_args`` (20 Hz, with an info finding, when absent) and the start from
the file's ``timestamp`` attribute or its ``date`` + ``time`` attributes (UTC), else 0. Top-level per-step datasets
(``actions``, ``states``, ``rewards``, ``joint_torques``...) become one stream each; a nested group's datasets
become one stream per (group, length), timed by the group's own ``timestamp`` dataset when it has one (seconds since
the epoch), else spread evenly over the episode with an info finding (they run at another rate). Image
observations (T, H, W, 3) uint8 become lossless PNG video packets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.standard import Finding, NumericData, Payload, Severity, Stream, VideoData, numeric_stream, video_stream

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
DEFAULT_FREQ = 20.0
ROLES = {"actions": "action", "states": "state", "rewards": "reward", "dones": "done", "joint_torques": "joint_effort"}


def _json_attr(attrs: Any, key: str) -> dict[str, Any]:
    try:
        value = json.loads(attrs[key]) if key in attrs else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def control_freq(attrs: Any) -> float | None:
    """The control frequency (Hz) declared in env_info / env_args, searched at any depth."""
    for key in ("env_info", "env_args", "teleop_env_metadata"):
        stack: list[Any] = [_json_attr(attrs, key)]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if isinstance(node.get("control_freq"), int | float):
                    return float(node["control_freq"])
                stack += list(node.values())
    return None


def start_ns(file_attrs: Any, demo_attrs: Any) -> int:
    """Episode start, ns since epoch: a ``timestamp`` attribute, else ``date`` + ``time`` (UTC), else 0."""
    for attrs in (demo_attrs, file_attrs):
        if "timestamp" in attrs:
            try:
                return int(float(attrs["timestamp"]) * 1e9)
            except (TypeError, ValueError):
                pass
    try:
        when = datetime.strptime(f"{file_attrs['date']} {file_attrs['time']}", "%m-%d-%Y %H:%M:%S")
        return int(when.replace(tzinfo=UTC).timestamp() * 1e9)
    except (KeyError, ValueError, TypeError):
        return 0


def _columns(name: str, arr: np.ndarray) -> list[str]:  # type: ignore[type-arg]
    width = int(np.prod(arr.shape[1:])) if arr.ndim > 1 else 1
    return [name] if width == 1 and arr.ndim == 1 else [f"{name}[{i}]" for i in range(width)]


def _as_table(arr: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    return np.asarray(arr, dtype=np.float64).reshape(len(arr), -1)


def _png_packets(frames: np.ndarray) -> list[bytes]:  # type: ignore[type-arg]
    import av

    out = []
    for img in frames:
        ctx: Any = av.CodecContext.create("png", "w")
        ctx.width, ctx.height, ctx.pix_fmt = img.shape[1], img.shape[0], "rgb24"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
        out.append(b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)]))
    return out


def _datasets(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key in sorted(group.keys()):
        item = group[key]
        if hasattr(item, "keys"):
            yield from _datasets(item, f"{prefix}{key}/")
        else:
            yield f"{prefix}{key}", item


class _Demo:
    """Builds the streams of one demo group."""

    def __init__(self, demo: Any, t0: int, freq: float, report: ReadReport) -> None:
        self.demo, self.t0, self.freq, self.report = demo, t0, freq, report
        self.steps = len(demo["actions"]) if "actions" in demo else len(demo["states"])
        self.findings: list[Finding] = []

    def step_times(self, n: int) -> np.ndarray:  # type: ignore[type-arg]
        return self.t0 + np.round(np.arange(n) * 1e9 / self.freq).astype(np.int64)

    def streams(self) -> list[tuple[Stream, Payload]]:
        out: list[tuple[Stream, Payload]] = []
        groups: dict[tuple[str, int], list[tuple[str, np.ndarray]]] = {}  # type: ignore[type-arg]
        for path, ds in _datasets(self.demo):
            arr = ds[()]
            if arr.ndim == 0 or arr.dtype.kind not in "biuf":
                self.report.skipped[f"{path}: not a numeric per-step array"] += 1
                continue
            if arr.ndim == 4 and arr.dtype == np.uint8 and arr.shape[-1] == 3:
                out.append(self._video(path, arr))
            elif "/" not in path and len(arr) == self.steps:
                data = NumericData(self.step_times(len(arr)), _as_table(arr))
                out.append(
                    (
                        numeric_stream(
                            path, data, _columns(path, arr), role=ROLES.get(path), source=path, rate_hz=self.freq
                        ),
                        data,
                    )
                )
            else:
                group = path.rsplit("/", 1)[0] if "/" in path else "data"
                groups.setdefault((group, len(arr)), []).append((path.rsplit("/", 1)[-1], arr))
        out += [self._group(g, n, members) for (g, n), members in sorted(groups.items())]
        return out

    def _video(self, path: str, arr: np.ndarray) -> tuple[Stream, Payload]:  # type: ignore[type-arg]
        data = VideoData(
            self.step_times(len(arr)), codec="png", width=arr.shape[2], height=arr.shape[1], packets=_png_packets(arr)
        )
        return video_stream(path.replace("/", "."), data, source=path, rate_hz=self.freq), data

    def _group(self, group: str, n: int, members: list[tuple[str, Any]]) -> tuple[Stream, Payload]:
        name = group.replace("/", ".") + ("" if n == self.steps else f"@{n}")
        stamps = dict(members).get("timestamp")
        if stamps is not None and stamps.ndim == 1:
            ts = np.round(np.asarray(stamps, dtype=np.float64) * 1e9).astype(np.int64)
            how = "its own timestamp dataset"
        elif n == self.steps:
            ts, how = self.step_times(n), "the control steps"
        else:
            duration = (self.steps - 1) / self.freq
            ts = self.t0 + np.round(np.linspace(0.0, duration, n) * 1e9).astype(np.int64)
            how = "spread evenly over the episode (no timestamps in the file)"
            self.findings.append(
                self.report.finding(
                    "timing.assumed_rate",
                    f"{group}: {n} samples for {self.steps} steps, {how}",
                    Severity.info,
                    stream=name,
                )
            )
        columns = [c for key, arr in members for c in _columns(key, arr)]
        data = NumericData(ts, np.hstack([_as_table(arr) for _, arr in members]))
        self.report.streams[name] = {"count": n, "timed_by": how}
        return numeric_stream(name, data, columns, source=group), data


class RobomimicReader(Reader):
    name = "hdf5-robomimic"
    description = "robomimic / robosuite demonstration HDF5 (data/demo_N groups)"

    def sniff(self, path: Path) -> bool:
        try:
            with open(path, "rb") as f:
                if f.read(8) != HDF5_MAGIC:
                    return False
            h5py = require("h5py", "hdf5")
            with h5py.File(path, "r") as h:
                return "data" in h and any(k.startswith("demo") for k in h["data"])
        except (OSError, ValueError):
            return path.suffix.lower() in (".hdf5", ".h5")  # a damaged HDF5: read() will say what is wrong
        except Exception:
            return False

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        h5py = require("h5py", "hdf5")
        try:
            h = h5py.File(path, "r")
        except OSError as exc:
            raise UnreadableRecording(
                str(path),
                f"not a readable HDF5 file ({exc})",
                "the file may be truncated; copy it again from the source",
            ) from exc
        with h:
            if "data" not in h:
                raise UnreadableRecording(str(path), "no 'data' group: not a robomimic file", "check --format")
            return self._read(h, path, ctx)

    def _read(self, h: Any, path: Path, ctx: ReadContext) -> ReadResult:
        report = ReadReport(str(path), self.name)
        attrs = h["data"].attrs
        freq = control_freq(attrs)
        if freq is None:
            report.finding(
                "timing.assumed_rate", f"no control_freq in the file; assuming {DEFAULT_FREQ} Hz", Severity.info
            )
        demos = sorted((k for k in h["data"] if k.startswith("demo")), key=lambda k: int(k.split("_")[-1]))
        episodes = []
        for index, key in enumerate(demos):
            demo = _Demo(h["data"][key], start_ns(attrs, h["data"][key].attrs), freq or DEFAULT_FREQ, report)
            streams = demo.streams()
            report.decoded += sum(s.count for s, _ in streams)
            episodes.append(
                make_episode(
                    ctx,
                    self.name,
                    index,
                    streams,
                    findings=demo.findings + self._model(h["data"][key].attrs, report),
                    **_metadata(attrs, key),
                )
            )
        if not episodes:
            raise UnreadableRecording(str(path), "the 'data' group holds no demo_N group")
        return ReadResult(episodes, report)

    @staticmethod
    def _model(demo_attrs: Any, report: ReadReport) -> list[Finding]:
        model = str(demo_attrs.get("model_file", ""))
        if model and not model.lstrip().startswith("<"):
            return [
                report.finding(
                    "metadata.missing_model_file",
                    f"model_file names an external file {model!r} "
                    "that is not in the recording: the scene cannot be replayed",
                    Severity.warning,
                )
            ]
        return []


def _metadata(attrs: Any, demo: str) -> dict[str, Any]:
    info = _json_attr(attrs, "env_info") or _json_attr(attrs, "env_args")
    robots = info.get("robots") or info.get("env_kwargs", {}).get("robots")
    names = [robots] if isinstance(robots, str) else list(robots or [])
    extra = {k: str(attrs[k]) for k in ("date", "time", "repository_version", "readable_timestamp") if k in attrs}
    return {
        "task": {"id": str(attrs.get("env", "")) or None},
        "embodiment": "+".join(str(r).lower() for r in names) or None,
        "extra": {**extra, "demo": demo, "env_info": info},
    }
