"""The real physical check (MuJoCo, robofuel.sim.check) on synthetic teleop episodes: skipped where the `sim` extra
or the MuJoCo replay module is missing. Only episodes the replay judged successful are kept; rendered cameras,
where the replay gives them, become the episode's camera streams."""

from __future__ import annotations

import pytest

from robofuel.context import Workspace
from robofuel.lake import load_episode
from robofuel.synth import Settings, synthesize

pytest.importorskip("mujoco", reason="needs robofuel[sim] (mujoco)")
pytest.importorskip("robofuel.sim.mujoco_check", reason="the MuJoCo replay (robofuel.sim.mujoco_check) is not here")


def test_the_real_check_keeps_only_successful_replays(teleop_ws: Workspace) -> None:
    report = synthesize(teleop_ws, None, 2, Settings(("object_pose",), seed=5, render=(64, 48))).to_dict()
    assert report["feasible"] > 0 and report["sim_checked"] == report["feasible"]
    assert report["kept"] + sum(report["dropped"].values()) == report["generated"]
    assert all(reason.startswith("sim: ") or reason in ("unreachable", "joint limit", "velocity limit")
               for reason in report["dropped"])  # fmt: skip
    for episode_id in report["episodes"]:
        data = load_episode(teleop_ws.lake, episode_id)
        s = data.meta.synthesis
        assert s is not None and s.sim_checked and s.sim is not None and s.sim["success"]
        videos = [st for st in data.meta.streams if st.kind.value == "video"]
        assert bool(videos) == s.cameras.startswith("rendered")
        assert all(st.name.startswith("sim.") for st in videos)
