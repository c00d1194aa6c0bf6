"""The PX4 ULog reader on the real flight log of ../shared/data and on minimal logs written byte by byte: topics and
their instances, units, quaternions w first, logged strings, parameters, dropouts, and damaged files."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fuzzing import EXAMPLES, Change, mutate, mutations
from hypothesis import HealthCheck, given, seed, settings
from ulog_files import ULogFile, flight, key, message, telemetry_flight

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.ingest.registry import detect
from robofuel.standard import EpisodeData, EventsData, Severity
from robofuel.steps import build_pipeline


def _write(tmp_path: Path, data: bytes, name: str = "log.ulg") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_real_flight_log(shared_data: Path) -> None:
    path = shared_data / "px4_ulog/test.ulg"
    assert detect(path).name == "ulog"  # type: ignore[union-attr]
    result = read(path, "ulog")
    (ep,) = result.episodes
    imu = ep.meta.stream("sensor_combined")
    assert imu.role == "imu" and imu.count == 1737 and imu.measured_rate_hz == pytest.approx(200, rel=0.02)
    assert imu.column_units["gyro_rad[0]"] == "rad/s" and imu.column_units["accelerometer_m_s2[2]"] == "m/s^2"
    accel = ep.numeric("sensor_combined").values[:, imu.columns.index("accelerometer_m_s2[2]")]
    assert -11 < np.median(accel) < -8.5  # gravity, in m/s^2, on the z axis of a vehicle standing FRD
    att = ep.meta.stream("vehicle_attitude")
    assert att.quaternion_order == "wxyz" and att.columns[1:5] == ["q.w", "q.x", "q.y", "q.z"]
    q = ep.numeric("vehicle_attitude").values[:, 1:5]
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-3)
    assert {"sensor_accel", "sensor_accel.1", "sensor_gyro.1"} <= {s.name for s in ep.meta.streams}
    mag = ep.meta.stream("sensor_mag")
    assert mag.column_units["x"] == "T" and ep.meta.extra["units_converted"]["sensor_mag"]["x"] == "gauss -> T"
    log = ep.payloads["ulog.log"]
    assert isinstance(log, EventsData) and len(log.timestamps_ns) == 14 and log.fields["level"][0] == "INFO"
    assert ep.meta.extra["ulog"]["info"]["ver_hw"] == "PX4_FMU_V5" and len(ep.meta.extra["ulog"]["parameters"]) > 800
    assert not [f for f in ep.meta.findings if f.severity is Severity.blocking]
    assert 9 < ep.meta.duration_s < 11  # one-shot topics with old stamps (latched states) do not stretch it


def test_topics_instances_units_and_metadata(tmp_path: Path) -> None:
    path = _write(tmp_path, bytes(flight()))
    assert detect(path).name == "ulog"  # type: ignore[union-attr]
    result = read(path, "ulog")
    (ep,) = result.episodes
    accel, second = ep.meta.stream("sensor_accel"), ep.meta.stream("sensor_accel.1")
    assert accel.columns == ["device_id", "x", "y", "z", "temperature"] and accel.count == second.count == 50
    assert accel.column_units == {"x": "m/s^2", "y": "m/s^2", "z": "m/s^2", "temperature": "degC"}
    data = ep.numeric("sensor_accel")
    assert data.timestamps_ns[0] == 1_000_000_000 and np.diff(data.timestamps_ns)[0] == 100_000_000
    assert data.values[3, 1] == pytest.approx(0.3)  # odd rows left out their trailing padding: still read
    assert ep.meta.stream("vehicle_attitude").quaternion_order == "wxyz"
    nested = ep.meta.stream("nested_status")
    assert nested.columns == ["pair[0].x", "pair[0].y", "pair[1].x", "pair[1].y", "flags"]  # char[4] left out
    assert ep.numeric("nested_status").values[0].tolist() == [1.0, 2.0, 3.0, 4.0, 3.0]
    log = ep.payloads["ulog.log"]
    assert isinstance(log, EventsData) and log.fields["level"] == ["INFO", "WARNING"]
    assert log.fields["text"][1] == "[commander] Disarmed"
    extra = ep.meta.extra["ulog"]
    assert extra["info"] == {"sys_name": "PX4", "ver_hw": "TEST_BOARD"}
    assert extra["parameters"] == {"MC_ROLL_P": 6.5, "SYS_AUTOSTART": 4001}
    assert ep.meta.findings == [] and result.report.recovered is None


def test_messages_stamped_zero_are_left_out_and_said(tmp_path: Path) -> None:
    f = flight(n=10).accel(1, 0, (5.0, 5.0, 5.0)).accel(1, 0, (6.0, 6.0, 6.0))
    ep = read(_write(tmp_path, bytes(f)), "ulog").episodes[0]
    (finding,) = ep.meta.findings
    assert finding.code == "timing.time_zero" and finding.stream == "sensor_accel.1" and finding.value == 2
    assert ep.meta.stream("sensor_accel.1").count == 10 and ep.meta.start_ns == 1_000_000_000


def test_parameter_changes_in_flight(tmp_path: Path) -> None:
    f = flight(n=10)
    for value, t in ((7.0, 2_300_000), (6.5, 2_600_000)):
        f.accel(0, t, (0.0, 0.0, -9.81)).parts.append(message("P", key("float", "MC_ROLL_P", struct.pack("<f", value))))
    ep = read(_write(tmp_path, bytes(f)), "ulog").episodes[0]
    extra = ep.meta.extra["ulog"]
    assert extra["parameters"]["MC_ROLL_P"] == 6.5  # the value the flight started with
    changes = [(c["name"], c["value"], round(c["t_s"], 3)) for c in extra["parameter_changes"]]
    assert changes == [("MC_ROLL_P", 7.0, 1.3), ("MC_ROLL_P", 6.5, 1.6)]  # back to its first value: a change too


def test_dropouts_are_a_timing_finding(tmp_path: Path) -> None:
    ep = read(_write(tmp_path, bytes(flight(dropout=True))), "ulog").episodes[0]
    (finding,) = ep.meta.findings
    assert finding.code == "timing.dropout" and finding.value == pytest.approx(0.25)
    assert finding.start_s == pytest.approx(2.5, abs=0.01)


def test_cut_file_keeps_what_came_before(tmp_path: Path) -> None:
    data = bytes(flight())
    result = read(_write(tmp_path, data[:-40]), "ulog")
    (ep,) = result.episodes
    assert [f.code for f in ep.meta.findings] == ["ingest.truncated"]
    assert ep.meta.findings[0].severity is Severity.blocking and "ends inside" in ep.meta.findings[0].message
    assert ep.meta.stream("sensor_accel").count == 50 and ep.meta.stream("vehicle_attitude").count >= 49


def test_damage_is_skipped_to_the_next_sync_marker(tmp_path: Path) -> None:
    good = flight(n=20)
    parts = good.parts
    at = next(i for i, p in enumerate(parts) if p[2:3] == b"D") + 8
    parts.insert(at, b"\xff" * 37)  # garbage: not a message type
    ep = read(_write(tmp_path, bytes(good)), "ulog").episodes[0]
    (finding,) = ep.meta.findings
    assert finding.code == "ingest.corrupt_record" and finding.severity is Severity.blocking
    assert 0 < ep.meta.stream("sensor_accel").count < 20  # read again after the first sync marker
    assert ep.numeric("sensor_accel").timestamps_ns[-1] == 1_000_000_000 + 19 * 100_000_000


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"ULog\x01\x12\x35\x01\x00", "ends inside its 16-byte header"),
        (bytes(flight())[:200], "no logged data"),
    ],
)
def test_unreadable_files_exit_2_with_a_message(cli: Any, tmp_path: Path, data: bytes, problem: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(UnreadableRecording, match=problem):
        read(path, "ulog")
    result = cli("ingest", str(path), "--lake", str(tmp_path / "lake"))
    out = " ".join(result.out.split())
    assert result.code == 2 and "quarantined" in out and problem in out and "Traceback" not in result.err


def _judged(path: Path) -> Any:
    (data,) = read(path, "ulog").episodes
    for step in build_pipeline(["profile", "qc", "clean"]):
        out = step.run(data)
        data = EpisodeData(out.meta, {**data.payloads, **(out.payloads or {})})
    return data


def test_real_flight_log_is_not_rejected(shared_data: Path) -> None:
    """Autopilot telemetry (estimator status published on change, NaN until valid) asks for review, is neither
    repaired nor split at; a topic logged at 1 Hz may end up to 1 s before the others; PX4's gyro_integral_dt (us)
    is not an angular rate."""
    data = _judged(shared_data / "px4_ulog/test.ulg")
    meta = data.meta
    roles = {s.name: s.role for s in meta.streams}
    assert meta.verdict != "rejected", [f for f in meta.findings if f.severity is Severity.blocking]
    assert roles["estimator_status"] == "telemetry" and roles["sensor_combined"] == "imu"
    codes = {(f.code, f.stream) for f in meta.findings}
    assert ("signal.unit_degrees", "sensor_combined") not in codes
    assert ("completeness.stream_ends_early", "sensor_mag") not in codes
    assert not [f for f in meta.findings if f.code.startswith("clean.") and roles.get(f.stream or "") == "telemetry"]
    assert meta.kept is not None and meta.kept.end_s - meta.kept.start_s == pytest.approx(meta.duration_s, rel=0.01)


@seed(20261207)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations())
def test_mutated_logs_give_episodes_or_a_clean_error(tmp_path: Path, change: Change) -> None:
    path = _write(tmp_path, mutate(bytes(flight(n=20, dropout=True)), *change))
    try:
        result = read(path, "ulog")
    except UnreadableRecording as exc:
        assert str(path) in str(exc)
        return
    assert result.episodes


def test_telemetry_asks_review_and_is_not_cut_at(tmp_path: Path) -> None:
    """On-change telemetry with NaN and a 3 s silence neither rejects nor splits the episode; a 1 Hz barometer may
    end up to 1 s before the others; gyro_integral_dt (us) is not read as an angular rate."""
    data = _judged(_write(tmp_path, bytes(telemetry_flight())))
    meta = data.meta
    codes = {(f.code, f.stream) for f in meta.findings}
    assert meta.verdict == "needs_review", [f for f in meta.findings if f.severity is Severity.blocking]
    assert ("timing.gap", "estimator_status") in codes and ("signal.non_finite", "estimator_status") in codes
    assert not [c for c, _ in codes if c in ("clean.split", "clean.gap_repaired", "clean.non_finite_repaired")]
    assert ("completeness.stream_ends_early", "sensor_baro") not in codes
    assert ("signal.unit_degrees", "sensor_combined") not in codes
    assert meta.kept is not None and meta.kept.end_s - meta.kept.start_s == pytest.approx(meta.duration_s, rel=0.01)
    assert np.isnan(data.numeric("estimator_status").values[:20, 0]).all()  # left as recorded


def _flagged(incompat: bytes, appended: int = 0) -> ULogFile:
    f = flight(n=10)
    f.parts[0] = message("B", bytes(8) + incompat + struct.pack("<3Q", appended, 0, 0))
    return f


def test_appended_data_after_a_cut_message_is_read(tmp_path: Path) -> None:
    """PX4 appends data (flag bits: incompat bit 0, offsets) after a section that may end inside a message."""
    f = _flagged(b"\x01" + bytes(7))
    cut = f.parts[-1][:5]  # a logged string cut short where the appended data begins
    f.parts[-1] = cut
    offset = len(bytes(f))
    f.accel(0, 3_000_000, (1.0, 2.0, 3.0))
    f.parts[0] = message("B", bytes(8) + b"\x01" + bytes(7) + struct.pack("<3Q", offset, 0, 0))
    ep = read(_write(tmp_path, bytes(f)), "ulog").episodes[0]
    assert ep.meta.stream("sensor_accel").count == 11 and ep.numeric("sensor_accel").values[-1, 1] == 1.0
    assert ep.meta.findings == []


def test_unknown_incompatible_flags_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UnreadableRecording, match="incompatible flags 0200000000000000"):
        read(_write(tmp_path, bytes(_flagged(b"\x02" + bytes(7)))), "ulog")
