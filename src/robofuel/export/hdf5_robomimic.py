"""Exporter to one robomimic HDF5 file, ``<out>/demo.hdf5``, as robomimic's ``SequenceDataset`` reads it.

Layout (robomimic ``utils/dataset.py``, ``utils/file_utils.py`` and the dataset documentation):

- ``data`` attrs: ``total`` (frames in the file) and ``env_args``, JSON ``{"env_name": <task id shared by every
  episode, else "robofuel">, "type": 1, "env_kwargs": {"control_freq": <fps>, "robots": [<embodiment>]}}``. Type 1
  is robomimic's robosuite type, the one its datasets carry; a real recording has no simulator behind it, so
  train with ``experiment.rollout.enabled = false``;
- ``data/demo_<i>`` (i = 0, 1... in export order), attrs ``num_samples`` (T), ``timestamp`` (frame 0, s since the
  epoch, on the reference clock), ``episode_id``, ``task_id``, ``task_instruction``, ``operator``, ``embodiment``
  (those known);
- ``actions`` (T, A) float64: the first stream whose role is ``action``, resampled. When the recording has none,
  the next frame's joint positions (the joint-position and gripper ``.position`` columns, as LeRobot's
  ``observation.state``; the last frame keeps its own): absolute joint-position targets, the convention the other
  exporters use, and ``report.notes`` says so. An episode with neither is left out (robomimic needs actions);
- ``rewards`` (T,) float64 zeros (no reward is recorded) and ``dones`` (T,) int64, 1 on the last frame only
  (robomimic's ``done_mode`` 2: done at the end of the trajectory);
- ``obs/<stream>`` (T, C) float64 for every other numeric stream (dots and slashes of its name replaced by ``_``;
  attrs ``columns``, ``unit``, ``stream``) and ``obs/<camera>_image`` (T, H, W, 3) uint8 for every camera: its
  decoded RGB frame nearest to each frame time (gzip-compressed HDF5 chunks, one per frame: lossless).

Not written: ``next_obs`` (only robomimic's batch-RL algorithms load it, ``train.hdf5_load_next_obs``; its
default and every BC algorithm do not) and ``mask`` filter keys. Frames: a uniform grid
(:func:`~robofuel.export.timeline.choose_timeline`, nothing copied) at ``fps`` if asked, else the first episode's
fastest camera rate, else its joint stream's rate; every demo of the file uses the first episode's rate, the one
``control_freq`` states. Every demo has the observation keys and shapes of the first one; an episode that differs
is left out and counted. Audio is left out and counted.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.export.base import Exporter, ExportOptions, ExportReport, ExportWriter, Written
from robofuel.export.hdf5_common import (
    NEXT_STATE_NOTE,
    H5Output,
    Offered,
    episode_attrs,
    frames_at,
    h5_name,
    next_frame,
    offered,
    sample,
)
from robofuel.export.lerobot_features import Feature, state_feature
from robofuel.export.timeline import Timeline, timeline_or_omit
from robofuel.standard import EpisodeData
from robofuel.standard.data import F64

FILE_NAME = "demo.hdf5"
TARGET = "robomimic HDF5"
ENV_TYPE_ROBOSUITE = 1
IMAGE_GZIP_LEVEL = 4


@dataclass(frozen=True)
class _Plan:
    """One episode's demo: the action source (a stream, or the joint-position feature to shift), obs keys."""

    action: str | None
    state: Feature | None
    numeric: dict[str, str]  # obs key -> numeric stream
    cameras: dict[str, str]  # obs key -> camera stream

    @property
    def streams(self) -> list[str]:
        """Every stream the demo samples (the frames span only the time all of them cover)."""
        own = [self.action] if self.action else [p.stream for p in self.state.parts] if self.state else []
        return list(dict.fromkeys([*own, *self.numeric.values(), *self.cameras.values()]))


def _claim(taken: dict[str, str], key: str, name: str, report: ExportReport) -> None:
    """Give obs key ``key`` to stream ``name`` unless another stream has it (then counted as omitted)."""
    if key in taken:
        report.omitted[f"{name}: obs key {key} already taken by {taken[key]}"] += 1
    else:
        taken[key] = name


def _plan(ep: EpisodeData, offer: Offered, report: ExportReport) -> _Plan | None:
    """The demo of ``ep``, or None (counted) when it has no action stream and no joint positions."""
    state = None if offer.action else state_feature([ep.meta.stream(n) for n in offer.numeric])
    if offer.action is None and state is None:
        report.leave_out(ep.meta.id, "no action stream and no joint positions to take actions from")
        return None
    taken: dict[str, str] = {}
    for name in offer.numeric:
        if name != offer.action:
            _claim(taken, h5_name(name), name, report)
    for name in offer.cameras:
        _claim(taken, f"{h5_name(name)}_image", name, report)
    keys = {k: n for k, n in taken.items() if n in offer.numeric}
    cameras = {k: n for k, n in taken.items() if n in offer.cameras}
    return _Plan(offer.action, state, keys, cameras)


class _File(ExportWriter):
    """The robomimic file being written: demos added one by one, ``data`` attributes written at the end."""

    def __init__(self, h5: H5Output, options: ExportOptions, report: ExportReport) -> None:
        self.h5, self.options, self.report = h5, options, report
        self.data = h5.file.create_group("data")
        self.fps: float | None = None
        self.signature: list[tuple[str, tuple[int, ...]]] | None = None
        self.tasks: set[str | None] = set()
        self.robots: list[str] = []
        self.frames = 0

    def add(self, ep: EpisodeData) -> Written | None:
        """Write ``ep`` as the next ``demo_<i>`` (or count why it is left out)."""
        plan = _plan(ep, offered(ep, self.report, TARGET), self.report)
        if plan is None:
            return None
        timeline = timeline_or_omit(ep, plan.streams, self.fps or self.options.fps, set(), self.report)
        if timeline is None:
            return None
        arrays = self._numeric(ep, plan, timeline)
        signature = [(k, a.shape[1:]) for k, a in arrays.items() if k != "actions"]
        signature += [
            (k, (ep.meta.stream(n).height or 0, ep.meta.stream(n).width or 0)) for k, n in plan.cameras.items()
        ]
        if self.signature is None:
            self.signature, self.fps = signature, timeline.fps
        elif signature != self.signature:
            self.report.leave_out(ep.meta.id, "its observations differ from the first demo's")
            return None
        demo = self.data.create_group(f"demo_{self.report.episodes}")
        self._write_numeric(demo, ep, plan, arrays)
        for key, name in plan.cameras.items():
            self._write_images(demo, key, ep, name, timeline)
        self._attrs(demo, ep, timeline)
        self.h5.check()  # a full disk stops the export here, not after every episode was written into the void
        n = len(timeline.t_ns)
        self.frames += n
        return Written(n, n / timeline.fps)

    def _numeric(self, ep: EpisodeData, plan: _Plan, timeline: Timeline) -> dict[str, F64]:
        """``actions`` and every numeric obs at the frame times, float64."""
        t = timeline.t_ns
        if plan.action is not None:
            actions = sample(ep, plan.action, t)
        else:
            assert plan.state is not None
            state = np.hstack([sample(ep, p.stream, t)[:, list(p.columns)] for p in plan.state.parts])
            actions = next_frame(state)
            if NEXT_STATE_NOTE not in self.report.notes:
                self.report.notes.append(NEXT_STATE_NOTE)
        return {"actions": actions} | {f"obs/{key}": sample(ep, name, t) for key, name in plan.numeric.items()}

    def _write_numeric(self, demo: Any, ep: EpisodeData, plan: _Plan, arrays: dict[str, F64]) -> None:
        n = len(arrays["actions"])
        for key, values in arrays.items():
            ds = demo.create_dataset(key, data=values.astype(np.float64))
            name = plan.action if key == "actions" else plan.numeric.get(key.removeprefix("obs/"))
            if name is not None:
                stream = ep.meta.stream(name)
                ds.attrs["stream"], ds.attrs["columns"] = name, list(stream.columns)
                if stream.unit:
                    ds.attrs["unit"] = stream.unit
            elif plan.state is not None:
                ds.attrs["columns"] = list(plan.state.names)
                ds.attrs["derived"] = "the next frame's joint positions (no action stream recorded)"
        demo.create_dataset("rewards", data=np.zeros(n, dtype=np.float64))
        dones = np.zeros(n, dtype=np.int64)
        dones[-1] = 1
        demo.create_dataset("dones", data=dones)

    def _write_images(self, demo: Any, key: str, ep: EpisodeData, name: str, timeline: Timeline) -> None:
        """The camera's nearest frame at each frame time, (T, H, W, 3) uint8, one gzip chunk per frame."""
        ds = None
        for k, rgb in enumerate(frames_at(ep, name, timeline.t_ns)):
            if ds is None:
                shape = (len(timeline.t_ns), *rgb.shape)
                ds = demo.create_dataset(
                    f"obs/{key}", shape=shape, dtype=np.uint8, chunks=(1, *rgb.shape), compression="gzip",
                    compression_opts=IMAGE_GZIP_LEVEL,
                )  # fmt: skip
                ds.attrs["stream"] = name
            ds[k] = rgb
        self.report.video_handled(name, "re-encoded (decoded to raw RGB frames, gzip-compressed in HDF5)")

    def _attrs(self, demo: Any, ep: EpisodeData, timeline: Timeline) -> None:
        meta = ep.meta
        demo.attrs["num_samples"] = len(timeline.t_ns)
        demo.attrs["timestamp"] = float(timeline.t_ns[0]) / 1e9
        demo.attrs.update(episode_attrs(meta))
        self.tasks.add(meta.task.id)
        if meta.embodiment and meta.embodiment not in self.robots:
            self.robots.append(meta.embodiment)

    def finish(self) -> None:
        """The ``data`` attributes."""
        tasks = [t for t in self.tasks if t]
        env_name = tasks[0] if len(self.tasks) == 1 and tasks else "robofuel"
        kwargs: dict[str, Any] = {"control_freq": self.fps}
        if self.robots:
            kwargs["robots"] = self.robots
        self.data.attrs["total"] = self.frames
        self.data.attrs["env_args"] = json.dumps(
            {"env_name": env_name, "type": ENV_TYPE_ROBOSUITE, "env_kwargs": kwargs}
        )

    def close(self) -> None:
        self.h5.close()


class RobomimicExporter(Exporter):
    name = "hdf5-robomimic"
    description = "robomimic HDF5 (data/demo_N: actions, obs/<stream>, obs/<camera>_image), one file"
    written_as = " as a robomimic demo"

    def check(self, options: ExportOptions) -> None:
        require("h5py", "hdf5")

    def open(self, stage: Path, out: Path, options: ExportOptions, report: ExportReport) -> ExportWriter:
        """The demos of ``<out>/demo.hdf5``, in export order."""
        h5 = H5Output(stage / FILE_NAME)
        try:
            return _File(h5, options, report)
        except BaseException:
            with contextlib.suppress(OSError):
                h5.close()
            raise
