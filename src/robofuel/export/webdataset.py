"""Exporter to WebDataset: tar shards of one sample per frame, for streaming training.

Layout: ``<out>/shard-000000.tar``, ``shard-000001.tar``... (a shard is closed before it would pass
:data:`SHARD_MAX_BYTES`; a sample is never split) and ``<out>/dataset.json`` (features, fps, episodes, shards).
WebDataset conventions (the ``webdataset`` library's ``tariterators.base_plus_ext``/``group_by_keys``, the
WebDataset format specification): the files of a sample are consecutive tar members sharing a key, the member name
up to its first dot; the rest of the name is the field (lower-cased by readers, so keys and fields here are
lower-case ASCII without dots). Each frame is a sample ``<episode_id>_<frame:06d>`` with:

- ``.json``: ``timestamp`` (s from the episode's first frame, ``frame / fps``), ``frame_index``, ``episode_index``,
  ``index`` (frame in the dataset), ``episode_id``, ``task`` and every numeric feature as a list (float64, as
  resampled; NaN as null);
- ``.<camera>.jpg`` (or ``.png``): one image per camera. JPEG/PNG packets are copied byte for byte
  (zero-transcode): the frame's nearest captured packet, a packet shown by two frames stored twice; cameras in
  other codecs (H.264...) are decoded and encoded as JPEG (PNG with ``--video-codec png``).

Features are LeRobot's (:mod:`robofuel.export.lerobot_features`); frames come from
:func:`~robofuel.export.timeline.choose_timeline`, an image camera's own frames when it is the fastest camera
(every frame then maps to exactly one packet), else a uniform grid at the fastest camera's rate. Audio is left out
and reported.
"""

from __future__ import annotations

import io
import json
import math
import tarfile
from pathlib import Path
from typing import Any

from robofuel.export.base import Exporter, ExportOptions, ExportReport, ExportWriter, Written, dataset_rights, rights
from robofuel.export.frames import (
    IMAGE_CODECS,
    CameraImages,
    camera_images,
    camera_signature,
    image_format,
    left_out_as_different,
    safe_name,
    sample_numeric,
    usable_features,
)
from robofuel.export.lerobot_features import Feature
from robofuel.export.timeline import Timeline, timeline_or_omit
from robofuel.standard import EpisodeData, VideoData
from robofuel.standard.data import F64, measured_rate

SHARD_MAX_BYTES = 1_000_000_000
SHARD_NAME = "shard-{:06d}.tar"
EXTENSIONS = {"jpeg": "jpg", "png": "png"}


def _fastest_image_cameras(ep: EpisodeData, features: list[Feature]) -> set[str]:
    """Image-packet cameras running at the fastest camera rate: their own frames can set the export frames."""
    videos = {f.streams[0]: ep.payloads[f.streams[0]] for f in features if f.kind == "video"}
    rates = {n: measured_rate(v.timestamps_ns) or 0.0 for n, v in videos.items() if isinstance(v, VideoData)}
    top = max(rates.values(), default=0.0)
    images = {n for n, v in videos.items() if isinstance(v, VideoData) and v.packets and v.codec in IMAGE_CODECS}
    return {n for n in images if rates[n] >= top * 0.985}


class _Shards:
    """Tar shards being written: samples appended whole, a new shard before one would pass the size limit."""

    def __init__(self, root: Path) -> None:
        self.root, self.size = root, 0
        self.tar: tarfile.TarFile | None = None
        self.shards: list[dict[str, Any]] = []

    def add(self, key: str, members: list[tuple[str, bytes]], mtime: int) -> str:
        """Append one sample's members; the name of the shard it went to."""
        size = sum(512 + -(-len(data) // 512) * 512 for _, data in members)
        if self.tar is None or (self.shards[-1]["samples"] and self.size + size > SHARD_MAX_BYTES):
            self.close()
            self.shards.append({"name": SHARD_NAME.format(len(self.shards)), "samples": 0})
            self.tar, self.size = tarfile.open(self.root / self.shards[-1]["name"], "w"), 0  # noqa: SIM115
        for field, data in members:
            info = tarfile.TarInfo(f"{key}.{field}")
            info.size, info.mtime, info.mode = len(data), mtime, 0o444
            self.tar.addfile(info, io.BytesIO(data))
        self.size += size
        self.shards[-1]["samples"] += 1
        return str(self.shards[-1]["name"])

    def close(self) -> None:
        """Close the shard being written (its size recorded)."""
        if self.tar is not None:
            self.tar.close()
            self.shards[-1]["bytes"] = (self.root / self.shards[-1]["name"]).stat().st_size
            self.tar = None


def _json_values(values: F64) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values.tolist()]


class _WebDataset(ExportWriter):
    """A WebDataset being written: features and rate fixed by the first episode."""

    def __init__(self, out: Path, options: ExportOptions, report: ExportReport) -> None:
        self.out, self.options, self.report = out, options, report
        self.encode_as = image_format(options.video_codec)
        self.shards = _Shards(out)
        self.features: list[Feature] | None = None
        self.cameras: list[tuple[str, str | None, int, int]] = []
        self.formats: dict[str, str] = {}
        self.fps: float | None = None
        self.episodes: list[dict[str, Any]] = []
        self.frames = 0

    def add(self, ep: EpisodeData) -> Written | None:
        features = usable_features(ep, self.report, "WebDataset export")
        cameras = camera_signature(ep, features)
        if self.features is None:
            self.features, self.cameras = features, cameras
        elif left_out_as_different(ep, self.report, features, self.features, cameras, self.cameras):
            return None
        names = [n for f in features for n in f.streams]
        copyable = set() if self.encode_as else _fastest_image_cameras(ep, features)
        timeline = timeline_or_omit(ep, names, self.fps or self.options.fps, copyable, self.report)
        if timeline is None:
            return None
        self.fps = self.fps or timeline.fps
        return self._write(ep, features, timeline)

    def _write(self, ep: EpisodeData, features: list[Feature], timeline: Timeline) -> Written:
        numeric = sample_numeric(ep, features, timeline.t_ns)
        images: dict[str, CameraImages] = {}
        for f in features:
            if f.kind == "video":
                images[f.streams[0]] = camera_images(ep, f.streams[0], timeline.t_ns, self.encode_as)
                self.formats[f.streams[0]] = images[f.streams[0]].format
                self.report.video_handled(f.streams[0], images[f.streams[0]].how)
        index, n = len(self.episodes), len(timeline.t_ns)
        task = ep.meta.task.instruction or ep.meta.task.id or ""
        stem, mtime = safe_name(ep.meta.id), ep.meta.start_ns // 1_000_000_000
        shards: list[str] = []
        for k, t in enumerate(timeline.timestamps_s.tolist()):
            row: dict[str, Any] = {"timestamp": t, "frame_index": k, "episode_index": index}
            row |= {"index": self.frames + k, "episode_id": ep.meta.id, "task": task}
            row |= {key: _json_values(values[k]) for key, values in numeric.items()}
            members = [("json", json.dumps(row).encode())]
            for cam, source in images.items():
                members.append((f"{safe_name(cam)}.{EXTENSIONS[source.format]}", next(source.images)))
            shard = self.shards.add(f"{stem}_{k:06d}", members, mtime)
            if not shards or shards[-1] != shard:
                shards.append(shard)
        self.episodes.append({"episode_index": index, "episode_id": ep.meta.id, "task": task, "length": n})
        self.episodes[-1] |= {"first_key": f"{stem}_{0:06d}", "shards": shards, **rights(ep.meta)}
        self.frames += n
        return Written(n, n / timeline.fps)

    def close(self) -> None:
        self.shards.close()

    def finish(self) -> None:
        self.shards.close()
        info = {
            "format": "webdataset",
            "fps": int(self.fps) if self.fps is not None and float(self.fps).is_integer() else self.fps,
            "total_episodes": len(self.episodes),
            "total_frames": self.frames,
            "shard_max_bytes": SHARD_MAX_BYTES,
            "json_fields": ["timestamp", "frame_index", "episode_index", "index", "episode_id", "task"],
            "features": self._feature_info(),
            "episodes": self.episodes,
            "shards": self.shards.shards,
            **dataset_rights(self.report),
        }
        (self.out / "dataset.json").write_text(json.dumps(info, indent=2))

    def _feature_info(self) -> dict[str, Any]:
        assert self.features is not None
        info: dict[str, Any] = {}
        sizes = {name: (w, h) for name, _, w, h in self.cameras}
        for f in self.features:
            if f.kind == "numeric":
                info[f.key] = {"dtype": "float64", "shape": [len(f.names)], "names": list(f.names), "in": "json"}
                continue
            cam, (w, h) = f.streams[0], sizes[f.streams[0]]
            ext = f"{safe_name(cam)}.{EXTENSIONS[self.formats[cam]]}"
            info[f.key] = {"dtype": "image", "format": self.formats[cam], "shape": [h, w, 3], "in": ext}
        return info


class WebDatasetExporter(Exporter):
    name = "webdataset"
    description = "WebDataset tar shards, one sample per frame (JSON + JPEG/PNG per camera, JPEG packets copied)"

    def open(self, stage: Path, out: Path, options: ExportOptions, report: ExportReport) -> ExportWriter:
        return _WebDataset(stage, options, report)
