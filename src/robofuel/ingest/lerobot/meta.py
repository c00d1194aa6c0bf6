"""LeRobot dataset metadata, versions 2.1 and 3.0: ``meta/info.json``, the episode table, tasks, column names.

The layouts below are those LeRobot itself writes (``lerobot/datasets/utils.py``, ``lerobot_dataset.py``;
checked against lerobot 0.4.4):

- **v2.1**: ``meta/episodes.jsonl`` (one object per episode: ``episode_index``, ``tasks``, ``length``),
  ``meta/tasks.jsonl`` (``task_index``, ``task``), one Parquet file and one MP4 per episode at
  ``data_path`` / ``video_path`` (templates with ``episode_chunk = episode_index // chunks_size``,
  ``episode_index`` and ``video_key``).
- **v3.0**: ``meta/episodes/chunk-XXX/file-XXX.parquet`` (per episode: ``episode_index``, ``tasks``,
  ``length``, ``data/chunk_index``, ``data/file_index``, ``dataset_from_index``, ``dataset_to_index`` (global
  row ``index`` range, end excluded) and, per video key, ``videos/<key>/chunk_index``,
  ``videos/<key>/file_index``, ``videos/<key>/from_timestamp``, ``videos/<key>/to_timestamp`` (seconds into
  the shared MP4, end excluded)), ``meta/tasks.parquet`` (``task_index`` and the task text, stored as the
  pandas index), and Parquet / MP4 files shared by many episodes at ``data_path`` / ``video_path`` (templates
  with ``chunk_index``, ``file_index``, ``video_key``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from robofuel.errors import UnreadableRecording
from robofuel.ingest.diagnose import lfs_pointer

#: Per-frame columns LeRobot adds to every dataset; checked for consistency, never turned into streams.
BOOKKEEPING = frozenset({"timestamp", "frame_index", "episode_index", "index", "task_index"})
#: Feature dtypes stored as numbers in the Parquet data (LeRobot accepts any numpy dtype name).
NUMERIC_DTYPES = frozenset(
    {"bool", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"}
)
INFO_KEYS = ("codebase_version", "fps", "features", "data_path")
F64 = npt.NDArray[np.float64]
#: (finding code, message, finding fields such as start_s / value)
Problem = tuple[str, str, dict[str, float]]


@dataclass(frozen=True)
class Info:
    """What ``meta/info.json`` says, checked: version, frame rate (Hz), features and file templates."""

    root: Path
    version: str
    fps: float
    features: dict[str, dict[str, Any]]
    data_path: str
    video_path: str | None
    chunks_size: int
    robot_type: str | None
    raw: dict[str, Any]

    @property
    def v3(self) -> bool:
        return self.version.startswith("v3")

    def keys_of(self, *dtypes: str) -> list[str]:
        """Feature keys of the given dtypes, in info.json order."""
        return [k for k, f in self.features.items() if f.get("dtype") in dtypes]

    def numeric_keys(self) -> list[str]:
        """Features that become numeric streams: numeric dtypes that are not LeRobot's own bookkeeping."""
        return [k for k in self.keys_of(*NUMERIC_DTYPES) if k not in BOOKKEEPING]

    def extra(self) -> dict[str, Any]:
        """info.json without the per-feature ``names`` (they become stream columns), for ``Episode.extra``."""
        out = {k: v for k, v in self.raw.items() if k != "features"}
        kept = {k: f for k, f in self.features.items() if k not in BOOKKEEPING}
        out["features"] = {k: {n: v for n, v in f.items() if n != "names"} for k, f in kept.items()}
        return out


@dataclass(frozen=True)
class VideoRef:
    """Where one camera's frames of one episode are: a file, and for v3.0 a time range of it (s, end out)."""

    path: Path
    from_s: float | None = None
    to_s: float | None = None


@dataclass(frozen=True)
class EpisodeRef:
    """One row of the episode table: its index, declared length, tasks, data file and videos."""

    index: int
    length: int | None
    tasks: tuple[str, ...]
    data_file: Path
    rows: tuple[int, int] | None = None  # v3.0: global ``index`` range [from, to)
    videos: dict[str, VideoRef] = field(default_factory=dict)


def _bad(path: Path, problem: str) -> UnreadableRecording:
    hint = "is this a LeRobot v2.1 / v3.0 dataset folder, copied completely?"
    return UnreadableRecording(str(path), problem, hint)


def _not_lfs(path: Path) -> None:
    """UnreadableRecording when ``path`` is a Git LFS pointer standing where a metadata or data file should be."""
    pointer = lfs_pointer(path)
    if pointer is not None:
        raise pointer.error(path)


def _read_json(path: Path) -> Any:
    _not_lfs(path)
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise _bad(path, f"cannot be read ({exc.strerror or exc})") from exc
    except ValueError as exc:
        raise _bad(path, f"is not valid JSON ({exc})") from exc


def load_info(root: Path) -> Info:
    """Read and check ``meta/info.json``; ``UnreadableRecording`` naming the missing or malformed key."""
    path = root / "meta" / "info.json"
    raw = _read_json(path)
    if not isinstance(raw, dict):
        raise _bad(path, "must hold a JSON object")
    for key in INFO_KEYS:
        if key not in raw:
            raise _bad(path, f"has no {key!r} key")
    version, fps, features = raw["codebase_version"], raw["fps"], raw["features"]
    if not isinstance(version, str) or not version.startswith(("v2", "v3")):
        raise _bad(path, f"'codebase_version' is {version!r}; this reader handles v2.x and v3.x")
    if not isinstance(fps, int | float) or isinstance(fps, bool) or fps <= 0:
        raise _bad(path, f"'fps' is {fps!r}, not a positive number")
    if not isinstance(features, dict) or not all(isinstance(f, dict) for f in features.values()):
        raise _bad(path, "'features' is not an object of feature objects")
    video_path = raw.get("video_path")
    if any(f.get("dtype") == "video" for f in features.values()) and not isinstance(video_path, str):
        raise _bad(path, "has video features but no 'video_path' key")
    robot = raw.get("robot_type")
    return Info(
        root=root,
        version=version,
        fps=float(fps),
        features=features,
        data_path=str(raw["data_path"]),
        video_path=video_path if isinstance(video_path, str) else None,
        chunks_size=int(raw.get("chunks_size") or 1000),
        robot_type=str(robot) if robot else None,
        raw=raw,
    )


def _jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON-lines file; ``UnreadableRecording`` naming the line that is not one."""
    _not_lfs(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise _bad(path, f"cannot be read ({exc.strerror or exc})") from exc
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise _bad(path, f"line {number} is not valid JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise _bad(path, f"line {number} is not a JSON object")
        rows.append(row)
    return rows


def read_parquet(path: Path, drop_prefix: str | None = None) -> pa.Table:
    """A whole Parquet file, or without the columns starting with ``drop_prefix``; damage is unreadable."""
    _not_lfs(path)
    try:
        columns = None
        if drop_prefix is not None:
            columns = [n for n in pq.read_schema(path).names if not n.startswith(drop_prefix)]
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise UnreadableRecording(
            str(path), f"not a readable Parquet file ({exc})", "the file may be truncated; copy it again"
        ) from exc


def _int(row: dict[str, Any], key: str, where: Path) -> int:
    try:
        return int(row[key])
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(where, f"an episode entry has no integer {key!r}") from exc


def _tasks_of(row: dict[str, Any]) -> tuple[str, ...]:
    tasks = row.get("tasks")
    if isinstance(tasks, str):
        return (tasks,)
    return tuple(str(t) for t in tasks or [])


def _length(row: dict[str, Any]) -> int | None:
    try:
        return int(row["length"])
    except (KeyError, TypeError, ValueError):
        return None


def _fill(info: Info, template_key: str, **values: int | str) -> Path:
    """``info.root`` / the info.json path template ``template_key`` filled with ``values``."""
    template = str(info.raw.get(template_key))
    try:
        return info.root / template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise _bad(info.root / "meta" / "info.json", f"{template_key!r} {template!r} cannot be filled ({exc})") from exc


def _v2_episode(info: Info, row: dict[str, Any], where: Path) -> EpisodeRef:
    idx = _int(row, "episode_index", where)
    chunk = idx // info.chunks_size
    videos = {
        key: VideoRef(_fill(info, "video_path", episode_chunk=chunk, video_key=key, episode_index=idx))
        for key in info.keys_of("video")
    }
    data = _fill(info, "data_path", episode_chunk=chunk, episode_index=idx)
    return EpisodeRef(idx, _length(row), _tasks_of(row), data, videos=videos)


def _v3_episode(info: Info, row: dict[str, Any], where: Path) -> EpisodeRef:
    idx = _int(row, "episode_index", where)
    chunk, file = _int(row, "data/chunk_index", where), _int(row, "data/file_index", where)
    data = _fill(info, "data_path", chunk_index=chunk, file_index=file)
    videos = {}
    for key in info.keys_of("video"):
        p = f"videos/{key}/"
        chunk, file = _int(row, p + "chunk_index", where), _int(row, p + "file_index", where)
        try:
            span = float(row[p + "from_timestamp"]), float(row[p + "to_timestamp"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad(where, f"episode {idx} has no {p}from_timestamp / to_timestamp") from exc
        path = _fill(info, "video_path", video_key=key, chunk_index=chunk, file_index=file)
        videos[key] = VideoRef(path, *span)
    rows = (_int(row, "dataset_from_index", where), _int(row, "dataset_to_index", where))
    return EpisodeRef(idx, _length(row), _tasks_of(row), data, rows, videos)


def load_episodes(info: Info) -> list[EpisodeRef]:
    """Every episode the metadata lists, sorted by ``episode_index``."""
    if not info.v3:
        path = info.root / "meta" / "episodes.jsonl"
        refs = [_v2_episode(info, row, path) for row in _jsonl(path)]
    else:
        files = sorted((info.root / "meta" / "episodes").glob("chunk-*/file-*.parquet"))
        if not files:
            raise _bad(info.root / "meta" / "episodes", "holds no chunk-XXX/file-XXX.parquet episode table")
        refs = []
        for f in files:
            refs += [_v3_episode(info, row, f) for row in read_parquet(f, drop_prefix="stats/").to_pylist()]
    return sorted(refs, key=lambda r: r.index)


def load_tasks(info: Info) -> dict[int, str]:
    """task_index -> task text, from ``meta/tasks.jsonl`` (v2.1) or ``meta/tasks.parquet`` (v3.0), or {}."""
    jsonl, parquet = info.root / "meta" / "tasks.jsonl", info.root / "meta" / "tasks.parquet"
    if jsonl.is_file():
        return {_int(r, "task_index", jsonl): str(r.get("task", "")) for r in _jsonl(jsonl)}
    if not parquet.is_file():
        return {}
    table = read_parquet(parquet)
    text = [c for c in table.column_names if pa.types.is_string(table.schema.field(c).type)]
    text += [c for c in table.column_names if pa.types.is_large_string(table.schema.field(c).type)]
    if "task_index" not in table.column_names or not text:
        raise _bad(parquet, "needs a 'task_index' column and a text column")
    column = "task" if "task" in text else text[0]
    indices, tasks = table.column("task_index").to_pylist(), table.column(column).to_pylist()
    return {int(i): str(t) for i, t in zip(indices, tasks, strict=True)}


def _flatten(names: Any) -> list[str]:
    """Leaves of a names tree (lists, nested lists like ``[[...]]``, dicts like ``{"motors": [...]}``)."""
    if isinstance(names, dict):
        return [n for v in names.values() for n in _flatten(v)]
    if isinstance(names, list | tuple):
        return [n for v in names for n in _flatten(v)]
    return [] if names is None else [str(names)]


def feature_names(key: str, feature: dict[str, Any], width: int) -> list[str]:
    """Column names for a feature with ``width`` values per frame: its ``names`` flattened if they fit and are
    unique, else ``<key>_<i>``."""
    flat = _flatten(feature.get("names"))
    if len(flat) == width and len(set(flat)) == width:
        return flat
    return [f"{key}_{i}" for i in range(width)] if width > 1 else [key]


def column_values(column: pa.ChunkedArray) -> F64:
    """A Parquet column as (rows, values per row) float64; list columns are flattened, nulls become NaN."""
    col = column.combine_chunks()
    kind = col.type
    if pa.types.is_list(kind) or pa.types.is_fixed_size_list(kind) or pa.types.is_large_list(kind):
        lengths = pc.list_value_length(col)
        if col.null_count == 0 and pc.min(lengths) == pc.max(lengths):
            flat = np.asarray(col.flatten().to_numpy(zero_copy_only=False), dtype=np.float64)
            return flat.reshape(len(col), -1)
        rows = col.to_pylist()
        out = np.full((len(rows), max((len(r) for r in rows if r is not None), default=1)), np.nan)
        for i, r in enumerate(rows):
            if r is not None:
                out[i, : len(r)] = [np.nan if v is None else v for v in r]
        return out
    filled = pc.fill_null(col.cast(pa.float64()), np.nan)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.float64)[:, None]


def row_problems(ref: EpisodeRef, table: pa.Table, seconds: F64) -> Iterator[Problem]:
    """Inconsistencies of an episode's bookkeeping columns (``seconds``: its ``timestamp`` column):
    frame_index not 0, 1, 2..., timestamps not increasing, a length, global index range or episode_index
    other than the episode table says."""
    rel = seconds - seconds[0]
    if "frame_index" in table.column_names:
        frames = np.asarray(table.column("frame_index").to_numpy(zero_copy_only=False), dtype=np.int64)
        breaks = np.flatnonzero(np.diff(frames) != 1)
        if frames[0] != 0 or breaks.size:
            at = int(breaks[0]) if breaks.size else 0
            message = (
                f"frame_index is not 0, 1, 2...: starts at {frames[0]}, {breaks.size} breaks "
                f"(first after frame {frames[at]})"
            )
            yield "timing.frame_index_gap", message, {"start_s": float(rel[at]), "value": float(breaks.size)}
    backwards = np.flatnonzero(np.diff(seconds) <= 0)
    if backwards.size:
        message = f"'timestamp' does not increase at {backwards.size} rows"
        yield (
            "timing.non_monotonic",
            message,
            {"start_s": float(rel[backwards[0]]), "value": float(backwards.size)},
        )
    if ref.length is not None and ref.length != table.num_rows:
        message = f"the episode table says {ref.length} frames, the data has {table.num_rows}"
        yield "completeness.length_mismatch", message, {"value": float(table.num_rows)}
    if ref.rows is not None and "index" in table.column_names:
        found = (pc.min(table.column("index")).as_py(), pc.max(table.column("index")).as_py())
        if found != (ref.rows[0], ref.rows[1] - 1):
            expected = f"{ref.rows[0]}..{ref.rows[1] - 1}"
            message = f"rows have index {found[0]}..{found[1]}, the episode table says {expected}"
            yield "integrity.index_range_mismatch", message, {}
    if "episode_index" in table.column_names:
        wrong = pc.sum(pc.not_equal(table.column("episode_index"), ref.index)).as_py() or 0
        if wrong:
            message = f"{wrong} rows in {ref.data_file.name} name another episode_index"
            yield "integrity.episode_index_mismatch", message, {"value": float(wrong)}
