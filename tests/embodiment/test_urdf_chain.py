"""URDF parsing, forward kinematics, gravity torques and IK, on the shipped Panda and on a hand-written URDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from robofuel.embodiment import robot_data
from robofuel.embodiment.ik import solve_pose
from robofuel.embodiment.robot_data import example_robot_data_path
from robofuel.embodiment.urdf import parse_urdf
from robofuel.errors import MissingExtra
from robofuel.generate.models import PANDA_URDF, panda_chain, panda_model
from robofuel.spatial.rotations import rpy_matrix

HOME = np.array([0.0, -np.pi / 4, 0.0, -3 * np.pi / 4, 0.0, np.pi / 2, np.pi / 4])

TOY = """<robot name="toy">
  <link name="base"/>
  <link name="slider"><inertial><origin xyz="0 0 0"/><mass value="2.0"/></inertial></link>
  <link name="arm"><inertial><origin xyz="0.5 0 0"/><mass value="1.0"/></inertial></link>
  <link name="tool"/>
  <joint name="lift" type="prismatic">
    <parent link="base"/><child link="slider"/><axis xyz="0 0 1"/>
    <limit lower="0" upper="0.5" effort="100" velocity="0.2"/>
  </joint>
  <joint name="spin" type="continuous">
    <parent link="slider"/><child link="arm"/><origin xyz="0 0 1" rpy="0 0 0"/><axis xyz="0 1 0"/>
  </joint>
  <joint name="flange" type="fixed">
    <parent link="arm"/><child link="tool"/><origin xyz="1 0 0" rpy="0 0 1.5707963267948966"/>
  </joint>
</robot>"""


def test_panda_home_pose_matches_the_known_flange_position() -> None:
    """Panda 'ready' pose: the flange is 0.107 m past link 7, 0.1034 m above the fingertip centre (0.307, 0, 0.487)
    of franka's documented O_T_EE, so at (0.307, 0, 0.590) pointing straight down."""
    pose = panda_chain().fk(HOME)
    np.testing.assert_allclose(pose[:3, 3], [0.3069, 0.0, 0.5903], atol=1e-3)
    np.testing.assert_allclose(pose[:3, 2], [0.0, 0.0, -1.0], atol=1e-3)
    zero = panda_chain().fk(np.zeros(7))  # upright: 0.333 + 0.316 + 0.384 m up, flange 0.107 m back down
    np.testing.assert_allclose(zero[:3, 3], [0.088, 0.0, 0.926], atol=1e-9)


def test_panda_limits_and_chain_are_parsed_from_the_urdf() -> None:
    chain = panda_chain()
    assert chain.names == [f"panda_joint{i}" for i in range(1, 8)]
    np.testing.assert_allclose(chain.lower, [-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973])
    np.testing.assert_allclose(chain.upper, [2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973])
    np.testing.assert_allclose(chain.velocity, [2.175] * 4 + [2.61] * 3)
    assert chain.effort[0] == 87.0 and chain.effort[6] == 12.0
    model = panda_model()
    assert model.root == "panda_link0" and model.joints["panda_finger_joint1"].type == "prismatic"
    assert model.inertials["panda_link1"].mass == pytest.approx(4.970684)
    assert example_robot_data_path("panda_description/urdf/panda.urdf").is_file()


def test_generic_urdf_with_prismatic_continuous_and_fixed_joints() -> None:
    model = parse_urdf(TOY)
    chain = model.chain("base", "tool")
    assert chain.names == ["lift", "spin"] and chain.lower[1] == -np.inf and chain.upper[0] == 0.5
    pose = chain.fk(np.array([0.2, np.pi / 2]))  # rotating +90 deg about y points the arm's x axis down
    np.testing.assert_allclose(pose[:3, 3], [0.0, 0.0, 1.2 - 1.0], atol=1e-12)
    np.testing.assert_allclose(pose[:3, :3], rpy_matrix(0, np.pi / 2, 0) @ rpy_matrix(0, 0, np.pi / 2), atol=1e-12)
    tau = chain.gravity_torques(np.array([[0.1, 0.0], [0.1, np.pi / 2]]))
    np.testing.assert_allclose(tau[:, 0], [3.0 * 9.81] * 2)  # the prismatic lift carries both masses
    np.testing.assert_allclose(tau[:, 1], [-0.5 * 9.81, 0.0], atol=1e-12)  # arm horizontal, then hanging
    with pytest.raises(ValueError, match="no chain"):
        model.chain("tool", "base")


def test_batched_fk_equals_one_at_a_time_and_gravity_is_the_potential_gradient() -> None:
    chain = panda_chain()
    rng = np.random.default_rng(0)
    qs = rng.uniform(chain.lower, chain.upper, (5, 7))
    batch = chain.fk_batch(qs)
    for q, pose in zip(qs, batch, strict=True):
        np.testing.assert_allclose(chain.fk(q), pose, atol=1e-12)
    model = panda_model()

    def potential(q: npt.NDArray[np.float64]) -> float:
        frames = chain.link_frames_batch(q)[0]
        energy = 0.0
        for k, j in enumerate(chain.path):
            inertial = model.inertials.get(j.child)
            if inertial is not None:
                energy += inertial.mass * 9.81 * float((frames[k, :3, :3] @ inertial.com + frames[k, :3, 3])[2])
        return energy

    q = qs[0]
    numeric = [(potential(q + e * 1e-6) - potential(q - e * 1e-6)) / 2e-6 for e in np.eye(7)]
    np.testing.assert_allclose(chain.gravity_torques(q)[0], numeric, atol=1e-5)


def test_ik_reaches_a_downward_pose_within_limits() -> None:
    chain = panda_chain()
    target = np.eye(4)
    target[:3, :3] = np.diag([1.0, -1.0, -1.0])
    target[:3, 3] = [0.5, -0.15, 0.2]
    q = solve_pose(chain, target, HOME)
    np.testing.assert_allclose(chain.fk(q), target, atol=1e-4)
    assert ((q > chain.lower) & (q < chain.upper)).all()
    far = target.copy()
    far[:3, 3] = [2.0, 0.0, 0.5]
    with pytest.raises(ValueError, match="IK did not converge"):
        solve_pose(chain, far, HOME)


def test_missing_models_package_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(robot_data, "_roots", lambda: [tmp_path])
    with pytest.raises(MissingExtra, match=r"pip install 'robofuel\[models\]'"):
        robot_data.example_robot_data_path(PANDA_URDF)
