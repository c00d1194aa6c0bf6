"""MediaPipe's venv for the hand_pose tests that run the bundled model: built once per session by
``tools/handpose-venv .tmp/handpose-venv`` (about a minute and a half from a warm pip cache; kept between runs)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
TOOL, VENV = REPO / "tools" / "handpose-venv", REPO / ".tmp" / "handpose-venv"


@pytest.fixture(scope="session")
def mediapipe_python() -> Path:
    """The venv's interpreter (the tool returns at once when the venv is already built)."""
    done = subprocess.run([str(TOOL), str(VENV)], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        pytest.fail(f"building the MediaPipe venv failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return VENV / "bin" / "python"
