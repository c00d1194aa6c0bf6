"""Exporter to a diffusion-policy / UMI ``ReplayBuffer`` zarr store: ``<out>/replay_buffer.zarr``.

The layout of real-stanford/diffusion_policy ``diffusion_policy/common/replay_buffer.py`` (what UMI's
``07_generate_replay_buffer.py`` writes and its ``ReplayBuffer.create_from_path`` / ``copy_from_path`` load): a
zarr group in zarr format 2 (a folder of ``.zgroup`` / ``.zarray`` files), ``meta/episode_ends`` (E,) int64, the
cumulative end row of each episode (uncompressed, one chunk), and ``data/<key>`` arrays holding the rows of every
episode one after the other. Which keys: :mod:`robofuel.export.zarr_umi_keys`; every array also gets the
attributes ``stream`` (its source stream) and ``columns`` (the source column names) where they apply.

Rows: one per frame on a uniform grid at ``--fps``, else the fastest camera's rate (the first episode's rate holds
for the whole store), over the time every exported stream covers (:func:`robofuel.export.timeline.choose_timeline`,
no camera copied: pixels are decoded anyway). ``data/timestamp`` (N,) float64 is each row's time in seconds since
the Unix epoch on the reference clock, as diffusion-policy's real-robot buffers store it; the root attribute ``fps``
gives the rate. Numeric arrays are float64 (N, C), the resampled values exactly; trainers cast them.

Chunks and compressors (numcodecs, nothing beyond it: imagecodecs' JPEG XL, UMI's image codec, is not needed to
write or read): numeric arrays in chunks of the first episode's length, Blosc lz4 level 5 without shuffle (the
ReplayBuffer's ``default``); images ``camera<i>_rgb`` (N, H, W, 3) uint8 in one chunk per frame (as UMI) with Blosc
zstd level 5 and bit shuffle (the ReplayBuffer's ``disk`` compressor): lossless, about the size of PNG.

Every episode must give the same keys and image sizes as the first; one that does not, or whose video does not
decode to the frames needed, is left out and counted in the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.export.base import Exporter, ExportOptions, ExportReport, ExportWriter, Written, dataset_rights
from robofuel.export.frames import picked_frames
from robofuel.export.timeline import Timeline, reference_times, timeline_or_omit
from robofuel.export.zarr_umi_keys import Key, key_values, plan_keys
from robofuel.resample import nearest_index
from robofuel.standard import EpisodeData, VideoData
from robofuel.video import rgb_frames

STORE = "replay_buffer.zarr"
#: Camera frames decoded and written per block (bounds memory on long episodes).
IMAGE_BLOCK = 64
NO_EEF = (
    "no end-effector pose stream (role ee_pose or pose): robot<k>_eef_pos and robot<k>_eef_rot_axis_angle are not "
    "written (forward kinematics from the joints is not done here)"
)
DECODED = "re-encoded (decoded to RGB pixels: a ReplayBuffer stores raw frames)"


class _Buffer(ExportWriter):
    """A ReplayBuffer store being written, episode after episode."""

    def __init__(self, path: Path, options: ExportOptions, report: ExportReport) -> None:
        self.zarr, self.numcodecs = require("zarr", "zarr"), require("numcodecs", "zarr")
        major = int(str(self.zarr.__version__).split(".")[0])
        self.group: Any = self.zarr.open_group(str(path), mode="w", **({"zarr_format": 2} if major >= 3 else {}))
        self.data: Any = self.group.require_group("data")
        self.options, self.report = options, report
        self.signature: list[tuple[Any, ...]] | None = None
        self.arrays: dict[str, Any] = {}
        self.ends: list[int] = []
        self.fps: float | None = None
        self.chunk_rows = 0

    @property
    def rows(self) -> int:
        return self.ends[-1] if self.ends else 0

    def add(self, ep: EpisodeData) -> Written | None:
        keys = plan_keys(ep, self.report.omitted)
        signature = [(k.name, k.kind, *self._shape(ep, k)) for k in keys]
        if not keys or (self.signature is not None and signature != self.signature):
            why = "no stream to export" if not keys else "its arrays differ from the store's first episode"
            self.report.leave_out(ep.meta.id, why)
            return None
        streams = sorted({k.stream for k in keys})
        timeline = timeline_or_omit(ep, streams, self.fps or self.options.fps, set(), self.report)
        if timeline is None:
            return None
        if not len(timeline.t_ns):
            self.report.leave_out(ep.meta.id, "its streams do not overlap in time")
            return None
        self.chunk_rows = self.chunk_rows or len(timeline.t_ns)
        try:
            self._write(ep, keys, timeline)
        except ValueError as exc:  # a video that ends early or changes size: the episode's rows are taken back
            self._undo()
            self.report.leave_out(ep.meta.id, str(exc))
            return None
        self.signature, self.fps = signature, timeline.fps
        self.ends.append(self.rows + len(timeline.t_ns))
        self._notes(keys)
        return Written(len(timeline.t_ns), len(timeline.t_ns) / timeline.fps)

    @staticmethod
    def _shape(ep: EpisodeData, key: Key) -> tuple[int | None, ...]:
        """A key's row shape as the episode's metadata gives it: (width,) or camera (height, width)."""
        if key.kind == "numeric":
            return (key.width,)
        stream = ep.meta.stream(key.stream)
        return stream.height, stream.width

    def _array(self, name: str, tail: tuple[int, ...], dtype: Any, attrs: dict[str, Any]) -> Any:
        """The ``data/<name>`` array, created on first use: rows (N, *tail) of ``dtype``."""
        if name not in self.arrays:
            image = np.dtype(dtype) == np.uint8
            nc = self.numcodecs
            codec = nc.Blosc("zstd", 5, nc.Blosc.BITSHUFFLE) if image else nc.Blosc("lz4", 5, nc.Blosc.NOSHUFFLE)
            shape, chunks = (0, *tail), (1 if image else self.chunk_rows, *tail)
            if hasattr(self.data, "create_array"):  # zarr 3
                arr = self.data.create_array(name, shape=shape, chunks=chunks, dtype=dtype, compressors=codec)
            else:  # zarr 2
                arr = self.data.create_dataset(name, shape=shape, chunks=chunks, dtype=dtype, compressor=codec)
            arr.attrs.update(attrs)
            self.arrays[name] = arr
        return self.arrays[name]

    def _put(self, arr: Any, values: np.ndarray) -> None:
        start = self.rows
        arr.resize((start + len(values), *arr.shape[1:]))
        arr[start:] = values

    def _write(self, ep: EpisodeData, keys: list[Key], timeline: Timeline) -> None:
        cache: dict[str, np.ndarray] = {}
        for key in keys:
            if key.kind == "image":
                self._images(ep, key, timeline)
                continue
            values = key_values(ep, key, timeline.t_ns, cache)
            attrs = {"stream": key.stream, "columns": list(key.names)}
            self._put(self._array(key.name, values.shape[1:], np.float64, attrs), values)
        stamps = timeline.t_ns.astype(np.float64) / 1e9
        self._put(self._array("timestamp", (), np.float64, {"unit": "s since the Unix epoch"}), stamps)

    def _images(self, ep: EpisodeData, key: Key, timeline: Timeline) -> None:
        """The camera's nearest frame at each frame time, decoded to RGB, written block by block."""
        stream, video = ep.meta.stream(key.stream), ep.payloads[key.stream]
        assert isinstance(video, VideoData)
        picks = nearest_index(reference_times(stream, video), timeline.t_ns)
        start, n, block = self.rows, len(picks), list[np.ndarray]()
        arr: Any = None
        for i, frame in enumerate(picked_frames(rgb_frames(video, stream.pixel_format), picks)):
            if arr is None:
                arr = self._array(key.name, frame.shape, np.uint8, {"stream": key.stream})
                arr.resize((start + n, *arr.shape[1:]))
            if frame.shape != arr.shape[1:]:
                raise ValueError(f"{key.stream}: a {frame.shape} frame in a {arr.shape[1:]} camera array")
            block.append(frame)
            if len(block) == IMAGE_BLOCK or i == n - 1:
                arr[start + i + 1 - len(block) : start + i + 1] = np.stack(block)
                block = []
        self.report.video_handled(key.stream, DECODED)

    def _undo(self) -> None:
        """Take back the rows of a failed episode; drop every array when no episode was written yet."""
        for name, arr in list(self.arrays.items()):
            if self.ends:
                arr.resize((self.rows, *arr.shape[1:]))
            else:
                del self.data[name]
                del self.arrays[name]
        if not self.ends:
            self.chunk_rows = 0

    def _notes(self, keys: list[Key]) -> None:
        notes = [] if any(k.name.endswith("_eef_pos") for k in keys) else [NO_EEF]
        for k in keys:
            if k.convert == "sum":
                notes.append(f"{k.name}: the sum of the finger positions of {k.stream} (a parallel gripper), m")
        self.report.notes += [n for n in notes if n not in self.report.notes]

    def finish(self) -> None:
        meta = self.group.require_group("meta")
        ends = np.asarray(self.ends, dtype=np.int64)
        if hasattr(meta, "create_array"):
            arr = meta.create_array(
                "episode_ends", shape=ends.shape, chunks=ends.shape, dtype=np.int64, compressors=None
            )
        else:
            arr = meta.create_dataset(
                "episode_ends", shape=ends.shape, chunks=ends.shape, dtype=np.int64, compressor=None
            )
        arr[:] = ends
        self.group.attrs.update({"fps": self.fps, "exporter": "robofuel zarr-umi", **dataset_rights(self.report)})
        if self.options.video_codec is not None:
            self.report.notes.append("video codec not applied: a ReplayBuffer stores decoded RGB frames")


class UmiExporter(Exporter):
    name = "zarr-umi"
    description = "UMI / diffusion-policy ReplayBuffer zarr (v2): meta/episode_ends, data/<key>, RGB image arrays"

    def open(self, stage: Path, out: Path, options: ExportOptions, report: ExportReport) -> ExportWriter:
        return _Buffer(stage / STORE, options, report)
