"""Running a hand model over one video stream and turning what it finds into per-hand keypoint rows."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from robofuel.standard import VideoData
from robofuel.standard.data import I64
from robofuel.steps.hand_pose.geometry import Intrinsics, camera_points, scaled_to, steady_depth
from robofuel.steps.hand_pose.model import F64, DetectedHand, HandModel, Rgb, Side, as_hand
from robofuel.video import rgb_frames

SIDES: tuple[Side, Side] = ("left", "right")


@dataclass
class SideTrack:
    """One hand over the frames run: ``score`` (N,) 0 where not found; ``keypoint_scores`` (N, 21), NaN where
    not found or the model gives none; ``px`` (N, 21, 2) pixels and ``camera`` (N, 21, 3) m, NaN where not found."""

    score: F64
    keypoint_scores: F64
    px: F64
    camera: F64

    @classmethod
    def empty(cls, n: int) -> SideTrack:
        return cls(np.zeros(n), np.full((n, 21), np.nan), np.full((n, 21, 2), np.nan), np.full((n, 21, 3), np.nan))

    @property
    def found(self) -> int:
        return int(np.count_nonzero(self.score > 0))


@dataclass
class VideoTrack:
    """Both hands over the frames of one video the model ran on (every ``stride``-th decoded one)."""

    timestamps_ns: I64
    sides: dict[Side, SideTrack]
    decoded: int
    width: int = 0
    height: int = 0
    extra_hands: int = 0  # hands beyond the best one per side in a frame, left out


def _batches(frames: Iterator[Rgb], size: int) -> Iterator[list[Rgb]]:
    while batch := list(itertools.islice(frames, size)):
        yield batch


def _best_per_side(hands: list[DetectedHand], min_score: float) -> tuple[dict[Side, DetectedHand], int]:
    """The highest-scoring hand of each side scoring at least ``min_score``, and how many others were left out."""
    best: dict[Side, DetectedHand] = {}
    kept = [h for h in hands if h.score >= min_score]
    for hand in sorted(kept, key=lambda h: -h.score):
        best.setdefault(hand.side, hand)
    return best, len(kept) - len(best)


def run_video(
    video: VideoData,
    pixel_format: str | None,
    model: HandModel,
    config: Mapping[str, Any],
    k: Callable[[int, int], Intrinsics],
) -> VideoTrack:
    """The model over every ``config["stride"]``-th frame of ``video`` that decodes, in batches; ``k``: a function
    (width, height) -> :data:`Intrinsics`, called once the frame size is known."""
    stride, min_score = int(config["stride"]), float(config["min_score"])
    reset = getattr(model, "reset", None)
    if callable(reset):
        reset()
    rows: list[dict[Side, DetectedHand]] = []
    extra, shape, intrinsics = 0, (0, 0), None
    for batch in _batches(rgb_frames(video, pixel_format, every=stride), int(config["batch_frames"])):
        shape = batch[0].shape[:2]
        intrinsics = intrinsics or k(shape[1], shape[0])
        for hands in model.detect(batch):
            best, more = _best_per_side([as_hand(h) for h in hands], min_score)
            rows.append(best)
            extra += more
    times = video.timestamps_ns[::stride][: len(rows)]
    stamps = np.asarray(times, dtype=np.int64)
    sides = {side: _side(rows, side, intrinsics, config.get("hand_size_m")) for side in SIDES}
    for track in sides.values():
        track.camera = steady_depth(track.camera, stamps, float(config.get("depth_window_s", 0.0)))
    return VideoTrack(stamps, sides, len(rows), shape[1], shape[0], extra)


def _side(rows: list[dict[Side, DetectedHand]], side: Side, k: Intrinsics | None, size_m: float | None) -> SideTrack:
    out = SideTrack.empty(len(rows))
    for i, row in enumerate(rows):
        hand = row.get(side)
        if hand is None:
            continue
        out.score[i] = hand.score
        if hand.keypoint_scores is not None:
            out.keypoint_scores[i] = hand.keypoint_scores
        out.px[i] = hand.px
        if k is not None:
            out.camera[i] = camera_points(hand.px, scaled_to(hand.world, size_m), k)
    return out
