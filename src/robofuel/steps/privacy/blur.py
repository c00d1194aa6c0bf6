"""Blurring boxes of a frame: only the pixels inside them change.

``gaussian``: a Gaussian blur of standard deviation ``strength`` times the box's larger side (0.3: a 100-pixel face
blurred with sigma 30 px, nothing of eyes, nose or mouth left; wide ones applied to the box shrunk, see
:func:`_gaussian`); ``pixelate``: the box averaged into blocks of
``strength`` times its larger side (0.2: five blocks across a face), then blurred with sigma half a block so
that no block edge can be sharpened back into features.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from robofuel._lazy import require
from robofuel.steps.privacy.boxes import Box, Rgb

SMALL_SIGMA = 3.0  # px: a wider Gaussian is applied to the box shrunk so that it has this sigma there


def _gaussian(roi: Rgb, sigma: float) -> Rgb:
    """``roi`` blurred with a Gaussian of ``sigma`` px. A wide one (a large face: sigma 30-60 px, 12 ms a box at
    full size) is applied to the box shrunk by ``sigma / 3`` (area-averaged, which removes the same fine detail)
    and stretched back bilinearly, at a fraction of the cost."""
    cv2 = require("cv2", "privacy")
    h, w = roi.shape[:2]
    shrink = sigma / SMALL_SIGMA
    if shrink < 2.0 or min(h, w) / shrink < 2.0:
        out: Rgb = cv2.GaussianBlur(roi, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REPLICATE)
        return out
    size = (max(1, round(w / shrink)), max(1, round(h / shrink)))
    small = cv2.resize(roi, size, interpolation=cv2.INTER_AREA)
    sig = sigma * size[0] / w
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=sig, sigmaY=sig, borderType=cv2.BORDER_REPLICATE)
    stretched: Rgb = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return stretched


def _pixelate(roi: Rgb, block: float) -> Rgb:
    cv2 = require("cv2", "privacy")
    h, w = roi.shape[:2]
    small = cv2.resize(roi, (max(1, round(w / block)), max(1, round(h / block))), interpolation=cv2.INTER_AREA)
    blocks = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    return _gaussian(blocks, block / 2)


def blur_boxes(rgb: Rgb, boxes: Iterable[Box], method: str = "gaussian", strength: float = 0.2) -> Rgb:
    """A copy of ``rgb`` (H, W, 3) with every box blurred by ``method`` ("gaussian" or "pixelate")."""
    out = np.array(rgb, dtype=np.uint8, copy=True)
    for box in boxes:
        if box.w < 2 or box.h < 2:
            continue
        roi = np.ascontiguousarray(out[box.y : box.y + box.h, box.x : box.x + box.w])
        size = strength * max(box.w, box.h)
        out[box.y : box.y + box.h, box.x : box.x + box.w] = (
            _pixelate(roi, max(size, 2.0)) if method == "pixelate" else _gaussian(roi, max(size, 1.0))
        )
    return out
