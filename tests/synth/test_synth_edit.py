"""Editing a source tool path: object-centric spans carried with their displacement, free-space spans blended
smoothly between the new ends; the displacements drawn within their ranges; the source read from a teleop episode
finds the generator's true object and place."""

from __future__ import annotations

import json

import numpy as np
import pytest

from robofuel.context import Workspace
from robofuel.embodiment.fk import aperture_from_joints
from robofuel.embodiment.registry import Registry
from robofuel.errors import InputError
from robofuel.lake import load_episode
from robofuel.spatial.profiles import min_jerk
from robofuel.standard import Segment
from robofuel.synth.edit import edited_poses
from robofuel.synth.source import Phases, phases_of, read_source
from robofuel.synth.variation import Delta, Deltas, Ranges, draw, parse_vary
from synth.conftest import Prepared


def _path(n: int = 201) -> tuple[np.ndarray, np.ndarray]:
    times = np.linspace(0.0, 10.0, n)
    poses = np.repeat(np.eye(4)[None], n, axis=0)
    poses[:, 0, 3] = 0.4 + 0.02 * np.sin(times)
    poses[:, 1, 3] = 0.1 * np.cos(times / 3)
    poses[:, 2, 3] = 0.2 - 0.01 * times
    return times, poses


PHASES = Phases(reach_s=1.0, grasp_s=3.0, grasped_s=3.5, carry_s=4.0, place_s=6.0, release_s=7.0, released_s=7.5,
                retreat_s=9.0)  # fmt: skip


def test_min_jerk_goes_from_0_to_1_with_zero_end_velocity() -> None:
    tau = np.linspace(0, 1, 1001)
    s = min_jerk(tau)
    assert s[0] == 0.0 and s[-1] == 1.0 and np.all(np.diff(s) >= 0)
    assert abs(s[1] - s[0]) < 1e-8 and abs(s[-1] - s[-2]) < 1e-8


def test_identity_deltas_give_the_source_back() -> None:
    times, poses = _path()
    assert np.allclose(edited_poses(times, poses, PHASES, Deltas()), poses)


def test_object_and_place_spans_move_rigidly_and_free_spans_join_smoothly() -> None:
    times, poses = _path()
    obj = Delta((0.4, 0.1, 0.2), (0.03, -0.04, 0.0), 0.4)
    place = Delta((0.4, -0.1, 0.15), (-0.05, 0.02, 0.0), -0.3)
    out = edited_poses(times, poses, PHASES, Deltas(obj, place))
    grasp = (times >= PHASES.grasp_s) & (times <= PHASES.carry_s)
    placing = (times >= PHASES.place_s) & (times <= PHASES.released_s)
    assert np.allclose(out[grasp], obj.matrix() @ poses[grasp])
    assert np.allclose(out[placing], place.matrix() @ poses[placing])
    assert np.allclose(out[times < PHASES.reach_s], poses[times < PHASES.reach_s])
    assert np.allclose(out[times >= PHASES.retreat_s], poses[times >= PHASES.retreat_s])
    # no jump anywhere: the largest step is of the order of the source's own plus the blend's
    step = np.linalg.norm(np.diff(out[:, :3, 3], axis=0), axis=1)
    assert step.max() < 0.01


def test_a_lift_carries_everything_after_the_grasp_with_the_object() -> None:
    times, poses = _path()
    lift = Phases(reach_s=1.0, grasp_s=3.0, grasped_s=3.5, carry_s=4.0)
    obj = Delta((0.4, 0.1, 0.2), (0.03, 0.02, 0.0), 0.2)
    out = edited_poses(times, poses, lift, Deltas(obj))
    after = times >= lift.grasp_s
    assert np.allclose(out[after], obj.matrix() @ poses[after])


def test_draws_stay_within_their_ranges_and_vary_only_what_is_named() -> None:
    rng, ranges = np.random.default_rng(0), Ranges()
    obj, place = np.eye(4), np.eye(4)
    obj[:3, 3], place[:3, 3] = (0.5, -0.2, 0.02), (0.5, 0.2, 0.02)
    for _ in range(200):
        d = draw(rng, ("object_pose", "start_pose"), ranges, obj, place)
        assert max(abs(v) for v in d.object.shift[:2]) <= ranges.object_xy_m
        assert abs(d.object.yaw_rad) <= ranges.object_yaw_rad and d.object.centre == (0.5, -0.2, 0.02)
        assert max(abs(v) for v in d.start.shift) <= ranges.start_xyz_m
        assert d.place == Delta()
    moved = Delta((0.5, -0.2, 0.02), (0.01, 0.0, 0.0), 0.5).matrix() @ obj
    assert np.allclose(moved[:3, 3], (0.51, -0.2, 0.02))  # turning about its own centre does not move it
    with pytest.raises(InputError, match="choose from"):
        parse_vary("object_pose,colour")


def test_mirrored_fingers_count_by_magnitude() -> None:
    gripper = Registry().get("franka_panda").arm().gripper
    assert gripper is not None
    robosuite = np.array([[0.04, -0.04], [0.02, -0.021], [0.0, 0.0]])  # finger 2 recorded mirrored
    assert np.allclose(aperture_from_joints(gripper, robosuite), [0.08, 0.041, 0.0])
    assert np.allclose(aperture_from_joints(gripper, np.abs(robosuite)), [0.08, 0.041, 0.0])


def test_phases_need_a_grasp() -> None:
    from factories import joint_episode

    meta = joint_episode().meta.model_copy(update={"segments": [Segment(start_s=0, end_s=5, label="move")]})
    with pytest.raises(InputError, match="no grasp segment"):
        phases_of(meta)


def test_the_source_finds_the_true_object_place_and_size(teleop_ws: Workspace, teleop_prepared: Prepared) -> None:
    truths = [json.loads(p.read_text())["scene"] for p in teleop_prepared.truths]
    found = []
    for episode_id in teleop_ws.catalog.episode_ids():
        src = read_source(load_episode(teleop_ws.lake, episode_id), Registry().get("franka_panda"))
        p = src.phases
        assert p.reach_s < p.grasp_s < p.grasped_s <= p.carry_s <= (p.place_s or 0) < (p.released_s or 0)
        assert src.place_pose is not None and len(src.times_s) == len(src.poses) == len(src.joints)
        assert np.median(np.diff(src.times_s)) >= 1 / 50 - 1e-6  # thinned to at most 50 Hz
        found.append((src.object_pose[:3, 3], src.place_pose[:3, 3], src.object_size_m, src.table_height_m))
    for truth in truths:  # each truth matches one episode: object and place within 5 mm, size within 2 mm
        best = min(found, key=lambda f: float(np.linalg.norm(f[0] - truth["object_position_m"])))
        assert np.linalg.norm(best[0] - truth["object_position_m"]) < 0.005
        assert np.linalg.norm(best[1][:2] - np.asarray(truth["place_position_m"][:2])) < 0.005
        assert abs(best[2] - truth["object_width_m"]) < 0.002
        assert abs(best[3]) < 0.005  # the generator's table top is z = 0
