"""Judging a camera from its packets, decoding only what they point at (``video_check = "packets"``).

The frames judged are the same grid as the full check's (about ``video_sample_hz`` per second,
:func:`robofuel.video.sampled`), but only some of them are decoded and measured:

- a sparse baseline: in an inter-coded stream the first grid frame after each keyframe (a keyframe and the few
  frames after it; keyframes at least a second apart) and the last one when its group of pictures is short (where a
  truncated stream stops decoding); in a JPEG or PNG stream about ``video_baseline_hz`` grid frames per second;
- the spans (``GROW`` grid frames each side) around frames where the bytes per sampling step fall
  ``video_screen_ratio`` times against the ``video_screen_window_s`` before or after (a frozen, black, dark,
  blurred or washed-out picture costs fewer bytes), keyframes as far off the keyframes before or after them,
  frames ``video_spike_ratio`` times larger than those on one side (:func:`spikes`: the frame where a picture comes
  back), and keyframes off the stream's cadence (:func:`_cuts`: the encoder saw the picture change at once);
- then, round after round, a span is widened on each side whose edge frame is black, over- or under-exposed,
  blurred-looking (``blur_relative`` x 1.5 of the camera's median so far) or repeats its neighbour (for cameras the
  frozen rule judges, in a run that overlaps motion), until every such run is bounded by measured frames that are
  not: each run the rules see is then the full check's run, frame for frame;
- once any span is decoded, the uniform baseline (``video_baseline_hz``), over which the shot's median sharpness is
  taken (the spans alone would bias it towards the suspect frames).

A group of pictures is decoded from its keyframe up to the last frame wanted in it, and only then. What differs
from the full check: the shot's median sharpness is taken over the uniform baseline (printed in ``video.blurred``
and ``video.soft`` messages), and a fault whose packets look ordinary at both its ends and which falls between
baseline frames is not seen. Where the packets cannot say (keyframes unknown, a packet that does not decode), the
camera is judged by the full check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from robofuel.standard import VideoData
from robofuel.steps.qc.video_measures import change, frame_measures
from robofuel.video import INTRA_ONLY, SIGNATURES, PacketIndex, gray_selected, packet_index

GROW = 2  # grid frames a span is widened by on each side, doubled each round
MAX_ROUNDS = 12


def _sides(x: npt.NDArray[np.float64], window: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Median of the ``window`` values before and of the ``window`` values after each value (edges repeated)."""
    n = len(x)
    w = max(1, min(window, n))
    before = np.median(sliding_window_view(np.pad(x, (w, 0), mode="edge"), w)[:n], axis=1)
    after = np.median(sliding_window_view(np.pad(x, (0, w), mode="edge"), w)[1 : n + 1], axis=1)
    return np.maximum(before, 1.0), np.maximum(after, 1.0)


def _steps(x: npt.NDArray[np.float64], ratio: float, window: int, rises: bool = True) -> npt.NDArray[np.bool_]:
    """Values where ``x`` falls ``ratio`` times (a value that far below the median of the ``window`` values
    before it, or above that of those after it) and, with ``rises``, where it rises as far."""
    if len(x) < 3:
        return np.zeros(len(x), dtype=bool)
    before, after = _sides(x, window)
    out = (x * ratio < before) | (x > ratio * after)
    return out | (x > ratio * before) | (x * ratio < after) if rises else out


def _per_step(sizes: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.float64]:
    """Bytes per ``k`` frames around each frame (scaled up where the recording's ends cut the span short)."""
    ones = np.ones(k)
    return k * np.convolve(sizes, ones, mode="same") / np.convolve(np.ones(len(sizes)), ones, mode="same")


def _cuts(at: npt.NDArray[np.int64], n: int) -> npt.NDArray[np.bool_]:
    """Keyframes (indices ``at`` of ``n`` frames, the first at 0) off the stream's cadence, and the frame before
    each: where the encoder's scene-cut detection began a group of pictures because the picture changed at once
    (a fault began or ended). The cadence is the longest group of pictures when two or more have that length;
    without one (fewer keyframes: an encoder whose interval is longer than the video) every keyframe after the
    first is a cut."""
    out = np.zeros(n, dtype=bool)
    gaps = np.diff(at)
    regular = len(gaps) >= 2 and int(np.count_nonzero(gaps == gaps.max())) >= 2
    cut = at[1:][gaps < gaps.max()] if regular else at[1:]
    out[cut] = True
    out[cut - 1] = True
    return out


def _typical(index: PacketIndex) -> npt.NDArray[np.float64]:
    """Packet sizes (bytes) with each keyframe's replaced by the median of the other frames (an intra-only stream's
    as they are): a keyframe's size says nothing of its picture."""
    sizes = index.sizes.astype(np.float64)
    return sizes if index.key.all() else np.where(index.key, float(np.median(sizes[~index.key])), sizes)


def spikes(index: PacketIndex, ratio: float, window: int) -> npt.NDArray[np.bool_]:
    """Frames other than keyframes ``ratio`` times larger than the median of the ``window`` frames on one side
    and ``ratio / 2`` times those on the other (keyframes counted as a typical other frame): where a picture
    comes back at once after a fault (an arm that starts moving raises the bytes over several frames)."""
    key, out = index.key, np.zeros(len(index.sizes), dtype=bool)
    if key.all() or ratio <= 0 or len(key) < 3:
        return out
    sizes = _typical(index)
    before, after = _sides(sizes, window)
    low, high = np.minimum(before, after), np.maximum(before, after)
    return ~key & (sizes > ratio * low) & (sizes > ratio / 2 * high)


def screen(index: PacketIndex, ratio: float, step: int, window: int | None = None) -> npt.NDArray[np.bool_]:
    """Frames where the bytes per sampling step (``step`` frames; keyframes counted as a typical other frame)
    fall ``ratio`` times against the ``window`` frames before or after (``5 * step`` when None; rise or fall in an
    intra-only stream), keyframes ``ratio`` times off the keyframes before or after them, and scene cuts
    (:func:`_cuts`): where a picture turns black, frozen, blurred, dark or washed out, or comes back. Where the
    bytes rise in an inter-coded stream (an arm that starts moving, say), :func:`spikes` looks."""
    sizes = _typical(index)
    key, out = index.key, np.zeros(len(sizes), dtype=bool)
    if not key.all():
        at = np.flatnonzero(key)
        out[at[_steps(index.sizes[at].astype(np.float64), ratio, 4)]] = True
        out |= _cuts(at, len(sizes))
    k = max(1, step)
    return out | _steps(_per_step(sizes, k), ratio, window or max(3, 5 * k), rises=bool(key.all()))


@dataclass
class Measures:
    """Measures of the grid frames decoded so far, by grid position: mean luma, black share, sharpness; frame
    difference from the previous grid frame (only when both were decoded); ``uniform``: the positions of the
    uniform baseline (every ``video_sample_hz / video_baseline_hz``-th), when it was decoded."""

    luma: dict[int, float] = field(default_factory=dict)
    floor: dict[int, float] = field(default_factory=dict)
    sharp: dict[int, float] = field(default_factory=dict)
    diffs: dict[int, float] = field(default_factory=dict)
    uniform: set[int] = field(default_factory=set)


def _spans(marks: npt.NDArray[np.bool_], grid: npt.NDArray[np.int64], n: int) -> set[int]:
    """Grid positions within ``GROW`` of a marked frame."""
    pos = np.searchsorted(grid, np.flatnonzero(marks))
    out: set[int] = set()
    for p in pos.tolist():
        out.update(range(max(p - GROW, 0), min(p + GROW + 1, n)))
    return out


def _baseline(index: PacketIndex, grid: npt.NDArray[np.int64], every: int) -> set[int]:
    """Grid positions decoded anyway: every ``every``-th of an intra-only stream; in an inter-coded one the first
    after a keyframe (which decodes with the few frames before it), keyframes at least ``every`` positions apart,
    and the last position when its group of pictures is short (a decode that stops at the end shows there)."""
    n = len(grid)
    if index.key.all():
        return {*range(0, n, every), n - 1}
    out: set[int] = set()
    for p in np.unique(np.searchsorted(grid, np.flatnonzero(index.key))).tolist():
        if p < n and (not out or p - max(out) >= every):
            out.add(p)
    if int(np.searchsorted(grid, index.gop[grid[-1]])) >= n - 1 - every:
        out.add(n - 1)
    return out


def _frozen_edges(m: Measures, luma: float, moving: npt.NDArray[np.bool_]) -> set[int]:
    """The first and last grid positions of each measured run of repeated frames that overlaps motion (a run in a
    still scene is reported by no rule, so it is not followed)."""
    out: set[int] = set()
    same = sorted(p for p, d in m.diffs.items() if d < luma)
    for a, b in _consecutive(same):
        if moving[a - 1 : b + 1].any():
            out.update((a - 1, b))
    return out


def _consecutive(values: list[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive integers in sorted ``values``."""
    out: list[tuple[int, int]] = []
    for v in values:
        if out and out[-1][1] == v - 1:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return out


def _flags(m: Measures, th: dict[str, Any], moving: npt.NDArray[np.bool_] | None) -> set[int]:
    """Grid positions whose frame could be part of a run a video rule reports (``moving``: where the scene moves,
    per grid position, for a camera the frozen rule judges)."""
    sharp = [v for v in m.sharp.values() if np.isfinite(v)]
    soft = th["blur_relative"] * 1.5 * float(np.median(sharp)) if sharp else -1.0
    out = {
        p
        for p, luma in m.luma.items()
        if m.floor[p] >= th["black_share"]
        or not th["underexposed_luma"] <= luma <= th["overexposed_luma"]
        or m.sharp[p] < soft
    }
    if moving is not None:
        out |= _frozen_edges(m, th["frozen_video_luma"], moving)
    return out


def _grow(m: Measures, flagged: set[int], n: int, width: int) -> set[int]:
    """Positions to measure next: ``width`` beyond each flagged edge of the measured spans."""
    out: set[int] = set()
    for p in flagged:
        if p - 1 >= 0 and p - 1 not in m.luma:
            out.update(range(max(p - width, 0), p))
        if p + 1 < n and p + 1 not in m.luma:
            out.update(range(p + 1, min(p + 1 + width, n)))
    return out


def _measure(
    video: VideoData, index: PacketIndex, grid: npt.NDArray[np.int64], new: set[int], m: Measures, th: dict[str, Any]
) -> bool:
    """Decode and measure the grid positions ``new`` (with their measured neighbours, for frame differences);
    False when a wanted frame does not decode."""
    frames = sorted(new | {q for p in new for q in (p - 1, p + 1) if q in m.luma})
    wanted = [int(grid[p]) for p in frames]
    pos = {int(grid[p]): p for p in frames}
    got, previous = 0, None
    prev_p, span = -2, None
    for i, frame in gray_selected(video, index, wanted):
        p = pos[i]
        got += 1
        if p in new:
            m.luma[p], m.floor[p], m.sharp[p], span = frame_measures(frame, th, span)
        if prev_p == p - 1 and previous is not None and p not in m.diffs:
            m.diffs[p] = change(frame, previous, m.diffs.get(p - 1))
        prev_p, previous = p, frame
    return got == len(wanted)


def _intra_ok(video: VideoData) -> bool:
    """Every packet of an intra-only stream starts with its codec's signature (what the full check looks at)."""
    signature = SIGNATURES.get(video.codec, b"")
    return all(p and p.startswith(signature) for p in video.packets or [])


def packet_measures(
    video: VideoData, th: dict[str, Any], grid: npt.NDArray[np.int64], moving: npt.NDArray[np.bool_] | None
) -> Measures | None:
    """The measures of the grid frames (``grid``: frame indices) decoded; None when the packets cannot say (the
    caller then decodes every frame). ``moving``: per grid frame, whether the scene moves, for a camera the frozen
    rule judges (None for others)."""
    if video.codec in INTRA_ONLY and video.packets is not None and not _intra_ok(video):
        return None
    index = packet_index(video)
    if index is None:
        return None
    n = len(grid)
    every = max(1, round(th["video_sample_hz"] / th["video_baseline_hz"]))
    step = max(1, round(n and len(index.sizes) / n))
    base = _baseline(index, grid, every)
    window = max(3, round(th["video_screen_window_s"] * th["video_sample_hz"] * step))  # frames
    marks = screen(index, th["video_screen_ratio"], step, window) | spikes(index, th["video_spike_ratio"], window)
    new = base | _spans(marks, grid, n)
    m = Measures()
    for r in range(MAX_ROUNDS):
        if not m.uniform and not base.issuperset(new | set(m.luma)):
            m.uniform = set(range(0, n, every))  # a median sharpness unbiased by the spans decoded
            new |= m.uniform - set(m.luma)
        if not new:
            return m
        if not _measure(video, index, grid, new, m, th):
            return None
        new = _grow(m, _flags(m, th, moving), n, GROW << r)
    return None
