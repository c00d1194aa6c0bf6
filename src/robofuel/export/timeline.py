"""The frames of an exported episode: at which times every stream is sampled.

Frame-based formats (LeRobot, ALOHA, UMI, RLDS...) store one row per frame at a fixed rate. Streams are first put
on the reference clock (``Stream.clock_offset_ns`` added: the sync step's correction, never applied to the raw
data), then the frames are chosen:

- when a camera's codec can be copied into the target and no other rate is asked for, the frames are that camera's
  own frames (its packets are then copied, re-timestamped to ``k / fps``): every other stream is sampled at the
  instants the camera really captured, so pixels and signals stay in step;
- otherwise a uniform grid at ``fps`` (asked for, else the fastest camera's rate, else the joint stream's, else 30).

Frames span only the time every exported stream covers (no extrapolation at either end; a frame less than a
thousandth of a period past the end counts as inside, for float32 timestamps), and only the episode's kept span when
the clean step set one (``Episode.kept``: idle head and tail, pieces beyond a long gap left out). A numeric stream
already at the frames (at the frame rate, a sample within 5% of a period of every frame: a LeRobot dataset whose
float32 timestamps jitter by microseconds) gives its own samples, not interpolated ones (:func:`at_frames`).

Cost follows samples: a uniform grid is sized before it is built and refused (:class:`NotExportable`) when it would
hold more frames than the exported streams' samples justify (:func:`robofuel.resample.grid_fits`: at most 64 frames
per sample, and 100k frames always allowed), as does an episode whose streams share no time. Exporters leave such an
episode out with the reason (:func:`timeline_or_omit`), never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robofuel.export.report import ExportReport
from robofuel.resample import grid_fits, grid_points, nearest_index, resample
from robofuel.standard import EpisodeData, NumericData, Stream, VideoData
from robofuel.standard.data import F64, I64, measured_rate

DEFAULT_FPS = 30.0
#: How near (fraction of the frame period) a sample must be to every frame for the stream to count as at the frames.
ALIGNED = 0.05
#: Frames past the covered end (fraction of a period) still counted inside: float32 timestamps fall short by ns.
END_SLACK = 1e-3


class NotExportable(ValueError):
    """An episode an exporter cannot write, with the reason (the message); it is left out, the rest goes on."""


@dataclass(frozen=True)
class Timeline:
    """Export frame times (ns on the reference clock), the rate written to the target, and the camera whose own
    frames they are (None for a uniform grid)."""

    t_ns: I64
    fps: float
    camera: str | None = None

    @property
    def timestamps_s(self) -> np.ndarray:
        """Frame ``k`` at ``k / fps`` s from the episode's first frame, as frame-based formats store it."""
        return np.arange(len(self.t_ns), dtype=np.float64) / self.fps


def reference_times(stream: Stream, payload: NumericData | VideoData) -> I64:
    """A stream's sample times on the reference clock (its sync correction added)."""
    ts: I64 = payload.timestamps_ns + np.int64(stream.clock_offset_ns)
    return ts


def at_frames(stream: Stream, data: NumericData, t_ns: I64) -> F64:
    """The stream's values at the frame times ``t_ns`` (reference clock): its own samples when it runs at the frame
    rate and one lies within ``ALIGNED`` of a frame period of every frame (no interpolation, and no zero-order hold
    slipping a discrete column to the previous frame on a timestamp a few ns late), else
    :func:`robofuel.resample.resample`."""
    ts = reference_times(stream, data)
    if len(ts) > 1 and len(t_ns) > 1:
        period, own = float(np.median(np.diff(t_ns))), float(np.median(np.diff(ts)))
        idx = nearest_index(ts, t_ns)
        if abs(own - period) <= ALIGNED * period and np.all(np.abs(ts[idx] - t_ns) <= ALIGNED * period):
            values: F64 = data.values[idx]
            return values
    return resample(NumericData(ts, data.values), stream, t_ns)


def _rounded_rate(rate: float) -> float:
    """An integer rate when within 1.5% of one (30.0 for 29.97 Hz measured on jittery stamps), else the rate."""
    near = round(rate)
    return float(near) if near > 0 and abs(rate - near) / near < 0.015 else rate


def covered_span(ep: EpisodeData, names: list[str]) -> tuple[int, int]:
    """The time every named stream covers, within the episode's kept span if it has one: (latest first sample,
    earliest last sample), ns on the reference clock."""
    starts, ends = [], []
    for name in names:
        payload = ep.payloads[name]
        if isinstance(payload, NumericData | VideoData) and len(payload.timestamps_ns):
            ts = reference_times(ep.meta.stream(name), payload)
            starts.append(int(ts.min()))
            ends.append(int(ts.max()))
    if not starts:
        raise NotExportable("no stream with samples to export")
    start, end = max(starts), min(ends)
    kept = ep.meta.kept
    if kept is not None:
        start = max(start, ep.meta.start_ns + round(kept.start_s * 1e9))
        end = min(end, ep.meta.start_ns + round(kept.end_s * 1e9))
    return start, end


def _default_fps(ep: EpisodeData, names: list[str]) -> float:
    videos = [ep.meta.stream(n) for n in names if ep.meta.stream(n).kind.value == "video"]
    rates = [s.measured_rate_hz or s.rate_hz or 0.0 for s in videos]
    if any(rates):
        return _rounded_rate(max(rates))
    joints = [ep.meta.stream(n) for n in names if ep.meta.stream(n).role == "joint_position"]
    rate = next((s.measured_rate_hz or s.rate_hz for s in joints if s.measured_rate_hz or s.rate_hz), None)
    return _rounded_rate(rate) if rate else DEFAULT_FPS


def choose_timeline(ep: EpisodeData, names: list[str], fps: float | None, copyable: set[str]) -> Timeline:
    """The frames to export ``names`` of ``ep`` at: a copyable camera's own frames, else a uniform grid.

    ``copyable`` names the cameras whose packets the target can take as they are. :class:`NotExportable` when the
    streams share no time or a grid would outgrow the samples (at most 64 frames per sample, 100k frames always)."""
    start, end = covered_span(ep, names)
    for name in names:
        payload = ep.payloads[name]
        if name not in copyable or not isinstance(payload, VideoData):
            continue
        rate = measured_rate(payload.timestamps_ns)
        if rate is None or (fps is not None and abs(rate - fps) / fps > 0.015):
            continue
        ts = reference_times(ep.meta.stream(name), payload)
        inside = ts[(ts >= start) & (ts <= end + END_SLACK * 1e9 / rate)]  # a float32 stamp ends ns short
        if len(inside):
            return Timeline(inside, fps or _rounded_rate(rate), name)
    if end < start:
        raise NotExportable("its streams share no time (each ends before another starts)")
    rate = fps or _default_fps(ep, names)
    count = int(np.floor((end - start) * rate / 1e9 + END_SLACK)) + 1
    samples = sum(len(p.timestamps_ns) for n in names if isinstance(p := ep.payloads[n], NumericData | VideoData))
    if not grid_fits(max(count, grid_points(end - start, 1e9 / rate)), samples):
        raise NotExportable(
            f"{count} frames at {rate:g} fps over {(end - start) / 1e9:.0f} s from {samples} samples: frames would be "
            "invented, not recorded (see the episode's timing findings)"
        )
    return Timeline(start + np.round(np.arange(count) * 1e9 / rate).astype(np.int64), rate)


def timeline_or_omit(
    ep: EpisodeData, names: list[str], fps: float | None, copyable: set[str], report: ExportReport
) -> Timeline | None:
    """:func:`choose_timeline`, or None with the episode counted in ``report.omitted`` with the reason."""
    try:
        return choose_timeline(ep, names, fps, copyable)
    except NotExportable as exc:
        report.leave_out(ep.meta.id, str(exc))
        return None
