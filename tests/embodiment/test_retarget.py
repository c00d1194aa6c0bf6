"""Retargeting generated Panda teleop episodes to other arms, checked by independent forward kinematics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from embodiment.conftest import PandaLake
from robofuel.embodiment import Registry
from robofuel.embodiment.feasibility import retarget_episode
from robofuel.embodiment.fk import ee_trajectory
from robofuel.embodiment.retarget import Alignment, map_aperture
from robofuel.embodiment.urdf import parse_urdf
from robofuel.spatial.rotations import log_map, rpy_matrix

TARGETS = ("ur5", "xarm7", "kuka_iiwa", "xarm6")


def _numpy_fk(target_id: str, theta: np.ndarray) -> np.ndarray:
    """Tool poses from robofuel.embodiment.urdf's numpy URDF chain: independent of pinocchio."""
    e = Registry().get(target_id)
    arm = e.arm()
    with np.errstate(invalid="ignore"):
        chain = parse_urdf(e.model_path()).chain(e.base_frame or "", arm.ee_frame)
    assert chain.names == list(arm.joints)
    tool = np.eye(4)
    tool[:3, :3], tool[:3, 3] = rpy_matrix(*arm.tool_rpy), arm.tool_xyz
    return chain.fk_batch(theta) @ tool


@pytest.mark.parametrize("target", TARGETS)
def test_retarget_panda_teleop(panda_lake: PandaLake, target: str) -> None:
    registry = Registry()
    if not registry.get(target).available():
        pytest.skip(f"{target}: model package not installed ({registry.get(target).package})")
    for data in panda_lake.episodes():
        result, report = retarget_episode(data, target, registry)
        _, source = ee_trajectory(data, registry.get("franka_panda"))
        np.testing.assert_allclose(result.targets, result.alignment.apply(source))
        poses = _numpy_fk(target, result.ik.theta)
        pos_mm = np.linalg.norm(poses[:, :3, 3] - result.targets[:, :3, 3], axis=1) * 1e3
        rel = np.einsum("nij,nkj->nik", result.targets[:, :3, :3], poses[:, :3, :3])
        rot_deg = np.rad2deg([np.linalg.norm(log_map(r)) for r in rel])
        ok = (pos_mm <= 1.0) & (rot_deg <= 1.0)
        assert ok.mean() >= 0.97, (target, ok.mean())
        assert np.median(pos_mm[ok]) < 5.0 and np.median(rot_deg[ok]) < 2.0
        assert report.verdict in ("feasible", "partial") and report.reachable_fraction >= 0.97
        assert report.joint_limit_violations == 0 and report.velocity_limit_violations == 0
        assert report.collision_frames == 0 and report.collision_checked_frames > 100
        assert result.aperture_m is not None and result.aperture_m.max() <= 0.085


def test_scaled_up_trajectory_is_infeasible(panda_lake: PandaLake) -> None:
    data = panda_lake.episodes()[0]
    _, report = retarget_episode(data, "ur5", alignment=Alignment(scale=6.0), check_collisions=False)
    assert report.verdict == "infeasible"
    assert report.reachable_fraction < 0.8 and report.position_error_mm["p90"] > 50
    assert report.collision_frames is None and "not checked" in report.collision_note


def test_panda_to_panda_is_exact(panda_lake: PandaLake) -> None:
    data = panda_lake.episodes()[0]
    result, report = retarget_episode(data, "franka_panda", check_collisions=False)
    assert report.verdict == "feasible" and report.alignment["offset_m"] == [0.0, 0.0, 0.0]
    assert report.position_error_mm["max"] < 0.1
    assert result.gripper_joints is not None
    np.testing.assert_allclose(result.gripper_joints[:, 0] * 2, result.aperture_m)


def test_map_aperture_clips_to_the_target() -> None:
    so101 = Registry().get("so101").arm().gripper
    a, joints = map_aperture(np.array([0.0, 0.035, 0.08]), so101)
    np.testing.assert_allclose(a, [0.0, 0.035, 0.07])
    assert joints is not None
    np.testing.assert_allclose(joints[:, 0], [0.0, 1.745 / 2, 1.745])


def test_cli_retarget(cli: Any, panda_lake: PandaLake) -> None:
    lake = str(panda_lake.root)
    r = cli("retarget", panda_lake.ids[0][:12], "--to", "xarm7", "--lake", lake, "--json")
    assert r.code == 0, r.err
    assert r.json()["verdict"] == "feasible" and r.json()["target"] == "xarm7"
    human = cli("retarget", panda_lake.ids[0], "--to", "ur5", "--scale", "6", "--no-collisions", "--lake", lake)
    assert human.code == 0 and "infeasible" in human.out
    bad = cli("retarget", panda_lake.ids[0], "--to", "human_hand_21", "--lake", lake)
    assert bad.code == 2 and "no arm" in bad.err
