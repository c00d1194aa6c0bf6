"""A LeRobot v3 export written by several workers (``robofuel export --format lerobot --workers N``, or ``--engine
ray``) and merged into one dataset.

The driver looks at the first episodes to fix the dataset's :class:`~robofuel.export.lerobot.Plan` (features,
rate, robot type: what the first episode sets in a serial export), then splits the episodes, in order, into
contiguous parts. Each part is one item of an :mod:`robofuel.executor` (local processes or Ray; the function is
module-level and its item picklable): a worker loads its episodes from the lake and writes them as a LeRobot
dataset of its own in ``<staging>/.parts/part-NNNNN`` (its data files, its video files, episode rows with local
indices), without metadata. The driver then absorbs the parts in order: rows get their global ``episode_index``,
``index`` (frame) and ``task_index`` (tasks numbered in order of first appearance, as a serial export does), the
data rows are packed into ``data/chunk-CCC/file-FFF.parquet`` files as a serial export packs them, each part's
video files are renamed to the next free ``videos/<key>/chunk-CCC/file-FFF.mp4`` (an episode's from/to
timestamps are within its file, so they hold), and the metadata is written from all episode rows. Statistics:
per episode as computed by the worker (the index columns' recomputed from their global values), aggregated over
the episodes exactly as a serial export aggregates them, so stats.json is the same. The staging folder is renamed
into place only when every part is merged, as in a serial export.

With Ray on several machines, the lake and the output's parent folder must be on storage every worker reaches.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from robofuel.executor import ExecutorSpec, make_executor
from robofuel.export.base import Exporter, ExportOptions, ExportReport, nothing_exported, rights
from robofuel.export.lerobot import CHUNKS_SIZE, VIDEO_PATH, Plan, _chunk_file, _Dataset
from robofuel.export.lerobot_features import HOLD, complete_first
from robofuel.export.lerobot_stats import Stats, array_stats, to_json
from robofuel.export.staging import folder_bytes, staged_output
from robofuel.lake import Lake, load_episode
from robofuel.standard import EpisodeData

#: Parts per worker: more than one so that a worker given short episodes takes another part.
PARTS_PER_WORKER = 2
PARTS = ".parts"


@dataclass(frozen=True)
class PartItem:
    """One worker's share: these episodes of the lake at ``lake``, written into ``folder``."""

    lake: str
    ids: tuple[str, ...]
    folder: str
    plan: Plan
    options: ExportOptions


@dataclass
class PartDone:
    """What a worker wrote: its episode rows (local indices), data files and video files (per key, in order)."""

    rows: list[dict[str, Any]]
    data_files: list[str]
    video_files: dict[str, list[str]]
    video_info: dict[str, dict[str, Any]]
    report: ExportReport  # the part's episodes, frames, seconds, rights, omissions and video handling
    fps: float | None = None


def export_part(item: PartItem) -> PartDone:
    """Write ``item``'s episodes as a part of a dataset (a worker's function)."""
    report = ExportReport("lerobot", item.folder)
    lake = Lake(item.lake, create=False)
    folder = Path(item.folder)
    ds = _Dataset(folder, item.options, report, item.plan)
    episodes = Exporter.prepare((load_episode(lake, i) for i in item.ids), item.options, report)
    done = PartDone([], [], {}, {}, report)
    try:
        for ep in episodes:
            written = ds.add(ep)
            if written is not None:
                report.count_written(rights(ep.meta), written.frames, written.seconds)
        ds.finish_files()
    finally:
        ds.close()
    done.rows, done.video_info, done.fps = ds.episodes, ds.video_info, ds.fps
    done.data_files = [str(p) for p in sorted(folder.glob("data/chunk-*/file-*.parquet"))]
    for key, last in ds.video_files.items():
        done.video_files[key] = [str(folder / _video_path(key, n)) for n in range(last + 1)]
    return done


def _exporter_class() -> type[Exporter]:
    from robofuel.export.lerobot import LeRobotExporter

    return LeRobotExporter


def _video_path(key: str, n: int) -> str:
    chunk, file = _chunk_file(n)
    return VIDEO_PATH.format(video_key=key, chunk_index=chunk, file_index=file)


def export_parallel(
    lake: Lake,
    ids: list[str],
    out: Path,
    options: ExportOptions,
    spec: ExecutorSpec,
    advance: Callable[[], None] = lambda: None,
) -> ExportReport:
    """Export the episodes ``ids`` of ``lake`` to LeRobot v3 in ``out`` with the workers ``spec`` asks for."""
    exporter = _exporter_class()()
    exporter.check(options)
    report = ExportReport(exporter.name, str(out))
    report.selected = len(ids)
    order = _in_order(lake, ids)
    with staged_output(out) as stage:
        plan = _plan(exporter, lake, order, options, report)
        ds = _Dataset(stage, options, report, plan)
        parts = _split(order, max(1, spec.workers) * PARTS_PER_WORKER)
        items = [
            PartItem(lake.uri, tuple(p), str(stage / PARTS / f"part-{k:05d}"), plan, options)
            for k, p in enumerate(parts)
        ]
        outcomes = make_executor(spec, len(items)).map(export_part, items)
        try:
            for outcome in outcomes:
                absorb(ds, outcome.result())
                for _ in outcome.item.ids:
                    advance()
        finally:  # stop the workers before a failed export's staging folder is removed
            getattr(outcomes, "close", lambda: None)()
        shutil.rmtree(stage / PARTS, ignore_errors=True)
        if not report.episodes:
            raise nothing_exported(report, exporter.written_as)
        ds.finish()
    report.bytes = folder_bytes(out)
    return report


def _in_order(lake: Lake, ids: list[str]) -> list[str]:
    """``ids`` in the order a serial export takes them (:func:`complete_first`, which looks at most
    ``HOLD + 1`` episodes ahead, so only their metadata is read)."""
    head = [EpisodeData(lake.read_meta(i)) for i in ids[: HOLD + 1]]
    return [ep.meta.id for ep in complete_first(head)] + ids[HOLD + 1 :]


def _plan(exporter: Exporter, lake: Lake, order: list[str], options: ExportOptions, report: ExportReport) -> Plan:
    """The plan a serial export would take from its first episodes: features from the first one written (after
    retargeting), the rate from the first one that can be framed. Reads episodes until both are known."""
    probe = _Dataset(Path(), options, ExportReport(exporter.name, ""))
    for episode_id in order:
        for ep in exporter.prepare([load_episode(lake, episode_id)], options, ExportReport(exporter.name, "")):
            plan = probe.probe(ep)
            if plan.fps is not None:
                break
        if probe.fps is not None:
            break
    report.omitted.update(probe.report.omitted)
    return Plan(probe.features, probe.fps, probe.robot_type)


def _split(order: list[str], parts: int) -> list[list[str]]:
    """``order`` in at most ``parts`` contiguous runs of nearly equal length."""
    bounds = np.linspace(0, len(order), min(parts, len(order)) + 1).round().astype(int)
    return [order[a:b] for a, b in itertools.pairwise(bounds.tolist()) if b > a]


def absorb(ds: _Dataset, part: PartDone) -> None:
    """Append a worker's part to the dataset: its report, episode rows renumbered, data rows packed, videos
    renamed into the dataset's next files."""
    _merge_report(ds.report, part)
    ds.fps = ds.fps or part.fps
    renamed = {key: [_take_video(ds, key, Path(p)) for p in paths] for key, paths in part.video_files.items()}
    ds.video_info.update(part.video_info)
    tables = pa.concat_tables([pq.read_table(p) for p in part.data_files]) if part.data_files else None
    for row in part.rows:
        assert tables is not None
        table = tables.slice(row["dataset_from_index"], row["length"])
        for key, files in renamed.items():
            local = row[f"videos/{key}/chunk_index"] * CHUNKS_SIZE + row[f"videos/{key}/file_index"]
            chunk, file = _chunk_file(files[local])
            row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"] = chunk, file
        ds.append(_renumbered(ds, table, row), row)
        for key in _stat_keys(row):
            ds.stats.setdefault(key, []).append(_row_stats(row, key))


def _merge_report(report: ExportReport, part: PartDone) -> None:
    report.episodes += part.report.episodes
    report.frames += part.report.frames
    report.seconds += part.report.seconds
    report.omitted.update(part.report.omitted)
    report.rights.extend(part.report.rights)
    for stream, how in part.report.video.items():
        report.video.setdefault(stream, type(how)()).update(how)
    report.notes.extend(n for n in part.report.notes if n not in report.notes)


def _take_video(ds: _Dataset, key: str, path: Path) -> int:
    """Move a part's video file to the dataset's next file of ``key``; its number there."""
    n = ds.video_files[key] + 1 if key in ds.video_files else 0
    ds.video_files[key] = n
    target = ds.out / _video_path(key, n)
    target.parent.mkdir(parents=True, exist_ok=True)
    path.rename(target)
    return n


def _renumbered(ds: _Dataset, table: pa.Table, row: dict[str, Any]) -> pa.Table:
    """A part's rows of one episode with their global episode, frame and task indices (stats in ``row`` too)."""
    n = table.num_rows
    task = row["tasks"][0]
    row["episode_index"] = len(ds.episodes)
    values = {
        "episode_index": np.full(n, len(ds.episodes), dtype=np.int64),
        "index": np.arange(ds.frames, ds.frames + n, dtype=np.int64),
        "task_index": np.full(n, ds.tasks.setdefault(task, len(ds.tasks)), dtype=np.int64),
    }
    for key, v in values.items():
        table = table.set_column(table.schema.get_field_index(key), key, pa.array(v))
        for name, value in to_json(array_stats(v.reshape(-1, 1).astype(np.float64))).items():
            row[f"stats/{key}/{name}"] = value
    return table


def _stat_keys(row: dict[str, Any]) -> list[str]:
    """The features whose stats ``row`` holds, in its order."""
    keys = [k.removeprefix("stats/").rsplit("/", 1)[0] for k in row if k.startswith("stats/")]
    return list(dict.fromkeys(keys))


def _row_stats(row: dict[str, Any], key: str) -> Stats:
    """A feature's episode stats back from the row's JSON lists (float64 and counts exact, so the aggregate is a
    serial export's)."""
    prefix = f"stats/{key}/"
    return {k.removeprefix(prefix): np.asarray(v) for k, v in row.items() if k.startswith(prefix)}
