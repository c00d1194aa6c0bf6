"""Reader for LeRobot datasets, v2.1 (a file per episode) and v3.0 (episodes packed into shared files).

One robofuel episode per LeRobot episode (``Episode.recording.index`` = LeRobot ``episode_index``).

Time: LeRobot keeps no absolute time, only each episode's ``timestamp`` column (s from its first frame).
robofuel puts t = 0 of every episode at the Unix epoch: a row's time is ``round(timestamp * 1e9)`` ns, so an
episode starts at 0 ns + its first timestamp (0 in datasets LeRobot writes); ``extra.time_base`` says so.
Video frames are on the same clock, as LeRobot itself looks them up: a v2.1 frame's time is its presentation
time in the episode's MP4; a v3.0 frame's time is its presentation time in the shared MP4 minus the episode's
``from_timestamp``.

Streams: every numeric feature (``observation.state``, ``action``, any other numeric vector) becomes a numeric
stream at the dataset's ``fps``, columns named from the feature's ``names`` (see
:func:`~robofuel.ingest.lerobot.meta.feature_names`); ``timestamp``, ``frame_index``, ``episode_index``,
``index`` and ``task_index`` are checked, not stored. Every stream's ``source`` is its LeRobot feature key, so
that an export back to LeRobot keeps the dataset's feature names (:mod:`robofuel.export.lerobot_features`).
Values keep LeRobot's units (the format does not state them). A video feature becomes a video stream kept
compressed: a v2.1 episode's own MP4 as is; for v3.0, whose MP4s hold many episodes, the episode's packets are
copied (no decoding, no re-encoding) into an MP4 of its own, from the keyframe at or before the episode's first
frame. An ``image`` feature (PNG/JPEG bytes in the Parquet) becomes a video stream of those images as packets.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import av
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import Built, ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.ingest.diagnose import lfs_pointer
from robofuel.ingest.lerobot.check import MovedFiles
from robofuel.ingest.lerobot.meta import (
    EpisodeRef,
    Info,
    VideoRef,
    column_values,
    feature_names,
    load_episodes,
    load_info,
    load_tasks,
    read_parquet,
    row_problems,
)
from robofuel.ingest.video.clip import (
    Clip,
    cut_video,
    probe_video,
)
from robofuel.standard import (
    EpisodeData,
    Finding,
    NumericData,
    Severity,
    Task,
    VideoData,
    numeric_stream,
    video_stream,
)
from robofuel.standard.data import F64, I64

ROLES = {"observation.state": "state", "action": "action"}
TIME_BASE = "no absolute time in LeRobot: t = 0 ns is the Unix epoch; rows at LeRobot's per-episode 'timestamp'"


class LeRobotReader(Reader):
    name = "lerobot"
    description = "LeRobot datasets v2.1 and v3.0 (meta/info.json, Parquet data, MP4 videos)"

    def sniff(self, path: Path) -> bool:
        """A folder whose ``meta/info.json`` says ``codebase_version`` v2.x or v3.x; an info.json that is not
        valid JSON is claimed too, so that reading it says what is wrong."""
        info = path / "meta" / "info.json"
        try:
            raw = json.loads(info.read_text())
        except ValueError:
            return True
        except OSError:
            return False
        return isinstance(raw, dict) and str(raw.get("codebase_version", "")).startswith(("v2", "v3"))

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        info = load_info(path)
        refs, tasks = load_episodes(info), load_tasks(info)
        builder = _Builder(info, tasks, ReadReport(str(path), self.name), ctx)
        try:
            episodes = builder.read_all(refs)
        except BaseException:
            builder.cleanup()
            raise
        return ReadResult(episodes, builder.report, temp_dirs=builder.temp_dirs)


def seconds_to_ns(seconds: F64) -> I64:
    """Times in s (episode clock) to int64 ns since the epoch (t = 0 at the epoch)."""
    return np.round(np.asarray(seconds, dtype=np.float64) * 1e9).astype(np.int64)


class _Builder:
    """Builds the episodes of one dataset; holds the Parquet file last read and the temporary video folder."""

    def __init__(self, info: Info, tasks: dict[int, str], report: ReadReport, ctx: ReadContext) -> None:
        self.info, self.tasks, self.report, self.ctx = info, tasks, report, ctx
        self._cached: tuple[Path, pa.Table] | None = None
        self._moved = MovedFiles(info)
        self._tmp: Path | None = None

    @property
    def temp_dirs(self) -> list[Path]:
        return [self._tmp] if self._tmp is not None else []

    def cleanup(self) -> None:
        for folder in self.temp_dirs:
            shutil.rmtree(folder, ignore_errors=True)

    def read_all(self, refs: list[EpisodeRef]) -> list[EpisodeData]:
        """Every episode whose rows exist; the others are listed in one report finding."""
        episodes, missing = [], []
        for ref in refs:
            table = self._rows(ref)
            if table is None or table.num_rows == 0:
                missing.append(ref.index)
                continue
            episodes.append(self._episode(ref, table))
        if missing:
            self.report.skipped["episode listed in the metadata without data rows"] += len(missing)
            self.report.finding(
                "completeness.missing_episodes",
                f"{len(missing)} of {len(refs)} episodes listed in the metadata have no data rows "
                f"(episode_index {_ranges(missing)}); they were skipped",
                Severity.warning,
                value=float(len(missing)),
            )
        if not episodes:
            raise UnreadableRecording(str(self.info.root), "no episode has data rows", "check data/")
        return episodes

    def _rows(self, ref: EpisodeRef) -> pa.Table | None:
        """The episode's rows: its file (v2.1) or its part of a shared file (v3.0); None if no file."""
        if not ref.data_file.is_file():
            return None
        if self._cached is None or self._cached[0] != ref.data_file:
            self._cached = (ref.data_file, read_parquet(ref.data_file))
        table = self._cached[1]
        if "timestamp" not in table.column_names:
            raise UnreadableRecording(str(ref.data_file), "has no 'timestamp' column", "is it LeRobot data?")
        if self.info.v3 and "episode_index" in table.column_names:
            table = table.filter(pc.equal(table.column("episode_index"), ref.index))
        return table

    def _episode(self, ref: EpisodeRef, table: pa.Table) -> EpisodeData:
        seconds = np.asarray(table.column("timestamp").to_numpy(zero_copy_only=False), dtype=np.float64)
        ts = seconds_to_ns(seconds)
        findings = self._check(ref, table, seconds)
        streams = self._numeric(table, ts) + self._images(table, ts)
        for key in self.info.keys_of("video"):
            built = self._video(ref, key, len(ts), findings)
            if built is not None:
                streams.append(built)
        self.report.decoded += table.num_rows
        for stream, _ in streams:
            self.report.add_stream(stream)
        tasks = list(ref.tasks) or self._task_of_rows(table)
        extra = {"lerobot": self.info.extra(), "lerobot_episode_index": ref.index, "time_base": TIME_BASE}
        if len(tasks) > 1:
            extra["tasks"] = tasks
        return make_episode(
            self.ctx,
            "lerobot",
            ref.index,
            streams,
            findings=findings,
            task=Task(instruction=tasks[0] if tasks else None),
            embodiment=self.info.robot_type.lower() if self.info.robot_type else None,
            extra=extra,
        )

    def _task_of_rows(self, table: pa.Table) -> list[str]:
        if "task_index" not in table.column_names:
            return []
        indices = dict.fromkeys(int(i) for i in table.column("task_index").to_pylist() if i is not None)
        return [self.tasks[i] for i in indices if i in self.tasks]

    def _finding(self, code: str, message: str, severity: Severity = Severity.warning, **kw: Any) -> Finding:
        return self.report.finding(code, message, severity, **kw)

    def _check(self, ref: EpisodeRef, table: pa.Table, seconds: F64) -> list[Finding]:
        """Consistency of LeRobot's bookkeeping columns; each problem is a warning, none stops the read."""
        return [
            self.report.finding(code, f"episode {ref.index}: {message}", Severity.warning, **where)
            for code, message, where in row_problems(ref, table, seconds)
        ]

    def _numeric(self, table: pa.Table, ts: I64) -> list[Built]:
        out: list[Built] = []
        for key in self.info.numeric_keys():
            if key not in table.column_names:
                self.report.skipped[f"{key}: declared in info.json, absent from the data"] += 1
                continue
            try:
                data = NumericData(ts, column_values(table.column(key)))
            except (pa.ArrowException, ValueError, TypeError):
                self.report.skipped[f"{key}: declared numeric, data not numbers"] += 1
                continue
            names = feature_names(key, self.info.features[key], data.values.shape[1])
            stream = numeric_stream(key, data, names, role=ROLES.get(key), rate_hz=self.info.fps, source=key)
            out.append((stream, data))
        return out

    def _images(self, table: pa.Table, ts: I64) -> list[Built]:
        """``image`` features: the PNG / JPEG bytes LeRobot stores in the Parquet, as video packets."""
        out: list[Built] = []
        for key in self.info.keys_of("image"):
            blobs = _image_bytes(table, key)
            codec = _image_codec(blobs[0]) if blobs else None
            if blobs is None or codec is None:
                self.report.skipped[f"{key}: image bytes absent or not PNG/JPEG"] += 1
                continue
            shape = [*(self.info.features[key].get("shape") or []), None, None]
            height, width = (v if isinstance(v, int) else None for v in shape[:2])
            data = VideoData(ts, codec=codec, height=height, width=width, packets=blobs)
            out.append((video_stream(key, data, rate_hz=self.info.fps, source=key), data))
        return out

    def _video(self, ref: EpisodeRef, key: str, rows: int, findings: list[Finding]) -> Built | None:
        """The episode's video for ``key``; a missing or unreadable file is a blocking finding, no error."""
        vref = ref.videos[key]
        rel = _relative(vref.path, self.info.root)
        moved = None if vref.path.is_file() else self._moved.find(vref.path, key)
        if moved is not None:  # in another folder than video_path says: read from there, and say so
            where = _relative(moved, self.info.root)
            message = f"episode {ref.index}: video file {rel} for {key} is not where video_path says; read from {where}"
            findings.append(self._finding("integrity.video_elsewhere", message, stream=key))
            vref, rel = dataclasses.replace(vref, path=moved), where
        if not vref.path.is_file():
            findings.append(
                self._finding(
                    "completeness.missing_video",
                    f"episode {ref.index}: video file {rel} for {key} is missing",
                    Severity.blocking,
                    stream=key,
                )
            )
            return None
        pointer = lfs_pointer(vref.path)
        if pointer is not None:
            message = f"episode {ref.index}: video file {rel} for {key} is {pointer.problem}; {pointer.hint}"
            findings.append(self._finding("completeness.missing_video", message, Severity.blocking, stream=key))
            return None
        fps = _video_fps(self.info.features[key]) or self.info.fps
        try:
            clip = self._clip(ref, key, vref, fps)
        except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
            findings.append(
                self._finding(
                    "video.unreadable",
                    f"episode {ref.index}: video file {rel} cannot be read ({exc}); the stream was left out",
                    Severity.blocking,
                    stream=key,
                )
            )
            return None
        findings += self._clip_findings(ref, key, clip, rows)
        times = np.array([round(t * 1_000_000_000) for t in clip.times_s], dtype=np.int64)
        data = VideoData(times, codec=clip.codec, width=clip.width, height=clip.height, file=clip.file)
        return video_stream(key, data, rate_hz=fps, source=key), data

    def _clip(self, ref: EpisodeRef, key: str, vref: VideoRef, fps: float) -> Clip:
        if vref.from_s is None or vref.to_s is None:
            return probe_video(vref.path)
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="robofuel-lerobot-"))
        dst = self._tmp / f"episode_{ref.index:06d}.{key}.mp4"
        return cut_video(vref.path, dst, vref.from_s, vref.to_s, tolerance_s=0.5 / fps)

    def _clip_findings(self, ref: EpisodeRef, key: str, clip: Clip, rows: int) -> list[Finding]:
        out = []
        if clip.inside != rows:
            out.append(
                self._finding(
                    "video.frame_count_mismatch",
                    f"episode {ref.index}: {key} has {clip.inside} frames in the episode, {rows} data rows",
                    stream=key,
                    value=float(clip.inside),
                )
            )
        if clip.lead or clip.trail:
            out.append(
                self._finding(
                    "video.extra_frames",
                    f"episode {ref.index}: {key} starts between keyframes; {clip.lead} frames before the "
                    f"episode (from the previous keyframe) and {clip.trail} after it were copied so that "
                    "every frame decodes; they carry times outside the episode",
                    Severity.info,
                    stream=key,
                    value=float(clip.lead + clip.trail),
                )
            )
        return out


def _video_fps(feature: dict[str, Any]) -> float | None:
    """The frame rate a video feature declares in its ``info`` (``video.fps``), if any."""
    info = feature.get("info")
    fps = info.get("video.fps") if isinstance(info, dict) else None
    return float(fps) if isinstance(fps, int | float) and fps > 0 else None


def _image_bytes(table: pa.Table, key: str) -> list[bytes] | None:
    if key not in table.column_names:
        return None
    col = table.column(key).combine_chunks()
    if not pa.types.is_struct(col.type) or col.type.get_field_index("bytes") < 0:
        return None
    blobs = col.field("bytes").to_pylist()
    return None if any(b is None for b in blobs) else [bytes(b) for b in blobs]


def _image_codec(blob: bytes) -> str | None:
    if blob.startswith(b"\x89PNG"):
        return "png"
    return "mjpeg" if blob.startswith(b"\xff\xd8") else None


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _ranges(values: list[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``'0-2, 5'``."""
    parts: list[str] = []
    start = prev = values[0]
    for v in [*values[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        parts.append(f"{start}-{prev}" if prev != start else str(start))
        if v is not None:
            start = prev = v
    return ", ".join(parts)
