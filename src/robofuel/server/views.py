"""The data the console's pages draw: the dashboard's figures, an episode's numeric streams for plotting and its
video (``/api/dashboard``, ``/api/episodes/{id}/plot/{stream}``, ``/api/episodes/{id}/video/{stream}``).

Every route needs a session or token with the viewer role, as the rest of the API. The dashboard is
:func:`robofuel.report.qc_summary.summarise` (what ``robofuel qc --json`` prints) over the episodes matching a
``where`` filter, counted from the catalog's columns without opening any episode file
(:mod:`robofuel.report.qc_catalog`), kept in memory until the catalog's episodes change; each group carries the
``where`` expression that lists its episodes.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from robofuel.catalog.current import selection
from robofuel.catalog.db import episodes, ops_records
from robofuel.lake.episodes import load_numeric
from robofuel.ops import campaign_progress, stored_base
from robofuel.parquet import read_parquet_bytes
from robofuel.report.qc_catalog import campaign_facts, catalog_summary, fill_columns
from robofuel.report.qc_summary import GROUPS
from robofuel.server.api import _known
from robofuel.server.auth import User
from robofuel.server.security import Console, console, requires
from robofuel.server.video_serve import video_response
from robofuel.standard import Stream, StreamKind

router = APIRouter(prefix="/api")
Viewer = Annotated[User, Depends(requires("viewer"))]
Served = Annotated[Console, Depends(console)]

#: The qualification rate a collection base aims at.
TARGET_RATE = 0.95
#: Catalog columns of the dashboard's groups (``qc_summary`` groups tasks by id, devices joined by commas).
GROUP_COLUMN = {"operator": "operator", "device": "device", "station": "station", "scene": "scene", "task": "task"}
_cache: dict[tuple[int, str], tuple[tuple[Any, ...], dict[str, Any]]] = {}
_cache_lock = threading.Lock()
#: Plot documents kept in memory (a few hundred kB each at most).
PLOTS_KEPT = 64
_plots: dict[tuple[Any, ...], dict[str, Any]] = {}


def _quoted(value: str) -> str:
    return f'"{value}"' if "'" in value else f"'{value}'"


def group_where(by: str, key: str, where: str | None, task_ids: frozenset[str] = frozenset()) -> str | None:
    """The ``--where`` expression listing a dashboard group's episodes (within ``where``); None when the group
    cannot be named in the filter language (an unknown value, or a value holding both quote characters). A task
    group that is no task id in ``task_ids`` is an instruction (qc_summary names a task without id by it)."""
    if key == "(unknown)" or ("'" in key and '"' in key):
        return None
    column = "instruction" if by == "task" and key not in task_ids else GROUP_COLUMN.get(by, by)
    clause = f"{column} = {_quoted(key)}"
    if not where:
        return clause
    return None if " or " in f" {where.lower()} " else f"{where} and {clause}"  # the language has no parentheses


def _fingerprint(served: Console, where: str | None) -> tuple[Any, ...]:
    """What changes when any matching episode changes (a review, a step, an ingest), or the base's campaigns: count
    and last update of each."""
    query = sa.select(sa.func.count(), sa.func.max(episodes.c.updated_at)).select_from(episodes)
    condition = selection(where, False)
    if condition is not None:
        query = query.where(condition)
    base = sa.select(sa.func.count(), sa.func.max(ops_records.c.updated_at)).select_from(ops_records)
    with served.catalog.engine.connect() as c:
        return (*c.execute(query).one(), *c.execute(base).one())


def dashboard_summary(served: Console, where: str | None) -> dict[str, Any]:
    """The ``qc --json`` summary of the current episodes matching ``where``, with the 95 % target, the Pareto of
    rejection causes (cumulative share) and each group's drill-down filter; cached until the episodes change."""
    key, stamp = (id(served.catalog), where or ""), _fingerprint(served, where)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    if fill_columns(served.lake, served.catalog, selection(where, False)):  # rows of an older catalog, once
        stamp = _fingerprint(served, where)
    summary = catalog_summary(served.catalog, selection(where, False))
    rejected, running = summary["verdicts"].get("rejected", 0), 0
    for cause in summary["top_causes"]:  # the Pareto: share of rejects, and the running share
        running += cause["episodes"]
        cause["share"] = round(cause["episodes"] / max(rejected, 1), 4)
        cause["cumulative"] = round(running / max(sum(c["episodes"] for c in summary["top_causes"]), 1), 4)
    task_ids = frozenset(r["key"] for r in served.catalog.group_counts("task", selection(where, False)) if r["key"])
    for by in GROUPS:
        for value, group in summary["by"][by].items():
            group["where"] = group_where(by, value, where, task_ids)
    summary["target"] = TARGET_RATE
    summary["where"] = where
    base = stored_base(served.catalog)  # the campaigns' effective-hour targets, where `robofuel ops load` set any
    facts = campaign_facts(served.catalog, selection(where, False)) if base.campaigns else []
    summary["campaigns"] = campaign_progress(base, facts) if base.campaigns else []
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = (stamp, summary)
    return summary


@router.get("/dashboard")
async def dashboard(
    served: Served,
    _: Viewer,
    where: Annotated[str | None, Query(description="A --where filter, e.g. 'task = pick_place.cube'.")] = None,
) -> dict[str, Any]:
    """Qualification rate (overall and by operator, device, station, scene, task and day) against the target, the
    causes of rejection ranked, hours and effective hours: ``robofuel qc --json``'s figures, read-only."""
    return await run_in_threadpool(dashboard_summary, served, where)


def warm_up() -> None:
    """Decode a tiny Parquet table once, when the server starts: the first decode in a process imports pyarrow's
    dataset layer and pandas (0.5-0.8 s on the dev box), which the first plot of the first opened episode would
    otherwise wait for."""
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"t": [0]}), sink)
    read_parquet_bytes(sink.getvalue().to_pybytes())


def _stream(served: Console, episode_id: str, name: str, kind: StreamKind) -> tuple[Any, Stream]:
    """The episode's metadata and its stream ``name`` of ``kind`` (404 otherwise: names come from the metadata,
    never used as paths)."""
    meta = served.lake.read_meta(_known(served, episode_id))
    for stream in meta.streams:
        if stream.name == name and stream.kind is kind:
            return meta, stream
    raise HTTPException(404, f"episode {episode_id} has no {kind.value} stream {name!r}")


def envelope(t_s: npt.NDArray[np.float64], values: npt.NDArray[np.float64], max_points: int) -> tuple[Any, Any]:
    """At most ``max_points`` (time, values) rows: the rows themselves when few enough, else for each of
    ``max_points // 2`` buckets of consecutive rows its minimum and its maximum of each column (NaN ignored; so a
    one-sample spike stays visible), at the bucket's first and middle time."""
    n = len(t_s)
    if n <= max_points:
        return t_s, values
    buckets = max(max_points // 2, 1)
    per = -(-n // buckets)  # rows per bucket; the last bucket is padded with NaN
    buckets = -(-n // per)
    padded = np.full((buckets * per, values.shape[1]), np.nan)
    padded[:n] = values
    blocks = padded.reshape(buckets, per, values.shape[1])
    starts = np.arange(buckets) * per
    t = np.empty(2 * buckets)
    t[0::2], t[1::2] = t_s[starts], t_s[np.minimum(starts + per // 2, n - 1)]
    out = np.empty((2 * buckets, values.shape[1]))
    out[0::2], out[1::2] = np.fmin.reduce(blocks, axis=1), np.fmax.reduce(blocks, axis=1)
    return t, out


def _json_column(values: npt.NDArray[np.float64]) -> list[float | None]:
    """Values rounded to 6 significant digits, NaN and infinities as null (JSON has neither)."""
    finite = np.isfinite(values)
    rounded = [float(f"{v:.6g}") for v in values.tolist()]
    return [v if ok else None for v, ok in zip(rounded, finite.tolist(), strict=True)]


def plot_document(served: Console, episode_id: str, name: str, max_points: int) -> dict[str, Any]:
    """One numeric stream for plotting: ``{"stream", "columns", "units", "count", "t": [s from the episode
    start], "values": {column: [...]}}`` with at most ``max_points`` rows (:func:`envelope`); the last ones made
    are kept in memory under the episode's content hash."""
    meta, stream = _stream(served, episode_id, name, StreamKind.numeric)
    key = (served.lake.uri, episode_id, meta.content_hash, meta.start_ns, name, max_points)
    with _cache_lock:
        kept = _plots.pop(key, None)
        if kept is not None:
            _plots[key] = kept  # the most recent last
            return kept
    document = _plot(served, meta, stream, max_points)
    with _cache_lock:
        _plots[key] = document
        while len(_plots) > PLOTS_KEPT:
            _plots.pop(next(iter(_plots)))
    return document


def _plot(served: Console, meta: Any, stream: Stream, max_points: int) -> dict[str, Any]:
    data = load_numeric(served.lake, meta, stream)
    t_s = (data.timestamps_ns - meta.start_ns) / 1e9
    t, values = envelope(t_s, data.values, max_points)
    units = {c: (stream.column_units or {}).get(c, stream.unit) for c in stream.columns}
    return {
        "stream": stream.name,
        "role": stream.role,
        "columns": stream.columns,
        "units": units,
        "count": len(t_s),
        "t": [round(float(x), 4) for x in t],
        "values": {c: _json_column(values[:, i]) for i, c in enumerate(stream.columns)},
    }


@router.get("/episodes/{episode_id}/plot/{stream}")
async def plot(
    served: Served,
    _: Viewer,
    episode_id: str,
    stream: str,
    max_points: Annotated[int, Query(ge=2, le=20_000, description="Most rows answered.")] = 600,
) -> dict[str, Any]:
    """A numeric stream reduced to ``max_points`` rows (min and max of each bucket), times in s from the start."""
    return await run_in_threadpool(plot_document, served, episode_id, stream, max_points)


@router.get("/episodes/{episode_id}/video/{stream}", response_class=Response)
async def video(served: Served, _: Viewer, request: Request, episode_id: str, stream: str) -> Response:
    """The camera's video as a browser plays it: the stored file as it is when it is MP4/WebM of H.264, VP9 or
    AV1, else made once into an MP4 kept in the lake (``cache/console/``); HTTP range requests (206, 416)."""
    meta, found = await run_in_threadpool(_stream, served, episode_id, stream, StreamKind.video)
    return await run_in_threadpool(video_response, served.lake, meta, found, request.headers.get("range"))
