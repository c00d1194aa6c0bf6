"""Exporter to ACT / ALOHA episode files: ``<out>/episode_<i>.hdf5``, one per episode (i = 0, 1... in export order).

Layout, as ``record_episodes.py`` of tonyzhaozh/aloha and MarkFzp/mobile-aloha writes it and ACT's
``EpisodicDataset`` reads it (see also docs/formats/hdf5-aloha.md, the reader's side):

- root attrs ``sim`` = False, ``compress`` (True when the cameras are stored as JPEG images), ``fps`` (frames per
  second: robofuel's ``hdf5-aloha`` reader times the steps by it), and ``episode_id``, ``task_id``,
  ``task_instruction``, ``operator``, ``embodiment`` where known;
- ``/observations/qpos`` (T, N) float64: the joint-position and gripper ``.position`` columns (arm joints first), the
  selection of LeRobot's ``observation.state`` (:func:`robofuel.export.lerobot_features.state_feature`), in the streams'
  units (rad for joints; grippers as recorded, not ALOHA's normalized 0..1);
- ``/observations/qvel`` and ``/observations/effort`` (T, N) float64: the ``.velocity`` / ``.effort`` column of
  every qpos column, when every one has it (a partial set is left out and counted);
- ``/action`` (T, A) float64: the first stream whose role is ``action``. When the recording has none, the next
  frame's qpos (absolute joint-position targets, which is what ALOHA's ``/action`` holds: the leader arms' joint
  positions; the last frame keeps its own), and ``report.notes`` says so. ``/base_action`` (T, 2): a 2-column
  action stream named ``base_action`` (Mobile ALOHA);
- ``/observations/images/<cam>`` (``observations.images.`` taken off the stream name, dots replaced by ``_``): by
  default ALOHA's compressed layout, (T, padded) uint8, one JPEG image per frame zero-padded to the longest image
  of the episode, with ``/compress_len`` (num_cams, T) float32 giving each image's length, rows in camera-name
  order. JPEG cameras have their nearest packet copied byte for byte; others are decoded and encoded as JPEG
  (FFmpeg mjpeg, qscale 3); ``--video-codec mjpeg`` re-encodes every camera. ``--video-codec rawvideo`` writes raw
  (T, H, W, 3) uint8 frames instead (``compress`` False).

Frames: a uniform grid (:func:`~robofuel.export.timeline.choose_timeline`, nothing copied) at ``fps``, 50 Hz unless
asked (ALOHA's ``DT = 0.02`` s), over the time every written stream covers; numeric streams resampled at the frame
times, cameras at their nearest frame. Numeric streams with no ALOHA dataset (a wrench, an IMU...), columns of the
joint streams that fit none, extra action streams and audio are left out and counted in ``report.omitted``. An
episode without joint positions is left out and counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.errors import InputError
from robofuel.export.base import Exporter, ExportOptions, ExportReport, ExportWriter, Written
from robofuel.export.frames import ImageEncoder
from robofuel.export.hdf5_common import (
    JPEG_CODECS,
    NEXT_STATE_NOTE,
    camera_picks,
    episode_attrs,
    frames_at,
    h5_name,
    h5_output,
    next_frame,
    offered,
    sample,
)
from robofuel.export.lerobot_features import ACTION_ROLES, Feature, Part, state_feature
from robofuel.export.timeline import Timeline, timeline_or_omit
from robofuel.standard import EpisodeData, VideoData
from robofuel.standard.data import F64

TARGET = "ALOHA HDF5"
DEFAULT_FPS = 50.0  # ALOHA's DT = 0.02 s
IMAGE_PREFIX = "observations.images."
CODECS = (None, "mjpeg", "jpeg", "rawvideo")


@dataclass(frozen=True)
class _Plan:
    """What one episode file holds: the qpos feature, its velocity / effort companions, actions and cameras."""

    state: Feature
    qvel: tuple[Part, ...] | None
    effort: tuple[Part, ...] | None
    action: str | None
    base_action: str | None
    cameras: dict[str, str]  # dataset name -> camera stream, in name order

    @property
    def streams(self) -> list[str]:
        """Every stream written (the frames span only the time all of them cover)."""
        names = [*self.state.streams, self.action, self.base_action, *self.cameras.values()]
        return list(dict.fromkeys(n for n in names if n))


def _companion(ep: EpisodeData, state: Feature, suffix: str) -> tuple[Part, ...] | None:
    """For every qpos column ``X.position`` the column ``X<suffix>`` of the same stream; None if one lacks it."""
    parts = []
    for p in state.parts:
        cols = ep.meta.stream(p.stream).columns
        index = {c: i for i, c in enumerate(cols)}
        found = [index.get(cols[i].removesuffix(".position") + suffix) for i in p.columns]
        if not all(cols[i].endswith(".position") for i in p.columns) or None in found:
            return None
        parts.append(Part(p.stream, tuple(i for i in found if i is not None)))
    return tuple(parts)


def _left_out(ep: EpisodeData, plan: _Plan, numeric: list[str], report: ExportReport) -> None:
    """Count the numeric streams, and the columns of the joint streams, that the file has no place for."""
    used: dict[str, set[int]] = {}
    for p in (*plan.state.parts, *(plan.qvel or ()), *(plan.effort or ())):
        used.setdefault(p.stream, set()).update(p.columns)
    for name in numeric:
        if name in used:
            rest = [c for i, c in enumerate(ep.meta.stream(name).columns) if i not in used[name]]
            if rest:
                report.omitted[f"{name}: {len(rest)} columns in no ALOHA dataset ({', '.join(rest[:3])}...)"] += 1
        elif name not in (plan.action, plan.base_action):
            report.omitted[f"{name}: no ALOHA dataset for it"] += 1


def _plan(ep: EpisodeData, report: ExportReport) -> _Plan | None:
    """What ``ep``'s file holds, or None (counted) when it has no joint positions for qpos."""
    offer = offered(ep, report, TARGET)
    state = state_feature([ep.meta.stream(n) for n in offer.numeric])
    if state is None:
        report.leave_out(ep.meta.id, "no joint-position stream for /observations/qpos")
        return None
    actions = [n for n in offer.numeric if ep.meta.stream(n).role in ACTION_ROLES]
    base = next((n for n in actions if n == "base_action" and len(ep.meta.stream(n).columns) == 2), None)
    action = next((n for n in actions if n != base), None)
    for extra in [n for n in actions if n not in (base, action)]:
        report.omitted[f"{extra}: a second action stream (ALOHA has one /action)"] += 1
    cameras: dict[str, str] = {}
    for name in offer.cameras:
        key = h5_name(name.removeprefix(IMAGE_PREFIX))
        if key in cameras:
            report.omitted[f"{name}: camera dataset {key} already taken by {cameras[key]}"] += 1
        else:
            cameras[key] = name
    qvel, effort = _companion(ep, state, ".velocity"), _companion(ep, state, ".effort")
    plan = _Plan(state, qvel, effort, action, base, dict(sorted(cameras.items())))
    _left_out(ep, plan, [n for n in offer.numeric if n not in actions], report)
    return plan


def _gather(ep: EpisodeData, parts: Iterable[Part], timeline: Timeline) -> F64:
    """The parts' columns side by side at the frame times, float64."""
    blocks = [sample(ep, p.stream, timeline.t_ns)[:, list(p.columns)] for p in parts]
    out: F64 = np.hstack(blocks).astype(np.float64)
    return out


def _columns(ep: EpisodeData, parts: Iterable[Part]) -> list[str]:
    return [ep.meta.stream(p.stream).columns[i] for p in parts for i in p.columns]


def _write_numeric(h: Any, ep: EpisodeData, plan: _Plan, timeline: Timeline, report: ExportReport) -> None:
    """qpos, qvel, effort, action and base_action, each with its column names as an attribute."""
    qpos = _gather(ep, plan.state.parts, timeline)
    h.create_dataset("observations/qpos", data=qpos).attrs["columns"] = list(plan.state.names)
    for key, parts in (("qvel", plan.qvel), ("effort", plan.effort)):
        if parts is not None:
            ds = h.create_dataset(f"observations/{key}", data=_gather(ep, parts, timeline))
            ds.attrs["columns"] = _columns(ep, parts)
    if plan.action is not None:
        ds = h.create_dataset("action", data=sample(ep, plan.action, timeline.t_ns))
        ds.attrs["columns"], ds.attrs["stream"] = list(ep.meta.stream(plan.action).columns), plan.action
    else:
        ds = h.create_dataset("action", data=next_frame(qpos))
        ds.attrs["columns"] = list(plan.state.names)
        ds.attrs["derived"] = "the next frame's qpos (no action stream recorded)"
        if NEXT_STATE_NOTE not in report.notes:
            report.notes.append(NEXT_STATE_NOTE)
    if plan.base_action is not None:
        h.create_dataset("base_action", data=sample(ep, plan.base_action, timeline.t_ns))


def _jpeg_images(ep: EpisodeData, name: str, timeline: Timeline, reencode: bool) -> tuple[list[bytes], str]:
    """The camera's JPEG image at each frame (its nearest frame), and how it was made."""
    video = ep.payloads[name]
    assert isinstance(video, VideoData)
    if not reencode and video.codec in JPEG_CODECS and video.packets is not None:
        packets = video.packets
        return [packets[i] for i in camera_picks(ep, name, timeline.t_ns)], "copied"
    encoder = ImageEncoder("jpeg")
    images = [encoder.encode(rgb) for rgb in frames_at(ep, name, timeline.t_ns)]
    return images, "re-encoded (asked)" if reencode else f"re-encoded ({video.codec} frames encoded as JPEG)"


def _write_jpeg(h: Any, ep: EpisodeData, plan: _Plan, timeline: Timeline, reencode: bool, report: ExportReport) -> None:
    """Every camera as (T, padded) uint8 JPEG rows and their lengths in ``/compress_len`` (num_cams, T)."""
    images: dict[str, list[bytes]] = {}
    for key, name in plan.cameras.items():
        images[key], how = _jpeg_images(ep, name, timeline, reencode)
        report.video_handled(name, how)
    padded = max(len(b) for rows in images.values() for b in rows)
    lengths = np.zeros((len(images), len(timeline.t_ns)), dtype=np.float32)
    for c, (key, rows) in enumerate(images.items()):
        table = np.zeros((len(rows), padded), dtype=np.uint8)
        for k, blob in enumerate(rows):
            table[k, : len(blob)] = np.frombuffer(blob, dtype=np.uint8)
            lengths[c, k] = len(blob)
        ds = h.create_dataset(f"observations/images/{key}", data=table, chunks=(1, padded))
        ds.attrs["stream"] = plan.cameras[key]
    h.create_dataset("compress_len", data=lengths)


def _write_raw(h: Any, ep: EpisodeData, plan: _Plan, timeline: Timeline, report: ExportReport) -> None:
    """Every camera as raw (T, H, W, 3) uint8 frames, one chunk per frame."""
    for key, name in plan.cameras.items():
        ds = None
        for k, rgb in enumerate(frames_at(ep, name, timeline.t_ns)):
            if ds is None:
                shape = (len(timeline.t_ns), *rgb.shape)
                ds = h.create_dataset(f"observations/images/{key}", shape=shape, dtype=np.uint8, chunks=(1, *rgb.shape))
                ds.attrs["stream"] = name
            ds[k] = rgb
        report.video_handled(name, "re-encoded (decoded to raw RGB frames)")


def _write(h: Any, ep: EpisodeData, plan: _Plan, timeline: Timeline, codec: str | None, report: ExportReport) -> None:
    """One episode file: root attributes, numeric datasets, cameras."""
    meta = ep.meta
    h.attrs["sim"] = False
    h.attrs["compress"] = bool(plan.cameras) and codec != "rawvideo"
    h.attrs["fps"] = timeline.fps
    h.attrs.update(episode_attrs(meta))
    h.create_group("observations/images")
    _write_numeric(h, ep, plan, timeline, report)
    if codec == "rawvideo":
        _write_raw(h, ep, plan, timeline, report)
    elif plan.cameras:
        _write_jpeg(h, ep, plan, timeline, codec is not None, report)


class _Files(ExportWriter):
    """Episode files ``episode_<i>.hdf5`` in the staging folder, at ``options.fps`` (50 Hz unless asked)."""

    def __init__(self, stage: Path, options: ExportOptions, report: ExportReport) -> None:
        self.stage, self.options, self.report = stage, options, report

    def add(self, ep: EpisodeData) -> Written | None:
        plan = _plan(ep, self.report)
        if plan is None:
            return None
        timeline = timeline_or_omit(ep, plan.streams, self.options.fps or DEFAULT_FPS, set(), self.report)
        if timeline is None:
            return None
        with h5_output(self.stage / f"episode_{self.report.episodes}.hdf5") as h5:
            _write(h5.file, ep, plan, timeline, self.options.video_codec, self.report)
        n = len(timeline.t_ns)
        return Written(n, n / timeline.fps)


class AlohaExporter(Exporter):
    name = "hdf5-aloha"
    description = "ACT / ALOHA episode HDF5 (observations/qpos, action, JPEG images), one file per episode"
    written_as = " as an ALOHA file"

    def check(self, options: ExportOptions) -> None:
        require("h5py", "hdf5")
        if options.video_codec not in CODECS:
            raise InputError(f"--video-codec {options.video_codec}: ALOHA stores JPEG (mjpeg) or raw (rawvideo) frames")

    def open(self, stage: Path, out: Path, options: ExportOptions, report: ExportReport) -> ExportWriter:
        return _Files(stage, options, report)
