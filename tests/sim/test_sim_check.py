"""robofuel.sim.check on hand-written Panda trajectories: IK (robofuel's own) through waypoints over a box, replayed
in MuJoCo and judged physically (friction grasp, no assist)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace

import numpy as np
import pytest

if importlib.util.find_spec("mujoco") is None:  # not imported here: robofuel.sim picks its GL backend first
    pytest.skip("needs robofuel[sim] (mujoco)", allow_module_level=True)
pytest.importorskip("pinocchio", reason="the test trajectories come from robofuel's IK: robofuel[models] (pin)")

from robofuel.embodiment import Registry
from robofuel.embodiment.ik import solve_trajectory
from robofuel.embodiment.model import arm_kinematics
from robofuel.errors import InputError
from robofuel.sim import SimObject, SimScene, SimTrajectory, check
from robofuel.sim.mujoco_check import COLLISION_M, HOLD_S

BOX = np.array([0.5, 0.0, 0.025])  # centre of a 4 x 4 x 5 cm box on a table at z = 0 (Panda base frame, m)
GOAL = np.array([0.4, 0.3, 0.025])
ABOVE = np.array([0.0, 0.0, 0.12])
OPEN, SHUT = 0.08, 0.0
# (time s, tool position, gripper aperture m): above the box, descend, close, lift, carry, lower, open, retreat
WAYPOINTS = [
    (0.0, BOX + ABOVE, OPEN),
    (1.0, BOX, OPEN),
    (1.5, BOX, SHUT),
    (2.0, BOX + ABOVE, SHUT),
    (3.5, GOAL + ABOVE, SHUT),
    (4.3, GOAL, SHUT),
    (4.8, GOAL, OPEN),
    (5.3, GOAL + ABOVE, OPEN),
]


def _pose(position: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    tf = np.eye(4)
    tf[:3, :3], tf[:3, 3] = rotation, position
    return tf


def _trajectory(waypoints: list[tuple[float, np.ndarray, float]], hz: float = 20.0) -> SimTrajectory:
    """Joints from IK along straight tool paths between the waypoints, fingers pointing down (home orientation)."""
    kin = arm_kinematics(Registry().get("franka_panda"))
    down = kin.pose(kin.home)[:3, :3]
    times = np.array([w[0] for w in waypoints])
    points = np.array([w[1] for w in waypoints])
    t = np.arange(0.0, times[-1] + 1e-9, 1 / hz)
    path = np.stack([np.interp(t, times, points[:, k]) for k in range(3)], axis=1)
    ik = solve_trajectory(kin, np.stack([_pose(p, down) for p in path]), t)
    assert ik.pos_err_m.max() < 1e-3
    aperture = np.interp(t, times, [w[2] for w in waypoints])
    return SimTrajectory(t, ik.theta, aperture)


def _scene(box: np.ndarray = BOX, goal: np.ndarray | None = GOAL) -> SimScene:
    cube = SimObject("cube", (0.04, 0.04, 0.05), _pose(box, np.eye(3)), mass_kg=0.1)
    return SimScene("franka_panda", (cube,), "cube", 0.0, None if goal is None else _pose(goal, np.eye(3)))


@pytest.fixture(scope="module")
def pick_place() -> SimTrajectory:
    return _trajectory(WAYPOINTS)


def test_pick_and_place_succeeds_by_friction(pick_place: SimTrajectory) -> None:
    result = check(_scene(), pick_place)
    assert result.success, result.reason
    assert result.reason == ""
    assert result.goal_error_m < 0.01
    assert np.linalg.norm(result.object_final_pose[:3, 3] - GOAL) == pytest.approx(result.goal_error_m)
    assert 0.0 < result.max_penetration_m < COLLISION_M  # the fingers really pressed on the box
    assert result.frames == {} and len(result.frame_times_s) == 0


def test_a_lift_only_task_succeeds_when_the_box_ends_up(pick_place: SimTrajectory) -> None:
    lift = pick_place.time_s <= 2.0
    traj = SimTrajectory(pick_place.time_s[lift], pick_place.joints[lift], pick_place.gripper_aperture_m[lift])
    result = check(_scene(goal=None), traj)
    assert result.success, result.reason
    assert result.object_final_pose[2, 3] - BOX[2] > 0.1  # lifted with the hand, 12 cm


def test_fingers_closing_beside_the_box_miss_the_grasp(pick_place: SimTrajectory) -> None:
    result = check(_scene(box=BOX + [0.0, 0.15, 0.0]), pick_place)
    assert (result.success, result.reason) == (False, "missed grasp")
    np.testing.assert_allclose(result.object_final_pose[:3, 3], BOX + [0.0, 0.15, 0.0], atol=2e-3)  # untouched


def test_opening_the_gripper_mid_transport_drops_the_box(pick_place: SimTrajectory) -> None:
    assert pick_place.gripper_aperture_m is not None
    carrying = (pick_place.time_s > 2.5) & (pick_place.time_s < 3.5)
    opened = np.where(carrying, OPEN, pick_place.gripper_aperture_m)
    result = check(_scene(), replace(pick_place, gripper_aperture_m=opened))
    assert (result.success, result.reason) == (False, "dropped")
    assert result.goal_error_m > 0.05


def test_a_goal_elsewhere_is_off_goal(pick_place: SimTrajectory) -> None:
    far = np.array([0.6, -0.3, 0.025])
    result = check(_scene(goal=far), pick_place)
    assert (result.success, result.reason) == (False, "off goal")
    assert result.goal_error_m == pytest.approx(np.linalg.norm(GOAL - far), abs=0.01)  # it went to GOAL


def test_a_box_let_go_just_above_another_is_stacked_not_dropped() -> None:
    top = GOAL + [0.0, 0.0, 0.05]  # on a 5 cm tall base box standing at GOAL
    release = top + [0.0, 0.0, 0.01]
    carry = [(3.5, release + ABOVE, SHUT), (4.3, release, SHUT), (4.8, release, OPEN), (5.3, release + ABOVE, OPEN)]
    base = SimObject("base", (0.06, 0.06, 0.05), _pose(GOAL, np.eye(3)), mass_kg=0.5)
    scene = replace(_scene(goal=top), objects=(*_scene().objects, base))
    result = check(scene, _trajectory(WAYPOINTS[:4] + carry))
    assert result.success, result.reason
    np.testing.assert_allclose(result.object_final_pose[:3, 3], top, atol=0.005)


def test_knocking_another_box_over_is_a_collision(pick_place: SimTrajectory) -> None:
    post = SimObject("post", (0.05, 0.05, 0.2), _pose(np.array([0.45, 0.15, 0.1]), np.eye(3)), mass_kg=0.2)
    scene = replace(_scene(), objects=(*_scene().objects, post))  # a 20 cm post in the carry's path
    result = check(scene, pick_place)
    assert (result.success, result.reason) == (False, "collision")
    low = replace(post, size_m=(0.05, 0.05, 0.1), pose=_pose(np.array([0.45, 0.15, 0.05]), np.eye(3)))
    assert check(replace(_scene(), objects=(*_scene().objects, low)), pick_place).success  # 10 cm: carried over it


def test_driving_the_hand_into_the_table_is_a_collision() -> None:
    spot = np.array([0.45, -0.15, 0.0])
    traj = _trajectory([(0.0, spot + ABOVE, SHUT), (1.0, spot - [0.0, 0.0, 0.04], SHUT), (1.5, spot, SHUT)])
    result = check(_scene(), traj)
    assert (result.success, result.reason) == (False, "collision")
    assert result.max_penetration_m > 0.0


def test_a_joint_target_beyond_its_limit_is_refused(pick_place: SimTrajectory) -> None:
    joints = pick_place.joints.copy()
    joints[10, 3] = 0.5  # panda_joint4 lies within [-3.07, -0.07] rad
    result = check(_scene(), replace(pick_place, joints=joints))
    assert (result.success, result.reason) == (False, "joint limit")


def test_rendering_gives_frames_of_both_cameras(pick_place: SimTrajectory) -> None:
    short = pick_place.time_s <= 1.0
    traj = SimTrajectory(pick_place.time_s[short], pick_place.joints[short], pick_place.gripper_aperture_m[short])
    result = check(_scene(), traj, render=(64, 48), camera_hz=5.0)
    if not result.frames:
        pytest.skip("no offscreen OpenGL here (EGL/OSMesa): frames left empty, as designed")
    n = int(np.floor((1.0 + HOLD_S) * 5.0 + 1e-9)) + 1
    assert set(result.frames) == {"scene", "wrist"}
    np.testing.assert_allclose(result.frame_times_s, np.arange(n) / 5.0, atol=0.011)
    for frames in result.frames.values():
        assert frames.shape == (n, 48, 64, 3) and frames.dtype == np.uint8
        assert frames.reshape(-1, 3).std(axis=0).max() > 10  # not one colour
    scene = result.frames["scene"]
    assert np.abs(scene[-1].astype(int) - scene[0]).max() > 0  # the arm moved between the first and last frames


def test_so101_is_simulated_too() -> None:
    home = np.asarray(Registry().get("so101").arm().home)
    cube = SimObject("cube", (0.03, 0.03, 0.03), _pose(np.array([0.25, 0.0, 0.015]), np.eye(3)), mass_kg=0.05)
    scene = SimScene("so101", (cube,), "cube", 0.0, None)
    hold = SimTrajectory(np.array([0.0, 0.5]), np.stack([home, home]), np.array([0.07, 0.0]))
    result = check(scene, hold)
    assert (result.success, result.reason) == (False, "missed grasp")
    assert result.max_penetration_m == 0.0
    np.testing.assert_allclose(result.object_final_pose[:3, 3], [0.25, 0.0, 0.015], atol=2e-3)


@pytest.mark.parametrize(("embodiment", "why"), [("ur5", "no gripper joints"), ("human_hand_21", "only arms")])
def test_an_embodiment_that_cannot_be_simulated_is_named(embodiment: str, why: str) -> None:
    scene = replace(_scene(), embodiment=embodiment)
    with pytest.raises(InputError, match=f"{embodiment}.*{why}"):
        check(scene, SimTrajectory(np.array([0.0]), np.zeros((1, 6))))


def test_a_trajectory_of_the_wrong_shape_is_an_input_error(pick_place: SimTrajectory) -> None:
    with pytest.raises(InputError, match="7 arm joints"):
        check(_scene(), replace(pick_place, joints=pick_place.joints[:, :6]))


def test_a_renderer_that_cannot_start_leaves_frames_empty(
    pick_place: SimTrajectory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import mujoco

    def no_gl(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no OpenGL context")

    monkeypatch.setattr(mujoco, "Renderer", no_gl)
    monkeypatch.setattr("robofuel.sim.render._warned", set())
    short = pick_place.time_s <= 1.0
    traj = SimTrajectory(pick_place.time_s[short], pick_place.joints[short], pick_place.gripper_aperture_m[short])
    with caplog.at_level("WARNING", logger="robofuel.sim"):
        result = check(_scene(), traj, render=(64, 48))
    assert result.frames == {} and len(result.frame_times_s) == 0
    assert result.reason == "missed grasp"  # judged all the same (the hand only reached the box)
    assert "rendering unavailable" in caplog.text and "no OpenGL context" in caplog.text


def test_a_render_size_or_camera_rate_that_is_not_positive_is_an_input_error(pick_place: SimTrajectory) -> None:
    with pytest.raises(InputError, match="must be positive"):
        check(_scene(), pick_place, render=(64, 48), camera_hz=0.0)
