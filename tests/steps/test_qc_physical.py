"""qc rules of rules_physical: contact without motion, a gripper closing on nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qc_helpers import context, found, judge_fault

from robofuel.steps.qc.rules_physical import contact_without_motion, gripper_closed_on_nothing


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qc_physical")


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("contact_without_motion", "physical.contact_without_motion"),
        ("missed_grasp", "physical.gripper_closed_on_nothing"),
    ],
)
def test_fault_is_found_on_its_stream_within_its_time(gen: Path, fault: str, code: str) -> None:
    data, truth = judge_fault(gen, "teleop", fault, seed=71)
    (f,) = found(data, code)
    assert f.stream == truth["ingested_stream"] and f.severity.value == "warning"
    assert f.start_s is not None and f.end_s is not None
    assert truth["start_s"] - 0.1 <= f.start_s < f.end_s <= truth["end_s"] + 0.1
    assert f.end_s - f.start_s > 0.5 * (truth["end_s"] - truth["start_s"])
    assert data.meta.verdict == "needs_review"


def _arm(moving_until_s: float) -> np.ndarray:  # type: ignore[type-arg]
    t = np.arange(1000) / 100.0
    return np.stack([np.sin(np.minimum(t, moving_until_s)), np.cos(np.minimum(t, moving_until_s))], axis=1)


def test_contact_needs_stillness_and_duration() -> None:
    force = np.zeros((2500, 6))
    force[1500:2000, 2] = 30.0  # 2 s of 30 N from 6 s
    streams = {"js": ("joint_position", ["j1", "j2"], 100.0, _arm(5.0)), "ft": ("wrench", list("abcdef"), 250.0, force)}
    ctx = context(streams)
    contact_without_motion(ctx)
    (f,) = ctx.findings
    assert f.stream == "ft" and 5.9 <= (f.start_s or 0) <= 6.1 and 7.9 <= (f.end_s or 0) <= 8.1
    streams["js"] = ("joint_position", ["j1", "j2"], 100.0, _arm(10.0))  # the arm moves: pushing while moving
    ctx = context(streams)
    contact_without_motion(ctx)
    assert ctx.findings == []


def _gripper(closed_to: float, effort: float) -> np.ndarray:  # type: ignore[type-arg]
    t = np.arange(1000) / 100.0
    half = np.where((t > 3) & (t < 7), closed_to, 0.04)
    grip = np.where((t > 3) & (t < 7), effort, 0.0)
    return np.stack([half, half, 0 * t, 0 * t, grip, grip], axis=1)


COLS = [f"panda_finger_joint{i}.{q}" for q in ("position", "velocity", "effort") for i in (1, 2)]


@pytest.mark.parametrize(
    ("closed_to", "effort", "fires"),
    [(0.0, 0.0, True), (0.0, 10.0, False), (0.02, 0.0, False)],
)
def test_closed_on_nothing_reads_closure_from_the_embodiment_and_force_from_effort(
    closed_to: float, effort: float, fires: bool
) -> None:
    ctx = context({"g": ("gripper_joint", COLS, 100.0, _gripper(closed_to, effort))}, embodiment="franka_panda")
    gripper_closed_on_nothing(ctx)
    assert [f.code for f in ctx.findings] == (["physical.gripper_closed_on_nothing"] if fires else [])
    if fires:
        assert 2.9 <= (ctx.findings[0].start_s or 0) <= 3.1 and 6.8 <= (ctx.findings[0].end_s or 0) <= 7.0


def test_gripper_of_an_unknown_embodiment_is_not_judged() -> None:
    ctx = context({"g": ("gripper_joint", COLS, 100.0, _gripper(0.0, 0.0))}, embodiment="mystery_arm")
    gripper_closed_on_nothing(ctx)
    assert ctx.findings == []
