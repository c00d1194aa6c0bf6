"""The sync step: clock offsets found on generated recordings with a known offset, none on clean ones or on noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robofuel.errors import InputError
from robofuel.generate import generate_teleop, generate_wearable
from robofuel.ingest import ReadContext, get_reader
from robofuel.ingest.base import make_episode
from robofuel.lake import recording_sha256
from robofuel.standard import EpisodeData, NumericData, Payload, Stream, numeric_stream
from robofuel.steps import get_step
from robofuel.steps.qc import Qc
from robofuel.steps.sync import Sync, candidate_pairs, estimate_lag

OFFSET_S = 0.08  # the generator's clock_offset fault
T0 = 1_793_000_000_000_000_000


def _read(path: Path, fmt: str) -> EpisodeData:
    (data,) = get_reader(fmt).read(path, ReadContext(path, recording_sha256(path))).episodes
    return data


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, EpisodeData]:
    out = tmp_path_factory.mktemp("sync")
    eps = {}
    for kind, make, fmt in (("teleop", generate_teleop, "mcap"), ("wearable", generate_wearable, "wearable")):
        for faults in ([], ["clock_offset"]):
            name = f"{kind}_{'offset' if faults else 'clean'}"
            eps[name] = _read(make(out, name, seed=31, faults=faults).path, fmt)  # type: ignore[operator]
    return eps


def _pair(data: EpisodeData) -> dict[str, object]:
    (pair,) = Sync().run(data).report.values["pairs"]
    return pair  # type: ignore[no-any-return]


def _sync_findings(data: EpisodeData) -> list[str]:
    return [f.code for f in data.meta.findings if f.step == "sync"]


@pytest.mark.parametrize("kind", ["teleop", "wearable"])
def test_clean_recordings_are_in_sync(generated: dict[str, EpisodeData], kind: str) -> None:
    out = Sync().run(generated[f"{kind}_clean"])
    (pair,) = out.report.values["pairs"]
    assert abs(pair["lag_s"]) < 0.035
    assert pair["confidence"] >= 0.3
    assert not pair["applied"]
    assert _sync_findings(EpisodeData(out.meta)) == []
    assert all(s.clock_offset_ns == 0 for s in out.meta.streams)


def test_wearable_offset_is_estimated_and_applied_as_metadata(generated: dict[str, EpisodeData]) -> None:
    data = generated["wearable_offset"]
    out = Sync().run(data)
    (pair,) = out.report.values["pairs"]
    assert (pair["sensor"], pair["reference"], pair["kind"]) == ("imu_wrist", "hand_keypoints", "rotation")
    assert pair["lag_s"] == pytest.approx(OFFSET_S, abs=0.010)
    assert pair["confidence"] >= 0.4
    assert out.meta.stream("imu_wrist").clock_offset_ns == pytest.approx(-OFFSET_S * 1e9, abs=10e6)
    assert out.meta.stream("hand_keypoints").clock_offset_ns == 0
    (finding,) = [f for f in out.meta.findings if f.step == "sync"]
    assert (finding.code, finding.severity.value, finding.stream) == ("timing.clock_offset", "warning", "imu_wrist")
    assert out.meta.calibration["sync"]["pairs"] == out.report.values["pairs"]


def test_teleop_offset_is_estimated_against_the_gripper(generated: dict[str, EpisodeData]) -> None:
    """Wrench and gripper see the grasp at slightly different moments (the load leaves the hand before the
    gripper opens): the clean recording measures that spread, the offset adds exactly the injected 80 ms to it."""
    clean, offset = _pair(generated["teleop_clean"]), _pair(generated["teleop_offset"])
    assert (offset["sensor"], offset["reference"], offset["kind"]) == (
        "ft_sensor.wrench",
        "franka_gripper.joint_states",
        "contact",
    )
    assert float(offset["lag_s"]) - float(clean["lag_s"]) == pytest.approx(OFFSET_S, abs=0.010)  # type: ignore[arg-type]
    assert offset["lag_s"] == pytest.approx(OFFSET_S, abs=0.030)
    assert offset["confidence"] >= 0.4  # type: ignore[operator]
    assert offset["applied"]
    assert _sync_findings(EpisodeData(Sync().run(generated["teleop_offset"]).meta)) == ["timing.clock_offset"]


def test_samples_are_never_rewritten(generated: dict[str, EpisodeData]) -> None:
    data = generated["wearable_offset"]
    before = {
        k: (p.timestamps_ns.copy(), p.values.copy()) for k, p in data.payloads.items() if isinstance(p, NumericData)
    }
    out = Sync().run(data)
    assert out.payloads is None
    for name, (ts, values) in before.items():
        payload = data.payloads[name]
        assert isinstance(payload, NumericData)
        np.testing.assert_array_equal(payload.timestamps_ns, ts)
        np.testing.assert_array_equal(payload.values, values)
    assert data.meta.stream("imu_wrist").clock_offset_ns == 0  # the input metadata is untouched too


def test_running_twice_replaces_its_own_result(generated: dict[str, EpisodeData]) -> None:
    data = generated["wearable_offset"]
    once = Sync().run(data).meta
    twice = Sync().run(EpisodeData(once, data.payloads)).meta
    assert _sync_findings(EpisodeData(twice)) == ["timing.clock_offset"]
    assert twice.stream("imu_wrist").clock_offset_ns == once.stream("imu_wrist").clock_offset_ns
    assert [e.step for e in twice.lineage].count("sync") == 1


def _synthetic(imu: np.ndarray, keypoints: np.ndarray, rate_hz: float = 100.0) -> EpisodeData:  # type: ignore[type-arg]
    ts = T0 + (np.arange(len(imu)) * 1e9 / rate_hz).astype(np.int64)
    gyro, points = NumericData(ts, imu), NumericData(ts, keypoints)
    streams: list[tuple[Stream, Payload]] = [
        (numeric_stream("s1", gyro, ["gyro_x", "gyro_y", "gyro_z"], role="imu"), gyro),
        (numeric_stream("s2", points, ["wrist_x", "wrist_y", "wrist_z"], role="hand_keypoints"), points),
    ]
    from robofuel.ingest.base import ReadContext as Ctx

    return make_episode(Ctx(path=Path("/data/synthetic"), sha256="b" * 64), "wearable", 0, streams)


def test_pure_noise_gives_low_confidence_and_no_correction() -> None:
    rng = np.random.default_rng(5)
    data = _synthetic(rng.normal(size=(1500, 3)), rng.normal(size=(1500, 3)))
    out = Sync().run(data)
    (pair,) = out.report.values["pairs"]
    assert pair["confidence"] < 0.15
    assert not pair["applied"]
    assert all(s.clock_offset_ns == 0 for s in out.meta.streams)
    judged = Qc().run(EpisodeData(out.meta, data.payloads)).meta
    assert not [f for f in judged.findings if f.code.startswith("timing.")]


def test_synthetic_shift_is_found_in_both_directions() -> None:
    """Wrist moving in bursts; the IMU's angular rate follows its speed, shifted by +-60 ms."""
    t = np.arange(1500) / 100.0
    pos = np.cumsum(np.clip(np.sin(1.3 * t) * np.sin(0.37 * t), 0, None))[:, None] * [0.01, 0.005, 0.0]
    for shift_s in (0.06, -0.06):
        gyro_speed = np.interp(t - shift_s, t, np.gradient(pos[:, 0], t))
        imu = np.stack([gyro_speed, 0 * t, 0 * t], axis=1)
        (pair,) = Sync().run(_synthetic(imu, pos)).report.values["pairs"]
        assert pair["lag_s"] == pytest.approx(shift_s, abs=0.006)
        assert pair["applied"]


def test_pairs_are_found_by_role_not_name(generated: dict[str, EpisodeData]) -> None:
    data = generated["teleop_clean"]
    renamed = [s.model_copy(update={"name": f"stream{i}"}) for i, s in enumerate(data.meta.streams)]
    payloads = {f"stream{i}": data.payloads[s.name] for i, s in enumerate(data.meta.streams)}
    (pair,) = candidate_pairs(renamed, payloads)
    assert (pair.sensor.role, pair.reference.role, pair.kind) == ("wrench", "gripper_joint", "contact")
    assert pair.reference_signal.kind == "grip_change"


def test_estimate_lag_at_the_window_edge_has_no_confidence() -> None:
    """A shift beyond the searched lags shows as a correlation still rising at the edge: no estimate."""
    x = np.convolve(np.random.default_rng(2).normal(size=1200), np.ones(40) / 40, mode="same")
    est = estimate_lag(x[100:], x[20:-80], 0.01, 0.5)  # the sensor is 0.8 s late, the window +-0.5 s
    assert est.confidence == 0.0
    assert estimate_lag(x[100:], x[70:-30], 0.01, 0.5).lag_s == pytest.approx(0.3, abs=0.005)


def test_qc_flags_an_unresolved_offset(generated: dict[str, EpisodeData]) -> None:
    data = generated["wearable_clean"]
    pair = {"sensor": "imu_wrist", "reference": "hand_keypoints", "lag_s": 0.12, "applied": False}
    for confidence, expected in ((0.2, ["timing.unresolved_clock_offset"]), (0.05, []), (0.9, [])):
        applied = confidence > 0.5
        meta = data.meta.model_copy(
            update={"calibration": {"sync": {"pairs": [{**pair, "confidence": confidence, "applied": applied}]}}}
        )
        judged = Qc().run(EpisodeData(meta, data.payloads)).meta
        assert [f.code for f in judged.findings if f.code.startswith("timing.")] == expected


def test_sync_is_registered() -> None:
    assert isinstance(get_step("sync"), Sync)
    with pytest.raises(InputError, match="step sync: nope: unknown key; use one of: rate_hz"):
        get_step("sync", {"nope": 1})


def test_a_single_motion_event_gives_no_trusted_lag(tmp_path: Path) -> None:
    """A recording cut after the grasp holds one event: the lag its asymmetric shape gives is not the clocks'."""
    from robofuel.steps.sync.lag import count_events

    dt = 0.005
    t = np.arange(0, 10, dt)
    one = np.exp(-(((t - 3.0) / 0.2) ** 2))
    two = one + np.exp(-(((t - 7.0) / 0.2) ** 2))
    assert count_events(one, dt, 1.0) == 1 and count_events(two, dt, 1.0) == 2
    assert count_events(np.zeros_like(t), dt, 1.0) == 0
    cut = _read(generate_teleop(tmp_path, "cut", seed=2005, faults=["truncated_file"]).path, "mcap")
    pair = _pair(cut)
    assert pair["events"] <= 1 and pair["confidence"] == 0.0 and not pair["applied"]
    assert _sync_findings(cut) == []
