"""MP4 files that concatenate episodes of one camera: packets copied (zero-transcode) or frames encoded.

Copying: compressed packets (Annex B H.264 / HEVC, AV1 temporal units) are muxed as they are, re-timestamped so
that frame ``k`` of the file is at ``k / fps`` s; the MP4 muxer derives its codec configuration from the first
keyframe. Packets must be in presentation order (no B-frames), as ROS and foxglove ``CompressedVideo`` require.
Encoding: RGB frames are encoded with an FFmpeg encoder (libx264 by default, ``yuv420p``, CRF 23), the first
frame of each episode forced to a keyframe so that a reader seeks straight to it, then a keyframe every ``gop``
frames when given (the encoder's default otherwise: 250 for libx264). Times in a file are
continuous: an episode starts where the previous one ended, and :meth:`Mp4Out.add_packets` /
:meth:`Mp4Out.add_frames` return its (from, to) timestamps in the file, s.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from robofuel.video import Rgb

#: Ticks per second of the files written: every k / fps lands within 1/90000 s of its exact time.
TICKS = 90_000
DEFAULT_ENCODER = "libx264"


class Mp4Out:
    """One output MP4 for one camera, episodes appended in order."""

    def __init__(
        self,
        path: Path,
        fps: float,
        *,
        codec: str,
        width: int,
        height: int,
        encode: bool,
        threads: int = 0,
        gop: int | None = None,
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.fps, self.encode = path, fps, encode
        self.codec, self.width, self.height = codec, width, height
        self.frames = 0
        #: One reused single-threaded scaler to the encoder's pixel format (the encoder's own makes one per frame).
        self._scaler = VideoReformatter()
        self._container: Any = av.open(str(path), "w", format="mp4")
        stream: Any = self._container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        self._stream: Any = stream
        if encode:
            self._stream.width, self._stream.height = width - width % 2, height - height % 2
            self._stream.pix_fmt = "yuv420p"
            self._stream.thread_count = threads
            if codec == DEFAULT_ENCODER:
                self._stream.options = {"crf": "23", "preset": "veryfast"}
            if gop:
                self._stream.codec_context.gop_size = gop
        else:
            self._stream.width, self._stream.height = width, height
        self._stream.time_base = Fraction(1, TICKS)

    def matches(self, codec: str, width: int, height: int, encode: bool) -> bool:
        """Whether an episode's camera can go on in this file (same codec and size, same handling)."""
        return (codec, width, height, encode) == (self.codec, self.width, self.height, self.encode)

    def _tick(self, k: int) -> int:
        return round(k * TICKS / self.fps)

    def _span(self, start: int) -> tuple[float, float]:
        return start / self.fps, self.frames / self.fps

    def add_packets(self, packets: list[bytes]) -> tuple[float, float]:
        """Append one episode's packets (the first one a keyframe); its (from, to) times in the file."""
        start = self.frames
        for i, data in enumerate(packets):
            packet = av.Packet(data)
            packet.pts = packet.dts = self._tick(self.frames)
            packet.duration = self._tick(self.frames + 1) - packet.pts
            packet.time_base = self._stream.time_base
            packet.stream = self._stream
            packet.is_keyframe = i == 0
            self._container.mux(packet)
            self.frames += 1
        return self._span(start)

    def add_frames(self, frames: Iterable[Rgb]) -> tuple[float, float]:
        """Encode one episode's RGB frames; its (from, to) times in the file."""
        start = self.frames
        width, height = self._stream.width, self._stream.height
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:height, :width]), format="rgb24")
            frame = self._scaler.reformat(frame, format=self._stream.pix_fmt, threads=1)
            frame.pts = self._tick(self.frames)
            frame.time_base = self._stream.time_base
            if i == 0:
                frame.pict_type = av.video.frame.PictureType.I
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
            self.frames += 1
        return self._span(start)

    def close(self) -> None:
        if self.encode:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        self._container.close()
