"""Joint columns found by the names datasets give them: LeRobot's ``<joint>.pos`` (SO-100/101, Koch), older
``main_<joint>``, ROS ``<joint>.position``; arm and gripper joints told apart by the built-in models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robofuel.embodiment import Registry
from robofuel.embodiment.fk import canonical_streams, joint_trajectory
from robofuel.embodiment.registry import column_joints, joint_column, joint_part
from robofuel.errors import InputError
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.standard import EpisodeData, NumericData, numeric_stream

SO101 = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]


@pytest.mark.parametrize(
    ("column", "joints"),
    [
        ("shoulder_pan.pos", ("shoulder_pan",)),
        ("panda_joint1.position", ("panda_joint1",)),
        ("arm.panda_joint1.position", ("panda_joint1",)),
        ("main_shoulder_pan", ("main_shoulder_pan", "shoulder_pan")),
        ("kLeftShoulderPitch", ("kLeftShoulderPitch",)),
        ("shoulder_pan.vel", ()),
        ("panda_joint1.velocity", ()),
        ("panda_joint1.effort", ()),
    ],
)
def test_column_names_name_their_joint(column: str, joints: tuple[str, ...]) -> None:
    assert column_joints(column) == joints


def test_position_column_is_found_before_velocity_and_by_alias() -> None:
    cols = ["shoulder_pan.vel", "elbow_flex.pos", "shoulder_pan.pos"]
    assert joint_column(cols, ["shoulder_pan"]) == 2 and joint_column(cols, ["wrist_roll"]) is None
    assert joint_column(["KLEFTELBOW"], ["left_elbow_joint", "kLeftElbow"]) == 0


def test_arm_and_gripper_joints_by_the_models_and_by_name() -> None:
    assert [joint_part(j) for j in ("panda_joint3", "panda_finger_joint1", "gripper.pos", "shoulder_pan.pos")] == [
        "arm",
        "gripper",
        "gripper",
        "arm",
    ]
    assert joint_part("robotiq_85_left_knuckle_joint") == "gripper"  # unknown, but a gripper's word
    assert joint_part("shoulder_pan_joint") == "arm"  # unknown to the models (a UR arm): an arm joint
    assert joint_part("left_finger_joint") == "gripper"


def _lerobot_state(columns: list[str], degrees: np.ndarray) -> EpisodeData:  # type: ignore[type-arg]
    ts = np.arange(len(degrees), dtype=np.int64) * 33_333_333
    data = NumericData(ts, degrees)
    stream = numeric_stream("observation.state", data, columns, role="state", unit="deg", source="observation.state")
    return make_episode(ReadContext(Path("/data/so101"), "e" * 64), "lerobot", 0, [(stream, data)])


@pytest.mark.parametrize("names", [[f"{j}.pos" for j in SO101], [f"main_{j}" for j in SO101]])
def test_so101_state_columns_are_matched_to_the_model(names: list[str]) -> None:
    so101 = Registry().get("so101_follower")
    degrees = np.tile([10.0, -20.0, 30.0, 40.0, -50.0, 60.0], (40, 1))
    data = _lerobot_state(names, degrees)
    traj = joint_trajectory(data, so101, so101.arm().joints)
    assert traj.stream == "observation.state"
    np.testing.assert_allclose(traj.values[0], np.radians(degrees[0, :5]))
    streams = canonical_streams(data, so101)
    assert {"ee_pose.arm", "gripper_aperture.arm"} <= set(streams)


def test_undeclared_values_that_cannot_be_radians_are_not_retargeted_as_radians() -> None:
    """SO-101 LeRobot data hold degrees or a -100..100 motor range and declare neither: say so, invent nothing."""
    so101 = Registry().get("so101")
    data = _lerobot_state([f"{j}.pos" for j in SO101], np.tile([10.0, -98.9, 99.5, 40.0, -50.0, 30.0], (40, 1)))
    undeclared = EpisodeData(
        data.meta.model_copy(update={"streams": [data.meta.streams[0].model_copy(update={"unit": None})]}),
        data.payloads,
    )
    with pytest.raises(InputError, match=r"up to 99\.5 with no unit declared.*unit = \"deg\""):
        joint_trajectory(undeclared, so101, so101.arm().joints)
