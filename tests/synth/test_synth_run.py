"""`robofuel synth` end to end on generated teleop episodes, with the MuJoCo check replaced by a fake that checks
what it is given: the scene (object where the tool grasps, goal where it releases, on the table) and the trajectory
(times from 0, the arm's joints, the aperture). Kept episodes are written to the lake as synthetic, with their
provenance, counted apart in stats and qc, within the robot's limits."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import robofuel.sim
from robofuel.catalog.current import selection
from robofuel.context import Workspace
from robofuel.embodiment.model import arm_kinematics
from robofuel.embodiment.registry import Registry
from robofuel.engine.local import LocalEngine
from robofuel.errors import MissingExtra
from robofuel.lake import load_episode
from robofuel.report.qc_summary import summarise
from robofuel.sim import SimResult, SimScene, SimTrajectory
from robofuel.steps.registry import build_pipeline
from robofuel.synth import Settings, synthesize


class FakeSim:
    """Stands in for robofuel.sim.check: checks its inputs, fails every second call ("dropped")."""

    def __init__(self) -> None:
        self.calls: list[tuple[SimScene, SimTrajectory]] = []
        self.kin = arm_kinematics(Registry().get("franka_panda"))

    def __call__(self, scene: SimScene, traj: SimTrajectory, *, render: Any = None, **_: Any) -> SimResult:
        assert scene.embodiment == "franka_panda" and render is None
        (box,) = scene.objects
        assert scene.manipulated == box.name and box.pose.shape == (4, 4) and min(box.size_m) > 0.01
        assert box.pose[2, 3] == pytest.approx(scene.table_height_m + box.size_m[2] / 2)
        assert scene.goal is not None and scene.goal.shape == (4, 4)
        assert scene.goal[2, 3] == pytest.approx(scene.table_height_m + box.size_m[2] / 2)
        t, q, a = traj.time_s, traj.joints, traj.gripper_aperture_m
        assert t[0] == 0.0 and np.all(np.diff(t) > 0) and q.shape == (len(t), 7)
        assert a is not None and a.shape == (len(t),) and a.min() >= 0 and a.max() <= 0.08 + 1e-9
        # the arm's tool closes on the box where the scene has it, and opens where the goal is
        closing = int(np.argmax(a < 0.5 * (a.max() + a.min())))
        opening = closing + int(np.argmax(a[closing:] > 0.5 * (a.max() + a.min())))
        tool_at = self.kin.pose(q[closing])[:3, 3]
        assert np.linalg.norm(tool_at[:2] - box.pose[:2, 3]) < 0.01
        assert np.linalg.norm(self.kin.pose(q[opening])[:2, 3] - scene.goal[:2, 3]) < 0.01
        self.calls.append((scene, traj))
        ok = len(self.calls) % 2 == 1
        return SimResult(ok, "" if ok else "dropped", scene.goal, 0.005 if ok else 0.2, 0.0)


@pytest.fixture
def fake_sim(monkeypatch: pytest.MonkeyPatch) -> FakeSim:
    fake = FakeSim()
    monkeypatch.setattr(robofuel.sim, "check", fake)
    return fake


def test_kept_episodes_are_the_ones_the_simulation_passed(teleop_ws: Workspace, fake_sim: FakeSim) -> None:
    report = synthesize(teleop_ws, "task = pick_place.cube", 4, Settings(("object_pose", "place_pose"))).to_dict()
    assert report["generated"] == 8 and len(fake_sim.calls) == report["feasible"] > 0
    assert report["kept"] == (len(fake_sim.calls) + 1) // 2 and report["sim_checked"] == len(fake_sim.calls)
    assert report["dropped"].get("sim: dropped", 0) == len(fake_sim.calls) // 2
    assert report["success_rate"] == pytest.approx(report["kept"] / 8)
    assert set(report["by_variation"]) == {"object_pose,place_pose"} and set(report["by_embodiment"]) == {
        "franka_panda"
    }
    assert sum(v["generated"] for v in report["by_source"].values()) == 8
    rows = {r["id"]: r for r in teleop_ws.catalog.episode_rows()}
    made = [rows[i] for i in report["episodes"]]
    assert (
        len(made) == report["kept"] and all(r["synthetic"] for r in made) and all(r["format"] == "synth" for r in made)
    )
    assert sum(not r["synthetic"] for r in rows.values()) == 2
    for episode_id in report["episodes"]:
        meta = teleop_ws.lake.read_meta(episode_id)
        s = meta.synthesis
        assert meta.synthetic and s is not None and s.sim_checked and s.sim and s.sim["success"]
        assert s.source_episode in rows and not rows[s.source_episode]["synthetic"]
        assert s.variation == ["object_pose", "place_pose"] and s.generator == "robofuel.synth@1"
        assert set(s.transform) == {"object", "place", "start"} and s.transform["start"]["shift_m"] == [0, 0, 0]
        assert "none" in s.cameras and not any(st.kind.value == "video" for st in meta.streams)
        assert meta.operator is None and [g.label for g in meta.segments] == [
            g.label for g in teleop_ws.lake.read_meta(s.source_episode).segments
        ]


def test_without_the_simulator_episodes_are_kept_unchecked_and_said_so(
    teleop_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*_: Any, **__: Any) -> SimResult:
        raise MissingExtra("mujoco", "sim")

    monkeypatch.setattr(robofuel.sim, "check", missing)
    report = synthesize(teleop_ws, None, 2, Settings()).to_dict()
    assert report["kept"] == report["feasible"] == 4 and report["sim_checked"] == 0
    (note,) = report["sim_unchecked"]
    assert "robofuel[sim]" in note
    meta = teleop_ws.lake.read_meta(report["episodes"][0])
    assert (
        meta.synthesis is not None and not meta.synthesis.sim_checked and "robofuel[sim]" in meta.synthesis.sim["note"]
    )


def test_synthetic_joints_stay_within_limits_and_widen_the_placements(teleop_ws: Workspace) -> None:
    report = synthesize(teleop_ws, None, 6, Settings(simulate=False, seed=3)).to_dict()
    kin = arm_kinematics(Registry().get("franka_panda"))
    placements = []
    for episode_id in report["episodes"]:
        data = load_episode(teleop_ws.lake, episode_id)
        q = data.numeric("joint_states").values[:, :7]
        assert np.all(q >= kin.lower - 1e-6) and np.all(q <= kin.upper + 1e-6)
        t = data.numeric("joint_states").timestamps_ns / 1e9
        assert np.all(np.abs(np.diff(q, axis=0)) <= kin.velocity * np.diff(t)[:, None] * (1 + 1e-6))
        assert data.meta.synthesis is not None
        placements.append(np.asarray(data.meta.synthesis.scene["object_pose"])[:2, 3])
    sources = {teleop_ws.lake.read_meta(i).synthesis.source_episode for i in report["episodes"]}  # type: ignore[union-attr]
    assert len(sources) == 2 and len(placements) >= 8
    spread = np.asarray(placements)
    assert np.ptp(spread[:, 0]) > 0.03 and np.ptp(spread[:, 1]) > 0.03  # +-5 cm draws spread the placements


def test_same_seed_same_episodes_and_synthetic_sources_are_not_used(teleop_ws: Workspace) -> None:
    first = synthesize(teleop_ws, None, 2, Settings(simulate=False)).to_dict()
    again = synthesize(teleop_ws, None, 2, Settings(simulate=False)).to_dict()
    assert first["episodes"] == again["episodes"] and again["sources"] == 2  # synthetic ones were no sources
    assert len(teleop_ws.catalog.episode_ids()) == 2 + first["kept"]  # replaced, not duplicated
    other = synthesize(teleop_ws, None, 2, Settings(simulate=False, seed=1)).to_dict()
    assert not set(other["episodes"]) & set(first["episodes"])


def test_qc_and_stats_count_synthetic_apart(teleop_ws: Workspace) -> None:
    before = teleop_ws.catalog.group_counts("task", selection(None))
    report = synthesize(teleop_ws, None, 3, Settings(simulate=False)).to_dict()
    LocalEngine(teleop_ws.lake, teleop_ws.catalog, progress=False).run(
        build_pipeline(["qc"]), teleop_ws.catalog.episode_ids()
    )
    (after,) = teleop_ws.catalog.group_counts("task", selection(None))
    assert after["episodes"] == before[0]["episodes"] == 2 and after["hours"] == pytest.approx(before[0]["hours"])
    assert after["synthetic_episodes"] == report["kept"] > 0 and after["synthetic_hours"] > 0
    metas = [teleop_ws.lake.read_meta(i) for i in teleop_ws.catalog.episode_ids()]
    summary = summarise(metas)
    assert summary["episodes"] == 2 and summary["synthetic"]["episodes"] == report["kept"]
    assert summary["synthetic"]["verdicts"] == {"qualified": report["kept"]}  # no rig streams asked of them
    ids = teleop_ws.catalog.episode_ids(selection("synthetic = true"))
    assert sorted(ids) == sorted(report["episodes"])
    assert len(teleop_ws.catalog.episode_ids(selection("synthetic = false"))) == 2
    assert json.loads(teleop_ws.catalog.recording_rows()[-1]["report"])  # the run's summary is kept


def test_another_arm_gets_the_motion_in_its_own_joints(teleop_ws: Workspace) -> None:
    report = synthesize(teleop_ws, None, 2, Settings(simulate=False), embodiment="ur5").to_dict()
    assert set(report["by_embodiment"]) == {"ur5"} and report["kept"] > 0
    ur5 = Registry().get("ur5")
    kin = arm_kinematics(ur5)
    for episode_id in report["episodes"]:
        data = load_episode(teleop_ws.lake, episode_id)
        assert data.meta.embodiment == "ur5"
        joints = data.meta.stream("joint_states")
        assert joints.columns[: len(ur5.arm().joints)] == [f"{j}.position" for j in ur5.arm().joints]
        q = data.numeric("joint_states").values[:, : len(ur5.arm().joints)]
        assert np.all(q >= kin.lower - 1e-6) and np.all(q <= kin.upper + 1e-6)
        scene = data.meta.synthesis.scene if data.meta.synthesis else {}
        grasp = np.asarray(scene["object_pose"])[:3, 3]  # in the UR5's base frame: its tool passes through it
        tool = kin.fk(q)[:, :3, 3]
        assert np.min(np.linalg.norm(tool - grasp, axis=1)) < 0.005


def test_operations_leave_synthetic_episodes_out_of_the_yield(teleop_ws: Workspace) -> None:
    from robofuel.ops.facts import episode_facts, gates

    report = synthesize(teleop_ws, None, 2, Settings(simulate=False)).to_dict()
    facts = episode_facts(teleop_ws.lake, teleop_ws.catalog)
    assert sorted(f.id for f in facts if f.synthetic) == sorted(report["episodes"])
    ingested = next(g for g in gates(teleop_ws.catalog, facts) if g["name"] == "ingested")
    assert ingested["episodes"] == 2


def test_sources_that_cannot_be_used_are_skipped_with_the_reason(teleop_ws: Workspace) -> None:
    from factories import joint_episode, store

    (bare,) = store(teleop_ws.lake, teleop_ws.catalog, [joint_episode(sha="d" * 64)])
    report = synthesize(teleop_ws, None, 1, Settings(simulate=False)).to_dict()
    assert report["sources"] == 2 and "names no embodiment" in report["skipped_sources"][bare.id]
