"""qc rules of rules_motion: saturation, duplicated channels, joint velocity / acceleration / jerk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qc_helpers import context, found, judge_fault

from robofuel.steps.qc.rules_motion import duplicated_channel, joint_motion, saturation, urdf_velocity_limits


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qc_motion")


@pytest.mark.parametrize(
    ("kind", "fault", "code"),
    [
        ("teleop", "saturation", "signal.saturation"),
        ("wearable", "saturation", "signal.saturation"),
        ("teleop", "duplicated_channel", "signal.duplicated_channel"),
        ("wearable", "duplicated_channel", "signal.duplicated_channel"),
        ("teleop", "joint_velocity", "signal.joint_velocity"),
    ],
)
def test_fault_is_found_on_its_stream_and_time(gen: Path, kind: str, fault: str, code: str) -> None:
    data, truth = judge_fault(gen, kind, fault, seed=61)
    (f, *_) = found(data, code)
    assert f.stream == truth["ingested_stream"]
    assert f.start_s == pytest.approx(truth["start_s"], abs=0.1)
    assert f.end_s is not None and f.end_s <= truth["end_s"] + 0.1
    assert data.meta.verdict == "rejected"


def test_saturation_needs_a_run_at_the_extreme_while_others_move() -> None:
    t = np.arange(500) / 250.0
    force = np.stack([np.sin(t * 3), np.cos(t * 2), 0.01 * t], axis=1)
    force[100:160, 0] = force[:, 0].max() + 0.5  # pinned for 0.24 s
    ctx = context({"ft": ("wrench", ["force.x", "force.y", "force.z"], 250.0, force)})
    saturation(ctx)
    (f,) = ctx.findings
    assert (f.code, f.stream, f.start_s, f.end_s) == ("signal.saturation", "ft", 0.4, 0.636)


def test_zero_floor_frozen_rows_and_short_peaks_are_not_saturation() -> None:
    t = np.arange(500) / 100.0
    pressure = np.clip(np.stack([np.sin(t), np.cos(t)], axis=1) * 30, 0.0, None)  # zero floor when not touching
    pressure[200:203, 0] = 40.0  # a 3-sample peak
    pressure[300:400] = pressure[300]  # every channel repeats: a frozen sensor
    pressure[300:400, :] = 45.0
    ctx = context({"glove": ("glove_pressure", ["thumb", "index"], 100.0, pressure)})
    saturation(ctx)
    assert ctx.findings == []


def test_a_table_imu_clipped_at_its_full_scale_for_a_few_samples_is_a_warning() -> None:
    # A PicoQuake-like 2 kHz CSV (no role): the gyro sits at -249.99998 deg/s (its 250 dps range) for 32 samples.
    t = np.arange(2000) / 2000.0
    rows = np.stack([t * 2000, np.sin(t * 9), np.cos(t * 7), 0.1 * np.sin(t * 40), 30 * np.sin(t * 5)], axis=1)
    rows[:32, 4] = -249.99998474121094
    ctx = context({"pq": (None, ["count", "a_x", "a_y", "a_z", "g_x"], 2000.0, rows)})  # type: ignore[dict-item]
    saturation(ctx)
    (f,) = ctx.findings
    assert (f.code, f.severity, f.stream, f.value) == ("signal.saturation", "warning", "pq", -249.99998474121094)
    assert "g_x pinned at -250 for 32 samples" in f.message and "full-scale" in f.message


def test_a_table_bias_column_or_a_short_imu_run_off_full_scale_is_not_saturation() -> None:
    # EuRoC ground truth: bias estimates hold their extreme for seconds; a gyro's short run at 3.1 rad/s is no
    # range end; an IMU-role channel's short run counts only at a full-scale value.
    t = np.arange(2000) / 200.0
    bias = np.stack([np.sin(t), np.round(np.sin(t / 3), 3)], axis=1)
    gyro = np.stack([np.sin(t) * 3, np.cos(t)], axis=1)
    gyro[100:110, 0] = gyro[:, 0].max() + 0.1
    imu = np.stack([np.sin(t) * 3, np.cos(t)], axis=1)
    imu[500:510, 1] = imu[:, 1].max() + 0.7
    streams = {
        "gt": (None, ["p_x", "b_w_RS_S_x"], 200.0, bias),
        "tab": (None, ["gyro_x", "gyro_y"], 200.0, gyro),
        "imu": ("imu", ["gyro_x", "gyro_y"], 200.0, imu),
    }
    ctx = context(streams)  # type: ignore[arg-type]
    saturation(ctx)
    assert ctx.findings == []
    imu[500:510, 1] = 4.0 * 9.80665  # the same short run at 4 g in m/s^2: clipped
    ctx = context({"imu": ("imu", ["acc_x", "acc_y"], 200.0, imu)})
    saturation(ctx)
    assert [(f.code, f.severity) for f in ctx.findings] == [("signal.saturation", "warning")]


def test_duplicated_channel_ignores_fingers_and_constant_channels() -> None:
    t = np.arange(300) / 100.0
    q = np.stack([np.sin(t), np.sin(t), t * 0, t * 0, np.cos(t), np.cos(t)], axis=1)
    cols = ["j1", "j2", "j3", "j4", "finger_joint1", "finger_joint2"]
    ctx = context({"js": ("joint_position", cols, 100.0, q)})
    duplicated_channel(ctx)
    (f,) = ctx.findings
    assert f.code == "signal.duplicated_channel" and "j2 repeats j1" in f.message and f.start_s == 0.0


def test_panda_velocity_limits_come_from_its_urdf() -> None:
    limits = urdf_velocity_limits("franka_panda")
    if not limits:
        pytest.skip("example-robot-data (robofuel[models]) is not installed")
    assert limits["panda_joint1"] == pytest.approx(2.175) and limits["panda_joint7"] == pytest.approx(2.61)
    assert urdf_velocity_limits("no_such_robot") == {}


def test_configured_limits_flag_acceleration_and_jerk_where_they_are_exceeded() -> None:
    t = np.arange(1000) / 100.0
    q = 0.2 * np.sin(t)[:, None].repeat(2, axis=1)
    q[500:, 1] += 0.5 * (1 - np.cos(np.clip((t[500:] - 5.0) * 20, 0, np.pi)))  # a 0.16 s jolt on j2 at 5 s
    config = {"thresholds": {"joint_velocity_max_rad_s": 10.0, "joint_accel_max_rad_s2": 20.0}}
    ctx = context({"js": ("joint_position", ["j1", "j2"], 100.0, q)}, config)
    joint_motion(ctx)
    codes = {f.code for f in ctx.findings}
    assert codes == {"signal.joint_acceleration"}
    assert all(f.stream == "js" and 4.95 <= (f.start_s or 0) <= 5.2 and "j2" in f.message for f in ctx.findings)
    ctx = context({"js": ("joint_position", ["j1", "j2"], 100.0, q)}, {"thresholds": {"joint_jerk_max_rad_s3": 500}})
    joint_motion(ctx)
    assert {f.code for f in ctx.findings} == {"signal.joint_jerk"}


def test_stamps_that_run_backwards_do_not_look_like_fast_motion() -> None:
    t = np.arange(500) / 100.0
    q = 0.3 * np.sin(t)[:, None]
    ctx = context({"js": ("joint_position", ["j1"], 100.0, q)}, {"thresholds": {"joint_velocity_max_rad_s": 1.0}})
    d = ctx.data.numeric("js")
    d.timestamps_ns[200:210] -= 100_000_000  # a reversal (profile's finding)
    joint_motion(ctx)
    assert ctx.findings == []


def test_a_gap_in_the_stamps_is_not_differenced_across() -> None:
    t = np.arange(1000) / 100.0
    q = 0.3 * np.sin(t)[:, None]
    config = {"thresholds": {"joint_velocity_max_rad_s": 1.0, "joint_accel_max_rad_s2": 1.0}}
    ctx = context({"js": ("joint_position", ["j1"], 100.0, q)}, config)
    d = ctx.data.numeric("js")
    d.timestamps_ns[500:] += 500_000_000  # a 0.5 s clock jump (profile's timing.gap)
    joint_motion(ctx)
    assert ctx.findings == []
