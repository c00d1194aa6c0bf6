"""Real demonstrations through robofuel.sim.check: robosuite's Lift demos (human teleop of a Panda in robosuite's own
MuJoCo scene, ../shared/data/robosuite/lift_demo.hdf5) replayed in robofuel's scene built from the registry's URDF.

Each demo's recorded arm joints become the trajectory, its gripper command (action 6: +1 close, -1 open) the
aperture, the cube's first and last recorded poses the start and the goal. The models differ (robosuite's hand and
finger pads, its table and controller), so the replay is an independent check that a recorded success stays one."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from robofuel.embodiment.robot_data import example_robot_data_path
from robofuel.errors import MissingExtra
from robofuel.sim import SimObject, SimScene, SimTrajectory, check
from robofuel.spatial.quaternions import quat_xyzw_to_matrix, wxyz_to_xyzw

if importlib.util.find_spec("mujoco") is None:  # not imported here: robofuel.sim picks its GL backend first
    pytest.skip("needs robofuel[sim] (mujoco)", allow_module_level=True)
h5py = pytest.importorskip("h5py", reason="needs robofuel[hdf5] (h5py)")
try:
    example_robot_data_path("panda_description/urdf/panda.urdf")
except MissingExtra:
    pytest.skip("needs robofuel[models] (example-robot-data: the Panda's URDF)", allow_module_level=True)


def _attr(model_xml: str, tag: str, name: str, attr: str) -> np.ndarray:
    found = re.search(rf'<{tag} name="{name}"[^>]*? {attr}="([^"]+)"', model_xml)
    assert found is not None, f"{name} not in the demo's model"
    return np.array([float(v) for v in found.group(1).split()])


def _demo(group: h5py.Group) -> tuple[SimScene, SimTrajectory, float]:
    """The scene, trajectory and recorded lift (m) of one demo; states = [time, 7 arm, 2 finger, cube pos, quat...]."""
    states, actions, xml = group["states"][:], group["actions"][:], str(group.attrs["model_file"])
    base = _attr(xml, "body", "robot0_base", "pos")  # robosuite world -> the Panda's base frame: a translation
    half = _attr(xml, "geom", "cube_g0", "size")

    def cube(i: int) -> np.ndarray:
        pose = np.eye(4)
        pose[:3, :3] = quat_xyzw_to_matrix(wxyz_to_xyzw(states[i, 13:17]))
        pose[:3, 3] = states[i, 10:13] - base
        return pose

    start, end = cube(0), cube(-1)
    box = SimObject("cube", tuple(2 * half), start, mass_kg=0.1)
    scene = SimScene("franka_panda", (box,), "cube", float(start[2, 3] - half[2]), end, goal_tolerance_m=0.03)
    aperture = np.where(actions[:, 6] > 0, 0.0, 0.08)
    trajectory = SimTrajectory(states[:, 0] - states[0, 0], states[:, 1:8], aperture)
    return scene, trajectory, float(end[2, 3] - start[2, 3])


def test_recorded_lifts_succeed_in_robofuels_scene(shared_data: Path) -> None:
    path = shared_data / "robosuite" / "lift_demo.hdf5"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    with h5py.File(path, "r") as f:
        demos = [_demo(f["data"][k]) for k in sorted(f["data"])]
    assert len(demos) == 3
    for scene, trajectory, lifted in demos:
        assert lifted > 0.04  # robosuite's own success: the cube 4 cm up at the end
        result = check(scene, trajectory)
        assert result.success, result.reason
        assert result.goal_error_m < 0.02  # where robosuite's simulation left the cube, within 2 cm
        assert result.object_final_pose[2, 3] - scene.objects[0].pose[2, 3] > 0.03
