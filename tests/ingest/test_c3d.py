"""The C3D reader on the real Vicon file of ../shared/data (a Vicon BlueTrident IMU recorded as analog channels) and
on small files written with the c3d package: markers mm -> m, unseen markers missing, analog rate and units, cuts."""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fuzzing import EXAMPLES, Change, mutate, mutations
from hypothesis import HealthCheck, given, seed, settings

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.ingest.registry import detect
from robofuel.standard import Severity

c3d = pytest.importorskip("c3d")
FRAMES = 20
FRAME_BYTES = 2 * 4 * 4 + 5 * 4 * 4  # float: 2 markers x (x, y, z, residual word), 5 channels x 4 samples


def _c3d(path: Path, accel_units: str = "m/s^2") -> Path:
    """20 frames at 100 Hz of two markers (mm; RHEE unseen in frame 5), analog at 400 Hz: force (N), accel.x/y/z,
    and a channel left at 0."""
    writer = c3d.Writer(point_rate=100.0, analog_rate=400.0)
    frames = []
    for i in range(FRAMES):
        points = np.zeros((2, 5), np.float32)
        points[0, :3] = [1000 + i, 2000, 3000]
        points[1, :3] = [10, 20, 30 * i]
        points[1, 3] = -1 if i == 5 else 0
        analog = np.array([[0.5 * i] * 4, [0.0] * 4, [0.0] * 4, [9.81] * 4, [0.0] * 4], np.float32)
        frames.append((points, analog))
    writer.add_frames(frames)
    writer.set_point_labels(["LHEE", "RHEE"])
    writer.set_analog_labels(["force", "accel.x", "accel.y", "accel.z", "unused"])
    units = ["N", accel_units, accel_units, accel_units, "V"]
    writer.analog_group.add_str("UNITS", "units", "".join(u.ljust(6) for u in units), 6, len(units))
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())
    return path


def test_real_vicon_file(shared_data: Path) -> None:
    path = shared_data / "imu_skinematics/LeftFoot-marche01.c3d"
    assert detect(path).name == "c3d"  # type: ignore[union-attr]
    result = read(path, "c3d")
    (ep,) = result.episodes
    analog = ep.meta.stream("analog")
    assert analog.count == 677 * 24 and analog.rate_hz == 1200.0  # 24 analog samples per 50 Hz frame
    # Global Angle and HighG are 0 in every sample: not provided by the device, left out (counted)
    assert analog.columns == [f"{s}.{a}" for s in ("accel", "gyro", "mag") for a in "xyz"]
    assert sum(1 for k in result.report.skipped if "not provided" in k) == 6
    assert analog.column_units["gyro.x"] == "rad/s" and analog.column_units["mag.x"] == "T"
    # accel is labelled mm/s^2 but measures 1 g in m/s^2: kept as recorded, labelled m/s^2, and said
    assert analog.column_units["accel.x"] == "m/s^2"
    (finding,) = ep.meta.findings
    assert finding.code == "ingest.unit_mismatch" and finding.value == pytest.approx(9.8, abs=1.5)
    values = ep.numeric("analog").values
    assert 8 < np.median(np.linalg.norm(values[:, :3], axis=1)) < 12
    assert ep.meta.duration_s == pytest.approx(677 / 50, abs=0.05)
    assert ep.meta.extra["c3d"]["manufacturer"] == "Vicon Vicon Nexus"


def test_markers_in_metres_and_unseen_markers_missing(tmp_path: Path) -> None:
    path = _c3d(tmp_path / "walk.c3d")
    assert detect(path).name == "c3d"  # type: ignore[union-attr]
    ep = read(path, "c3d").episodes[0]
    markers = ep.meta.stream("mocap.markers")
    assert markers.columns == ["LHEE.x", "LHEE.y", "LHEE.z", "RHEE.x", "RHEE.y", "RHEE.z"]
    assert markers.unit == "m" and markers.role == "body_keypoints" and markers.rate_hz == 100.0
    assert ep.meta.extra["units_converted"]["mocap.markers"]["LHEE.x"] == "mm -> m"
    values = ep.numeric("mocap.markers").values
    assert values[3, :3] == pytest.approx([1.003, 2.0, 3.0])
    assert np.isnan(values[5, 3:]).all() and not np.isnan(np.delete(values, 5, axis=0)).any()
    assert ep.numeric("mocap.markers").timestamps_ns[1] == 10_000_000


def test_analog_channels_at_their_rate(tmp_path: Path) -> None:
    result = read(_c3d(tmp_path / "walk.c3d"), "c3d")
    ep = result.episodes[0]
    analog = ep.meta.stream("analog")
    assert analog.columns == ["force", "accel.z"] and analog.count == FRAMES * 4  # x, y and unused are all 0
    assert analog.column_units == {"force": "N", "accel.z": "m/s^2"}
    data = ep.numeric("analog")
    assert np.diff(data.timestamps_ns)[0] == 2_500_000 and data.values[4, 0] == pytest.approx(0.5)
    assert ep.meta.findings == []


def test_declared_millimetres_are_converted(tmp_path: Path) -> None:
    """mm/s^2 that does not measure 1 g as m/s^2 is honoured: converted to m/s^2 (9.81 mm/s^2 = 0.00981 m/s^2)."""
    ep = read(_c3d(tmp_path / "walk.c3d", accel_units="mm/s^2"), "c3d").episodes[0]
    assert ep.numeric("analog").values[0, 1] == pytest.approx(0.00981, rel=1e-4)
    assert ep.meta.extra["units_converted"]["analog"] == {"accel.z": "mm/s^2 -> m/s^2"}


def test_cut_file_keeps_the_frames_there_are(tmp_path: Path) -> None:
    data = _c3d(tmp_path / "walk.c3d").read_bytes()
    start = (struct.unpack_from("<H", data, 16)[0] - 1) * 512  # header word 9: first block of the data section
    path = tmp_path / "cut.c3d"
    path.write_bytes(data[: start + 5 * FRAME_BYTES + 50])  # inside frame 6
    result = read(path, "c3d")
    (ep,) = result.episodes
    (finding,) = ep.meta.findings
    assert finding.code == "ingest.truncated" and finding.severity is Severity.blocking
    assert ep.meta.stream("mocap.markers").count == 5 and "after 5 of the 20 declared frames" in finding.message


@pytest.mark.parametrize(
    ("size", "problem"),
    [(600, "cut inside its parameter section"), (1100, "cut inside its parameter section"), (1700, "first frame")],
)
def test_unreadable_files_exit_2_with_a_message(cli: Any, tmp_path: Path, size: int, problem: str) -> None:
    path = tmp_path / "cut.c3d"
    path.write_bytes(_c3d(tmp_path / "walk.c3d").read_bytes()[:size])
    with pytest.raises(UnreadableRecording, match=problem):
        read(path, "c3d")
    result = cli("ingest", str(path), "--lake", str(tmp_path / "lake"))
    out = " ".join(result.out.split())
    assert result.code == 2 and "quarantined" in out and problem in out and "Traceback" not in result.err


@seed(20261207)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations(max_cut=512))
def test_mutated_files_give_episodes_or_a_clean_error(tmp_path: Path, change: Change) -> None:
    path = tmp_path / "mutated.c3d"
    path.write_bytes(mutate(_c3d(tmp_path / "walk.c3d").read_bytes(), *change))
    try:
        result = read(path, "c3d")
    except UnreadableRecording as exc:
        assert str(path) in str(exc)
        return
    assert result.episodes
