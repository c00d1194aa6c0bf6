"""``robofuel export --embodiment``: Panda teleop episodes exported in the UR5's joint space, in every format."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from export.conftest import ExportLake
from robofuel.embodiment import Registry
from robofuel.embodiment.auto import retarget_any
from robofuel.embodiment.fk import ee_trajectory
from robofuel.embodiment.model import arm_kinematics
from robofuel.errors import InputError
from robofuel.export import ExportOptions, get_exporter

pytest.importorskip("pinocchio", reason="needs robofuel[models] (pin)")


def test_lerobot_export_in_ur5_joint_space(teleop_lake: ExportLake, tmp_path: Path) -> None:
    episodes = teleop_lake.episodes()[:2]
    report = get_exporter("lerobot").export(iter(episodes), tmp_path / "ds", ExportOptions(embodiment="ur5"))
    assert report.episodes == 2 and any("retargeted to ur5" in n for n in report.notes)
    info = json.loads((tmp_path / "ds/meta/info.json").read_text())
    ur5 = Registry().get("ur5")
    assert info["robot_type"] == "ur5"
    state = info["features"]["observation.state"]
    assert state["names"] == list(ur5.arm().joints) and state["shape"] == [6]
    assert info["features"]["action"]["shape"] == [6]
    table = pq.read_table(next((tmp_path / "ds/data").rglob("*.parquet")))
    episode_index = table["episode_index"].to_numpy()
    all_states = np.array(table["observation.state"].to_pylist(), dtype=np.float64)
    all_actions = np.array(table["action"].to_pylist(), dtype=np.float64)
    kin = arm_kinematics(ur5)
    for index, data in enumerate(episodes):
        states, actions = all_states[episode_index == index], all_actions[episode_index == index]
        np.testing.assert_allclose(actions[:-1], states[1:])  # action = next frame's state
        alignment = retarget_any(data, "ur5").report["alignment"]
        _, source = ee_trajectory(data, Registry().get("franka_panda"))
        path = source[:, :3, 3] - source[:, :3, 3].mean(axis=0) + np.asarray(alignment["offset_m"])
        path += source[:, :3, 3].mean(axis=0)
        reached = kin.fk(states)[:, :3, 3]
        gap_mm = np.min(np.linalg.norm(reached[:, None] - path[None], axis=2), axis=1) * 1e3
        assert np.median(gap_mm) < 1.0 and np.max(gap_mm) < 5.0  # float32 state, 30 fps resampling


def test_infeasible_episodes_are_left_out(
    teleop_lake: ExportLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import robofuel.export.embodiment as emb

    real = emb.retarget_any
    calls = Counter[str]()

    def first_infeasible(data, target, registry=None, opts=None):  # type: ignore[no-untyped-def]
        result = real(data, target, registry, opts)
        calls["n"] += 1
        if calls["n"] == 1:
            result.report = result.report | {"verdict": "infeasible", "reasons": ["out of reach (test)"]}
        return result

    monkeypatch.setattr(emb, "retarget_any", first_infeasible)
    episodes = teleop_lake.episodes()[:2]
    report = get_exporter("lerobot").export(iter(episodes), tmp_path / "ds", ExportOptions(embodiment="ur5"))
    assert report.episodes == 1
    assert report.omitted == Counter({f"{episodes[0].meta.id}: infeasible on ur5 (out of reach (test))": 1})


@pytest.mark.parametrize("fmt", ["hdf5-aloha", "hdf5-robomimic", "zarr-umi", "mcap", "rlds", "webdataset"])
def test_every_format_exports_in_ur5_joint_space(teleop_lake: ExportLake, tmp_path: Path, fmt: str) -> None:
    """Every exporter takes ``--embodiment``: the same retargeting, then the format's own layout."""
    episodes = teleop_lake.episodes()[:2]
    out = tmp_path / "out"
    report = get_exporter(fmt).export(iter(episodes), out, ExportOptions(embodiment="ur5"))
    assert report.episodes == 2 and any("retargeted to ur5" in n for n in report.notes)
    assert not [k for k in report.omitted if "retarget" in k and "dataset for it" not in k], report.omitted
    ur5 = Registry().get("ur5")
    if fmt == "hdf5-aloha":
        import h5py

        with h5py.File(out / "episode_0.hdf5", "r") as h:
            qpos = h["observations/qpos"][:]
            assert qpos.shape[1] == 6 and h.attrs["embodiment"] == "ur5"
        reached = arm_kinematics(ur5).fk(qpos)[:, :3, 3]
        source = ee_trajectory(episodes[0], Registry().get("franka_panda"))[1][:, :3, 3]
        assert np.ptp(reached, axis=0) == pytest.approx(np.ptp(source, axis=0), abs=0.01)  # the same motion
    elif fmt == "mcap":
        from factories import read

        back = read(out / f"{episodes[0].meta.id}.mcap", "mcap").episodes[0]
        joints = next(s for s in back.meta.streams if s.name.endswith("retarget.ur5.joint_states"))
        assert [c.removesuffix(".position") for c in joints.columns][:6] == list(ur5.arm().joints)
        assert not any(s.name.endswith("joint_states") and "ur5" not in s.name for s in back.meta.streams)
    elif fmt == "zarr-umi":
        import zarr

        from robofuel.export.zarr_umi import STORE

        data = zarr.open_group(str(out / STORE), mode="r")["data"]
        eef = data["robot0_eef_pos"][:]
        path = [s for s in episodes[0].meta.streams if s.role == "ee_pose"]
        assert eef.shape[1] == 3 and not path  # the source has no pose stream: the UR5's FK made this one


def test_unknown_embodiment_fails_before_any_work(teleop_lake: ExportLake, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope"):
        get_exporter("hdf5-robomimic").export(iter([]), tmp_path / "o", ExportOptions(embodiment="nope"))
    assert not (tmp_path / "o").exists()


def test_cli_export_embodiment_mcap(teleop_lake: ExportLake, tmp_path: Path, cli: Any) -> None:
    lake = teleop_lake.lake.uri
    # --all: the lake was only ingested (unchecked), and export without --where takes qualified episodes only
    result = cli(
        "export", "--format", "mcap", "--out", str(tmp_path / "o"), "--embodiment", "ur5", "--lake", lake, "--all"
    )
    assert result.code == 0, result.err
    assert len(list((tmp_path / "o").glob("*.mcap"))) == len(teleop_lake.episodes())
