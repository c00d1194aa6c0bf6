"""Loading the hand model a ``hand_pose`` config names: the bundled MediaPipe one or a plug-in's factory.

Kept apart from :mod:`robofuel.steps.hand_pose.model` (the protocol and records), which the MediaPipe client
imports itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from robofuel.errors import InputError
from robofuel.steps.hand_pose.model import HandModel


def load_model(config: Mapping[str, Any]) -> HandModel:
    """The hand model the step's ``config`` names (see the module docstring), loaded now."""
    spec = str(config["model"])
    if spec == "mediapipe":
        from robofuel.steps.hand_pose.mediapipe_client import MediaPipeHands  # lazy: starts a worker venv

        return MediaPipeHands.from_config(config)
    if ":" not in spec:
        raise InputError(f"hand_pose: model {spec!r}: 'mediapipe' or 'package.module:factory'")
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"hand_pose: model {spec!r} cannot be loaded ({exc}); give 'package.module:factory'") from exc
    model = factory(**config["model_options"])
    if not callable(getattr(model, "detect", None)):
        raise InputError(f"hand_pose: model {spec!r} returned {type(model).__name__}, which has no detect(frames)")
    for key in ("name", "version"):
        if not isinstance(getattr(model, key, None), str):
            setattr(model, key, spec if key == "name" else "unknown")
    hand_model: HandModel = model
    return hand_model
