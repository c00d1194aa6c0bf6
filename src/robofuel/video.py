"""Decoding video payloads when a step needs pixels (PyAV). Nothing else in robofuel decodes video.

A payload is either a container file (decoded in presentation order) or a list of packets (Annex B H.264, JPEG,
PNG...) fed to a decoder in order. Frames are returned as 8-bit luma (H, W) arrays with their timestamps (ns).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from robofuel.standard import VideoData

Gray = npt.NDArray[np.uint8]
INTRA_ONLY = frozenset({"png", "mjpeg", "rawvideo"})


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


def gray_frames(video: VideoData, sample_hz: float | None = None) -> Iterator[tuple[int, Gray, int]]:
    """(timestamp_ns, luma frame, frame index) for every frame, or about ``sample_hz`` frames per second.

    Every frame is decoded (inter-frame codecs need it), only the sampled ones are converted. Decoding stops
    quietly at the first undecodable packet; the caller compares the index reached with the frame count.
    """
    step_ns = int(1e9 / sample_hz) if sample_hz else 0
    next_t = None
    ts = video.timestamps_ns
    try:
        for i, frame in enumerate(_frames(video)):
            if i >= len(ts):
                break
            if next_t is None or ts[i] >= next_t:
                next_t = int(ts[i]) + step_ns
                yield int(ts[i]), frame.to_ndarray(format="gray"), i
    except (av.FFmpegError, ValueError):
        return
