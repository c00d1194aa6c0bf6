"""Encoding generated frames and sound: H.264 packets, JPEG images, MP4 files and WAV files (PyAV, no decode).

Frames are (H, W, 3) uint8 RGB arrays with even sizes. Colour conversion to 4:2:0 YUV (BT.601) is integer numpy
and encoding is single-threaded with fixed settings, so the same frames give the same bytes on every run.
"""

from __future__ import annotations

import wave
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from robofuel.generate.draft import Frame

#: libx264 settings: no B-frames (one packet per frame, in order), no lookahead, one thread (deterministic).
X264 = {"preset": "veryfast", "tune": "zerolatency", "bframes": "0", "threads": "1", "crf": "28"}
#: BT.601 RGB -> (Y, Cb, Cr) in 8-bit fixed point (x / 256), and offsets: limited range (video), full range (JPEG).
_LIMITED = (np.array([[66, 129, 25], [-38, -74, 112], [112, -94, -18]]), np.array([16, 128, 128]))
_FULL = (np.array([[77, 150, 29], [-43, -85, 128], [128, -107, -21]]), np.array([0, 128, 128]))


def yuv420(img: Frame, full_range: bool) -> npt.NDArray[np.uint8]:
    """Planar 4:2:0 YUV of an RGB frame as the (H * 3 / 2, W) array PyAV takes for yuv420p / yuvj420p.

    Integer arithmetic only, so the bytes do not depend on the machine's floating-point or BLAS.
    """
    h, w = img.shape[:2]
    coef, offset = _FULL if full_range else _LIMITED
    rgb = [img[:, :, c].astype(np.int32) for c in range(3)]
    planes = []
    for k in range(3):
        plane = (coef[k, 0] * rgb[0] + coef[k, 1] * rgb[1] + coef[k, 2] * rgb[2] + 128) >> 8
        if k:  # chroma: the rounded mean of each 2x2 block
            plane = (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2] + 2) >> 2
        planes.append(np.clip(plane + offset[k], 0, 255).astype(np.uint8).ravel())
    return np.concatenate(planes).reshape(h * 3 // 2, w)


def _video_frame(img: Frame, full_range: bool) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(yuv420(img, full_range), format="yuvj420p" if full_range else "yuv420p")


def h264_packets(frames: Sequence[Frame], fps: int, gop: int = 30) -> list[bytes]:
    """One Annex B H.264 access unit per frame (SPS/PPS in band, no B-frames, a keyframe every ``gop`` frames)."""
    h, w = frames[0].shape[:2]
    ctx = av.CodecContext.create("libx264", "w")
    ctx.width, ctx.height, ctx.pix_fmt = w, h, "yuv420p"
    ctx.time_base = Fraction(1, fps)
    ctx.gop_size = gop
    ctx.options = dict(X264)
    packets: list[bytes] = []
    for i, img in enumerate(frames):
        frame = _video_frame(img, full_range=False)
        frame.pts = i
        packets += [bytes(p) for p in ctx.encode(frame)]
    packets += [bytes(p) for p in ctx.encode(None)]
    if len(packets) != len(frames):
        raise RuntimeError(f"encoder gave {len(packets)} packets for {len(frames)} frames")
    return packets


def jpeg_images(frames: Sequence[Frame], quality: int = 5) -> list[bytes]:
    """One baseline JPEG (FFmpeg's mjpeg encoder, 4:2:0) per frame; ``quality`` is the qscale (2 best .. 31)."""
    h, w = frames[0].shape[:2]
    out: list[bytes] = []
    for img in frames:
        ctx = av.CodecContext.create("mjpeg", "w")
        ctx.width, ctx.height, ctx.pix_fmt = w, h, "yuvj420p"
        ctx.time_base = Fraction(1, 30)
        ctx.options = {"qmin": str(quality), "qmax": str(quality), "threads": "1"}
        out.append(b"".join(bytes(p) for p in [*ctx.encode(_video_frame(img, True)), *ctx.encode(None)]))
    return out


def write_mp4(path: Path, frames: Sequence[Frame], fps: int) -> None:
    """An H.264 MP4 with one frame every 1/fps s (bit-exact across runs: no encoder or muxer timestamps)."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", format="mp4", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = dict(X264)
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        for img in frames:
            for packet in stream.encode(_video_frame(img, full_range=False)):
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
