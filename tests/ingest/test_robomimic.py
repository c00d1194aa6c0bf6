"""The robomimic / robosuite HDF5 reader on the real robosuite demos in ../shared/data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import read
from robofuel.errors import UnreadableRecording
from robofuel.lake import Lake, load_episode, write_episode
from robofuel.standard import NumericData


def test_lift_demos(shared_data: Path, tmp_path: Path) -> None:
    result = read(shared_data / "robosuite/lift_demo.hdf5", "hdf5-robomimic")
    assert [e.meta.stream("actions").count for e in result.episodes] == [482, 510, 392]
    ep = result.episodes[0]
    assert ep.meta.stream("actions").columns == [f"actions[{i}]" for i in range(7)]
    assert len(ep.meta.stream("states").columns) == 32
    assert ep.meta.stream("actions").measured_rate_hz == pytest.approx(20.0)
    assert ep.meta.task.id == "Lift" and ep.meta.embodiment == "panda"
    assert ep.meta.start_time.isoformat().startswith("2022-11-16T14:13:58")
    lake = Lake(tmp_path / "lake")
    back = load_episode(lake, write_episode(lake, ep).id)
    a, b = ep.payloads["actions"], back.payloads["actions"]
    assert isinstance(a, NumericData) and isinstance(b, NumericData)
    assert (a.values == b.values).all()


def test_wipe_demo_names_its_missing_model_file(shared_data: Path) -> None:
    (ep,) = read(shared_data / "robosuite/wipe_panda_demo.hdf5", "hdf5-robomimic").episodes
    finding = next(f for f in ep.meta.findings if f.code == "metadata.missing_model_file")
    assert "model_1.xml" in finding.message
    assert ep.meta.stream("joint_torques").count == 174 and ep.meta.stream("actions").count == 174


def test_handover_streams_at_other_rates_are_kept_with_their_own_time(shared_data: Path) -> None:
    result = read(shared_data / "robosuite/handover_panda_panda_demo.hdf5", "hdf5-robomimic")
    assert len(result.episodes) == 7
    ep = result.episodes[0]
    assert ep.meta.stream("actions").count == 641 and len(ep.meta.stream("actions").columns) == 14
    user = ep.meta.stream("user_info.0@1380")
    assert user.count == 1380 and "timestamp" in user.columns
    arm0 = ep.meta.stream("controller_info.teleop_commands.arm0@622")
    assert arm0.count == 622
    assert any(f.code == "timing.assumed_rate" and f.stream == arm0.name for f in ep.meta.findings)


def test_a_truncated_hdf5_is_refused_naming_the_file(shared_data: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.hdf5"
    cut.write_bytes((shared_data / "robosuite/lift_demo.hdf5").read_bytes()[:100_000])
    with pytest.raises(UnreadableRecording, match=r"cut\.hdf5"):
        read(cut, "hdf5-robomimic")
    shutil.copy(shared_data / "robosuite/lift_demo.hdf5", tmp_path / "ok.hdf5")
    assert read(tmp_path / "ok.hdf5", "hdf5-robomimic").episodes
