"""The privacy step's default detector, YuNet from the yuface wheel, on a real face photo (scikit-image's astronaut,
public domain, inside its wheel): found in the photo and on a 640x480 frame, not found once blurred, not found on
a blank background; a clear error naming what to install when yuface is missing."""

from __future__ import annotations

import sys

import numpy as np
import numpy.typing as npt
import pytest

from robofuel.errors import InputError
from robofuel.steps.privacy.blur import blur_boxes
from robofuel.steps.privacy.config import PrivacyConfig
from robofuel.steps.privacy.detect import load_detector

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image ships the face photo (robofuel[dev])")
cv2 = pytest.importorskip("cv2", reason="the privacy step needs robofuel[privacy]")
pytest.importorskip("yuface", reason="the yunet detector needs robofuel[privacy] (yuface: Python <= 3.11)")

Rgb = npt.NDArray[np.uint8]


def config(**overrides: object) -> dict[str, object]:
    return PrivacyConfig(**overrides).model_dump()  # type: ignore[arg-type]


def camera_frame() -> tuple[Rgb, tuple[int, int, int, int]]:
    """A 640x480 frame: a grey textured background with the astronaut photo shrunk to 256 px at (300, 150); the
    region of her face in it (x0, y0, x1, y1)."""
    rng = np.random.default_rng(1)
    frame = np.clip(rng.normal(110, 12, (480, 640, 3)), 0, 255).astype(np.uint8)
    frame[150:406, 300:556] = cv2.resize(skimage_data.astronaut(), (256, 256), interpolation=cv2.INTER_AREA)
    return frame, (300 + 80, 150 + 15, 300 + 140, 150 + 90)  # her face: x 160-280, y 30-180 of the 512 px photo


def test_the_default_detector_is_yunet_and_finds_the_real_face() -> None:
    detector = load_detector(config())
    assert detector.name == "yunet" and "yuface" in detector.version
    photo = skimage_data.astronaut()
    (face,) = detector.detect(photo)
    assert 150 <= face.x <= 200 and 40 <= face.y <= 90 and 70 <= face.w <= 130 and face.score >= 0.8
    frame, (x0, y0, x1, y1) = camera_frame()
    (small,) = detector.detect(frame)  # a 45 px face on a 640x480 frame
    cx, cy = small.x + small.w / 2, small.y + small.h / 2
    assert x0 <= cx <= x1 and y0 <= cy <= y1 and 30 <= small.w <= 70
    blank = frame.copy()
    blank[150:406, 300:556] = 110
    assert detector.detect(blank) == []


def test_the_blur_defeats_the_detector_that_found_the_face() -> None:
    defaults = config()
    detector = load_detector(defaults)
    for image in (skimage_data.astronaut(), camera_frame()[0]):
        height, width = image.shape[:2]
        found = detector.detect(image)
        assert found
        boxes = [b.padded(defaults["pad"], width, height) for b in found]  # type: ignore[arg-type]
        blurred = blur_boxes(image, boxes, str(defaults["blur"]), defaults["blur_strength"])  # type: ignore[arg-type]
        assert detector.detect(blurred) == []


def test_people_add_the_hog_person_detector() -> None:
    detector = load_detector(config(people=True))
    assert detector.name == "yunet+opencv-haar" and "hog people" in detector.version
    assert {b.label for b in detector.detect(skimage_data.astronaut())} >= {"face"}


def test_a_missing_yuface_is_an_input_error_naming_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yuface", None)  # import yuface now raises ImportError
    with pytest.raises(InputError, match=r"pip install 'robofuel\[privacy\]'.*detector = 'opencv'"):
        load_detector(config())
