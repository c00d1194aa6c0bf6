"""The robot the sample generator drives: the Franka Emika Panda of ``example-robot-data`` (offline URDF), parsed
with :mod:`robofuel.embodiment.urdf`. Install with ``pip install 'robofuel[models]'``."""

from __future__ import annotations

from functools import cache

from robofuel.embodiment.robot_data import example_robot_data_path
from robofuel.embodiment.urdf import Chain, Model, parse_urdf

PANDA_URDF = "panda_description/urdf/panda.urdf"


@cache
def panda_model() -> Model:
    """The Franka Emika Panda URDF of example-robot-data (7 revolute arm joints, 2 prismatic fingers)."""
    return parse_urdf(example_robot_data_path(PANDA_URDF))


def panda_chain() -> Chain:
    """The Panda arm from base ``panda_link0`` to the hand flange ``panda_hand`` (7 joints ``panda_joint1..7``)."""
    return panda_model().chain("panda_link0", "panda_hand")
