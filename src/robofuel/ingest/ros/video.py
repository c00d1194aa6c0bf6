"""Image and video messages as video streams of packets, kept byte for byte and never re-encoded here.

- ``foxglove_msgs/CompressedVideo`` (``foxglove.CompressedVideo`` in JSON): one packet per message; the codec
  comes from ``format`` (``h264``; ``h265`` -> FFmpeg's ``hevc``; ``av1``; ``vp9``).
- ``sensor_msgs/CompressedImage`` (and foxglove's): one JPEG (codec ``mjpeg``) or PNG (``png``) per message;
  ``compressedDepth`` images (PNG behind a private header) are not supported.
- ``sensor_msgs/Image`` / ``foxglove.RawImage``: uncompressed frames, codec ``rawvideo``; width, height and
  the ROS ``encoding`` (``rgb8``, ``mono8``, ``16UC1``...) are recorded as the stream's pixel format. Rows
  padded beyond ``width * bytes per pixel`` (``step``) are kept as they are.

JSON-encoded messages carry ``data`` as base64 text (foxglove's JSON convention); it is decoded to bytes.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from typing import Any

from robofuel.ingest.ros.flatten import Note

COMPRESSED = {
    "foxglove_msgs/CompressedVideo",
    "foxglove/CompressedVideo",
    "sensor_msgs/CompressedImage",
    "foxglove_msgs/CompressedImage",
    "foxglove/CompressedImage",
}
RAW = {"sensor_msgs/Image", "foxglove_msgs/RawImage", "foxglove/RawImage"}
#: Words of a ``format`` string and the FFmpeg codec they mean.
CODECS = {
    "h264": "h264",
    "avc": "h264",
    "h265": "hevc",
    "hevc": "hevc",
    "av1": "av1",
    "vp9": "vp9",
    "jpeg": "mjpeg",
    "jpg": "mjpeg",
    "png": "png",
}
DEPTH_ENCODINGS = {"16UC1", "32FC1", "mono16"}


class UnsupportedType(ValueError):
    """A topic whose messages cannot become a stream; the message is the reason."""


def codec_of(fmt: str) -> str | None:
    """FFmpeg codec named by a ``format`` string (``jpeg``, ``rgb8; jpeg compressed bgr8``, ``h264``)."""
    words = re.split(r"[^a-z0-9]+", fmt.lower())
    if "compresseddepth" in words:
        return None
    return next((CODECS[w] for w in words if w in CODECS), None)


def packet_bytes(data: Any) -> bytes:
    """A message's ``data`` field as bytes (bytes, list of ints, numpy array, or base64 text from JSON)."""
    if isinstance(data, str):
        return base64.b64decode(data)
    if hasattr(data, "tobytes"):
        return bytes(data.tobytes())
    return bytes(data)


class VideoMapping:
    """Accumulates one topic's frames as packets; ``add`` appends one packet or raises, changing nothing."""

    kind = "video"

    def __init__(self, codec: str, raw_first: Any = None) -> None:
        self.codec = codec
        self.packets: list[bytes] = []
        self.notes: dict[str, Note] = {}
        self.skipped: Counter[str] = Counter()
        self.width: int | None = None
        self.height: int | None = None
        self.pixel_format: str | None = None
        self.raw = raw_first is not None
        if raw_first is not None:
            self.width, self.height = int(raw_first.width), int(raw_first.height)
            self.pixel_format = str(raw_first.encoding)
        self.role = "camera_depth" if self.pixel_format in DEPTH_ENCODINGS else "camera_rgb"

    def add(self, msg: Any) -> None:
        if self.raw:
            shape = (int(msg.width), int(msg.height), str(msg.encoding))
            if shape != (self.width, self.height, self.pixel_format):
                raise ValueError(f"image size or encoding changed to {shape[0]}x{shape[1]} {shape[2]}")
        elif codec_of(str(msg.format)) != self.codec:
            raise ValueError(f"format changed from {self.codec} to {msg.format!r}")
        self.packets.append(packet_bytes(msg.data))

    def __len__(self) -> int:
        return len(self.packets)

    def probe_size(self) -> None:
        """Fill width and height of compressed video by decoding the first packets that decode (PyAV)."""
        if self.raw or self.width is not None:
            return
        import av

        try:
            ctx: Any = av.CodecContext.create(self.codec, "r")
            for packet in self.packets[:30]:
                for frame in ctx.decode(av.Packet(packet)):
                    self.width, self.height = int(frame.width), int(frame.height)
                    return
        except (av.FFmpegError, ValueError):
            pass


def video_mapping(type_name: str, first: Any) -> VideoMapping | None:
    """The mapping of an image or video type (normalised name); None for other types.

    Raises :class:`UnsupportedType` for a compressed format no codec is known for.
    """
    if type_name in RAW:
        return VideoMapping("rawvideo", raw_first=first)
    if type_name not in COMPRESSED:
        return None
    fmt = str(getattr(first, "format", ""))
    codec = codec_of(fmt)
    if codec is None:
        raise UnsupportedType(f"image/video format {fmt!r} not supported")
    return VideoMapping(codec)
