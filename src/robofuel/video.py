"""Decoding video payloads when a step needs pixels (PyAV). Nothing else in robofuel decodes video.

A payload is either a container file (decoded in presentation order) or a list of packets (Annex B H.264, JPEG,
PNG...) fed to a decoder in order. Frames are returned as 8-bit luma (H, W) arrays with their timestamps (ns).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from av.video.reformatter import VideoReformatter

from robofuel.standard import VideoData

Gray = npt.NDArray[np.uint8]
Rgb = npt.NDArray[np.uint8]
INTRA_ONLY = frozenset({"png", "mjpeg", "jpeg", "rawvideo"})
#: ROS image encodings of raw frames and (channels, FFmpeg pixel format) to read them as.
RAW_LAYOUTS = {"rgb8": (3, "rgb24"), "bgr8": (3, "bgr24"), "mono8": (1, "gray"), "8UC1": (1, "gray")}

#: Encoder, decoder and container names of one codec -> the codec's FFmpeg name.
CODEC_NAMES = {
    "libdav1d": "av1",
    "libaom-av1": "av1",
    "libsvtav1": "av1",
    "av01": "av1",
    "libx264": "h264",
    "x264": "h264",
    "avc": "h264",
    "avc1": "h264",
    "h265": "hevc",
    "libx265": "hevc",
    "hvc1": "hevc",
    "hev1": "hevc",
    "mp4v": "mpeg4",
    "jpeg": "mjpeg",
}


def codec_name(name: str) -> str:
    """A codec, encoder, decoder or container tag name as FFmpeg's codec name (``libsvtav1`` -> ``av1``)."""
    low = name.strip().lower()
    return CODEC_NAMES.get(low, low)


def is_keyframe(codec: str, packet: bytes) -> bool | None:
    """Whether a packet starts a frame that decodes on its own: always for intra-only codecs, an IDR (H.264) or
    IRAP (HEVC) NAL unit in Annex B packets; None for codecs this cannot tell (AV1, VP9...)."""
    if codec in INTRA_ONLY:
        return True
    if codec not in ("h264", "hevc", "h265"):
        return None
    pos = packet.find(b"\x00\x00\x01")
    while 0 <= pos < len(packet) - 3:
        head = packet[pos + 3]
        if (codec == "h264" and head & 0x1F == 5) or (codec != "h264" and 16 <= (head >> 1) & 0x3F <= 21):
            return True
        pos = packet.find(b"\x00\x00\x01", pos + 3)
    return False


def _frames(video: VideoData) -> Iterator[Any]:
    if video.file is not None:
        with av.open(str(video.file)) as container:
            yield from container.decode(video=0)
        return
    ctx: Any = av.CodecContext.create(video.codec, "r")
    intra = video.codec in INTRA_ONLY
    for data in video.packets or []:
        packet = av.Packet(data)
        if intra:  # FFmpeg's PNG decoder treats an unflagged packet as a difference from the previous frame
            packet.is_keyframe = True
        yield from ctx.decode(packet)
    yield from ctx.decode(None)


def _raw_rgb(video: VideoData, pixel_format: str | None) -> Iterator[Rgb]:
    channels, fmt = RAW_LAYOUTS.get(pixel_format or "rgb8", (0, ""))
    if not channels or video.width is None or video.height is None:
        raise ValueError(f"raw frames in {pixel_format!r} cannot be converted to RGB (only {sorted(RAW_LAYOUTS)})")
    w, h = video.width, video.height
    for data in video.packets or []:
        row = len(data) // h  # rows may be padded beyond width * channels (ROS `step`)
        pixels = np.frombuffer(data, np.uint8, count=row * h).reshape(h, row)[:, : w * channels]
        frame = av.VideoFrame.from_ndarray(pixels.reshape(h, w, channels).squeeze(), format=fmt)
        yield np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)


def rgb_frames(video: VideoData, pixel_format: str | None = None, every: int = 1) -> Iterator[Rgb]:
    """Every frame (or every ``every``-th, the others decoded only) as (H, W, 3) RGB, in order; raw frames read by
    their ROS ``pixel_format``. Stops quietly at the first undecodable packet (the caller counts the frames it got).
    One reused single-threaded FFmpeg scaler (as :class:`LumaReader`)."""
    if video.codec == "rawvideo":
        yield from itertools.islice(_raw_rgb(video, pixel_format), 0, None, every)
        return
    scaler = VideoReformatter()
    try:
        for i, frame in enumerate(_frames(video)):
            if i % every == 0:
                yield np.asarray(scaler.reformat(frame, format="rgb24", threads=1).to_ndarray(), dtype=np.uint8)
    except (av.FFmpegError, ValueError):
        return


class LumaReader:
    """8-bit luma of decoded frames through one reused FFmpeg scaler: a frame's own ``to_ndarray(format="gray")``
    builds a new scaler context per frame, which costs ten times the conversion itself on small frames. The values
    are FFmpeg's gray conversion (limited-range luma expanded to 0-255), identical to ``to_ndarray``'s. One scaler
    thread: FFmpeg's default slice threads cost more to wake than a small frame takes to convert."""

    def __init__(self) -> None:
        self._scaler = VideoReformatter()

    def __call__(self, frame: Any) -> Gray:
        return np.asarray(self._scaler.reformat(frame, format="gray", threads=1).to_ndarray(), dtype=np.uint8)


def sampled(ts: npt.NDArray[np.int64], sample_hz: float | None) -> list[int]:
    """Indices of the frames kept when sampling about ``sample_hz`` per second (every frame without a rate): the
    first frame, then the first frame at or after the previous kept one plus the sampling step."""
    if not sample_hz:
        return list(range(len(ts)))
    step_ns, next_t, out = int(1e9 / sample_hz), None, []
    for i, t in enumerate(ts.tolist()):
        if next_t is None or t >= next_t:
            next_t = t + step_ns
            out.append(i)
    return out


#: The first bytes of a packet of each intra-only codec whose skipped packets are checked without decoding.
SIGNATURES = {"mjpeg": b"\xff\xd8", "png": b"\x89PNG"}


def _intra_frames(video: VideoData, wanted: list[int]) -> Iterator[tuple[int, Any]]:
    """(index, frame) of the wanted packets of an intra-only codec, each decoded alone (no other packet is
    needed to decode it). A packet not wanted is only checked: empty or not starting with its codec's signature
    ends the frames there, as decoding it would. Stops at the first wanted packet that does not decode to one
    frame."""
    ctx: Any = av.CodecContext.create(video.codec, "r")
    packets, keep = video.packets or [], set(wanted)
    signature = SIGNATURES.get(video.codec, b"")
    for i in range(min(len(packets), wanted[-1] + 1) if wanted else 0):
        if i not in keep:
            if not packets[i].startswith(signature) or not packets[i]:
                return
            continue
        packet = av.Packet(packets[i])
        packet.is_keyframe = True
        frames = ctx.decode(packet)
        if len(frames) != 1:
            return
        yield i, frames[0]


def gray_frames(video: VideoData, sample_hz: float | None = None) -> Iterator[tuple[int, Gray, int]]:
    """(timestamp_ns, luma frame, frame index) for every frame, or about ``sample_hz`` frames per second.

    Inter-frame codecs decode every frame (each may be a reference) and convert only the sampled ones; packets of
    an intra-only codec (JPEG, PNG) are decoded only when sampled. Decoding stops quietly at the first
    undecodable packet; the caller compares the index reached with the frame count.
    """
    ts = video.timestamps_ns
    wanted = sampled(ts, sample_hz)
    luma = LumaReader()
    try:
        if video.file is None and video.codec in INTRA_ONLY:
            for i, frame in _intra_frames(video, wanted):
                yield int(ts[i]), luma(frame), i
            return
        keep = set(wanted)
        for i, frame in enumerate(_frames(video)):
            if i >= len(ts):
                break
            if i in keep:
                yield int(ts[i]), luma(frame), i
    except (av.FFmpegError, ValueError):
        return


def gray_at(video: VideoData, indices: set[int]) -> dict[int, Gray]:
    """The luma frames of the given frame indices (presentation order), decoding every frame up to the last one
    wanted and converting only those; an index past the frames that decode is left out."""
    out: dict[int, Gray] = {}
    if not indices:
        return out
    last, luma = max(indices), LumaReader()
    try:
        for i, frame in enumerate(_frames(video)):
            if i in indices:
                out[i] = luma(frame)
            if i >= last:
                break
    except (av.FFmpegError, ValueError):
        pass
    return out


@dataclass
class PacketIndex:
    """What a camera's packets say without decoding, per frame in presentation order: ``sizes`` (bytes),
    ``key`` (the frame decodes on its own) and ``gop`` (the index of the keyframe its decoding starts from)."""

    sizes: npt.NDArray[np.int64]
    key: npt.NDArray[np.bool_]
    gop: npt.NDArray[np.int64]


def _index(sizes: list[int], key: list[bool]) -> PacketIndex | None:
    if not key or not key[0]:
        return None
    flags = np.asarray(key, dtype=bool)
    starts = np.flatnonzero(flags)
    gop = starts[np.searchsorted(starts, np.arange(len(flags)), side="right") - 1]
    return PacketIndex(np.asarray(sizes, dtype=np.int64), flags, gop.astype(np.int64))


def packet_index(video: VideoData) -> PacketIndex | None:
    """Sizes and keyframe flags of every frame, read from the packets (a container is demuxed, nothing is
    decoded); None when they cannot be told (a codec whose keyframes this cannot read in bare packets, a
    container whose packets do not match the frames one for one, or a first frame that is not a keyframe)."""
    n = len(video.timestamps_ns)
    if video.packets is not None:
        flags = [is_keyframe(video.codec, p) for p in video.packets]
        if any(f is None for f in flags):
            return None
        return _index([len(p) for p in video.packets], [bool(f) for f in flags])
    assert video.file is not None
    try:
        with av.open(str(video.file)) as container:
            rows = [(p.pts, p.size, p.is_keyframe) for p in container.demux(video=0) if p.size and p.pts is not None]
    except (av.FFmpegError, ValueError, IndexError):
        return None
    if len(rows) != n:
        return None
    rows.sort(key=lambda r: r[0])
    return _index([r[1] for r in rows], [bool(r[2]) for r in rows])


def _segments(index: PacketIndex, wanted: list[int]) -> list[tuple[int, int]]:
    """(keyframe, last wanted frame) of each group of pictures holding a wanted frame, in order."""
    out: dict[int, int] = {}
    for i in wanted:
        start = int(index.gop[i])
        out[start] = max(out.get(start, i), i)
    return sorted(out.items())


def _packet_segments(video: VideoData, segments: list[tuple[int, int]]) -> Iterator[tuple[int, Any]]:
    """(frame index, frame) of bare packets decoded from each segment's keyframe to its last frame; frames of a
    segment are counted from its keyframe (closed groups of pictures)."""
    ctx: Any = av.CodecContext.create(video.codec, "r")
    packets, intra = video.packets or [], video.codec in INTRA_ONLY
    for start, last in segments:
        ctx.flush_buffers()
        at = start
        for data in itertools.chain(packets[start:], [None]):
            if data is None:
                frames = ctx.decode(None)
            else:
                packet = av.Packet(data)
                packet.is_keyframe = intra or packet.is_keyframe
                frames = ctx.decode(packet)
            for frame in frames:
                yield at, frame
                at += 1
            if at > last or data is None:
                break
        if at <= last:
            return  # the segment's wanted frames do not decode: decoding stops there


def _file_segments(video: VideoData, segments: list[tuple[int, int]]) -> Iterator[tuple[int, Any]]:
    """(frame index, frame) of a container's frames decoded from each segment's keyframe (a seek) to its last
    frame; a frame's index is the rank of its presentation time."""
    with av.open(str(video.file)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "NONE"
        pts = sorted(p.pts for p in container.demux(stream) if p.size and p.pts is not None)
        rank = {p: i for i, p in enumerate(pts)}
        for start, last in segments:
            container.seek(pts[start], stream=stream, backward=True, any_frame=False)
            stream.codec_context.flush_buffers()
            reached = -1
            for frame in container.decode(stream):
                reached = rank.get(frame.pts, -1) if frame.pts is not None else -1
                if reached >= start:
                    yield reached, frame
                if reached >= last:
                    break
            if reached < last:
                return


def gray_selected(video: VideoData, index: PacketIndex, wanted: list[int]) -> Iterator[tuple[int, Gray]]:
    """(frame index, luma frame) of the ``wanted`` frames (sorted indices), decoding each group of pictures that
    holds one from its keyframe up to the last one wanted there, and nothing else. Stops quietly where decoding
    fails; the caller compares what it got with what it wanted."""
    keep, luma = set(wanted), LumaReader()
    decode = _file_segments if video.file is not None else _packet_segments
    try:
        for i, frame in decode(video, _segments(index, wanted)):
            if i in keep:
                yield i, luma(frame)
    except (av.FFmpegError, ValueError):
        return
