"""What qc's video rules measure on one decoded 8-bit luma frame (0-255): mean, black share, luma span (0.5th and
99.5th percentiles), sharpness (steepest luma step over the span) and the difference from another frame (99.9th
percentile of the absolute change over 2x-subsampled frames). Percentiles are counted over 8-bit values, from a
guess or from the tail where one is at hand: the same values a histogram of every pixel gives, from fewer counts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel.video import Gray

MIN_EDGE = 6.0  # luma steps (per pixel) below which a frame has no edge to judge its focus by
#: Tail percentiles first count only the values at or above this cut (a small share of luma steps and frame
#: differences); when the percentile lies below it, they count from their own floor. Same value either way.
TAIL_CUT = 24


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


Span = tuple[float, float] | None


def frame_measures(frame: Gray, th: dict[str, Any], span: Span = None) -> tuple[float, float, float, Span]:
    """Mean luma, share of pixels at or below ``black_luma``, sharpness and luma span of one frame (``span``: the
    previous sampled frame's, a guess that only saves counting)."""
    floor = int(np.floor(th["black_luma"]))
    black = int(np.count_nonzero(frame <= min(floor, 255))) / frame.size if floor >= 0 else 0.0
    span = luma_span(frame, span)
    return int(frame.sum(dtype=np.int64)) / frame.size, black, sharpness(frame, span), span
