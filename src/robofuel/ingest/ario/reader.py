"""Reader for ARIO ("All Robots In One", arXiv 2408.10899) folders: collection / series / task / episode.

Layout read (as the ARIO standard and its public converters write it): a collection folder holds ``series-<n>``
folders, each ``task-<name>`` folders, each ``episode-<n>`` folders. Pointing ingest at any of these levels reads
every episode below it, in natural order of the numbers (``Episode.recording.index`` = position). In an episode
folder:

- every ``<sensor>.txt`` is a numeric stream named after the file: one sample per line, the unix time in
  milliseconds first, then the values (separated by spaces, tabs or commas); columns ``<sensor>[i]``. ARIO does not
  declare units or roles in these files: set them with a mapping file (``--map``);
- ``result.txt`` is the outcome (``<time_ms> <success>``): ``Task.success`` is whether its last value is non-zero;
- every ``cam-<k>`` folder (any folder of images) is a video stream of its images, one packet per file, named
  by the unix time in milliseconds (``1714373556409.jpg``): codec ``mjpeg`` for JPEG, ``png`` for PNG;
- other folders (point clouds, audio) are reported as skipped, by kind.

Task: the ``task-<name>`` folder gives ``Task.id``; a ``description.yaml`` / ``description.json`` /
``instruction.txt`` in the task folder gives the instruction (keys ``instruction_EN``, ``instruction`` or
``description``). ``extra["ario"]`` records the collection, series and task folders.

Damage: a line that does not parse, or has another number of values than the file's first good line, is skipped
and counted (``report.undecodable``, finding ``ingest.undecodable``); an image whose name is not a time is skipped
and counted; an episode folder with nothing readable gives a warning and no episode; nothing readable at all raises
:class:`UnreadableRecording`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import Built, ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.standard import EpisodeData, NumericData, Severity, VideoData, numeric_stream, video_stream

IMAGE_CODECS = {".jpg": "mjpeg", ".jpeg": "mjpeg", ".png": "png"}
_EPISODE = re.compile(r"episode[-_]?(\d+)$", re.IGNORECASE)
_LEVELS = re.compile(r"(series|task|episode)[-_]", re.IGNORECASE)
HINT = "ARIO episodes are episode-<n> folders (under task-<name>/series-<n>) holding <sensor>.txt files and cam folders"


def _number(path: Path) -> tuple[int, str]:
    found = re.search(r"(\d+)$", path.name)
    return (int(found.group(1)) if found else -1, path.name)


def episode_folders(path: Path, depth: int = 3) -> list[Path]:
    """Every ``episode-<n>`` folder at or below ``path`` (through series- and task- folders), in natural order."""
    if _EPISODE.match(path.name):
        return [path]
    found: list[Path] = []
    if depth == 0:
        return found
    for child in sorted((p for p in path.iterdir() if p.is_dir()), key=_number):
        if _EPISODE.match(child.name):
            found.append(child)
        elif _LEVELS.match(child.name):
            found += episode_folders(child, depth - 1)
    return found


def _parse_lines(path: Path, report: ReadReport) -> tuple[np.ndarray, np.ndarray]:
    """(times ns, values) of a sensor file; bad lines counted in the report."""
    rows: list[list[float]] = []
    width = None
    bad = 0
    for line in path.read_text(errors="replace").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            values = [float(v) for v in re.split(r"[\s,;]+", line.strip())]
        except ValueError:
            bad += 1
            continue
        if width is None:
            width = len(values)
        if len(values) != width or len(values) < 2 or not np.isfinite(values[0]):
            bad += 1
            continue
        rows.append(values)
    if bad:
        report.undecodable[f"{path.name}: lines that do not parse or have another number of values"] += bad
    table = np.array(rows, dtype=np.float64).reshape(len(rows), width or 0)
    times = np.round(table[:, 0] * 1e6).astype(np.int64) if len(rows) else np.zeros(0, dtype=np.int64)
    return times, table[:, 1:]


def _sensor(path: Path, report: ReadReport) -> Built | None:
    times, values = _parse_lines(path, report)
    if len(times) == 0:
        report.skipped[f"{path.name}: no sample"] += 1
        return None
    order = np.argsort(times, kind="stable")
    data = NumericData(times[order], values[order])
    columns = [f"{path.stem}[{i}]" for i in range(values.shape[1])]
    return numeric_stream(path.stem, data, columns, source=path.name), data


def _camera(folder: Path, report: ReadReport) -> Built | None:
    images: list[tuple[int, Path]] = []
    for file in folder.iterdir():
        codec = IMAGE_CODECS.get(file.suffix.lower())
        if codec is None:
            continue
        if not file.stem.isdigit():
            report.undecodable[f"{folder.name}: images not named by their unix time in ms"] += 1
            continue
        images.append((int(file.stem), file))
    if not images:
        return None
    images.sort()
    codecs = {IMAGE_CODECS[f.suffix.lower()] for _, f in images}
    ts = np.array([t * 1_000_000 for t, _ in images], dtype=np.int64)
    video = VideoData(ts, codecs.pop() if len(codecs) == 1 else "mjpeg", packets=[f.read_bytes() for _, f in images])
    return video_stream(folder.name, video, role="camera_rgb", source=f"{folder.name}/"), video


def _success(folder: Path) -> bool | None:
    result = folder / "result.txt"
    if not result.is_file():
        return None
    values = result.read_text(errors="replace").split()
    try:
        return float(values[-1]) != 0.0
    except (ValueError, IndexError):
        return None


def _instruction(task_folder: Path) -> str | None:
    """The task's instruction from its description file, if it has one."""
    for name in ("description.yaml", "description.yml", "description.json", "instruction.txt"):
        path = task_folder / name
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if name.endswith(".txt"):
            return text.strip() or None
        try:
            if name.endswith(".json"):
                doc: Any = json.loads(text)
            else:
                from ruamel.yaml import YAML

                doc = YAML(typ="safe").load(text)
        except Exception:
            return None
        if isinstance(doc, dict):
            for key in ("instruction_EN", "instruction_en", "instruction", "description"):
                if isinstance(doc.get(key), str):
                    return str(doc[key])
    return None


def _streams(folder: Path, report: ReadReport) -> list[Built]:
    built: list[Built] = []
    others: Counter[str] = Counter()
    for item in sorted(folder.iterdir()):
        if item.is_file() and item.suffix.lower() == ".txt" and item.name != "result.txt":
            stream = _sensor(item, report)
        elif item.is_dir():
            stream = _camera(item, report)
            if stream is None:
                others[item.name] += 1
        else:
            continue
        if stream is not None:
            built.append(stream)
            report.add_stream(stream[0])
            report.decoded += stream[0].count
    for name in others:
        report.skipped[f"{name}/: no image named by its time (point clouds, audio... are not read)"] += 1
    return built


def _fields(folder: Path) -> dict[str, Any]:
    task = folder.parent
    task_id = task.name.split("-", 1)[1] if task.name.lower().startswith("task-") else None
    return {
        "task": {"id": task_id, "instruction": _instruction(task), "success": _success(folder)},
        "extra": {"ario": {"collection": task.parent.parent.name, "series": task.parent.name, "task": task.name}},
    }


class ArioReader(Reader):
    name = "ario"
    description = "ARIO folders (collection/series/task/episode): per-sensor txt and images named by unix ms"

    def sniff(self, path: Path) -> bool:
        """An ``episode-<n>`` folder, or a folder with ``series-`` / ``task-`` / ``episode-`` folders leading to
        one, whose episode holds a ``.txt`` sensor file or an image folder."""
        try:
            if not path.is_dir():
                return False
            folders = episode_folders(path)
            return any(any(p.suffix == ".txt" or p.is_dir() for p in f.iterdir()) for f in folders[:3])
        except OSError:
            return False

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        report = ReadReport(str(path), self.name)
        folders = episode_folders(path) if path.is_dir() else []
        if not folders:
            raise UnreadableRecording(str(path), "no episode-<n> folder here or below", HINT)
        episodes: list[EpisodeData] = []
        for folder in folders:
            before = Counter(report.undecodable)
            streams = _streams(folder, report)
            lost = report.undecodable - before
            found = [
                report.finding("ingest.undecodable", f"{folder.name}/{why} ({n} skipped)", value=float(n))
                for why, n in sorted(lost.items())
            ]
            if not streams:
                report.finding("ingest.empty_episode", f"{folder.name}: nothing readable in it", Severity.warning)
                continue
            episodes.append(make_episode(ctx, self.name, len(episodes), streams, findings=found, **_fields(folder)))
        if not episodes:
            raise UnreadableRecording(str(path), f"none of its {len(folders)} episode folders holds a stream", HINT)
        report.episodes = len(episodes)
        return ReadResult(episodes, report)
