"""Exporter to LeRobot datasets, format v3.0 (what ``lerobot.datasets.LeRobotDataset`` 0.4 loads).

Layout written (v3.0): ``meta/info.json``, ``meta/stats.json``, ``meta/tasks.parquet``,
``meta/episodes/chunk-000/file-000.parquet`` (one row per episode: tasks, length, where its rows and video
frames are, its stats), ``data/chunk-CCC/file-FFF.parquet`` (the frames of many episodes, one row per frame)
and ``videos/<feature>/chunk-CCC/file-FFF.mp4`` (the frames of many episodes, one after the other).

Features: :mod:`robofuel.export.lerobot_features`. Frames: :mod:`robofuel.export.timeline` (a copyable camera's
own frames, else a uniform grid); numeric streams are resampled at the frame times (:mod:`robofuel.resample`).
Every episode of a dataset has the same features and rate (the first episode's); an episode lacking a feature is
left out and counted. Video: packets of an H.264, HEVC or AV1 camera are copied (zero-transcode) when it sets the
frames; other cameras, and every camera with ``--video-codec``, are encoded (libx264 by default).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from robofuel.export.base import Exporter, ExportOptions, ExportReport, ExportWriter, Written, dataset_rights
from robofuel.export.frames import left_out_as_different, picked_frames
from robofuel.export.lerobot_features import Feature, missing_declared, plan_features
from robofuel.export.lerobot_stats import (
    IMAGE_SAMPLES,
    Stats,
    aggregate,
    array_stats,
    image_stats,
    sample_for_stats,
    to_json,
)
from robofuel.export.lerobot_tables import episodes_table, subtask_columns, tasks_table
from robofuel.export.timeline import Timeline, at_frames, choose_timeline, reference_times
from robofuel.export.video_out import DEFAULT_ENCODER, Mp4Out
from robofuel.resample import nearest_index
from robofuel.standard import EpisodeData, NumericData, VideoData
from robofuel.video import is_keyframe, rgb_frames

COPY_CODECS = frozenset({"h264", "hevc", "av1"})
CHUNKS_SIZE = 1000
DATA_FILE_MB = 100
VIDEO_FILE_MB = 200
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
INDEX_COLUMNS = ("timestamp", "frame_index", "episode_index", "index", "task_index")


def _chunk_file(n: int) -> tuple[int, int]:
    return n // CHUNKS_SIZE, n % CHUNKS_SIZE


def _trim_to_keyframe(ep: EpisodeData, timeline: Timeline) -> tuple[Timeline, list[bytes]] | None:
    """The copied camera's packets at the frames, starting at its first keyframe (frames before it dropped); None
    when no frame is a keyframe (a cut or damaged stream: it cannot be copied)."""
    assert timeline.camera is not None
    video = ep.payloads[timeline.camera]
    assert isinstance(video, VideoData) and video.packets is not None
    ts = reference_times(ep.meta.stream(timeline.camera), video)
    idx = np.searchsorted(ts, timeline.t_ns)
    first = next((k for k, i in enumerate(idx) if is_keyframe(video.codec, video.packets[i]) is not False), None)
    if first is None:
        return None
    packets = [video.packets[i] for i in idx[first:]]
    return Timeline(timeline.t_ns[first:], timeline.fps, timeline.camera), packets


def _robot_type(ep: EpisodeData) -> str | None:
    """The ``robot_type`` of the LeRobot dataset the episode was read from, as written there, when the episode is
    still that robot; else its embodiment id."""
    source = ep.meta.extra.get("lerobot") if ep.meta.recording.format == "lerobot" else None
    robot = source.get("robot_type") if isinstance(source, dict) else None
    if isinstance(robot, str) and robot and robot.lower() == ep.meta.embodiment:
        return robot
    return ep.meta.embodiment


class Plan(NamedTuple):
    """What the first episode sets for a whole dataset: its features, rate (Hz; None until an episode could be
    framed) and robot type; given to every worker of a parallel export (:mod:`robofuel.export.lerobot_parallel`)."""

    features: list[Feature] | None
    fps: float | None
    robot_type: str | None


class _Dataset(ExportWriter):
    """A LeRobot v3 dataset being written (or one worker's part of it, when given the dataset's ``plan``)."""

    def __init__(self, out: Path, options: ExportOptions, report: ExportReport, plan: Plan | None = None) -> None:
        self.out, self.options, self.report = out, options, report
        self.features, self.fps, self.robot_type = plan or Plan(None, None, None)
        self.tasks: dict[str, int] = {}
        self.rows: list[pa.Table] = []
        self.rows_bytes = 0
        self.data_files = 0
        self.videos: dict[str, Mp4Out] = {}
        self.video_files: dict[str, int] = {}
        self.video_info: dict[str, dict[str, Any]] = {}
        self.episodes: list[dict[str, Any]] = []
        self.stats: dict[str, list[Stats]] = {}
        self.frames = 0
        self.closed = False

    # -- per episode -------------------------------------------------------------------------------------------

    def add(self, ep: EpisodeData) -> Written | None:
        features, omitted = plan_features(ep.meta)
        if self.features is None:
            self.probe(ep)
        elif left_out_as_different(ep, self.report, features, self.features):
            return None
        assert self.features is not None
        self.report.omitted.update(omitted)
        if any(f.derived == "next_state" for f in features) and not self.report.notes:
            self.report.notes.append("action: no command stream recorded; the next frame's observation.state")
        names = [n for f in self.features for n in f.streams]
        try:
            timeline, packets = self._frames(ep, names)
        except ValueError as exc:  # nothing written yet: the episode is left out with the reason, the rest goes on
            self.report.leave_out(ep.meta.id, str(exc))
            return None
        self.fps = self.fps or timeline.fps
        index = len(self.episodes)
        row: dict[str, Any] = {"episode_index": index, "length": len(timeline.t_ns)}
        columns = self._numeric(ep, timeline, row)
        for f in self.features:
            if f.kind == "video":
                self._video(ep, f, timeline, packets if f.streams[0] == timeline.camera else None, row)
        self._rows(ep, index, timeline, columns, row)
        return Written(len(timeline.t_ns), len(timeline.t_ns) / timeline.fps)

    def probe(self, ep: EpisodeData) -> Plan:
        """The plan after ``ep`` were added first, without writing anything: its features (and the report's notes
        on features missing from it) when none is set yet, and its rate when it can be framed."""
        features, _ = plan_features(ep.meta)
        if self.features is None:
            self.features, self.robot_type = features, _robot_type(ep)
            for key in missing_declared(ep.meta):
                self.report.omitted[
                    f"{key}: declared by the LeRobot source but missing from every episode exported "
                    f"(the first, {ep.meta.id}, has none; see its findings)"
                ] += 1
        if self.fps is None and [(f.key, f.names) for f in features] == [(f.key, f.names) for f in self.features]:
            with contextlib.suppress(ValueError):
                self.fps = self._frames(ep, [n for f in self.features for n in f.streams])[0].fps
        return Plan(self.features, self.fps, self.robot_type)

    def _frames(self, ep: EpisodeData, names: list[str]) -> tuple[Timeline, list[bytes]]:
        """The episode's frames, and the copied camera's packets at them. ValueError, before anything is written,
        when the streams share no time or the copied camera has no keyframe among the frames (a damaged stream, or
        packets that are not the codec declared)."""
        copyable = set() if self.options.video_codec else self._copyable(ep)
        timeline = choose_timeline(ep, names, self.fps or self.options.fps, copyable)
        if timeline.camera is None:
            return timeline, []
        trimmed = _trim_to_keyframe(ep, timeline)
        if trimmed is None:
            codec = ep.meta.stream(timeline.camera).codec
            raise ValueError(f"{timeline.camera}: no keyframe among its frames (damaged, or not {codec})")
        return trimmed

    def _copyable(self, ep: EpisodeData) -> set[str]:
        videos = {n: p for n, p in ep.payloads.items() if isinstance(p, VideoData) and p.packets}
        return {s.name for s in ep.meta.streams if s.codec in COPY_CODECS and s.name in videos}

    def _numeric(self, ep: EpisodeData, timeline: Timeline, row: dict[str, Any]) -> dict[str, np.ndarray]:
        assert self.features is not None
        out: dict[str, np.ndarray] = {}
        cache: dict[str, np.ndarray] = {}
        for f in self.features:
            if f.kind != "numeric":
                continue
            if f.derived == "next_state":
                state = out["observation.state"]
                out[f.key] = np.vstack([state[1:], state[-1:]])
                self._stat(f.key, array_stats(out[f.key].astype(np.float64)), row)
                continue
            blocks = []
            for part in f.parts:
                if part.stream not in cache:
                    stream, data = ep.meta.stream(part.stream), ep.payloads[part.stream]
                    assert isinstance(data, NumericData)
                    cache[part.stream] = at_frames(stream, data, timeline.t_ns)
                blocks.append(cache[part.stream][:, list(part.columns)])
            values = np.hstack(blocks).astype(np.float32)
            out[f.key] = values
            self._stat(f.key, array_stats(values.astype(np.float64)), row)
        return out

    def _stat(self, key: str, stats: Stats, row: dict[str, Any]) -> None:
        self.stats.setdefault(key, []).append(stats)
        for name, value in to_json(stats).items():
            row[f"stats/{key}/{name}"] = value

    def _video(
        self, ep: EpisodeData, f: Feature, timeline: Timeline, packets: list[bytes] | None, row: dict[str, Any]
    ) -> None:
        name = f.streams[0]
        stream, video = ep.meta.stream(name), ep.payloads[name]
        assert isinstance(video, VideoData)
        encode = packets is None
        codec = (self.options.video_codec or DEFAULT_ENCODER) if encode else video.codec
        out = self._video_out(f.key, codec, video.width or 0, video.height or 0, encode)
        if packets is not None:
            span = out.add_packets(packets)
            copied = VideoData(timeline.t_ns, video.codec, video.width, video.height, packets=packets)
            samples = list(rgb_frames(copied, every=max(1, len(packets) // IMAGE_SAMPLES)))
            self.report.video_handled(name, "copied")
        else:
            picks = nearest_index(reference_times(stream, video), timeline.t_ns)
            frames = picked_frames(rgb_frames(video, stream.pixel_format), picks)
            samples = []
            span = out.add_frames(self._sampling(frames, samples, len(picks)))
            why = "asked" if self.options.video_codec else f"{video.codec} is not copyable or not the frame clock"
            self.report.video_handled(name, f"re-encoded ({why})")
        self._stat(f.key, image_stats([sample_for_stats(s) for s in samples], len(timeline.t_ns)), row)
        chunk, file = _chunk_file(self.video_files[f.key])
        row |= {
            f"videos/{f.key}/chunk_index": chunk,
            f"videos/{f.key}/file_index": file,
            f"videos/{f.key}/from_timestamp": span[0],
            f"videos/{f.key}/to_timestamp": span[1],
        }

    @staticmethod
    def _sampling(frames: Iterator[np.ndarray], keep: list[np.ndarray], total: int) -> Iterator[np.ndarray]:
        every = max(1, total // IMAGE_SAMPLES)
        for i, frame in enumerate(frames):
            if i % every == 0:
                keep.append(frame)
            yield frame

    def _video_out(self, key: str, codec: str, width: int, height: int, encode: bool) -> Mp4Out:
        assert self.fps is not None
        current = self.videos.get(key)
        full = current is not None and current.path.stat().st_size > VIDEO_FILE_MB * 1e6
        if current is not None and current.matches(codec, width, height, encode) and not full:
            return current
        if current is not None:
            current.close()
            self.video_files[key] += 1
        n = self.video_files.setdefault(key, 0)
        chunk, file = _chunk_file(n)
        path = self.out / VIDEO_PATH.format(video_key=key, chunk_index=chunk, file_index=file)
        threads, gop = self.options.threads, self.options.gop
        self.videos[key] = Mp4Out(
            path, self.fps, codec=codec, width=width, height=height, encode=encode, threads=threads, gop=gop
        )
        even = (height - height % 2, width - width % 2) if encode else (height, width)
        self.video_info[key] = {"shape": even, "codec": codec if not encode else codec.removeprefix("lib")}
        return self.videos[key]

    def _rows(
        self, ep: EpisodeData, index: int, timeline: Timeline, columns: dict[str, np.ndarray], row: dict[str, Any]
    ) -> None:
        task = ep.meta.task.instruction or ep.meta.task.id or ""
        task_index = self.tasks.setdefault(task, len(self.tasks))
        n = len(timeline.t_ns)
        arrays: dict[str, pa.Array] = {
            key: pa.FixedSizeListArray.from_arrays(pa.array(v.reshape(-1), pa.float32()), v.shape[1])
            for key, v in columns.items()
        }
        index_values: dict[str, np.ndarray] = {
            "timestamp": timeline.timestamps_s.astype(np.float32),
            "frame_index": np.arange(n, dtype=np.int64),
            "episode_index": np.full(n, index, dtype=np.int64),
            "index": np.arange(self.frames, self.frames + n, dtype=np.int64),
            "task_index": np.full(n, task_index, dtype=np.int64),
        }
        for key, values in index_values.items():
            arrays[key] = pa.array(values)
            self._stat(key, array_stats(values.reshape(-1, 1).astype(np.float64)), row)
        row |= subtask_columns(ep, timeline.t_ns) | {"tasks": [task]}
        self.append(pa.table(arrays), row)

    def append(self, table: pa.Table, row: dict[str, Any]) -> None:
        """Add an episode's rows (``table``) and its episodes-table ``row``, saying where its rows are."""
        n = table.num_rows
        chunk, file = _chunk_file(self.data_files)
        row |= {
            "data/chunk_index": chunk,
            "data/file_index": file,
            "dataset_from_index": self.frames,
            "dataset_to_index": self.frames + n,
            "meta/episodes/chunk_index": 0,
            "meta/episodes/file_index": 0,
        }
        self.frames += n
        self.rows.append(table)
        self.rows_bytes += table.nbytes
        self.episodes.append(row)
        if self.rows_bytes > DATA_FILE_MB * 1e6:
            self._flush_rows()

    def _flush_rows(self) -> None:
        if not self.rows:
            return
        chunk, file = _chunk_file(self.data_files)
        path = self.out / DATA_PATH.format(chunk_index=chunk, file_index=file)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.concat_tables(self.rows), path)
        self.rows, self.rows_bytes = [], 0
        self.data_files += 1

    # -- at the end ----------------------------------------------------------------------------------------------

    def finish(self) -> None:
        self.finish_files()
        write_meta(self)

    def finish_files(self) -> None:
        """Write the rows held and close the videos: every file complete (a parallel worker's part ends here)."""
        self._flush_rows()
        self.closed = True
        for out in self.videos.values():
            out.close()

    def close(self) -> None:
        """Close the video files a failed export left open (nothing when :meth:`finish` closed them)."""
        if not self.closed:
            self.closed = True
            for video in self.videos.values():
                with contextlib.suppress(Exception):
                    video.close()


def _feature_info(ds: _Dataset) -> dict[str, Any]:
    assert ds.features is not None and ds.fps is not None
    info: dict[str, Any] = {}
    for f in ds.features:
        if f.kind == "numeric":
            info[f.key] = {"dtype": "float32", "shape": [len(f.names)], "names": list(f.names)}
            continue
        v = ds.video_info[f.key]
        h, w = v["shape"]
        info[f.key] = {
            "dtype": "video",
            "shape": [h, w, 3],
            "names": ["height", "width", "channel"],
            "info": {
                "video.height": h,
                "video.width": w,
                "video.codec": v["codec"],
                "video.pix_fmt": "yuv420p",
                "video.is_depth_map": False,
                "video.fps": ds.fps,
                "video.channels": 3,
                "has_audio": False,
            },
        }
    info["timestamp"] = {"dtype": "float32", "shape": [1], "names": None}
    for key in INDEX_COLUMNS[1:]:
        info[key] = {"dtype": "int64", "shape": [1], "names": None}
    return info


def write_meta(ds: _Dataset) -> None:
    """info.json, stats.json, tasks.parquet and the episodes table."""
    meta = ds.out / "meta"
    (meta / "episodes/chunk-000").mkdir(parents=True, exist_ok=True)
    fps = int(ds.fps) if ds.fps is not None and float(ds.fps).is_integer() else ds.fps
    info = {
        "codebase_version": "v3.0",
        "robot_type": ds.robot_type,
        "total_episodes": len(ds.episodes),
        "total_frames": ds.frames,
        "total_tasks": len(ds.tasks),
        "chunks_size": CHUNKS_SIZE,
        "data_files_size_in_mb": DATA_FILE_MB,
        "video_files_size_in_mb": VIDEO_FILE_MB,
        "fps": fps,
        "splits": {"train": f"0:{len(ds.episodes)}"},
        "data_path": DATA_PATH,
        "video_path": VIDEO_PATH if ds.video_info else None,
        "features": _feature_info(ds),
        **dataset_rights(ds.report),
    }
    (meta / "info.json").write_text(json.dumps(info, indent=4))
    stats = {key: to_json(aggregate(per)) for key, per in ds.stats.items()}
    (meta / "stats.json").write_text(json.dumps(stats, indent=4))
    pq.write_table(tasks_table(ds.tasks), meta / "tasks.parquet")
    pq.write_table(episodes_table(ds.episodes), meta / "episodes/chunk-000/file-000.parquet")


class LeRobotExporter(Exporter):
    name = "lerobot"
    description = "LeRobot dataset v3.0 (LeRobotDataset): packed parquet and MP4, H.264/HEVC/AV1 packets copied"

    def open(self, stage: Path, out: Path, options: ExportOptions, report: ExportReport) -> ExportWriter:
        return _Dataset(stage, options, report)
