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
from robofuel.steps.qc.rules_video_frozen import frozen_frames
from robofuel.video import Gray, gray_frames

MIN_EDGE = 6.0  # luma steps (per pixel) below which a frame has no edge to judge its focus by
#: Tail percentiles first count only the values at or above this cut (a small share of luma steps and frame
#: differences); when the percentile lies below it, they count from their own floor. Same value either way.
TAIL_CUT = 24
Mask = npt.NDArray[np.bool_]


def _histogram(values: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Cumulative counts of the 8-bit values 0..255."""
    return np.cumsum(np.bincount(values.ravel(), minlength=256))


def _percentile(counts: npt.NDArray[np.int64], q: float) -> float:
    """Percentile ``q`` (0-100) of the values whose cumulative counts (:func:`_histogram`) are ``counts``."""
    return float(np.searchsorted(counts, q / 100.0 * counts[-1]))


def _top_percentile(values: npt.NDArray[np.uint8], q: float, cut: float) -> float | None:
    """Percentile ``q`` (0-100) of 8-bit values when it is ``cut`` or more, counting only the values at or above
    ``cut`` (the others shift every cumulative count by the same number); None when it is below ``cut``."""
    mask = values >= cut
    above = int(np.count_nonzero(mask))
    below, target = values.size - above, q / 100.0 * values.size
    if below >= target:
        return None
    return float(np.searchsorted(np.cumsum(np.bincount(values[mask], minlength=256)) + below, target))


def _search_percentile(values: npt.NDArray[np.uint8], q: float, guess: float) -> float:
    """Percentile ``q`` (0-100) of 8-bit values: the least level whose count of values at or below it reaches
    ``q`` percent, found by counting from ``guess`` (a close one needs two counts) outwards, then by halving."""
    target, guess_i = q / 100.0 * values.size, min(max(int(guess), 0), 255)

    def reaches(level: int) -> bool:
        return int(np.count_nonzero(values <= level)) >= target

    step = 1
    if reaches(guess_i):  # the percentile is at or below the guess: look down
        lo, hi = guess_i - 1, guess_i
        while lo >= 0 and reaches(lo):
            hi, lo, step = lo, max(lo - step, -1), step * 2
    else:  # above it: look up (255 reaches every target)
        lo, hi = guess_i, min(guess_i + 1, 255)
        while hi < 255 and not reaches(hi):
            lo, hi, step = hi, min(hi + step, 255), step * 2
    while hi - lo > 1:  # reaches(hi), and lo == -1 or not reaches(lo)
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if reaches(mid) else (mid, hi)
    return float(hi)


def _tail_percentile(values: npt.NDArray[np.uint8], q: float, floor: float) -> float:
    """Percentile ``q`` (0-100) of 8-bit values when it is ``floor`` or more; -1 when it is below ``floor``.

    Only the values at or above ``TAIL_CUT`` are counted first, then (when the percentile is below it) those at or
    above ``floor``: the same value as a histogram of every value, from a fraction of them."""
    for cut in (max(TAIL_CUT, floor), floor):
        got = _top_percentile(values, q, cut)
        if got is not None:
            return got
    return -1.0


def _absdiff(a: Gray, b: Gray) -> Gray:
    """|a - b| of two 8-bit arrays, in 8 bits (no widening)."""
    out: Gray = np.maximum(a, b) - np.minimum(a, b)
    return out


def luma_span(frame: Gray, guess: tuple[float, float] | None = None) -> tuple[float, float]:
    """The 0.5th and 99.5th percentiles of a frame's luma; with ``guess`` (the previous frame's span) each is found
    by counting pixels at or below a few levels near it (:func:`_search_percentile`), else from a histogram."""
    if guess is not None:
        return _search_percentile(frame, 0.5, guess[0]), _search_percentile(frame, 99.5, guess[1])
    counts = _histogram(frame)
    return _percentile(counts, 0.5), _percentile(counts, 99.5)


def sharpness(frame: Gray, span: tuple[float, float] | None = None) -> float:
    """Steepest luma step over the frame's luma range (about 1 for a sharp edge, 1/k for a k-pixel blur).

    Content-independent for frames with at least one edge; NaN for a frame with no edge (a textureless view is
    not a blurred one). Percentiles are counted over 8-bit values (no sort); ``span`` is the frame's
    :func:`luma_span` when the caller has it.
    """
    low, high = luma_span(frame) if span is None else span
    if high - low <= 0:
        return float("nan")
    dx, dy = _absdiff(frame[:, 1:], frame[:, :-1]), _absdiff(frame[1:], frame[:-1])
    step = max(_tail_percentile(dx, 99.9, MIN_EDGE), _tail_percentile(dy, 99.9, MIN_EDGE))
    return step / (high - low) if step >= MIN_EDGE else float("nan")


def change(frame: Gray, previous: Gray, guess: float | None = None) -> float:
    """Luma difference of two frames: the 99.9th percentile of the absolute change over 2x-subsampled frames;
    ``guess`` (the previous difference) lets it be found by counting near it (:func:`_search_percentile`)."""
    diff = _absdiff(np.ascontiguousarray(frame[::2, ::2]), np.ascontiguousarray(previous[::2, ::2]))
    if guess is None or not np.isfinite(guess):
        return _percentile(_histogram(diff), 99.9)
    return _search_percentile(diff, 99.9, guess)


@dataclass
class Samples:
    """Sampled frames of one camera: times (ns), mean luma, share of pixels at or below ``black_luma``, sharpness,
    luma difference from the previous sampled frame (:func:`change`; inf for the first), last frame index decoded."""

    ts: list[int] = field(default_factory=list)
    luma: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    sharp: list[float] = field(default_factory=list)
    diffs: list[float] = field(default_factory=list)
    last: int = -1


def _sample(video: VideoData, th: dict[str, Any]) -> Samples:
    """About ``video_sample_hz`` decoded frames per second of ``video``, measured (:class:`Samples`)."""
    out, previous, span = Samples(), None, None
    floor = int(np.floor(th["black_luma"]))
    for t, frame, index in gray_frames(video, th["video_sample_hz"]):
        out.ts.append(t)
        out.luma.append(int(frame.sum(dtype=np.int64)) / frame.size)
        out.floor.append(int(np.count_nonzero(frame <= min(floor, 255))) / frame.size if floor >= 0 else 0.0)
        span = luma_span(frame, span)
        out.sharp.append(sharpness(frame, span))
        out.diffs.append(change(frame, previous, out.diffs[-1]) if previous is not None else float("inf"))
        out.last, previous = index, frame
    return out


def _run_s(ts: list[int], a: int, b: int) -> float:
    """Seconds from sample ``a`` to the first sample after the run [a, b) (one sampling step past the end)."""
    step = int(np.median(np.diff(ts))) if len(ts) > 1 else 0
    end = ts[b] if b < len(ts) else ts[-1] + step
    return (end - ts[a]) / 1e9


def _add(ctx: RuleContext, name: str, ts: list[int], run: tuple[int, int], code: str, sev: Severity, text: str) -> None:
    a, b = run
    ctx.add(
        code, sev, f"{name}: {b - a} sampled frames {text}", stream=name, span_ns=(ts[a], ts[b - 1]), value=float(b - a)
    )


def _black(ctx: RuleContext, name: str, ts: list[int], black: Mask) -> None:
    """Black runs: blocking from ``black_min_s``, a warning below (a fade through black, a first frame)."""
    for a, b in runs(black):
        long = _run_s(ts, a, b) >= ctx.th["black_min_s"]
        what = "are black" if long else f"are black for under {ctx.th['black_min_s']} s (a fade or a blink)"
        _add(ctx, name, ts, (a, b), "video.black", Severity.blocking if long else Severity.warning, what)


def _blur(
    ctx: RuleContext, name: str, ts: list[int], sharp: npt.NDArray[np.float64], usable: Mask, black: Mask
) -> None:
    """Per shot (sampled frames between black runs): blurred frames against the shot's median, a soft shot."""
    for a, b in runs(~black):
        judged = usable[a:b] & np.isfinite(sharp[a:b])
        if not judged.any():
            continue
        level = float(np.median(sharp[a:b][judged]))
        blurred = judged & (sharp[a:b] < ctx.th["blur_relative"] * level)
        for c, d in (r for r in runs(blurred) if r[1] - r[0] >= ctx.th["blur_min_frames"]):
            sharpest = float(np.nanmax(sharp[a + c : a + d]))
            text = f"are blurred (sharpness {sharpest:.2f} or less, the camera's median {level:.2f})"
            _add(ctx, name, ts, (a + c, a + d), "video.blurred", Severity.blocking, text)
        if level < ctx.th["blur_sharpness"]:
            text = (
                f"are soft all through (median sharpness {level:.2f} < blur_sharpness {ctx.th['blur_sharpness']}):"
                " a property of the camera or sensor (tactile gel, water, fixed focus), not a blur event"
            )
            _add(ctx, name, ts, (a, b), "video.soft", Severity.warning, text)


def underexposed(ctx: RuleContext, name: str, ts: list[int], luma: npt.NDArray[np.float64], black: Mask) -> None:
    """Sampled frames darker than ``underexposed_luma`` (mean luma) that are not black (``black``: video.black's)."""
    dark = (luma < ctx.th["underexposed_luma"]) & ~black
    for a, b in runs(dark):
        ctx.add(
            "video.underexposed",
            Severity.warning,
            f"{name}: {b - a} sampled frames are under-exposed (mean luma {luma[a:b].mean():.0f})",
            stream=name,
            span_ns=(ts[a], ts[b - 1]),
            value=float(b - a),
        )


def video_quality(ctx: RuleContext) -> None:
    """Black, over-exposed, under-exposed, blurred, soft and frozen sampled frames, and decoding that fails."""
    for s in ctx.data.meta.streams:
        video = ctx.data.payloads.get(s.name)
        if s.kind is not StreamKind.video or not isinstance(video, VideoData) or s.codec == "rawvideo":
            continue
        got = _sample(video, ctx.th)
        ts = got.ts
        if not ts:
            ctx.add("video.decode_error", Severity.blocking, f"{s.name}: no frame decodes ({s.codec})", stream=s.name)
            continue
        if got.last < len(video.timestamps_ns) - int(len(video.timestamps_ns) / max(len(ts), 1)) - 2:
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
        _black(ctx, s.name, ts, black)
        for run in runs(over):
            _add(ctx, s.name, ts, run, "video.overexposed", Severity.blocking, "are over-exposed")
        _blur(ctx, s.name, ts, np.array(got.sharp), ~black & ~over, black)
        underexposed(ctx, s.name, ts, lum, black)
        frozen_frames(ctx, s.name, ts, got.diffs)
