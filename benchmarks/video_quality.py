"""Size and quality of a camera's frames encoded by robofuel and by LeRobot, on the same frames (used by
bench_export.py).

Quality is PSNR (dB) of the decoded video against the RGB frames it was made from, over every frame (the mean of
per-frame PSNR, each frame's MSE over all pixels and channels).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import av
import numpy as np

from robofuel.export.video_out import Mp4Out


def decoded(path: Path) -> np.ndarray:
    """Every frame of the first video stream of ``path``, (N, H, W, 3) uint8 RGB."""
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def psnr(video: np.ndarray, source: np.ndarray) -> float:
    """Mean per-frame PSNR, dB, of ``video`` against ``source`` (same shape, uint8)."""
    diff = video.astype(np.float64) - source.astype(np.float64)
    mse = np.maximum(np.mean(diff**2, axis=(1, 2, 3)), 1e-10)
    return float(np.mean(10 * np.log10(255.0**2 / mse)))


def encode(frames: list[np.ndarray], fps: float, out: Path, codec: str, options: dict[str, str] | None) -> Path:
    """Encode episodes (one (T, H, W, 3) array each) into one MP4 with robofuel's encoder, as the exporter does."""
    height, width = frames[0].shape[1:3]
    mp4 = Mp4Out(out, fps, codec=codec, width=width, height=height, encode=True)
    stream: Any = mp4._stream
    if options is not None:
        stream.options = options
    for episode in frames:
        mp4.add_frames(iter(episode))
    mp4.close()
    return out


def rate_quality(
    frames: list[np.ndarray], fps: float, work: Path, crfs: list[int], gop: int | None = None
) -> list[dict[str, float]]:
    """(CRF, bytes, PSNR) of robofuel's libx264 encoding (veryfast, as the exporter) at each CRF on the same frames;
    ``gop``: a keyframe every ``gop`` frames (LeRobot's ``g``) instead of x264's default (250)."""
    source = np.concatenate(frames)
    points = []
    for crf in crfs:
        options = {"crf": str(crf), "preset": "veryfast"} | ({"g": str(gop)} if gop else {})
        path = encode(frames, fps, work / f"x264-{crf}-{gop}.mp4", "libx264", options)
        points.append({"crf": crf, "bytes": path.stat().st_size, "psnr": psnr(decoded(path), source)})
    return points


def size_at_quality(points: list[dict[str, float]], target_psnr: float) -> float | None:
    """Bytes at ``target_psnr``, interpolated linearly in (PSNR, log size) between the two nearest points."""
    ordered = sorted(points, key=lambda p: p["psnr"])
    for lo, hi in itertools.pairwise(ordered):
        if lo["psnr"] <= target_psnr <= hi["psnr"]:
            w = (target_psnr - lo["psnr"]) / max(hi["psnr"] - lo["psnr"], 1e-9)
            return float(np.exp((1 - w) * np.log(lo["bytes"]) + w * np.log(hi["bytes"])))
    return None
