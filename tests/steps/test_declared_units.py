"""Declared units are honoured everywhere: a degrees-valued Franka arm (``unit = "deg"``) is judged against its
joint limits and retargeted in radians, whether the mapping converted it at read time or a reader left it in deg."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from factories import T0
from robofuel.embodiment.fk import ee_trajectory
from robofuel.embodiment.registry import Registry
from robofuel.ingest.base import ReadContext, ReadReport, ReadResult, make_episode
from robofuel.ingest.mapping.apply import apply_mapping, load_mapping
from robofuel.standard import EpisodeData, NumericData, numeric_stream
from robofuel.steps.qc import Qc

JOINTS = [f"panda_joint{i}" for i in range(1, 8)]
#: A reach well inside the Panda's limits (rad); joint 4 is always negative on a Panda.
POSE_RAD = np.array([0.3, -0.5, 0.2, -2.0, 0.1, 1.6, 0.8])


def _arm(degrees: np.ndarray, unit: str | None) -> EpisodeData:  # type: ignore[type-arg]
    """A Franka episode whose one joint stream holds ``degrees`` (N, 7) at 100 Hz, declared in ``unit``."""
    ts = T0 + np.arange(len(degrees), dtype=np.int64) * 10_000_000
    data = NumericData(ts, degrees)
    cols = [f"{j}.position" for j in JOINTS]
    stream = numeric_stream("arm", data, cols, role="joint_position", unit=unit, source="/arm")
    ctx = ReadContext(Path("/data/franka.mcap"), "d" * 64)
    return make_episode(ctx, "mcap", 0, [(stream, data)], embodiment="franka_panda", task={"id": "pick"})


def _motion_deg(n: int = 300) -> np.ndarray:  # type: ignore[type-arg]
    t = np.linspace(0.0, 1.0, n)[:, None]
    return np.degrees(POSE_RAD[None, :] + 0.2 * np.sin(2 * np.pi * t))


def _codes(data: EpisodeData) -> set[str]:
    return {f.code for f in Qc().run(data).meta.findings}


def _mapped(data: EpisodeData, tmp_path: Path) -> EpisodeData:
    (tmp_path / "map.toml").write_text('[[streams]]\nsource = "/arm"\nunit = "deg"\n')
    result = ReadResult([data], ReadReport("/data/franka.mcap", "mcap"))
    (out,) = apply_mapping(result, load_mapping(tmp_path / "map.toml"), ReadContext(Path("x"), "d" * 64)).episodes
    return out


def test_a_degrees_declared_arm_is_not_called_degrees_and_its_limits_are_judged_in_rad(tmp_path: Path) -> None:
    left_in_deg = _arm(_motion_deg(), "deg")
    converted = _mapped(_arm(_motion_deg(), None), tmp_path)
    assert converted.meta.stream("arm").unit == "rad"
    for data in (left_in_deg, converted):
        codes = _codes(data)
        assert "signal.unit_degrees" not in codes and "signal.joint_limit" not in codes
        assert "signal.joint_velocity" not in codes  # 0.4 rad/s, not 24 "rad/s" of degrees read as radians
    undeclared = _codes(_arm(_motion_deg(), None))  # magnitudes only a degree value has, nothing declared
    assert "signal.unit_degrees" in undeclared


def test_limits_of_a_degrees_declared_arm_still_catch_a_joint_beyond_them(tmp_path: Path) -> None:
    values = _motion_deg()
    values[100:150, 3] = 10.0  # panda_joint4 at +10 deg: beyond its upper limit of -4 deg
    for data in (_arm(values, "deg"), _mapped(_arm(values.copy(), None), tmp_path)):
        found = [f for f in Qc().run(data).meta.findings if f.code == "signal.joint_limit"]
        assert found and "panda_joint4.position" in found[0].message


def test_retargeting_reads_a_degrees_declared_arm_in_rad(tmp_path: Path) -> None:
    panda = Registry().get("franka_panda")
    reference = _arm(np.tile(POSE_RAD, (50, 1)), "rad")
    _, want = ee_trajectory(reference, panda)
    for data in (
        _arm(np.degrees(np.tile(POSE_RAD, (50, 1))), "deg"),
        _mapped(_arm(np.degrees(np.tile(POSE_RAD, (50, 1))), None), tmp_path),
    ):
        joints, got = ee_trajectory(data, panda)
        np.testing.assert_allclose(joints.values, np.tile(POSE_RAD, (50, 1)), atol=1e-12)
        np.testing.assert_allclose(got, want, atol=1e-9)
