"""The isolated venvs some tests run third-party code in, built by the project's tools on first use (a minute or
more; a built venv is kept in .tmp/ between runs and the tool then returns at once)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def venv_python(tool: Path, name: str, what: str, optional: bool = False) -> Path:
    """The interpreter of ``.tmp/<name>``, built by ``tool`` if needed; ``what`` names it in a failure. With
    ``optional`` (a tool outside the repository, such as ../shared/tools), the test is skipped when the tool is
    absent; a build that fails fails the test with the tool's output."""
    if optional and not tool.exists():
        pytest.skip(f"{tool} is absent: it builds {what}")
    venv = REPO / ".tmp" / name
    done = subprocess.run([str(tool), str(venv)], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        pytest.fail(f"building {what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return venv / "bin" / "python"
