"""Event-driven streams (issue 13, class 9): pauses in a command or tracker stream are no lost samples and do not
reject; a hole in a periodic sensor stream still does. Mis-stamped samples (two at one time beside a missing slot)
ask for review instead of rejecting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from factories import read
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.standard import EpisodeData, Finding, NumericData, Payload, Severity, Stream, numeric_stream
from robofuel.steps import build_pipeline
from robofuel.steps.qc import sampling
from robofuel.steps.qc.config import DEFAULTS

T0 = 1_793_000_000_000_000_000
MS = 1_000_000
IMU_COLS = [f"angular_velocity.{a}" for a in "xyz"] + [f"linear_acceleration.{a}" for a in "xyz"]
TWIST_COLS = [f"linear.{a}" for a in "xyz"] + [f"angular.{a}" for a in "xyz"]


def _imu(seconds: float, hole: tuple[float, float] | None = None) -> tuple[Stream, Payload]:
    """A 100 Hz IMU over ``seconds`` (moving: a slow sine), without the samples in ``hole`` (s)."""
    t = np.arange(0.0, seconds, 0.01)
    if hole is not None:
        t = t[(t < hole[0]) | (t >= hole[1])]
    values = np.column_stack([np.sin(t + k) for k in range(6)])
    data = NumericData(T0 + np.round(t * 1e9).astype(np.int64), values)
    return numeric_stream("imu", data, IMU_COLS, role="imu"), data


def _keyboard_cmd_vel(seconds: float) -> tuple[Stream, Payload]:
    """A teleop keyboard's ``cmd_vel``: bursts of key auto-repeat at 33 Hz (0.5 s repeat delay), long pauses."""
    times: list[float] = []
    for press in np.arange(1.5, seconds - 3.0, 3.0):
        times += [press, *(press + 0.5 + 0.03 * np.arange(30))]
    t = np.array(times)
    values = np.zeros((len(t), 6))
    values[:, 0] = 2.0
    data = NumericData(T0 + np.round(t * 1e9).astype(np.int64), values)
    return numeric_stream("turtle1.cmd_vel", data, TWIST_COLS, role="twist", source="/turtle1/cmd_vel"), data


def _run(streams: list[tuple[Stream, Payload]], steps: tuple[str, ...] = ("profile", "qc", "clean")) -> EpisodeData:
    data = make_episode(ReadContext(Path("/data/x.bag"), "e" * 64), "rosbag1", 0, streams)
    data.meta.task.instruction = "drive"
    data.meta.operator, data.meta.station = "op", "st"
    for step in build_pipeline(list(steps)):
        out = step.run(data)
        data = EpisodeData(out.meta, {**data.payloads, **(out.payloads or {})})
    return data


def _on(data: EpisodeData, code: str, stream: str) -> list[Finding]:
    return [f for f in data.meta.findings if f.code == code and f.stream == stream]


def test_a_command_stream_with_long_pauses_is_not_rejected() -> None:
    data = _run([_imu(20.0), _keyboard_cmd_vel(20.0)])
    (gap,) = _on(data, "timing.gap", "turtle1.cmd_vel")
    assert gap.severity is Severity.info and "event-driven" in gap.message and "'cmd'" in gap.message
    (late,) = _on(data, "completeness.stream_starts_late", "turtle1.cmd_vel")
    (early,) = _on(data, "completeness.stream_ends_early", "turtle1.cmd_vel")
    assert late.severity is early.severity is Severity.info
    assert data.meta.verdict == "qualified", [f for f in data.meta.findings if f.severity is not Severity.info]
    # Nothing interpolated into the pauses, no split at them: the whole episode is kept.
    assert not [f for f in data.meta.findings if f.code in ("clean.gap_repaired", "clean.split")]
    assert data.meta.kept is not None and data.meta.kept.end_s - data.meta.kept.start_s > 19.0


def test_a_periodic_imu_with_a_two_second_hole_is_still_rejected() -> None:
    data = _run([_imu(20.0, hole=(8.0, 10.0))], steps=("profile", "qc"))
    (gap,) = _on(data, "timing.gap", "imu")
    assert gap.severity is Severity.blocking and gap.value == pytest.approx(2.01, abs=0.01)
    assert data.meta.verdict == "rejected"


def test_an_imu_beside_a_command_stream_that_stops_early_still_counts() -> None:
    """The coverage reference is the periodic streams: an IMU that dies at 12 s of 20 is rejected."""
    imu, imu_data = _imu(20.0)
    cut = NumericData(imu_data.timestamps_ns[:1200], imu_data.values[:1200])  # type: ignore[union-attr]
    camera_imu = numeric_stream("imu_head", cut, IMU_COLS, role="imu"), cut
    data = _run([(imu, imu_data), camera_imu, _keyboard_cmd_vel(20.0)], steps=("profile", "qc"))
    (early,) = _on(data, "completeness.stream_ends_early", "imu_head")
    assert early.severity is Severity.blocking and data.meta.verdict == "rejected"


def _stream(name: str, role: str | None, ts: npt.NDArray[np.int64]) -> Stream:
    return numeric_stream(name, NumericData(ts, np.zeros((len(ts), 1))), ["v"], role=role)


def test_sampling_is_told_by_role_name_or_intervals() -> None:
    th = dict(DEFAULTS)
    regular = T0 + np.arange(100) * 10 * MS
    irregular = T0 + np.cumsum(np.random.default_rng(1).integers(5, 60, 100)) * 10 * MS
    assert sampling.event_driven(_stream("pose", "pose", regular), regular, th) == ""
    assert "aperiodic" in sampling.event_driven(_stream("amcl_pose", "pose", irregular), irregular, th)
    # A sensor sampled at a rate is never event-driven by its intervals: irregular ones are its fault.
    assert sampling.event_driven(_stream("imu", "imu", irregular), irregular, th) == ""
    assert "role operator_input" in sampling.event_driven(_stream("spacemouse", "operator_input", regular), regular, th)
    assert "'groundtruth'" in sampling.event_driven(_stream("fr2_ground_truth", None, regular), regular, th)
    assert "'tracking'" in sampling.event_driven(_stream("hand_tracking_results", None, regular), regular, th)
    assert sampling.event_driven(_stream("joint_states", "joint_position", regular), regular, th) == ""
    # ... nor by its name: an IMU on a topic called tracking_camera/imu is a sensor.
    assert sampling.event_driven(_stream("tracking_camera.imu", "imu", regular), regular, th) == ""


def _duplicate(ts_ms: list[float]) -> Finding:
    ts = T0 + np.round(np.array(ts_ms) * MS).astype(np.int64)
    values = np.arange(len(ts), dtype=np.float64)[:, None]  # every sample differs
    data = NumericData(ts, values)
    out = _run([(numeric_stream("s", data, ["v"], role="pose"), data)], steps=("profile",))
    (finding,) = _on(out, "timing.duplicate_timestamp", "s")
    return finding


def test_a_sample_stamped_a_slot_late_asks_for_review() -> None:
    """TUM mocap ground truth: ... 29.5694, 29.5760, 29.5760, 29.5794 (a slot missing before the pair)."""
    step = [10.0 * i for i in range(50)]
    jitter = step[:20] + [step[20] + 10.0] + step[21:]  # sample 20 stamped at sample 21's time
    finding = _duplicate(jitter)
    assert finding.severity is Severity.warning and "stamped a slot off" in finding.message


def test_two_values_at_one_time_between_regular_intervals_still_reject() -> None:
    step = [10.0 * i for i in range(50)]
    finding = _duplicate(step[:21] + [step[20]] + step[21:])  # an extra value at 200 ms, no slot missing
    assert finding.severity is Severity.blocking


@pytest.mark.parametrize("name", ["example.bag", "example-lz4.bag", "example-bz2.bag"])
def test_turtlesim_teleop_bags_are_not_rejected(shared_data: Path, name: str) -> None:
    path = shared_data / "rosbagjs" / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    (data,) = read(path, "rosbag1").episodes
    data = _run_real(data)
    (gap,) = _on(data, "timing.gap", "turtle1.cmd_vel")
    assert gap.severity is Severity.info and gap.value == pytest.approx(0.976, abs=0.01)
    assert {f.severity for f in data.meta.findings if f.code.startswith("completeness.")} <= {Severity.info}
    assert data.meta.verdict != "rejected", [f for f in data.meta.findings if f.severity is Severity.blocking]
    # The periodic streams (pose, colour sensor, tf at 62.5 Hz; turtle2's 10 Hz controller) have no gap.
    assert not [f for f in data.meta.findings if f.code == "timing.gap" and f.stream != "turtle1.cmd_vel"]


def test_aria_hand_tracking_rows_only_while_tracked_are_not_rejected(shared_data: Path) -> None:
    path = shared_data / "egocentric_aria_csv" / "mps_sample" / "hand_tracking" / "hand_tracking_results_v2.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    (data,) = read(path, "csv").episodes
    data = _run_real(data)
    (gap,) = [f for f in data.meta.findings if f.code == "timing.gap"]
    assert gap.severity is Severity.info and "'tracking'" in gap.message and gap.value == pytest.approx(53.39, abs=0.01)
    assert data.meta.verdict != "rejected", [f for f in data.meta.findings if f.severity is Severity.blocking]


def _run_real(data: EpisodeData) -> EpisodeData:
    for step in build_pipeline(["sync", "profile", "qc", "clean"]):
        out = step.run(data)
        data = EpisodeData(out.meta, {**data.payloads, **(out.payloads or {})})
    return data


def test_a_localiser_publishing_every_600_ms_is_no_motion_stream() -> None:
    """nav2's amcl_pose: too sparse for the 0.2 s motion window to show speed; it used to quarantine the episode as
    "no motion" although the robot drove. Its pauses (9 s before the first move) are info, not a gap."""
    rng = np.random.default_rng(3)
    t = np.concatenate([[0.0], 9.3 + np.cumsum(rng.choice([0.3, 0.6, 0.9, 1.2], 40))])
    values = np.zeros((len(t), 7))
    values[:, 0], values[:, 6] = 0.1 * t, 1.0
    data = NumericData(T0 + np.round(t * 1e9).astype(np.int64), values)
    cols = [f"position.{a}" for a in "xyz"] + [f"orientation.{a}" for a in "xyzw"]
    amcl = numeric_stream("amcl_pose", data, cols, role="pose", source="/amcl_pose")
    out = _run([(amcl, data), _imu(float(t[-1]))])
    (gap,) = _on(out, "timing.gap", "amcl_pose")
    assert gap.severity is Severity.info and "aperiodic" in gap.message
    assert not [f for f in out.meta.findings if f.code == "clean.quarantined"]
    assert [f.code for f in out.meta.findings if f.code == "clean.no_motion_stream"] and out.meta.verdict == "qualified"
