"""Boxes in frame pixels, the unit every detector, the tracker and the blur share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Rgb = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in frame pixels: top-left (x, y), width and height; what it holds and the score."""

    x: int
    y: int
    w: int
    h: int
    label: str = "face"
    score: float = 1.0

    def iou(self, other: Box) -> float:
        """Intersection over union with ``other``."""
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union > 0 else 0.0

    def padded(self, pad: float, width: int, height: int) -> Box:
        """Grown by ``pad`` of its size on every side, clipped to a ``width`` x ``height`` frame."""
        dx, dy = round(self.w * pad), round(self.h * pad)
        x0, y0 = max(0, self.x - dx), max(0, self.y - dy)
        x1, y1 = min(width, self.x + self.w + dx), min(height, self.y + self.h + dy)
        return Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0), self.label, self.score)

    def as_list(self) -> list[Any]:
        return [self.x, self.y, self.w, self.h, self.label, round(self.score, 3)]


def as_box(item: Box | Sequence[Any], label: str = "face") -> Box:
    """A detector's box as a :class:`Box` (tuples ``(x, y, w, h[, score[, label]])`` accepted)."""
    if isinstance(item, Box):
        return item
    x, y, w, h = (round(float(v)) for v in item[:4])
    score = float(item[4]) if len(item) > 4 else 1.0
    return Box(x, y, w, h, str(item[5]) if len(item) > 5 else label, score)
