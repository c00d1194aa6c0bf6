"""MediaPipe's venv for the hand_pose tests that run the bundled model: built once per session by
``tools/handpose-venv .tmp/handpose-venv`` (about a minute and a half from a warm pip cache; kept between runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from venvs import REPO, venv_python


@pytest.fixture(scope="session")
def mediapipe_python() -> Path:
    """The venv's interpreter (the tool returns at once when the venv is already built)."""
    return venv_python(REPO / "tools" / "handpose-venv", "handpose-venv", "the MediaPipe venv")
