"""The hdf5 reader (any layout): time found or named by the mapping, streams, float32 time, refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robofuel.errors import UnreadableRecording
from robofuel.ingest import ReadContext, ReadResult, detect, get_reader
from robofuel.ingest.mapping.apply import apply_mapping, load_mapping
from robofuel.standard import Severity

h5py = pytest.importorskip("h5py")
SHA = "e" * 64
T0 = 1_700_000_000_000_000_000


def read(path: Path, mapping_text: str | None = None, **metadata: str) -> ReadResult:
    mapping = None
    if mapping_text is not None:
        (path.parent / "map.toml").write_text(mapping_text)
        mapping = load_mapping(path.parent / "map.toml")
    ctx = ReadContext(path, SHA, dict(metadata), mapping)
    result = get_reader("hdf5").read(path, ctx)
    return apply_mapping(result, mapping, ctx) if mapping is not None else result


def test_a_time_dataset_beside_its_data_is_found_without_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "log.h5"
    with h5py.File(path, "w") as h:
        h["sensors/timestamp_ns"] = T0 + np.arange(5, dtype=np.int64) * 10_000_000
        h["sensors/imu"] = np.arange(30, dtype=np.float32).reshape(5, 6)
        h["sensors/temp"] = np.full(5, 21.5)
        h["camera/frames"] = np.zeros((5, 4, 4, 3), dtype=np.uint8)
        h["calib"] = np.eye(3)
    assert detect(path).name == "hdf5"  # type: ignore[union-attr]
    result = read(path)
    (ep,) = result.episodes
    assert {s.name for s in ep.meta.streams} == {"sensors.imu", "sensors.temp"}
    imu = ep.numeric("sensors.imu")
    assert imu.timestamps_ns.tolist() == [T0 + i * 10_000_000 for i in range(5)] and imu.values.shape == (5, 6)
    assert ep.meta.streams[0].columns[:2] == ["imu[0]", "imu[1]"] or ep.meta.streams[1].columns[:2] == [
        "imu[0]",
        "imu[1]",
    ]
    assert result.report.skipped["dataset camera/frames: shape (5, 4, 4, 3) uint8"] == 5
    assert result.report.skipped["dataset calib: 3 rows for 5 times"] == 3
    assert ep.meta.extra["table"]["time_unit"] == "ns" and ep.meta.extra["time_base"] == "unix"


def test_the_mapping_names_time_unit_and_streams(tmp_path: Path) -> None:
    path = tmp_path / "ft.hdf5"
    with h5py.File(path, "w") as h:
        h["log/clock"] = np.array([0.0, 0.001, 0.002])
        h["log/force"] = np.ones((3, 3))
        h["log/torque"] = np.zeros((3, 3))
    mapping = """
[table]
time = "/log/clock"
time_unit = "s"
[table.streams]
wrench = ["/log/force", "/log/torque", "/log/nothing"]
[[streams]]
name = "wrench"
role = "wrench"
"""
    result = read(path, mapping)
    (ep,) = result.episodes
    (stream,) = ep.meta.streams
    assert (
        stream.name == "wrench"
        and stream.role == "wrench"
        and stream.columns == ["force[0]", "force[1]", "force[2]", "torque[0]", "torque[1]", "torque[2]"]
    )
    assert ep.numeric("wrench").timestamps_ns.tolist() == [0, 1_000_000, 2_000_000]
    assert any(f.code == "mapping.unmatched" for f in result.report.findings)


def test_float32_epoch_seconds_are_a_blocking_timing_finding(tmp_path: Path) -> None:
    path = tmp_path / "f32.h5"
    with h5py.File(path, "w") as h:
        h["time"] = (1.7e9 + np.arange(100) * 0.01).astype(np.float32)
        h["time"].attrs["units"] = "s"
        h["x"] = np.arange(100.0)
    result = read(path)
    finding = next(f for f in result.report.findings if f.code == "timing.float32_timestamps")
    assert finding.severity is Severity.blocking and finding.value == 128.0
    assert "float32" in finding.message


def test_float32_relative_seconds_keep_microseconds_and_say_nothing(tmp_path: Path) -> None:
    path = tmp_path / "rel.h5"
    with h5py.File(path, "w") as h:
        h["t"] = (np.arange(100) * 0.01).astype(np.float32)
        h["x"] = np.arange(100.0)
    result = read(path)
    assert not any(f.code == "timing.float32_timestamps" for f in result.report.findings)


def test_an_unknown_layout_is_refused_with_its_datasets_and_rate_hz_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "odd.h5"
    with h5py.File(path, "w") as h:
        h["a/b"] = np.arange(4.0)
        h["a/c"] = np.arange(8.0).reshape(4, 2)
    with pytest.raises(UnreadableRecording, match="HDF5 opened; layout not recognised") as err:
        read(path)
    assert "a/b (4,) float64" in str(err.value) and "mapping" in str(err.value)
    (ep,) = read(path, rate_hz="2").episodes
    assert ep.numeric("a.b").timestamps_ns.tolist() == [0, 500_000_000, 1_000_000_000, 1_500_000_000]


def test_known_hdf5_layouts_keep_their_readers(shared_data: Path) -> None:
    path = shared_data / "robosuite" / "lift_demo.hdf5"
    assert detect(path).name == "hdf5-robomimic"  # type: ignore[union-attr]


def test_table_episodes_makes_one_episode_per_group_in_natural_order(tmp_path: Path) -> None:
    path = tmp_path / "demos.h5"
    with h5py.File(path, "w") as h:
        for i in (0, 2, 10):
            h[f"demo_{i}/obs"] = np.full((4, 2), float(i))
            h[f"demo_{i}/action"] = np.arange(4.0)
        h["meta/info"] = np.zeros(3)
    result = read(path, '[table]\nepisodes = "demo_*"\nrate_hz = 10.0\n')
    assert [ep.meta.extra["hdf5_group"] for ep in result.episodes] == ["demo_0", "demo_2", "demo_10"]
    assert [ep.meta.recording.index for ep in result.episodes] == [0, 1, 2]
    last = result.episodes[2]
    assert last.numeric("obs").values[0].tolist() == [10.0, 10.0] and last.meta.streams[0].source == "demo_10/action"
    assert last.numeric("obs").timestamps_ns.tolist() == [0, 100_000_000, 200_000_000, 300_000_000]
    with pytest.raises(UnreadableRecording, match="no group matches"):
        read(path, '[table]\nepisodes = "episode_*"\nrate_hz = 10.0\n')
