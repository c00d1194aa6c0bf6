"""Offscreen rendering of a replay's cameras on the CPU (MuJoCo's Renderer over EGL or OSMesa, Mesa's llvmpipe).

MuJoCo picks its OpenGL backend from ``MUJOCO_GL`` when it is first imported; :func:`choose_gl` sets it, unless the
user did, to ``egl`` when Debian's ``libegl1`` + ``libegl-mesa0`` are there, else ``osmesa`` (``libosmesa6``).
Importing :mod:`robofuel.sim` runs :func:`choose_gl`. Imported earlier by other code without ``MUJOCO_GL``,
mujoco keeps its default (GLFW, which needs a display): without one, nothing is rendered. A renderer that cannot
start (no GL library, no display) leaves the frames empty and logs why once per process on
the ``robofuel.sim`` logger: a replay is never lost for want of pictures.
"""

from __future__ import annotations

import ctypes.util
import logging
import os
from typing import Any

import numpy as np

from robofuel.sim.records import F64, U8

LOG = logging.getLogger("robofuel.sim")
_warned: set[str] = set()


def choose_gl() -> str:
    """Set ``MUJOCO_GL`` (before mujoco is imported) to a headless backend found on this machine; return it."""
    if "MUJOCO_GL" not in os.environ:
        if ctypes.util.find_library("EGL"):
            os.environ["MUJOCO_GL"] = "egl"
        elif ctypes.util.find_library("OSMesa"):
            os.environ["MUJOCO_GL"] = "osmesa"
    return os.environ.get("MUJOCO_GL", "")


def headless_problem(mj: Any) -> str | None:
    """Why mujoco, as imported, cannot render offscreen here (None: it can try). mujoco fixes its backend when
    first imported: imported before :func:`choose_gl` ran, without ``MUJOCO_GL``, it took GLFW, which needs a
    display (and aborts the process, not raises, when it has none)."""
    context = getattr(mj, "GLContext", None)
    if context is None:
        return f"mujoco has no OpenGL backend (MUJOCO_GL={os.environ.get('MUJOCO_GL', '')!r})"
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if getattr(context, "__module__", "") == "mujoco.glfw" and not display:
        return "mujoco was imported with GLFW and there is no display: set MUJOCO_GL=egl before mujoco is imported"
    return None


def _warn_once(reason: str) -> None:
    if reason not in _warned:
        _warned.add(reason)
        LOG.warning("robofuel.sim: rendering unavailable, frames left empty: %s", reason)


class FrameRecorder:
    """Frames of ``cameras`` at ``camera_hz`` Hz, ``size`` = (width, height) px; inert when rendering fails."""

    def __init__(self, mj: Any, model: Any, cameras: tuple[str, ...], size: tuple[int, int], camera_hz: float):
        self.cameras, self.period = cameras, 1.0 / camera_hz if camera_hz > 0 else np.inf
        self.frames: dict[str, list[U8]] = {c: [] for c in cameras}
        self.times: list[float] = []
        self.renderer: Any = None
        width, height = size
        problem = headless_problem(mj)
        if problem is not None:
            _warn_once(problem)
            return
        try:
            model.vis.global_.offwidth = max(int(model.vis.global_.offwidth), width)
            model.vis.global_.offheight = max(int(model.vis.global_.offheight), height)
            self.renderer = mj.Renderer(model, height=height, width=width)
        except Exception as exc:  # any GL failure (missing library, no context) must not lose the replay
            gl = os.environ.get("MUJOCO_GL", "")
            _warn_once(
                f"{type(exc).__name__}: {exc} (MUJOCO_GL={gl!r}; set it to egl or osmesa before mujoco is imported)"
            )

    def due(self, t: float) -> bool:
        """Whether a frame is due at replay time ``t`` s."""
        return self.renderer is not None and t >= len(self.times) * self.period - 1e-9

    def capture(self, data: Any, t: float) -> None:
        """Render every camera now (replay time ``t`` s)."""
        try:
            for cam in self.cameras:
                self.renderer.update_scene(data, camera=cam)
                self.frames[cam].append(np.array(self.renderer.render(), dtype=np.uint8))
        except Exception as exc:  # a context lost mid-run: keep what was rendered, stop rendering
            _warn_once(f"{type(exc).__name__}: {exc}")
            self.close()
            return
        self.times.append(t)

    def close(self) -> None:
        """Free the GL context."""
        if self.renderer is not None:
            self.renderer.close()
            self.renderer = None

    def result(self) -> tuple[dict[str, U8], F64]:
        """Frames per camera (N, H, W, 3) uint8 and their times (N,) s; empty when nothing was rendered."""
        n = min((len(f) for f in self.frames.values()), default=0)
        n = min(n, len(self.times))
        if n == 0:
            return {}, np.zeros(0)
        return {c: np.stack(f[:n]) for c, f in self.frames.items()}, np.asarray(self.times[:n], dtype=np.float64)
