"""The ``retarget`` step: new canonical and joint streams on the target, raw streams untouched."""

from __future__ import annotations

import numpy as np
import pytest

from embodiment.conftest import PandaLake
from embodiment.test_hand_retarget import wearable_episodes  # noqa: F401  (fixture)
from robofuel.embodiment import Registry
from robofuel.embodiment.model import arm_kinematics
from robofuel.standard import EpisodeData, NumericData
from robofuel.standard.canonical import rows_to_poses
from robofuel.steps.registry import DEFAULT_PIPELINE, get_step


def test_step_retargets_panda_to_ur5(panda_lake: PandaLake) -> None:
    data = panda_lake.episodes()[0]
    out = get_step("retarget", {"to": "ur5", "collisions": False}).run(data)
    assert out.payloads is not None and "retarget" not in DEFAULT_PIPELINE
    joints = out.payloads["retarget.ur5.joint_states"]
    assert isinstance(joints, NumericData) and joints.values.shape[1] == 6
    stream = out.meta.stream("retarget.ur5.joint_states")
    assert stream.role == "joint_position" and stream.source == "retarget:franka_panda->ur5"
    ee = out.payloads["retarget.ur5.ee_pose.arm"]
    assert isinstance(ee, NumericData) and out.meta.stream("retarget.ur5.ee_pose.arm").role == "ee_pose"
    fk = arm_kinematics(Registry().get("ur5")).fk(joints.values)
    np.testing.assert_allclose(rows_to_poses(ee.values), fk, atol=1e-9)
    assert "retarget.ur5.gripper_aperture.arm" in out.payloads
    raw = {s.name for s in data.meta.streams}
    assert raw <= {s.name for s in out.meta.streams} and not raw & set(out.payloads)
    assert out.report.values["feasibility"]["verdict"] == "feasible"
    assert all(f.code != "retarget.infeasible" for f in out.meta.findings)
    again = get_step("retarget", {"to": "ur5", "collisions": False}).run(EpisodeData(out.meta, data.payloads))
    assert [s.name for s in again.meta.streams] == [s.name for s in out.meta.streams]  # idempotent


def test_step_hand_to_allegro(wearable_episodes: list[EpisodeData]) -> None:  # noqa: F811
    out = get_step("retarget", {"to": "allegro_hand_right"}).run(wearable_episodes[0])
    assert out.payloads is not None and set(out.payloads) == {"retarget.allegro_hand_right.joint_states"}
    values = out.report.values["feasibility"]
    assert values["verdict"] == "feasible" and "thumb" in values["fingertip_error_mm"]
    assert not [f for f in out.meta.findings if f.step == "retarget"]


def test_step_flags_an_infeasible_target(wearable_episodes: list[EpisodeData]) -> None:  # noqa: F811
    """The palm anchor puts the ring target between the Allegro's fingers: infeasible, with a finding."""
    out = get_step("retarget", {"to": "allegro_hand_right", "anchor": "palm"}).run(wearable_episodes[0])
    assert out.report.values["feasibility"]["verdict"] == "infeasible"
    codes = [f.code for f in out.meta.findings if f.step == "retarget"]
    assert codes == ["retarget.infeasible"] and out.report.flagged["retarget.infeasible"] == 1


def test_step_needs_a_target() -> None:
    from robofuel.errors import InputError

    with pytest.raises(InputError, match="needs a target"):
        get_step("retarget").run(None)  # type: ignore[arg-type]
