"""Encoding generated frames and sound: H.264 packets, JPEG images, MP4 files and WAV files (PyAV, no decode).

Frames are (H, W, 3) uint8 RGB arrays. Encoding is single-threaded with fixed settings so that the same frames give
the same bytes on every run.
"""

from __future__ import annotations

import wave
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]

_X264 = {"preset": "veryfast", "tune": "zerolatency", "bframes": "0", "threads": "1", "crf": "28"}


def h264_packets(frames: Sequence[Frame], fps: int, gop: int = 30) -> list[bytes]:
    """One Annex B H.264 access unit per frame (no B-frames, a keyframe every ``gop`` frames)."""
    h, w = frames[0].shape[:2]
    ctx = av.CodecContext.create("libx264", "w")
    ctx.width, ctx.height, ctx.pix_fmt = w, h, "yuv420p"
    ctx.time_base = Fraction(1, fps)
    ctx.gop_size = gop
    ctx.options = dict(_X264)
    packets: list[bytes] = []
    for i, img in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        packets += [bytes(p) for p in ctx.encode(frame)]
    packets += [bytes(p) for p in ctx.encode(None)]
    if len(packets) != len(frames):
        raise RuntimeError(f"encoder gave {len(packets)} packets for {len(frames)} frames")
    return packets


def jpeg_images(frames: Sequence[Frame], quality: int = 5) -> list[bytes]:
    """One JPEG (baseline, from FFmpeg's mjpeg encoder) per frame; ``quality`` is the qscale (2 best .. 31)."""
    h, w = frames[0].shape[:2]
    out: list[bytes] = []
    for img in frames:
        ctx = av.CodecContext.create("mjpeg", "w")
        ctx.width, ctx.height, ctx.pix_fmt = w, h, "yuvj420p"
        ctx.time_base = Fraction(1, 30)
        ctx.options = {"qmin": str(quality), "qmax": str(quality), "threads": "1"}
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24").reformat(format="yuvj420p")
        out.append(b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)]))
    return out


def write_mp4(path: Path, frames: Sequence[Frame], fps: int) -> None:
    """An H.264 MP4 with one frame every 1/fps s (bit-exact across runs: no encoder or muxer timestamps)."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", format="mp4", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = dict(_X264)
        stream.codec_context.flags |= av.codec.context.Flags.bitexact  # type: ignore[attr-defined]
        for img in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def write_wav(path: Path, samples: npt.NDArray[np.float64], rate: int) -> None:
    """Mono PCM16 WAV from float samples in [-1, 1]."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
