"""robofuel.sim.render's choice of a headless OpenGL backend, without mujoco: no process may abort for pictures."""

from __future__ import annotations

import types

import pytest

from robofuel.sim.render import choose_gl, headless_problem


def _mujoco_with(context_module: str | None) -> types.SimpleNamespace:
    if context_module is None:
        return types.SimpleNamespace()
    return types.SimpleNamespace(GLContext=type("GLContext", (), {"__module__": context_module}))


def test_glfw_without_a_display_is_refused_before_it_can_abort(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    problem = headless_problem(_mujoco_with("mujoco.glfw"))
    assert problem is not None and "MUJOCO_GL=egl" in problem
    monkeypatch.setenv("DISPLAY", ":0")
    assert headless_problem(_mujoco_with("mujoco.glfw")) is None
    assert headless_problem(_mujoco_with("mujoco.egl")) is None
    assert "no OpenGL backend" in (headless_problem(_mujoco_with(None)) or "")


def test_a_backend_the_user_chose_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUJOCO_GL", "osmesa")
    assert choose_gl() == "osmesa"
    monkeypatch.delenv("MUJOCO_GL")
    assert choose_gl() in ("egl", "osmesa", "")  # whichever library this machine has, or none
