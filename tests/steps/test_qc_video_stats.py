"""The sampled-frame measures of qc's video rules: counting from a guess or from the tail gives the value a histogram
of every pixel gives (rules_video counts only part of a frame for speed; its findings must not change)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from robofuel.steps.qc import video_measures as rv


def _reference(values: np.ndarray, q: float) -> float:
    """Percentile ``q`` of 8-bit values from the cumulative histogram of all of them."""
    return rv._percentile(np.cumsum(np.bincount(values.ravel(), minlength=256)), q)


def _sharpness_reference(frame: np.ndarray) -> float:
    """rules_video.sharpness from whole-frame histograms (the definition in docs/qc.md)."""
    span = _reference(frame, 99.5) - _reference(frame, 0.5)
    dx = np.abs(np.diff(frame.astype(np.int16), axis=1)).astype(np.uint8)
    dy = np.abs(np.diff(frame.astype(np.int16), axis=0)).astype(np.uint8)
    step = max(_reference(dx, 99.9), _reference(dy, 99.9))
    return step / span if span > 0 and step >= rv.MIN_EDGE else float("nan")


def _frames(rng: np.random.Generator) -> list[np.ndarray]:
    """Frames of every shape the rules meet: noise, flat, black, white, two levels, a narrow range, tiny."""
    noise = rng.integers(0, 256, (48, 64), dtype=np.uint8)
    narrow = rng.integers(100, 108, (48, 64), dtype=np.uint8)
    halves = np.zeros((48, 64), np.uint8)
    halves[:, 32:] = 200
    sparse = np.zeros((48, 64), np.uint8)
    sparse[rng.integers(0, 48, 5), rng.integers(0, 64, 5)] = 255
    flat = [np.full((48, 64), v, np.uint8) for v in (0, 1, 17, 128, 254, 255)]
    return [noise, narrow, halves, sparse, *flat, rng.integers(0, 256, (1, 2), dtype=np.uint8)]


@pytest.mark.parametrize("q", [0.0, 0.5, 50.0, 99.5, 99.9, 100.0])
def test_search_from_any_guess_equals_the_histogram(q: float) -> None:
    rng = np.random.default_rng(7)
    for frame in _frames(rng):
        want = _reference(frame, q)
        for guess in (-5.0, 0.0, 1.0, want - 1, want, want + 1, 127.0, 254.0, 255.0, 300.0):
            assert rv._search_percentile(frame, q, guess) == want, (q, guess, frame.ravel()[:8])


def test_tail_percentile_equals_the_histogram_above_its_floor() -> None:
    rng = np.random.default_rng(11)
    for frame in _frames(rng):
        for floor in (0.0, 6.0, 24.0, 200.0):
            want = _reference(frame, 99.9)
            assert rv._tail_percentile(frame, 99.9, floor) == (want if want >= floor else -1.0)


def test_span_sharpness_and_change_from_a_guess_equal_those_from_histograms() -> None:
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 256, (60, 80), dtype=np.uint8) // (k + 1) for k in range(6)] + _frames(rng)[:4]
    frames = [f if f.shape == (60, 80) else np.resize(f, (60, 80)) for f in frames]
    span: tuple[float, float] | None = None
    for previous, frame in pairwise(frames):
        span = rv.luma_span(frame, span)
        assert span == (_reference(frame, 0.5), _reference(frame, 99.5))
        assert rv.sharpness(frame, span) == pytest.approx(_sharpness_reference(frame), nan_ok=True, rel=0, abs=0)
        full = _reference(rv._absdiff(frame[::2, ::2], previous[::2, ::2]), 99.9)
        assert rv.change(frame, previous) == full
        assert rv.change(frame, previous, guess=3.0) == full
