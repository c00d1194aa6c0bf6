"""A user-supplied ONNX detection model as a privacy detector (onnxruntime, installed by the user).

The model's layout is the one torchvision's detection models (EgoBlur's face and plate models are torchvision
Faster R-CNNs) export to: one input, a (1, 3, H, W) float32 RGB image scaled to 0-1 (a fixed H and W in the model
are honoured by resizing, the boxes scaled back); outputs boxes (N, 4) as x1, y1, x2, y2 pixels and scores (N,).
Another layout needs a ``module:factory`` plug-in instead (docs/privacy.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.errors import InputError
from robofuel.steps.privacy.boxes import Box, Rgb


class OnnxDetector:
    """Boxes from an ONNX model at ``path`` scoring at least ``score_threshold``; ``label``: what they hold."""

    def __init__(self, path: str, *, score_threshold: float = 0.5, label: str = "face", providers: Any = None):
        if not Path(path).is_file():
            raise InputError(f"privacy: detector model {path} does not exist; give the path of an .onnx file")
        ort = require("onnxruntime", "onnxruntime (install it yourself: pip install onnxruntime)")
        self._session = ort.InferenceSession(path, providers=providers or ["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0]
        self.score_threshold, self.label = score_threshold, label
        self.name, self.version = f"onnx:{Path(path).name}", f"onnxruntime {ort.__version__}"

    def _size(self, height: int, width: int) -> tuple[int, int]:
        shape = list(self._input.shape)
        fixed = len(shape) == 4 and all(isinstance(v, int) for v in shape[2:])
        return (int(shape[2]), int(shape[3])) if fixed else (height, width)

    def detect(self, rgb: Rgb) -> list[Box]:
        height, width = rgb.shape[:2]
        in_h, in_w = self._size(height, width)
        image = rgb
        if (in_h, in_w) != (height, width):
            cv2 = require("cv2", "privacy")
            image = cv2.resize(rgb, (in_w, in_h), interpolation=cv2.INTER_AREA)
        tensor = (image.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        outputs = self._session.run(None, {self._input.name: tensor})
        boxes = next((np.asarray(o) for o in outputs if np.ndim(o) == 2 and np.shape(o)[1] == 4), np.zeros((0, 4)))
        scores = next((np.asarray(o) for o in outputs if np.ndim(o) == 1 and o.dtype.kind == "f"), np.ones(len(boxes)))
        sx, sy = width / in_w, height / in_h
        out = []
        for (x1, y1, x2, y2), score in zip(boxes, scores, strict=False):
            if score >= self.score_threshold:
                x, y = round(x1 * sx), round(y1 * sy)
                out.append(Box(x, y, round(x2 * sx) - x, round(y2 * sy) - y, self.label, float(score)))
        return out
