"""Forward kinematics into the canonical space: agreement with the generator's own Panda model, G1 data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from embodiment.conftest import PandaLake
from robofuel.embodiment import Registry
from robofuel.embodiment.fk import canonical_streams, ee_trajectory
from robofuel.generate.models import panda_chain
from robofuel.lake import load_episode
from robofuel.spatial.quaternions import matrix_to_quat_xyzw, quat_xyzw_to_matrix
from robofuel.spatial.transforms import relative_poses
from robofuel.standard.canonical import EE_POSE_COLUMNS, rows_to_poses


def test_panda_fk_matches_the_generator(panda_lake: PandaLake) -> None:
    panda = Registry().get("franka_panda")
    tool = np.eye(4)
    tool[:3, 3] = panda.arm().tool_xyz
    for data in panda_lake.episodes():
        joints, poses = ee_trajectory(data, panda)
        assert joints.stream == "joint_states" and len(poses) > 1000
        expected = panda_chain().fk_batch(joints.values) @ tool  # numpy URDF chain of robofuel.embodiment.urdf
        np.testing.assert_allclose(poses, expected, atol=1e-9)


def test_canonical_streams(panda_lake: PandaLake) -> None:
    data = panda_lake.episodes()[0]
    streams = canonical_streams(data, Registry().get("franka_panda"))
    assert set(streams) == {"ee_pose.arm", "ee_pose_relative.arm", "gripper_aperture.arm"}
    meta, pose = streams["ee_pose.arm"]
    assert meta.columns == list(EE_POSE_COLUMNS) and meta.quaternion_order == "xyzw" and meta.frame == "panda_link0"
    np.testing.assert_allclose(np.linalg.norm(pose.values[:, 3:], axis=1), 1.0, atol=1e-12)
    rel = streams["ee_pose_relative.arm"][1].values
    np.testing.assert_allclose(rel[0], [0, 0, 0, 0, 0, 0, 1], atol=1e-12)
    aperture = streams["gripper_aperture.arm"][1].values[:, 0]
    assert 0.0 <= aperture.min() < 0.07 < aperture.max() <= 0.08  # closes on the cube, opens wide


def test_quaternion_round_trip() -> None:
    rng = np.random.default_rng(0)
    q = rng.normal(size=(500, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q *= np.where(q[:, 3:] < 0, -1, 1)
    np.testing.assert_allclose(matrix_to_quat_xyzw(quat_xyzw_to_matrix(q)), q, atol=1e-12)
    poses = rows_to_poses(np.hstack([rng.normal(size=(500, 3)), q]))
    np.testing.assert_allclose(relative_poses(poses)[0], np.eye(4), atol=1e-12)


def test_unitree_g1_lerobot_maps_to_canonical(cli: Any, shared_data: Path, tmp_path: Path) -> None:
    """The LeRobot v2.1 G1 sample: its 14 arm joints (Unitree names) give both wrists' poses in the pelvis frame;
    its 12 Inspire hand values have no model offline (see docs/embodiment.md)."""
    lake = tmp_path / "lake"
    r = cli("ingest", str(shared_data / "lerobot_v21_unitree_g1"), "--lake", str(lake), "--json")
    assert r.code == 0, r.err
    ids = [e["id"] for e in cli("ls", "--lake", str(lake), "--json").json()["episodes"]]
    from robofuel.lake import Lake

    data = load_episode(Lake(lake), ids[0])
    g1 = Registry().get("unitree_g1")
    streams = canonical_streams(data, g1)
    assert set(streams) == {"ee_pose.left", "ee_pose_relative.left", "ee_pose.right", "ee_pose_relative.right"}
    left, right = streams["ee_pose.left"][1].values, streams["ee_pose.right"][1].values
    assert np.isfinite(left).all() and len(left) == data.meta.stream("observation.state").count
    assert np.median(left[:, 1]) > np.median(right[:, 1])  # the left hand is on the +y side of the pelvis
    assert 0.1 < np.median(np.linalg.norm(left[:, :3], axis=1)) < 0.8  # m: within arm's reach of the pelvis
    with pytest.raises(KeyError):
        g1.aliases["kLeftHandPinky"]  # Inspire hand values: no model, not mapped
