"""In-memory samples of an episode: what readers produce, what the lake stores and what steps read.

An :class:`EpisodeData` pairs the standard's metadata (:class:`~robofuel.standard.models.Episode`) with one
payload per stream. Numeric payloads hold arrays; video and audio payloads point at compressed bytes (a file or a
list of packets) so that nothing is decoded unless a step needs pixels or samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from robofuel.standard.models import Episode, Storage, Stream, StreamKind

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass
class NumericData:
    """A numeric stream: ``timestamps_ns`` (N,) int64 ns since epoch and ``values`` (N, C) float64."""

    timestamps_ns: I64
    values: F64

    def __post_init__(self) -> None:
        self.timestamps_ns = np.asarray(self.timestamps_ns, dtype=np.int64).reshape(-1)
        values = np.asarray(self.values, dtype=np.float64)
        if values.ndim == 1:
            values = values.reshape(-1, 1)
        if values.ndim != 2:
            raise ValueError(f"numeric values must be (N, C), got shape {values.shape}")
        self.values = values
        if self.values.shape[0] != self.timestamps_ns.shape[0]:
            raise ValueError(f"{self.values.shape[0]} rows of values for {self.timestamps_ns.shape[0]} timestamps")


@dataclass
class VideoData:
    """One camera's compressed frames, never decoded here.

    Either ``file`` (a container such as MP4, kept byte for byte) or ``packets`` (one compressed frame per
    element, e.g. Annex B H.264 access units or JPEG images) is set. ``timestamps_ns`` gives one time per frame in
    presentation order.
    """

    timestamps_ns: I64
    codec: str
    width: int | None = None
    height: int | None = None
    file: Path | None = None
    packets: list[bytes] | None = None

    def __post_init__(self) -> None:
        self.timestamps_ns = np.asarray(self.timestamps_ns, dtype=np.int64).reshape(-1)
        if (self.file is None) == (self.packets is None):
            raise ValueError("VideoData needs exactly one of file or packets")
        if self.packets is not None and len(self.packets) != len(self.timestamps_ns):
            raise ValueError(f"{len(self.packets)} packets for {len(self.timestamps_ns)} timestamps")


@dataclass
class AudioData:
    """Audio kept losslessly: a WAV ``file`` as recorded, or PCM ``samples`` (N, channels) int16."""

    start_ns: int
    sample_rate: int
    channels: int
    count: int
    file: Path | None = None
    samples: npt.NDArray[np.int16] | None = None


@dataclass
class EventsData:
    """Discrete timestamped events: ``timestamps_ns`` (N,) int64 and ``fields`` {name: N values}, each value a
    str, int, float, bool, bytes, a list of numbers or None (absent). Log messages (level, node, text), operator
    marks, and per-message arrays too long for columns (a laser scan's ranges, a point cloud's bytes) are events."""

    timestamps_ns: I64
    fields: dict[str, list[object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.timestamps_ns = np.asarray(self.timestamps_ns, dtype=np.int64).reshape(-1)
        for name, values in self.fields.items():
            if len(values) != len(self.timestamps_ns):
                raise ValueError(f"events field {name!r}: {len(values)} values for {len(self.timestamps_ns)} times")

    def take(self, mask: npt.NDArray[np.bool_]) -> EventsData:
        """The events where ``mask`` is true."""
        rows = np.flatnonzero(mask).tolist()
        return EventsData(self.timestamps_ns[mask], {k: [v[i] for i in rows] for k, v in self.fields.items()})


Payload = NumericData | VideoData | AudioData | EventsData


@dataclass
class EpisodeData:
    """An episode's metadata and its stream payloads, keyed by stream name."""

    meta: Episode
    payloads: dict[str, Payload] = field(default_factory=dict)

    def numeric(self, name: str) -> NumericData:
        """The numeric payload of stream ``name``."""
        payload = self.payloads[name]
        if not isinstance(payload, NumericData):
            raise TypeError(f"stream {name!r} is not numeric")
        return payload


def measured_rate(timestamps_ns: I64) -> float | None:
    """Rate in Hz from the median positive interval between timestamps; None if it cannot be measured."""
    if len(timestamps_ns) < 2:
        return None
    dt = np.diff(timestamps_ns)
    dt = dt[dt > 0]
    if dt.size == 0:
        return None
    return float(1e9 / np.median(dt))


def _time_span(ts: I64) -> tuple[int | None, int | None]:
    if ts.size == 0:
        return None, None
    return int(ts.min()), int(ts.max())


def numeric_stream(name: str, data: NumericData, columns: list[str], **info: object) -> Stream:
    """Metadata for a numeric stream, with count, time span and measured rate taken from ``data``."""
    if len(columns) != data.values.shape[1]:
        raise ValueError(f"stream {name!r}: {len(columns)} column names for {data.values.shape[1]} columns")
    start, end = _time_span(data.timestamps_ns)
    return Stream.model_validate(
        {
            "name": name,
            "kind": StreamKind.numeric,
            "columns": columns,
            "count": len(data.timestamps_ns),
            "start_ns": start,
            "end_ns": end,
            "measured_rate_hz": measured_rate(data.timestamps_ns),
            "storage": Storage.parquet,
            "path": f"streams/{name}.parquet",
            **info,
        }
    )


def video_stream(name: str, data: VideoData, **info: object) -> Stream:
    """Metadata for a video stream; stored as the original file or as concatenated packets."""
    start, end = _time_span(data.timestamps_ns)
    if data.file is not None:
        storage, path = Storage.video_file, f"streams/{name}{data.file.suffix or '.mp4'}"
    else:
        storage, path = Storage.video_packets, f"streams/{name}.{data.codec}"
    return Stream.model_validate(
        {
            "name": name,
            "kind": StreamKind.video,
            "role": "camera_rgb",
            "count": len(data.timestamps_ns),
            "start_ns": start,
            "end_ns": end,
            "measured_rate_hz": measured_rate(data.timestamps_ns),
            "storage": storage,
            "path": path,
            "codec": data.codec,
            "width": data.width,
            "height": data.height,
            **info,
        }
    )


def events_stream(name: str, data: EventsData, **info: object) -> Stream:
    """Metadata for an events stream stored as Parquet (``timestamp_ns`` + one column per field)."""
    start, end = _time_span(data.timestamps_ns)
    return Stream.model_validate(
        {
            "name": name,
            "kind": StreamKind.events,
            "role": "events",
            "columns": list(data.fields),
            "count": len(data.timestamps_ns),
            "start_ns": start,
            "end_ns": end,
            "storage": Storage.parquet,
            "path": f"streams/{name}.parquet",
            **info,
        }
    )


def audio_stream(name: str, data: AudioData, **info: object) -> Stream:
    """Metadata for an audio stream stored as WAV."""
    end = data.start_ns + round(data.count * 1e9 / data.sample_rate) if data.count else data.start_ns
    return Stream.model_validate(
        {
            "name": name,
            "kind": StreamKind.audio,
            "role": "audio",
            "count": data.count,
            "start_ns": data.start_ns,
            "end_ns": end,
            "rate_hz": float(data.sample_rate),
            "storage": Storage.wav,
            "path": f"streams/{name}.wav",
            "codec": "pcm_s16le",
            "sample_rate": data.sample_rate,
            "channels": data.channels,
            **info,
        }
    )


def episode_span(streams: list[Stream]) -> tuple[int, float]:
    """(start_ns, duration_s) covering every stream that has samples; (0, 0.0) when none has. Events streams (log
    messages, marks) do not stretch it unless there is no other stream: a node's shutdown messages after the last
    sensor sample are not recording."""
    signals = [s for s in streams if s.kind is not StreamKind.events] or streams
    starts = [s.start_ns for s in signals if s.start_ns is not None]
    ends = [s.end_ns for s in signals if s.end_ns is not None]
    if not starts or not ends:
        return 0, 0.0
    start = min(starts)
    return start, max(0.0, (max(ends) - start) / 1e9)
