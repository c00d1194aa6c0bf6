"""A declared video codec that the packets' own bytes contradict (read from the first bytes, nothing decoded) or
that a video file's container contradicts (a LeRobot dataset whose info.json says h264 over MPEG-4 part 2 files).
"""

from __future__ import annotations

from robofuel.standard import Episode, Severity, Storage, Stream, StreamKind, VideoData
from robofuel.steps.qc.context import RuleContext
from robofuel.video import codec_name

#: Names of one codec that FFmpeg and recorders use interchangeably.
SAME_CODEC = {"jpeg": "mjpeg", "h265": "hevc", "x264": "h264", "avc": "h264"}
PROBED = frozenset({"h264", "hevc", "mjpeg", "png"})
H264_FIRST = frozenset({1, 5, 6, 7, 8, 9})  # slice, IDR, SEI, SPS, PPS, access unit delimiter
HEVC_FIRST = frozenset({*range(0, 10), *range(16, 22), 32, 33, 34, 35, 39})


def _annex_b(packet: bytes) -> str | None:
    """h264 or hevc from the first NAL unit header of an Annex B packet (forbidden bit clear, a type that starts
    an access unit, nuh_layer_id 0 for HEVC); None when it reads as neither or as both."""
    pos = packet.find(b"\x00\x00\x01")
    if pos < 0 or pos + 4 >= len(packet) or any(packet[:pos]):
        return None
    head, second = packet[pos + 3], packet[pos + 4]
    if head & 0x80:
        return None
    h264 = head & 0x1F in H264_FIRST and not (head & 0x1F == 6 and head & 0x60)  # SEI has nal_ref_idc 0
    hevc = (head >> 1) & 0x3F in HEVC_FIRST and (head & 1) == 0 and second & 0xF8 == 0 and second & 7 != 0
    return "h264" if h264 and not hevc else "hevc" if hevc and not h264 else None


def probe_codec(packet: bytes) -> str | None:
    """The codec a packet's first bytes say (JPEG SOI, PNG signature, Annex B H.264 / HEVC); None if unknown."""
    if packet[:3] == b"\xff\xd8\xff":
        return "mjpeg"
    if packet[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return _annex_b(packet)


def source_codec(meta: Episode, stream: Stream) -> str | None:
    """The codec the recording's own metadata declares for a camera stream: a LeRobot feature's ``video.codec``
    (``Episode.extra["lerobot"]``, the feature named by ``Stream.source``); None when it declares none."""
    source = meta.extra.get("lerobot")
    features = source.get("features") if isinstance(source, dict) else None
    feature = features.get(stream.source or stream.name) if isinstance(features, dict) else None
    info = feature.get("info") if isinstance(feature, dict) else None
    codec = info.get("video.codec") if isinstance(info, dict) else None
    return str(codec) if codec else None


def _file_codec_mismatch(ctx: RuleContext, s: Stream) -> None:
    """A video file (its codec read from the container at ingest) whose recording declares another codec."""
    declared = source_codec(ctx.data.meta, s)
    if declared and s.codec and codec_name(declared) != codec_name(s.codec):
        message = f"{s.name}: the recording's metadata declares {declared}, the video file is {s.codec}"
        ctx.add("video.codec_mismatch", Severity.blocking, message, stream=s.name, value=None)


def codec_mismatch(ctx: RuleContext) -> None:
    """The codec a packet stream declares differs from what its first packets are (up to 5 probed); a video file's
    codec differs from the one its recording's metadata declares (:func:`source_codec`)."""
    for s in ctx.data.meta.streams:
        if s.kind is StreamKind.video and s.storage is Storage.video_file:
            _file_codec_mismatch(ctx, s)
        video = ctx.data.payloads.get(s.name)
        if s.kind is not StreamKind.video or not isinstance(video, VideoData) or not video.packets:
            continue
        declared = SAME_CODEC.get(video.codec, video.codec)
        if declared not in PROBED:
            continue
        probed = {probe_codec(p) for p in video.packets[:5]} - {None}
        if len(probed) == 1 and declared not in probed:
            (real,) = probed
            ctx.add(
                "video.codec_mismatch",
                Severity.blocking,
                f"{s.name}: declared {video.codec}, packets are {real}",
                stream=s.name,
                value=None,
            )
