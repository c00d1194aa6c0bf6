"""Boxes across frames: a face missed between two hits, or just before and after them, is still covered.

A detector misses faces now and then (motion blur, a turned head for a frame). Each box is linked to an
overlapping box up to ``max_gap`` frames later, and the frames between get the box interpolated; every box is also
held ``hold`` frames before and after. Boxes are then padded (``pad`` of their size on every side).
"""

from __future__ import annotations

from collections.abc import Sequence

from robofuel.steps.privacy.boxes import Box

#: Where a box of the redaction log came from.
DETECTED, TRACKED, HELD = "detected", "tracked", "held"


def _near(a: Box, b: Box) -> bool:
    """Overlapping, or the centre of one inside the other (a fast face moves more than its IoU allows)."""
    if a.label != b.label:
        return False
    cx, cy = b.x + b.w / 2, b.y + b.h / 2
    return a.iou(b) > 0.1 or (a.x <= cx <= a.x + a.w and a.y <= cy <= a.y + a.h)


def _between(a: Box, b: Box, t: float) -> Box:
    def lerp(u: int, v: int) -> int:
        return round(u + (v - u) * t)

    return Box(lerp(a.x, b.x), lerp(a.y, b.y), lerp(a.w, b.w), lerp(a.h, b.h), a.label, min(a.score, b.score))


def _links(found: Sequence[Sequence[Box]], i: int, box: Box, max_gap: int) -> list[tuple[int, Box]]:
    """Interpolated boxes from ``box`` in frame ``i`` to the first near box within ``max_gap`` missed frames."""
    for j in range(i + 1, min(len(found), i + max_gap + 2)):
        match = next((b for b in found[j] if _near(box, b)), None)
        if match is not None:
            return [(k, _between(box, match, (k - i) / (j - i))) for k in range(i + 1, j)]
    return []


def fill(found: Sequence[Sequence[Box]], max_gap: int, hold: int) -> list[list[tuple[Box, str]]]:
    """Per frame, the boxes to redact and where each came from (:data:`DETECTED`, :data:`TRACKED`, :data:`HELD`);
    an added box is left out where a box already there covers it."""
    out: list[list[tuple[Box, str]]] = [[(b, DETECTED) for b in boxes] for boxes in found]

    def add(k: int, box: Box, how: str) -> None:
        if not any(b.iou(box) > 0.5 for b, _ in out[k]):
            out[k].append((box, how))

    for i, boxes in enumerate(found):
        for box in boxes:
            for k, between in _links(found, i, box, max_gap):
                add(k, between, TRACKED)
            for k in range(max(0, i - hold), min(len(found), i + hold + 1)):
                if k != i:
                    add(k, box, HELD)
    return out


def padded(frames: list[list[tuple[Box, str]]], pad: float, width: int, height: int) -> list[list[tuple[Box, str]]]:
    """Every box grown by ``pad`` of its size on each side, clipped to the frame."""
    return [[(b.padded(pad, width, height), how) for b, how in frame] for frame in frames]
