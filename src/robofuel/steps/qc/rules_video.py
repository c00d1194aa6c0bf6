"""Video image quality on sampled decoded frames: black, over-exposed, under-exposed, blurred, soft, undecodable;
the frozen check of :mod:`robofuel.steps.qc.rules_video_frozen` runs on the same decoded samples.

Black is a frame with nearly every pixel at the floor (``black_share`` of them at or below ``black_luma``), not a
dark one: a night scene or white titles on black have a low mean but an image. A black run shorter than
``black_min_s`` (a fade through black, a camera's first frame) asks for review; a longer one lost the image.

Sharpness is judged against the camera's own level, shot by shot (black runs separate shots: a fade through black
ends one). Frames whose sharpness falls below ``blur_relative`` of their shot's median (motion blur, a lens that
loses focus for part of the episode) are blurred; a shot whose median itself is below ``blur_sharpness`` is soft
all through, a property of the camera or sensor (a tactile gel, water, a fixed-focus webcam): review, not reject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel.standard import Severity, StreamKind, VideoData
from robofuel.steps.qc.context import RuleContext, runs
from robofuel.steps.qc.rules_video_frozen import frozen_frames, frozen_judged, moving_at
from robofuel.steps.qc.video_measures import change, frame_measures
from robofuel.steps.qc.video_packets import packet_measures
from robofuel.video import gray_frames, sampled

Mask = npt.NDArray[np.bool_]


@dataclass
class Samples:
    """Sampled frames of one camera: times (ns), mean luma, share of pixels at or below ``black_luma``, sharpness,
    luma difference from the previous sampled frame (:func:`change`; inf for the first, and in the packet check for
    a frame whose previous grid frame was not decoded), last frame index decoded, the sampling step (ns), the
    number of frames on the sampling grid; in the packet check, each sample's grid position, whether it is one
    of the uniform baseline (a median over those is unbiased), and the time of the last grid frame."""

    ts: list[int] = field(default_factory=list)
    luma: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    sharp: list[float] = field(default_factory=list)
    diffs: list[float] = field(default_factory=list)
    last: int = -1
    step_ns: float = 0.0
    planned: int = 0
    pos: list[int] = field(default_factory=list)
    base: list[bool] = field(default_factory=list)
    end_ns: int = 0

    def count(self, a: int, b: int) -> int:
        """Grid frames from sample ``a`` to sample ``b - 1`` (the samples themselves in the full check)."""
        return self.pos[b - 1] - self.pos[a] + 1 if self.pos else b - a


def _step(ts: list[int]) -> float:
    """The sampling step (ns): the median interval of the grid's times."""
    return float(int(np.median(np.diff(ts)))) if len(ts) > 1 else 0.0


def _sample(video: VideoData, th: dict[str, Any]) -> Samples:
    """About ``video_sample_hz`` decoded frames per second of ``video``, measured (:class:`Samples`)."""
    out, previous, span = Samples(), None, None
    for t, frame, index in gray_frames(video, th["video_sample_hz"]):
        out.ts.append(t)
        luma, black, sharp, span = frame_measures(frame, th, span)
        out.luma.append(luma)
        out.floor.append(black)
        out.sharp.append(sharp)
        out.diffs.append(change(frame, previous, out.diffs[-1]) if previous is not None else float("inf"))
        out.last, previous = index, frame
    out.step_ns, out.planned = _step(out.ts), len(out.ts)
    return out


def _packet_sample(ctx: RuleContext, name: str, video: VideoData) -> Samples | None:
    """The grid frames the packet check decoded (:mod:`robofuel.steps.qc.video_packets`) as :class:`Samples`;
    None when the packets cannot say."""
    grid = np.asarray(sampled(video.timestamps_ns, ctx.th["video_sample_hz"]), dtype=np.int64)
    if not len(grid):
        return None
    times = video.timestamps_ns[grid]
    moving = moving_at(ctx, times.tolist()) if frozen_judged(ctx, name) else None
    m = packet_measures(video, ctx.th, grid, moving)
    if m is None:
        return None
    out = Samples(step_ns=_step(times.tolist()), planned=len(grid), end_ns=int(times[-1]))
    for p in sorted(m.luma):
        out.pos.append(p)
        out.base.append(p in m.uniform)
        out.ts.append(int(times[p]))
        out.luma.append(m.luma[p])
        out.floor.append(m.floor[p])
        out.sharp.append(m.sharp[p])
        out.diffs.append(m.diffs.get(p, float("inf")))
    out.last = int(grid[-1])  # every frame wanted decoded (else None above); the packets are all there
    return out


def _run_s(ts: list[int], a: int, b: int, step: float) -> float:
    """Seconds from sample ``a`` to the first sample after the run [a, b) (one sampling step, ns, past the end)."""
    end = ts[b] if b < len(ts) else ts[-1] + int(step)
    return (end - ts[a]) / 1e9


def _span(got: Samples, a: int, b: int) -> tuple[int, int]:
    """Times (ns) of samples ``a`` and ``b - 1``; a run that reaches the last sample reaches the last grid frame."""
    return got.ts[a], got.end_ns if got.pos and b == len(got.ts) else got.ts[b - 1]


def _count(got: Samples, a: int, b: int) -> int:
    """Grid frames from sample ``a`` to ``b - 1`` (to the last grid frame from the last sample)."""
    if not got.pos:
        return b - a
    return (got.planned - 1 if b == len(got.ts) else got.pos[b - 1]) - got.pos[a] + 1


def _add(ctx: RuleContext, name: str, got: Samples, run: tuple[int, int], code: str, sev: Severity, text: str) -> None:
    n = _count(got, *run)
    ctx.add(code, sev, f"{name}: {n} sampled frames {text}", stream=name, span_ns=_span(got, *run), value=float(n))


def _black(ctx: RuleContext, name: str, got: Samples, black: Mask) -> None:
    """Black runs: blocking from ``black_min_s``, a warning below (a fade through black, a first frame)."""
    for a, b in runs(black):
        long = _run_s(got.ts, a, b, got.step_ns) >= ctx.th["black_min_s"]
        what = "are black" if long else f"are black for under {ctx.th['black_min_s']} s (a fade or a blink)"
        _add(ctx, name, got, (a, b), "video.black", Severity.blocking if long else Severity.warning, what)


def _level(sharp: npt.NDArray[np.float64], judged: Mask, base: Mask) -> float:
    """The shot's median sharpness: over its uniform baseline samples when it has 3 or more, else all judged."""
    pick = judged & base
    return float(np.median(sharp[pick if pick.sum() >= 3 else judged]))


def _blur(ctx: RuleContext, name: str, got: Samples, usable: Mask, black: Mask) -> None:
    """Per shot (sampled frames between black runs): blurred frames against the shot's median, a soft shot."""
    sharp = np.array(got.sharp)
    base = np.array(got.base, dtype=bool) if got.base else np.ones(len(sharp), dtype=bool)
    for a, b in runs(~black):
        judged = usable[a:b] & np.isfinite(sharp[a:b])
        if not judged.any():
            continue
        level = _level(sharp[a:b], judged, base[a:b])
        blurred = judged & (sharp[a:b] < ctx.th["blur_relative"] * level)
        for c, d in (r for r in runs(blurred) if r[1] - r[0] >= ctx.th["blur_min_frames"]):
            sharpest = float(np.nanmax(sharp[a + c : a + d]))
            text = f"are blurred (sharpness {sharpest:.2f} or less, the camera's median {level:.2f})"
            _add(ctx, name, got, (a + c, a + d), "video.blurred", Severity.blocking, text)
        if level < ctx.th["blur_sharpness"]:
            text = (
                f"are soft all through (median sharpness {level:.2f} < blur_sharpness {ctx.th['blur_sharpness']}):"
                " a property of the camera or sensor (tactile gel, water, fixed focus), not a blur event"
            )
            _add(ctx, name, got, (a, b), "video.soft", Severity.warning, text)


def underexposed(ctx: RuleContext, name: str, got: Samples, luma: npt.NDArray[np.float64], black: Mask) -> None:
    """Sampled frames darker than ``underexposed_luma`` (mean luma) that are not black (``black``: video.black's)."""
    dark = (luma < ctx.th["underexposed_luma"]) & ~black
    for a, b in runs(dark):
        text = f"are under-exposed (mean luma {luma[a:b].mean():.0f})"
        _add(ctx, name, got, (a, b), "video.underexposed", Severity.warning, text)


def samples(ctx: RuleContext, name: str, video: VideoData) -> Samples:
    """The sampled frames of camera ``name`` measured by the check ``video_check`` names: ``packets`` decodes
    what the packets point at (:mod:`robofuel.steps.qc.video_packets`; the full check where they cannot say),
    ``full`` every frame."""
    if ctx.th["video_check"] == "packets":
        got = _packet_sample(ctx, name, video)
        if got is not None:
            return got
    return _sample(video, ctx.th)


def video_quality(ctx: RuleContext) -> None:
    """Black, over-exposed, under-exposed, blurred, soft and frozen sampled frames, and decoding that fails."""
    for s in ctx.data.meta.streams:
        video = ctx.data.payloads.get(s.name)
        if s.kind is not StreamKind.video or not isinstance(video, VideoData) or s.codec == "rawvideo":
            continue
        got = samples(ctx, s.name, video)
        ts = got.ts
        if not ts:
            ctx.add("video.decode_error", Severity.blocking, f"{s.name}: no frame decodes ({s.codec})", stream=s.name)
            continue
        if got.last < len(video.timestamps_ns) - int(len(video.timestamps_ns) / max(got.planned, 1)) - 2:
            ctx.add(
                "video.decode_error",
                Severity.blocking,
                f"{s.name}: decoding stops at frame {got.last}",
                stream=s.name,
                span_ns=(ts[-1], int(video.timestamps_ns[-1])),
            )
        lum = np.array(got.luma)
        black = np.array(got.floor) >= ctx.th["black_share"]
        over = lum > ctx.th["overexposed_luma"]
        _black(ctx, s.name, got, black)
        for run in runs(over):
            _add(ctx, s.name, got, run, "video.overexposed", Severity.blocking, "are over-exposed")
        _blur(ctx, s.name, got, ~black & ~over, black)
        underexposed(ctx, s.name, got, lum, black)
        frozen_frames(ctx, s.name, ts, got.diffs, got.step_ns)
