"""Face (and person) detectors for the privacy step: the bundled OpenCV one and the plug-in point.

A detector is any object with ``name`` and ``version`` (str) and ``detect(rgb) -> boxes``: ``rgb`` one (H, W, 3)
uint8 frame, boxes in its pixels as :class:`Box` or ``(x, y, w, h[, score[, label]])`` tuples (top-left corner,
width, height). ``detector`` in the step's config picks one:

- ``"yunet"``: YuNet (libfacedetection) compiled into the ``yuface`` wheel, in-process (:mod:`.yunet`); with
  ``people`` also OpenCV's HOG person detector.
- ``"opencv"``: OpenCV's Haar cascades, shipped inside the ``opencv-python-headless`` wheel (no download):
  ``haarcascade_frontalface_default`` plus ``haarcascade_profileface`` run on the frame and on its mirror image
  (the cascade knows one profile direction); with ``people`` also OpenCV's HOG person detector.
- ``"package.module:factory"``: ``factory(**detector_options)`` returns a detector, imported when first needed.
- ``"/path/to/model.onnx"``: an ONNX detection model the user supplies (e.g. an EgoBlur face model exported to
  ONNX), run with onnxruntime (:mod:`.onnx`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from robofuel._lazy import require
from robofuel.errors import InputError
from robofuel.steps.privacy.boxes import Box, Rgb, as_box

__all__ = ["Box", "Detector", "HaarDetector", "Rgb", "as_box", "load_detector", "suppress"]


class Detector(Protocol):
    """What the privacy step needs of a detector."""

    name: str
    version: str

    def detect(self, rgb: Rgb) -> Sequence[Box | Sequence[Any]]: ...


def suppress(boxes: list[Box], iou: float = 0.3) -> list[Box]:
    """Boxes of one frame with those overlapping a larger one by more than ``iou`` left out."""
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: -b.w * b.h):
        if all(box.iou(k) <= iou for k in kept):
            kept.append(box)
    return kept


class HaarDetector:
    """OpenCV's frontal and profile Haar cascades (and the HOG person detector with ``people``), on one thread.

    ``min_neighbors``: how many overlapping raw hits a face needs (higher: fewer false faces, more missed ones);
    ``scale_factor``: the step between the scales searched; ``min_face_px``: the smallest face searched, pixels."""

    name = "opencv-haar"

    def __init__(
        self,
        *,
        faces: bool = True,
        profile: bool = True,
        people: bool = False,
        min_neighbors: int = 5,
        scale_factor: float = 1.1,
        min_face_px: int = 20,
        people_threshold: float = 0.5,
    ) -> None:
        cv2 = require("cv2", "privacy")
        cv2.setNumThreads(1)  # one worker per core: the process pool parallelises
        self._cv2 = cv2
        self.faces, self.profile, self.people = faces, profile, people
        self.min_neighbors, self.scale_factor, self.min_face_px = min_neighbors, scale_factor, min_face_px
        self.people_threshold = people_threshold
        root = cv2.data.haarcascades
        self._frontal = cv2.CascadeClassifier(root + "haarcascade_frontalface_default.xml")
        self._profile = cv2.CascadeClassifier(root + "haarcascade_profileface.xml")
        if self._frontal.empty() or self._profile.empty():
            raise InputError(f"OpenCV's Haar cascades are missing from {root}; reinstall opencv-python-headless")
        self._hog = None
        if people:
            self._hog = cv2.HOGDescriptor()
            self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.version = f"opencv {cv2.__version__}: frontalface_default" + (" + profileface x2" * profile)
        self.version += " + hog people" * people

    def _cascade(self, cascade: Any, gray: npt.NDArray[np.uint8]) -> list[tuple[int, int, int, int]]:
        size = (self.min_face_px, self.min_face_px)
        found = cascade.detectMultiScale(gray, self.scale_factor, self.min_neighbors, minSize=size)
        return [tuple(int(v) for v in r) for r in found]  # type: ignore[misc]

    def _faces(self, gray: npt.NDArray[np.uint8]) -> list[Box]:
        width = gray.shape[1]
        boxes = [Box(*r) for r in self._cascade(self._frontal, gray)]
        if not self.profile:
            return boxes
        boxes += [Box(*r) for r in self._cascade(self._profile, gray)]
        mirror = np.ascontiguousarray(gray[:, ::-1])
        boxes += [Box(width - x - w, y, w, h) for x, y, w, h in self._cascade(self._profile, mirror)]
        return boxes

    def _people(self, gray: npt.NDArray[np.uint8]) -> list[Box]:
        rects, weights = self._hog.detectMultiScale(gray, winStride=(8, 8))  # type: ignore[union-attr]
        return [
            Box(int(x), int(y), int(w), int(h), "person", float(s))
            for (x, y, w, h), s in zip(rects, np.ravel(weights), strict=True)
            if float(s) >= self.people_threshold
        ]

    def detect(self, rgb: Rgb) -> list[Box]:
        gray = self._cv2.cvtColor(np.ascontiguousarray(rgb), self._cv2.COLOR_RGB2GRAY)
        gray = self._cv2.equalizeHist(gray)
        boxes = self._faces(gray) if self.faces else []
        if self.people:
            boxes += self._people(gray)
        return suppress(boxes)


def _plugin(spec: str, options: Mapping[str, Any]) -> Any:
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"privacy: detector {spec!r} cannot be loaded ({exc}); give 'package.module:factory'") from exc
    detector = factory(**options)
    if not callable(getattr(detector, "detect", None)):
        raise InputError(f"privacy: detector {spec!r} returned {type(detector).__name__}, which has no detect(rgb)")
    return detector


def load_detector(config: Mapping[str, Any]) -> Detector:
    """The detector the step's ``config`` names (see the module docstring), loaded now."""
    spec = str(config["detector"])
    if spec == "opencv":
        keys = ("faces", "profile", "people", "min_neighbors", "scale_factor", "min_face_px", "people_threshold")
        return HaarDetector(**{k: config[k] for k in keys})
    if spec == "yunet":
        from robofuel.steps.privacy.yunet import YuNetDetector

        faces = YuNetDetector(score_threshold=config["score_threshold"])
        if not config["people"]:
            return faces
        people = HaarDetector(faces=False, profile=False, people=True, people_threshold=config["people_threshold"])
        return _Joined(faces, people)
    if spec.lower().endswith(".onnx"):
        from robofuel.steps.privacy.onnx import OnnxDetector

        return OnnxDetector(spec, score_threshold=config["score_threshold"], **config["detector_options"])
    if ":" not in spec:
        raise InputError(
            f"privacy: detector {spec!r}: 'yunet', 'opencv', 'package.module:factory' or a path to an .onnx file"
        )
    detector = _plugin(spec, config["detector_options"])
    return _Named(detector, spec)


class _Named:
    """A plug-in detector with ``name`` and ``version`` filled in where it has none, its boxes as :class:`Box`."""

    def __init__(self, inner: Any, spec: str) -> None:
        self.inner = inner
        self.name = str(getattr(inner, "name", spec))
        self.version = str(getattr(inner, "version", "unknown"))

    def detect(self, rgb: Rgb) -> list[Box]:
        return [as_box(b) for b in self.inner.detect(rgb)]


class _Joined:
    """Two detectors' boxes on the same frame (a face detector and the HOG person detector)."""

    def __init__(self, first: Detector, second: Detector) -> None:
        self.first, self.second = first, second
        self.name = f"{first.name}+{second.name}"
        self.version = f"{first.version}; {second.version}"

    def detect(self, rgb: Rgb) -> list[Box]:
        return [as_box(b) for b in [*self.first.detect(rgb), *self.second.detect(rgb)]]
