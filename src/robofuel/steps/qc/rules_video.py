"""Video rules on sampled decoded frames: black, over-exposed, blurred (relative to the episode), undecodable."""

from __future__ import annotations

import numpy as np

from robofuel.standard import Severity, StreamKind, VideoData
from robofuel.steps.qc.context import RuleContext, runs
from robofuel.video import Gray, gray_frames


MIN_CONTRAST = 8.0  # luma std below which a frame has too little texture to judge its focus


def sharpness(frame: Gray) -> float:
    """Variance of a 4-neighbour Laplacian of the luma over the luma variance (contrast-free); NaN if textureless."""
    f = frame.astype(np.float64)
    if f.std() < MIN_CONTRAST:
        return float("nan")
    lap = -4 * f[1:-1, 1:-1] + f[:-2, 1:-1] + f[2:, 1:-1] + f[1:-1, :-2] + f[1:-1, 2:]
    return float(lap.var() / f.var())


def _flag(ctx: RuleContext, name: str, ts: list[int], mask: np.ndarray, code: str, what: str) -> None:  # type: ignore[type-arg]
    for a, b in runs(mask):
        ctx.add(
            code,
            Severity.blocking,
            f"{name}: {b - a} sampled frames {what}",
            stream=name,
            span_ns=(ts[a], ts[b - 1]),
            value=float(b - a),
        )


def video_quality(ctx: RuleContext) -> None:
    for s in ctx.data.meta.streams:
        video = ctx.data.payloads.get(s.name)
        if s.kind is not StreamKind.video or not isinstance(video, VideoData) or s.codec == "rawvideo":
            continue
        ts, luma, sharp, last = [], [], [], -1
        for t, frame, index in gray_frames(video, ctx.th["video_sample_hz"]):
            ts.append(t)
            luma.append(float(frame.mean()))
            sharp.append(sharpness(frame))
            last = index
        if not ts:
            ctx.add("video.decode_error", Severity.blocking, f"{s.name}: no frame decodes ({s.codec})", stream=s.name)
            continue
        if last < len(video.timestamps_ns) - int(len(video.timestamps_ns) / max(len(ts), 1)) - 2:
            ctx.add(
                "video.decode_error",
                Severity.blocking,
                f"{s.name}: decoding stops at frame {last}",
                stream=s.name,
                span_ns=(ts[-1], int(video.timestamps_ns[-1])),
            )
        lum, shp = np.array(luma), np.array(sharp)
        _flag(ctx, s.name, ts, lum < ctx.th["black_luma"], "video.black", "are black")
        _flag(ctx, s.name, ts, lum > ctx.th["overexposed_luma"], "video.overexposed", "are over-exposed")
        usable = (lum >= ctx.th["black_luma"]) & (lum <= ctx.th["overexposed_luma"]) & np.isfinite(shp)
        if usable.sum() >= 5:
            reference = float(np.median(shp[usable]))
            blurred = usable & (shp < ctx.th["blur_ratio"] * reference)
            _flag(ctx, s.name, ts, blurred, "video.blurred", "are blurred")
