"""Reader for LeRobot datasets, format v2.1 (a file per episode) and v3.0 (episodes packed into shared files).

One robofuel episode per LeRobot episode. LeRobot stores time relative to each episode (``timestamp``, s); the
episode's absolute start is unknown, so episode ``k`` starts at ``k`` hours after the Unix epoch plus its first
timestamp (stated here and kept in ``extra.time_base``), which keeps episodes apart on one clock. Numeric features
become numeric streams with their ``names`` as columns (nested lists and ``{"motors": [...]}`` dicts flattened;
missing names become ``<feature>_<i>``). Video features keep the original compressed file: v2.1 episodes own their
MP4; a v3.0 episode's frames are copied out of the shared MP4 by packet (no decode, no re-encode).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.ingest.lerobot_video import frame_count, remux_range, video_codec
from robofuel.standard import Finding, NumericData, Payload, Severity, Stream, VideoData, numeric_stream, video_stream

BOOKKEEPING = {"timestamp", "frame_index", "episode_index", "index", "task_index"}
HOUR_NS = 3_600_000_000_000
ROLES = {"observation.state": "state", "action": "action"}


def load_info(root: Path) -> dict[str, Any]:
    path = root / "meta" / "info.json"
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UnreadableRecording(str(path), f"meta/info.json is not valid JSON ({exc})") from exc
    for key in ("codebase_version", "fps", "features"):
        if key not in info:
            raise UnreadableRecording(str(path), f"meta/info.json has no {key!r}", "is this a LeRobot dataset?")
    return dict(info)


def feature_names(key: str, feature: dict[str, Any]) -> list[str]:
    """Column names of a vector feature, from its ``names`` (any nesting) or ``<key>_<i>``."""
    size = int(np.prod(feature.get("shape") or [1]))
    names: Any = feature.get("names")
    flat: list[str] = []
    stack = [names]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            stack = list(node.values()) + stack
        elif isinstance(node, list | tuple):
            stack = list(node) + stack
        elif node is not None:
            flat.append(str(node))
    if len(flat) != size or len(set(flat)) != size:
        return [f"{key}_{i}" for i in range(size)]
    return flat


def _column_values(table: pa.Table, key: str) -> np.ndarray:  # type: ignore[type-arg]
    col = table.column(key).combine_chunks()
    if pa.types.is_list(col.type) or pa.types.is_fixed_size_list(col.type) or pa.types.is_large_list(col.type):
        flat = col.flatten().to_numpy(zero_copy_only=False)
        return np.asarray(flat, dtype=np.float64).reshape(len(col), -1)
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64).reshape(len(col), 1)


class _Layout:
    """Where an episode's rows and videos are, for one dataset version."""

    def __init__(self, root: Path, info: dict[str, Any]) -> None:
        self.root, self.info = root, info
        self.v3 = str(info["codebase_version"]).startswith("v3")
        self.chunks = int(info.get("chunks_size", 1000))
        self.episodes = self._episodes()
        self.tasks = self._tasks()

    def _episodes(self) -> list[dict[str, Any]]:
        if self.v3:
            files = sorted((self.root / "meta" / "episodes").glob("*/*.parquet"))
            rows = [r for f in files for r in pq.read_table(f).to_pylist()]
        else:
            path = self.root / "meta" / "episodes.jsonl"
            rows = (
                [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []
            )
        return sorted(rows, key=lambda r: int(r["episode_index"]))

    def _tasks(self) -> dict[int, str]:
        jsonl, parquet = self.root / "meta" / "tasks.jsonl", self.root / "meta" / "tasks.parquet"
        if jsonl.is_file():
            rows = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
            return {int(r["task_index"]): str(r["task"]) for r in rows}
        if parquet.is_file():
            table = pq.read_table(parquet)
            kinds = (pa.types.is_string, pa.types.is_large_string)
            text = next(c for c in table.column_names if any(k(table.schema.field(c).type) for k in kinds))
            return dict(zip(table.column("task_index").to_pylist(), table.column(text).to_pylist(), strict=True))
        return {}

    def data_file(self, ep: dict[str, Any]) -> Path:
        idx = int(ep["episode_index"])
        if self.v3:
            rel = self.info["data_path"].format(chunk_index=ep["data/chunk_index"], file_index=ep["data/file_index"])
        else:
            rel = self.info["data_path"].format(episode_chunk=idx // self.chunks, episode_index=idx)
        return self.root / str(rel)

    def video_file(self, ep: dict[str, Any], key: str) -> Path:
        idx = int(ep["episode_index"])
        if self.v3:
            c, f = ep[f"videos/{key}/chunk_index"], ep[f"videos/{key}/file_index"]
            return self.root / str(self.info["video_path"].format(video_key=key, chunk_index=c, file_index=f))
        template = str(self.info["video_path"])
        return self.root / template.format(episode_chunk=idx // self.chunks, video_key=key, episode_index=idx)

    def rows(self, ep: dict[str, Any]) -> pa.Table:
        path = self.data_file(ep)
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise UnreadableRecording(str(path), f"not a readable Parquet file ({exc})") from exc
        if self.v3:
            table = table.filter(pc.equal(table.column("episode_index"), int(ep["episode_index"])))
        return table


class LeRobotReader(Reader):
    name = "lerobot"
    description = "LeRobot datasets v2.1 and v3.0 (meta/info.json, Parquet data, MP4 videos)"

    def sniff(self, path: Path) -> bool:
        try:
            info = json.loads((path / "meta" / "info.json").read_text())
        except (OSError, ValueError):
            return (path / "meta" / "info.json").is_file()
        return isinstance(info, dict) and str(info.get("codebase_version", "")).startswith(("v2", "v3"))

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        info = load_info(path)
        layout = _Layout(path, info)
        report = ReadReport(str(path), self.name)
        tmp = Path(tempfile.mkdtemp(prefix="robofuel-lerobot-"))
        episodes, missing = [], []
        for ep in layout.episodes:
            if not layout.data_file(ep).is_file():
                missing.append(int(ep["episode_index"]))
                continue
            streams, findings = _Episode(layout, ep, report, tmp).build()
            index = int(ep["episode_index"])
            task = next(iter(ep.get("tasks") or []), None) or layout.tasks.get(int(ep.get("task_index", 0)))
            fields = {
                "task": {"instruction": task},
                "embodiment": str(info.get("robot_type") or "").lower() or None,
                "extra": {
                    "lerobot_version": info["codebase_version"],
                    "lerobot_episode_index": index,
                    "fps": info["fps"],
                    "time_base": "episode k starts k hours after the epoch",
                },
            }
            episodes.append(make_episode(ctx, self.name, index, streams, findings=findings, **fields))
        if missing:
            report.finding(
                "completeness.missing_episodes",
                f"{len(missing)} episodes listed in the metadata have no "
                f"data file (first: {missing[0]}); they were skipped",
                Severity.warning,
            )
        if not episodes:
            raise UnreadableRecording(str(path), "no episode has a data file", "check the data/ folder")
        return ReadResult(episodes, report, temp_dirs=[tmp])


class _Episode:
    def __init__(self, layout: _Layout, ep: dict[str, Any], report: ReadReport, tmp: Path) -> None:
        self.layout, self.ep, self.report, self.tmp = layout, ep, report, tmp
        self.index = int(ep["episode_index"])
        self.findings: list[Finding] = []

    def build(self) -> tuple[list[tuple[Stream, Payload]], list[Finding]]:
        table = self.layout.rows(self.ep)
        seconds = np.asarray(table.column("timestamp").to_numpy(), dtype=np.float64)
        ts = self.index * HOUR_NS + np.round(seconds * 1e9).astype(np.int64)
        frames = table.column("frame_index").to_numpy() if "frame_index" in table.column_names else None
        if (
            frames is not None
            and len(frames)
            and not np.array_equal(frames, np.arange(frames[0], frames[0] + len(frames)))
        ):
            self.findings.append(
                self.report.finding(
                    "timing.frame_index_gap", f"episode {self.index}: frame_index is not contiguous", Severity.warning
                )
            )
        streams: list[tuple[Stream, Payload]] = []
        fps = float(self.layout.info["fps"])
        for key, feature in self.layout.info["features"].items():
            if feature.get("dtype") == "video":
                built = self._video(key, ts, fps)
                if built is not None:
                    streams.append(built)
            elif (
                key not in BOOKKEEPING and key in table.column_names and feature.get("dtype") not in ("image", "string")
            ):
                data = NumericData(ts, _column_values(table, key))
                names = feature_names(key, feature)
                if len(names) != data.values.shape[1]:
                    names = [f"{key}_{i}" for i in range(data.values.shape[1])]
                streams.append((numeric_stream(key, data, names, role=ROLES.get(key), rate_hz=fps, source=key), data))
        self.report.decoded += len(ts)
        return streams, self.findings

    def _video(self, key: str, ts: np.ndarray, fps: float) -> tuple[Stream, Payload] | None:  # type: ignore[type-arg]
        src = self.layout.video_file(self.ep, key)
        if not src.is_file():
            self.findings.append(
                self.report.finding(
                    "completeness.missing_video",
                    f"episode {self.index}: video {src.relative_to(self.layout.root)} is missing",
                    Severity.blocking,
                    stream=key,
                )
            )
            return None
        file, stamps = src, ts
        if self.layout.v3:
            file = self.tmp / f"{self.index}_{key}.mp4"
            start, end = float(self.ep[f"videos/{key}/from_timestamp"]), float(self.ep[f"videos/{key}/to_timestamp"])
            _n, lead = remux_range(src, file, start, end)
            if lead:
                stamps = np.concatenate([ts[0] - np.arange(lead, 0, -1) * round(1e9 / fps), ts])
        probe = video_codec(file)
        count = frame_count(file)
        if count is not None and count != len(stamps):
            self.findings.append(
                self.report.finding(
                    "video.frame_count_mismatch",
                    f"episode {self.index}: {key} has {count} frames for {len(stamps)} rows",
                    Severity.warning,
                    stream=key,
                )
            )
            stamps = stamps[:count] if count < len(stamps) else stamps
        codec, width, height = probe if probe else ("unknown", None, None)
        data = VideoData(np.asarray(stamps, dtype=np.int64), codec=codec, width=width, height=height, file=file)
        return video_stream(key, data, rate_hz=fps, source=str(src.relative_to(self.layout.root))), data
