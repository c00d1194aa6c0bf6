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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.errors import MissingExtra, UnreadableRecording
from robofuel.ingest.base import ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.ingest.diagnose import hdf5_layout
from robofuel.ingest.hdf5.files import has_hdf5_magic, open_hdf5, peek
from robofuel.ingest.hdf5.robomimic_demo import _Demo, _epoch_ns
from robofuel.standard import (
    EpisodeData,
    Finding,
    Severity,
    Task,
)

SUFFIXES = (".hdf5", ".h5", ".he5")
DEFAULT_FREQ = 20.0


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
            require("h5py", "hdf5")
        except MissingExtra:
            return True  # HDF5 it is; read() says which extra to install to look inside
        demos = peek(path, _holds_demos)
        return damaged_name if demos is None else demos

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with open_hdf5(path) as h:
            return _FileReader(h, path, ctx).read()


def _holds_demos(h: Any) -> bool:
    """Whether an open file has a ``data`` group holding ``demo*`` members."""
    data = h.get("data")
    return data is not None and hasattr(data, "keys") and any(k.startswith("demo") for k in data)


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
            raise hdf5_layout(self.h, " as robomimic (no 'data' group)").error(self.path)
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
