"""Video rules on sampled decoded frames: black, over-exposed, blurred (relative to the episode), undecodable; the
under-exposed and frozen checks of :mod:`robofuel.steps.qc.rules_video_extra` run on the same decoded samples."""

from __future__ import annotations

import numpy as np

from robofuel.standard import Severity, StreamKind, VideoData
from robofuel.steps.qc.context import RuleContext, runs
from robofuel.steps.qc.rules_video_extra import frozen_frames, underexposed
from robofuel.video import Gray, gray_frames

MIN_EDGE = 6.0  # luma steps (per pixel) below which a frame has no edge to judge its focus by


def _percentile_u8(values: np.ndarray, q: float) -> float:  # type: ignore[type-arg]
    """Percentile ``q`` (0-100) of integer values in 0..255, from a histogram (no sort)."""
    counts = np.cumsum(np.bincount(values.ravel(), minlength=256))
    return float(np.searchsorted(counts, q / 100.0 * counts[-1]))


def sharpness(frame: Gray) -> float:
    """Steepest luma step over the frame's luma range (about 1 for a sharp edge, 1/k for a k-pixel blur).

    Content-independent for frames with at least one edge; NaN for a frame with no edge (a textureless view is
    not a blurred one). Percentiles come from histograms of the 8-bit values.
    """
    f = frame.astype(np.int16)
    dx, dy = np.abs(np.diff(f, axis=1)), np.abs(np.diff(f, axis=0))
    step = max(_percentile_u8(dx, 99.9), _percentile_u8(dy, 99.9))
    span = _percentile_u8(frame, 99.5) - _percentile_u8(frame, 0.5)
    return step / span if step >= MIN_EDGE and span > 0 else float("nan")


def _flag(
    ctx: RuleContext,
    name: str,
    ts: list[int],
    mask: np.ndarray,
    code: str,
    what: str,  # type: ignore[type-arg]
    min_run: int = 1,
) -> None:
    for a, b in (r for r in runs(mask) if r[1] - r[0] >= min_run):
        ctx.add(
            code,
            Severity.blocking,
            f"{name}: {b - a} sampled frames {what}",
            stream=name,
            span_ns=(ts[a], ts[b - 1]),
            value=float(b - a),
        )


def _sample(video: VideoData, hz: float) -> tuple[list[int], list[float], list[float], list[float], int]:
    """Sampled frames' times (ns), mean luma, sharpness and luma difference from the previous sampled frame (the
    99.9th percentile of the change over a 2x-subsampled frame; inf for the first), and the index of the last frame
    decoded (-1: none)."""
    ts: list[int] = []
    luma: list[float] = []
    sharp: list[float] = []
    diffs: list[float] = []
    last, previous = -1, None
    for t, frame, index in gray_frames(video, hz):
        ts.append(t)
        luma.append(float(frame.mean()))
        sharp.append(sharpness(frame))
        small = frame[::2, ::2].astype(np.int16)
        change = np.abs(small - previous).astype(np.uint8) if previous is not None else None
        diffs.append(_percentile_u8(change, 99.9) if change is not None else float("inf"))
        last, previous = index, small
    return ts, luma, sharp, diffs, last


def video_quality(ctx: RuleContext) -> None:
    """Black, over-exposed, under-exposed, blurred and frozen sampled frames, and decoding that fails."""
    for s in ctx.data.meta.streams:
        video = ctx.data.payloads.get(s.name)
        if s.kind is not StreamKind.video or not isinstance(video, VideoData) or s.codec == "rawvideo":
            continue
        ts, luma, sharp, diffs, last = _sample(video, ctx.th["video_sample_hz"])
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
        _flag(
            ctx,
            s.name,
            ts,
            usable & (shp < ctx.th["blur_sharpness"]),
            "video.blurred",
            "are blurred",
            ctx.th["blur_min_frames"],
        )
        underexposed(ctx, s.name, ts, lum)
        frozen_frames(ctx, s.name, ts, diffs)
