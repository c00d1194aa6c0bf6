"""Hand models for the ``hand_pose`` step: the bundled MediaPipe Hands and the plug-in point.

A hand model is any object with ``name`` and ``version`` (str) and ``detect(frames) -> hands per frame``:
``frames`` a sequence of (H, W, 3) uint8 RGB frames of one video, in time order (a model may track across them);
per frame a list of :class:`DetectedHand` (or mappings with its field names). ``reset()``, where the model has one,
is called before each new video. ``model`` in the step's config picks one (:func:`.loader.load_model`):

- ``"mediapipe"`` (default): MediaPipe Hands 0.10.21 (Apache-2.0; palm detector + 21-landmark model, their
  .tflite files ship inside the ``mediapipe`` wheel, nothing is downloaded) run in a worker process by the
  interpreter of the venv ``tools/handpose-venv`` builds (:mod:`.mediapipe_client`);
- ``"package.module:factory"``: ``factory(**model_options)`` returns a model, imported when first needed, e.g. a
  stronger model whose weights the user supplies (``model_options = { weights = "/path/to/weights" }``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
Rgb = npt.NDArray[np.uint8]
Side = Literal["left", "right"]


@dataclass(frozen=True)
class DetectedHand:
    """One hand in one frame.

    ``side``: the person's left or right hand; ``score``: the model's confidence in the hand, 0-1; ``px``: (21, 2)
    keypoints in pixels of the frame (x right, y down, origin at the top-left corner), MediaPipe's order
    (:data:`~robofuel.standard.canonical.HAND_KEYPOINTS`); ``world``: (21, 3) metric keypoints in m, axes along the
    camera's (x right, y down, z forward), origin anywhere (the step places them in the camera frame from ``px``
    and the intrinsics), or None when the model gives no 3D; ``keypoint_scores``: (21,) per-keypoint confidence, or
    None when the model gives only ``score``."""

    side: Side
    score: float
    px: F64
    world: F64 | None = None
    keypoint_scores: F64 | None = None


class HandModel(Protocol):
    """What the ``hand_pose`` step needs of a hand model (see the module docstring)."""

    name: str
    version: str

    def detect(self, frames: Sequence[Rgb]) -> Sequence[Sequence[DetectedHand | Mapping[str, Any]]]: ...


def as_hand(item: DetectedHand | Mapping[str, Any]) -> DetectedHand:
    """A plug-in's hand as a :class:`DetectedHand`, shapes checked (ValueError naming what is wrong)."""
    if isinstance(item, DetectedHand):
        hand = item
    else:
        fields = {k: item[k] for k in ("side", "score", "px", "world", "keypoint_scores") if k in item}
        hand = DetectedHand(**fields)
    side = str(hand.side).lower()
    if side not in ("left", "right"):
        raise ValueError(f"a hand's side is 'left' or 'right', not {hand.side!r}")
    px = np.asarray(hand.px, dtype=np.float64).reshape(21, 2)
    world = None if hand.world is None else np.asarray(hand.world, dtype=np.float64).reshape(21, 3)
    scores = None if hand.keypoint_scores is None else np.asarray(hand.keypoint_scores, np.float64).reshape(21)
    return DetectedHand(side, float(hand.score), px, world, scores)  # type: ignore[arg-type]
