"""Dropped video frames, read from the frames' presentation times (sorted: B-frame reordering is undone at ingest).

A frame interval longer than ``dropped_frame_factor`` times the nominal one is a gap of ``round(interval / nominal)
- 1`` missing frames; a gap of ``dropped_frames_blocking`` frames or more rejects, a shorter one asks for review.
The nominal interval is the declared rate's when the recording declares one (a slower stretch of a 30 fps stream
is frames lost). Without one it is the stream's own rhythm: the median of the ``dropped_frame_window`` intervals
around each interval, so a variable-frame-rate recording (a browser or phone capture that runs at 30 fps, then at
15 fps when the light drops) is judged against the rate it had at that moment, not against its fastest stretch.
An even thinning of an undeclared stream cannot be told from a rate change and is not reported.

A video file timed by its container's presentation times (not by a capture clock) may hold a frame longer on
purpose (an edited film, stop-motion, an encoder that merges repeated frames): a gap across which the image does
not change (:func:`robofuel.steps.qc.video_measures.change` below ``frozen_video_luma``) lost nothing and is not a drop.
Memory: one float per frame interval times the window (31 intervals: 250 bytes per frame).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from robofuel.standard import Episode, Severity, Storage, Stream, StreamKind, VideoData
from robofuel.steps.qc.context import RuleContext, runs
from robofuel.steps.qc.video_measures import change
from robofuel.video import gray_at

Intervals = npt.NDArray[np.float64]


def rhythm(dt: Intervals, window: int) -> Intervals:
    """The stream's own frame interval at each interval ``dt`` (ns): the median of the ``window`` intervals centred
    on it (edges repeat the first and last interval)."""
    w = max(1, min(int(window), len(dt)))
    half = w // 2
    padded = np.pad(dt, (half, w - 1 - half), mode="edge")
    return np.asarray(np.median(np.lib.stride_tricks.sliding_window_view(padded, w), axis=1), dtype=np.float64)


def container_timed(meta: Episode, stream: Stream) -> bool:
    """Whether a video file's frames are timed by the container's presentation times (the video reader's
    ``extra.video_timing``), not by a capture clock (a frame table, a recorder's log times)."""
    timing = meta.extra.get("video_timing")
    how = timing.get(stream.source or "") if isinstance(timing, dict) else None
    return stream.storage is Storage.video_file and isinstance(how, str) and how.startswith("container")


def held(video: VideoData, gaps: npt.NDArray[np.intp], luma: float) -> npt.NDArray[np.bool_]:
    """For each gap (the interval after frame i), whether frames i and i + 1 show the same image (a held frame)."""
    frames = gray_at(video, {int(i) for i in gaps} | {int(i) + 1 for i in gaps})
    same = [i in frames and i + 1 in frames and change(frames[i + 1], frames[i]) < luma for i in gaps]
    return np.asarray(same, dtype=bool)


def _nominal(s: Stream, dt: Intervals, window: int) -> Intervals:
    if s.rate_hz:
        return np.full(len(dt), 1e9 / s.rate_hz)
    return rhythm(dt, window)


def dropped_frames(ctx: RuleContext) -> None:
    """Video frame intervals longer than ``dropped_frame_factor`` times the nominal one are dropped frames."""
    for s in ctx.data.meta.streams:
        video = ctx.data.payloads.get(s.name)
        if s.kind is not StreamKind.video or not isinstance(video, VideoData) or len(video.timestamps_ns) < 3:
            continue
        ts = video.timestamps_ns
        dt = np.diff(ts).astype(np.float64)
        nominal = _nominal(s, dt, ctx.th["dropped_frame_window"])
        gap = dt > ctx.th["dropped_frame_factor"] * nominal
        if gap.any() and container_timed(ctx.data.meta, s):
            where = np.flatnonzero(gap)
            gap[where[held(video, where, ctx.th["frozen_video_luma"])]] = False
        missing = np.round(dt / nominal).astype(np.int64) - 1
        for a, b in runs(gap):
            n = int(missing[a:b].sum())
            severity = Severity.blocking if n >= ctx.th["dropped_frames_blocking"] else Severity.warning
            ctx.add(
                "video.dropped_frames",
                severity,
                f"{s.name}: about {n} frames missing",
                stream=s.name,
                span_ns=(int(ts[a]), int(ts[b])),
                value=n,
            )
