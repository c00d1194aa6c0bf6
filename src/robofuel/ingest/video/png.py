"""Raw image frames as lossless PNG packets, the video streams of readers whose recordings store pixels (robomimic
and ALOHA image datasets, UMI zarr arrays, Aria VRS frames)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def png_packets(frames: npt.NDArray[Any], compression_level: int | None = None) -> list[bytes]:
    """Each (H, W, 3|1) uint8 frame as one PNG image (lossless), encoded with PyAV; ``compression_level`` 0..9
    (FFmpeg's default when None; 1 is about 4x faster on large frames for a few % more bytes)."""
    import av

    height, width, channels = frames.shape[1:]
    fmt = "rgb24" if channels == 3 else "gray"
    ctx: Any = av.CodecContext.create("png", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, fmt
    if compression_level is not None:
        ctx.options = {"compression_level": str(compression_level)}
    out = []
    for img in frames:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img if channels == 3 else img[..., 0]), format=fmt)
        out.append(b"".join(bytes(p) for p in ctx.encode(frame)))
    out[-1] += b"".join(bytes(p) for p in ctx.encode(None))
    return out
