"""Turning one MCAP channel's raw messages into a canonical stream (numeric table or compressed video)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from robofuel.ingest.base import ReadReport
from robofuel.ingest.ros_messages import Extractor, extractor_for, frame_id, stamp_ns, video_codec
from robofuel.standard import NumericData, Payload, Stream, VideoData, numeric_stream, video_stream

if TYPE_CHECKING:
    from robofuel.ingest.mcap import ChannelData


def probe_size(codec: str, packets: list[bytes]) -> tuple[int | None, int | None]:
    """(width, height) from decoding the first decodable packet; (None, None) if none decodes."""
    import av

    try:
        ctx: Any = av.CodecContext.create(codec, "r")
        for packet in packets[:30]:
            for frame in ctx.decode(av.Packet(packet)):
                return frame.width, frame.height
    except (av.FFmpegError, ValueError):
        pass
    return None, None


def _decode_all(ch: ChannelData, decode: Callable[[bytes], Any], report: ReadReport) -> list[tuple[int, Any]]:
    out = []
    for log_time, data in sorted(ch.messages, key=lambda m: m[0]):
        try:
            out.append((log_time, decode(data)))
        except Exception as exc:  # a malformed message costs that message only
            report.undecodable[f"{ch.topic}: {type(exc).__name__}"] += 1
    return out


def _numeric(name: str, ch: ChannelData, ex: Extractor, msgs: list[tuple[int, Any]], report: ReadReport) -> Any:
    rows, stamps = [], []
    for log_time, msg in msgs:
        try:
            rows.append(ex.row(msg))
        except (ValueError, AttributeError, TypeError) as exc:
            report.undecodable[f"{ch.topic}: {exc}"] += 1
            continue
        stamps.append(stamp_ns(msg) or log_time)
    if not rows:
        return None
    data = NumericData(np.array(stamps, dtype=np.int64), np.array(rows, dtype=np.float64).reshape(len(rows), -1))
    stream = numeric_stream(
        name,
        data,
        ex.columns,
        role=ex.role,
        unit=ex.unit,
        column_units=ex.column_units,
        frame=frame_id(msgs[0][1]),
        quaternion_order=ex.quaternion_order,
        source=ch.topic,
    )
    return stream, data


def _video(name: str, ch: ChannelData, ex: Extractor, msgs: list[tuple[int, Any]], report: ReadReport) -> Any:
    first = msgs[0][1]
    codec = ex.codec or video_codec(first)
    if codec is None:
        report.undecodable[f"{ch.topic}: unknown image format {getattr(first, 'format', '')!r}"] += len(msgs)
        return None
    packets = [bytes(m.data) for _, m in msgs]
    stamps = np.array([stamp_ns(m) or t for t, m in msgs], dtype=np.int64)
    width: int | None
    height: int | None
    if codec == "rawvideo":
        width, height = int(first.width), int(first.height)
    else:
        width, height = probe_size(codec, packets)
    data = VideoData(stamps, codec=codec, width=width, height=height, packets=packets)
    extra = {"pixel_format": str(first.encoding)} if codec == "rawvideo" else {}
    stream = video_stream(name, data, frame=frame_id(first), source=ch.topic, **extra)
    return stream, data


def build_stream(
    name: str, ch: ChannelData, decoder_for: Callable[[ChannelData], Callable[[bytes], Any]], report: ReadReport
) -> tuple[Stream, Payload] | None:
    """The canonical stream of one channel, or None (with the reason counted in the report)."""
    if not ch.messages:
        report.skipped[f"{ch.topic}: no messages"] += 0
        return None
    try:
        decode = decoder_for(ch)
    except ValueError as exc:
        report.undecodable[f"{ch.topic}: {exc}"] += len(ch.messages)
        return None
    msgs = _decode_all(ch, decode, report)
    if not msgs:
        return None
    ex = extractor_for(ch.schema_name, msgs[0][1])
    if ex is None:
        report.skipped[f"{ch.topic}: no numeric fields in {ch.schema_name}"] += len(msgs)
        return None
    built = (_video if ex.kind == "video" else _numeric)(name, ch, ex, msgs, report)
    if built is not None:
        stream = built[0]
        report.decoded += stream.count
        report.streams[name] = {
            "type": ch.schema_name,
            "count": stream.count,
            "rate_hz": stream.measured_rate_hz,
            "duration_s": ((stream.end_ns or 0) - (stream.start_ns or 0)) / 1e9,
        }
    return built  # type: ignore[no-any-return]
