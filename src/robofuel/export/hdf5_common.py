"""What the HDF5 exporters (:mod:`~robofuel.export.hdf5_robomimic`, :mod:`~robofuel.export.hdf5_aloha`) share.

- which streams an episode offers: numeric and camera streams with samples; audio and anything else is left out
  and counted in the report with the reason;
- sampling at the export frames (int64 ns on the reference clock, chosen by
  :func:`~robofuel.export.timeline.choose_timeline`): numeric streams resampled (:func:`robofuel.resample.resample`,
  float64 in the stream's own units), cameras as the RGB frame nearest to each frame time;
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from robofuel.export.frames import picked_frames
from robofuel.export.lerobot_features import ACTION_ROLES
from robofuel.export.report import ExportReport
from robofuel.export.timeline import reference_times
from robofuel.resample import nearest_index, resample
from robofuel.standard import Episode, EpisodeData, NumericData, StreamKind, VideoData
from robofuel.standard.data import F64, I64
from robofuel.video import Rgb, rgb_frames

JPEG_CODECS = frozenset({"mjpeg", "jpeg"})
NEXT_STATE_NOTE = (
    "actions: no action stream recorded; the next frame's joint positions (absolute joint-position targets, "
    "the last frame keeps its own)"
)


@dataclass
class Offered:
    """The streams of an episode an HDF5 export can take: numeric ones and cameras (episode order), and the first
    numeric stream whose role is an action role (None when the recording has none)."""

    numeric: list[str] = field(default_factory=list)
    cameras: list[str] = field(default_factory=list)
    action: str | None = None


def offered(ep: EpisodeData, report: ExportReport, target: str) -> Offered:
    """The episode's numeric and camera streams with samples; audio and other kinds counted as omitted."""
    out = Offered()
    for s in ep.meta.streams:
        payload = ep.payloads.get(s.name)
        if s.count == 0:
            continue
        if s.kind is StreamKind.audio:
            report.omitted[f"{s.name}: audio ({target} has no place for audio)"] += 1
        elif s.kind is StreamKind.numeric and isinstance(payload, NumericData) and len(payload.timestamps_ns):
            out.numeric.append(s.name)
            if out.action is None and s.role in ACTION_ROLES:
                out.action = s.name
        elif s.kind is StreamKind.video and isinstance(payload, VideoData) and len(payload.timestamps_ns):
            out.cameras.append(s.name)
        else:
            report.omitted[f"{s.name}: {s.kind.value} stream without a usable payload ({target})"] += 1
    return out


def sample(ep: EpisodeData, name: str, t_ns: I64) -> F64:
    """Numeric stream ``name`` at the frame times ``t_ns`` (ns, reference clock): (T, C) float64, stream units."""
    stream, data = ep.meta.stream(name), ep.payloads[name]
    assert isinstance(data, NumericData)
    return resample(NumericData(reference_times(stream, data), data.values), stream, t_ns)


def next_frame(values: F64) -> F64:
    """Each frame's row replaced by the next frame's (the last frame keeps its own)."""
    out: F64 = np.vstack([values[1:], values[-1:]])
    return out


def camera_picks(ep: EpisodeData, name: str, t_ns: I64) -> I64:
    """For each frame time, the index of the camera's nearest captured frame (reference clock)."""
    video = ep.payloads[name]
    assert isinstance(video, VideoData)
    return nearest_index(reference_times(ep.meta.stream(name), video), t_ns)


def frames_at(ep: EpisodeData, name: str, t_ns: I64) -> Iterator[Rgb]:
    """Camera ``name``'s nearest frame at each frame time, decoded to (H, W, 3) uint8 RGB."""
    video = ep.payloads[name]
    assert isinstance(video, VideoData)
    frames: Iterator[Rgb] = picked_frames(
        rgb_frames(video, ep.meta.stream(name).pixel_format), camera_picks(ep, name, t_ns)
    )
    return frames


def h5_name(name: str) -> str:
    """A stream name as an HDF5 dataset name: dots and slashes replaced by ``_``."""
    return name.replace(".", "_").replace("/", "_")


def episode_attrs(meta: Episode) -> dict[str, str]:
    """The episode's identity as HDF5 attributes (those it has): id, task id and instruction, operator, embodiment."""
    known = {
        "episode_id": meta.id,
        "task_id": meta.task.id,
        "task_instruction": meta.task.instruction,
        "operator": meta.operator,
        "embodiment": meta.embodiment,
    }
    return {key: value for key, value in known.items() if value is not None}
