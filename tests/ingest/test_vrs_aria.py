"""The vrs reader: sniffing, the missing extra, and the stream mapping on a stand-in for projectaria-tools' provider.

No Aria VRS file is small and licensed for the repository or ../shared/data; the reader was checked by hand on the
projectaria_tools test recordings (Gen1 and Gen2, see the report of the branch). Here a fake provider with the same
methods stands in, so that the mapping of IMU, magnetometer, barometer, audio, camera, eye gaze and hand streams, the
empty-stream finding and the audio requantization are tested without the 400 MB extra.
"""

from __future__ import annotations

import math
import wave
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest

from robofuel.errors import MissingExtra, UnreadableRecording
from robofuel.ingest import ReadContext, detect, get_reader
from robofuel.ingest.wearable import aria
from robofuel.standard import AudioData, VideoData

SHA = "f" * 64
T0 = 7_385_790_000_000


class FakeProvider:
    """The calls of projectaria-tools' VrsDataProvider the reader makes, over a few made-up records."""

    streams: ClassVar[dict[str, tuple[str, str, int]]] = {
        "1202-1": ("imu-left", "IMU", 4),
        "1203-1": ("mag0", "MAGNETOMETER", 2),
        "247-1": ("baro0", "BAROMETER", 2),
        "231-1": ("mic", "AUDIO", 2),
        "214-1": ("camera-rgb", "IMAGE", 2),
        "1201-1": ("slam-front-left", "IMAGE", 2),
        "373-1": ("eyegaze", "EYE_GAZE", 2),
        "371-1": ("handtracking", "HAND_POSE", 2),
        "281-1": ("gps", "GPS", 0),
        "283-1": ("bluetooth", "BLUETOOTH", 3),
    }

    def get_all_streams(self) -> list[str]:
        return list(self.streams)

    def get_label_from_stream_id(self, sid: str) -> str:
        return self.streams[sid][0]

    def get_sensor_data_type(self, sid: str) -> str:
        return "SensorDataType." + self.streams[sid][1]

    def get_num_data(self, sid: str) -> int:
        return self.streams[sid][2]

    def get_device_version(self) -> str:
        return "Gen2"

    def get_timestamps_ns(self, sid: str, domain: str) -> list[int]:
        assert domain == "device"
        n = self.streams[sid][2]
        return [-1] * n if sid == "283-1" else [T0 + i * 10**8 for i in range(n)]  # Gen2 Bluetooth: -1, unset

    def get_imu_data_by_index(self, sid: str, i: int) -> Any:
        return SimpleNamespace(
            capture_timestamp_ns=T0 + i * 1_250_000,
            accel_msec2=[0.0, 0.0, 9.81],
            accel_valid=True,
            gyro_radsec=[0.1 * i, 0.0, 0.0],
            gyro_valid=i != 3,
            temperature=27.0,
        )

    def get_magnetometer_data_by_index(self, sid: str, i: int) -> Any:
        return SimpleNamespace(capture_timestamp_ns=T0 + i * 10**8, mag_tesla=[2e-5, -5e-5, 1e-5], mag_valid=True)

    def get_barometer_data_by_index(self, sid: str, i: int) -> Any:
        return SimpleNamespace(capture_timestamp_ns=T0 + i * 10**8, pressure=101420.0, temperature=25.0)

    def get_audio_configuration(self, sid: str) -> Any:
        return SimpleNamespace(num_channels=2, sample_rate=48000)

    def get_audio_data_by_index(self, sid: str, i: int) -> Any:
        data = [70000 * (i + 1), -1, 3, 4]  # wider than 16 bits: requantized
        return SimpleNamespace(data=data), SimpleNamespace(capture_timestamps_ns=[T0 + i * 41_667, T0 + i * 41_667])

    def get_image_data_by_index(self, sid: str, i: int) -> Any:
        if sid == "1201-1" and i == 1:
            raise RuntimeError  # a damaged record, as projectaria-tools raises it
        shape = (6, 8, 3) if sid == "214-1" else (6, 8)
        pixels = np.full(shape, 10 * i, dtype=np.uint8)
        return SimpleNamespace(to_numpy_array=lambda: pixels), SimpleNamespace(capture_timestamp_ns=T0 + i * 10**8)

    def get_eye_gaze_data_by_index(self, sid: str, i: int) -> Any:
        return SimpleNamespace(
            tracking_timestamp=timedelta(microseconds=(T0 + i * 10**8) // 1000),
            yaw=0.3,
            pitch=-0.3,
            depth=0.8,
            combined_gaze_valid=True,
        )

    def get_hand_pose_data_by_index(self, sid: str, i: int) -> Any:
        # landmark k at (k, 10 k, 100 k) cm: where each lands after reordering says which Aria landmark it was
        points = [[k / 100, k / 10, float(k)] for k in range(21)]
        left = SimpleNamespace(confidence=0.99, landmark_positions_device=points)
        return SimpleNamespace(
            tracking_timestamp=timedelta(microseconds=(T0 + i * 10**8) // 1000), left_hand=left, right_hand=None
        )


def vrs_file(tmp_path: Path) -> Path:
    path = tmp_path / "rec.vrs"
    path.write_bytes(aria.MAGIC + b"cdrsFile" + b"\x00" * 100)
    return path


def test_streams_of_every_kind_are_mapped_and_empty_ones_reported(tmp_path: Path, monkeypatch: Any) -> None:
    fake = SimpleNamespace(create_vrs_data_provider=lambda path: FakeProvider())
    monkeypatch.setattr(aria, "require", lambda module, extra: fake)
    path = vrs_file(tmp_path)
    assert detect(path).name == "vrs"  # type: ignore[union-attr]
    result = get_reader("vrs").read(path, ReadContext(path, SHA))
    (ep,) = result.episodes
    by_name = {s.name: s for s in ep.meta.streams}
    assert set(by_name) == {
        "imu-left", "mag0", "baro0", "mic", "camera-rgb", "slam-front-left", "eyegaze",
        "handtracking-left", "handtracking-right",
    }  # fmt: skip
    imu = ep.numeric("imu-left")
    assert imu.timestamps_ns[1] - imu.timestamps_ns[0] == 1_250_000 and np.isnan(imu.values[3, 3])
    assert by_name["imu-left"].column_units["gyro_x"] == "rad/s" and by_name["imu-left"].role == "imu"
    assert by_name["mag0"].column_units["mag_x"] == "T" and by_name["baro0"].column_units["pressure"] == "Pa"
    assert by_name["mag0"].role == "magnetic_field" and by_name["baro0"].role == "pressure"
    assert by_name["camera-rgb"].role == "camera_rgb" and by_name["slam-front-left"].role == "camera_mono"
    video = ep.payloads["camera-rgb"]
    assert isinstance(video, VideoData) and video.codec == "png" and (video.width, video.height) == (8, 6)
    audio = ep.payloads["mic"]
    assert isinstance(audio, AudioData) and audio.channels == 2 and audio.count == 4 and audio.start_ns == T0
    assert audio.file is not None and audio.file.parent in result.temp_dirs
    with wave.open(str(audio.file)) as w:  # 70000 and 140000 need 18 bits: shifted by 3
        pcm = np.frombuffer(w.readframes(4), dtype="<i2").reshape(4, 2)
    assert pcm[:, 0].tolist() == [70000 >> 3, 3 >> 3, 140000 >> 3, 3 >> 3] and w.getsampwidth() == 2
    result.cleanup()
    assert not audio.file.exists()
    left, right = ep.numeric("handtracking-left"), ep.numeric("handtracking-right")
    columns = by_name["handtracking-left"].columns
    assert by_name["handtracking-left"].role == "hand_keypoints" and columns[0] == "confidence"
    assert left.values.shape == (2, 1 + 21 * 3) and np.isnan(right.values).all()  # the right hand never tracked
    at = {c: left.values[0, i] for i, c in enumerate(columns)}
    # Aria: fingertips 0-4, wrist 5, thumb 6-7, index 8-10 ..., palm centre 20; no thumb CMC
    assert (at["wrist_x"], at["thumb_tip_x"], at["thumb_mcp_x"], at["index_tip_x"]) == (0.05, 0.0, 0.06, 0.01)
    assert (at["index_mcp_y"], at["pinky_dip_z"], at["palm_center_z"]) == (0.8, 19.0, 20.0)
    assert "thumb_cmc_x" not in at
    assert ep.numeric("eyegaze").timestamps_ns[0] == T0
    assert by_name["slam-front-left"].count == 1 and by_name["camera-rgb"].count == 2
    codes = {f.code: f.message for f in result.report.findings}
    assert "1 of 2 frames do not decode" in codes["ingest.undecodable"]
    assert "gps" in codes["completeness.empty_stream"] and "ingest.audio_requantized" in codes
    assert result.report.skipped["bluetooth (BLUETOOTH): not read"] == 3


def test_without_the_extra_the_message_names_it(tmp_path: Path, monkeypatch: Any) -> None:
    def missing(module: str, extra: str) -> Any:
        raise MissingExtra(module, extra)

    monkeypatch.setattr(aria, "require", missing)
    path = vrs_file(tmp_path)
    with pytest.raises(UnreadableRecording, match=r"pip install 'robofuel\[aria\]'") as err:
        get_reader("vrs").read(path, ReadContext(path, SHA))
    assert str(path) in str(err.value)


def test_sniff_is_by_magic_only(tmp_path: Path) -> None:
    vrs = get_reader("vrs")
    assert vrs.sniff(vrs_file(tmp_path))
    (tmp_path / "other.vrs").write_bytes(b"not a vrs file")
    assert not vrs.sniff(tmp_path / "other.vrs") and not vrs.sniff(tmp_path) and not vrs.sniff(tmp_path / "none")


def test_a_damaged_vrs_file_is_refused_cleanly(tmp_path: Path) -> None:
    pytest.importorskip("projectaria_tools.core.data_provider")
    path = vrs_file(tmp_path)
    with pytest.raises(UnreadableRecording) as err:
        get_reader("vrs").read(path, ReadContext(path, SHA))
    assert str(path) in str(err.value)


def test_records_stamped_before_device_time_zero_are_named_read_or_not(tmp_path: Path, monkeypatch: Any) -> None:
    """The Gen2 unit-test sequence stamps all 56 Bluetooth scans -1 ns: a timing.time_zero warning with the count,
    though the stream is not read; streams with valid times get none."""
    fake = SimpleNamespace(
        create_vrs_data_provider=lambda path: FakeProvider(), TimeDomain=SimpleNamespace(DEVICE_TIME="device")
    )
    monkeypatch.setattr(aria, "require", lambda module, extra: fake)
    path = vrs_file(tmp_path)
    result = get_reader("vrs").read(path, ReadContext(path, SHA))
    (zero,) = [f for f in result.report.findings if f.code == "timing.time_zero"]
    assert (zero.stream, zero.value, zero.severity.value) == ("bluetooth", 3.0, "warning")
    assert "3 of 3 records stamped at or before device time 0 (first -1 ns)" in zero.message
    assert any(f.code == "timing.time_zero" for f in result.episodes[0].meta.findings)
    result.cleanup()


class NoTemperatureProvider(FakeProvider):
    """Glasses whose IMU does not measure temperature: NaN in every record (the real ADT and AEA sequences)."""

    def get_imu_data_by_index(self, sid: str, i: int) -> Any:
        return SimpleNamespace(**{**vars(super().get_imu_data_by_index(sid, i)), "temperature": math.nan})


def test_a_channel_the_device_does_not_measure_is_left_out(tmp_path: Path, monkeypatch: Any) -> None:
    """A temperature NaN in every IMU record is not provided, not a signal full of NaN (which QC rejected every
    real Aria recording for); NaN in some records stays, and the hand that is never tracked keeps its columns."""
    fake = SimpleNamespace(create_vrs_data_provider=lambda path: NoTemperatureProvider())
    monkeypatch.setattr(aria, "require", lambda module, extra: fake)
    path = vrs_file(tmp_path)
    result = get_reader("vrs").read(path, ReadContext(path, SHA))
    (ep,) = result.episodes
    imu = ep.meta.stream("imu-left")
    assert imu.columns == ["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z"]
    assert "temperature" not in imu.column_units and np.isnan(ep.numeric("imu-left").values[3, 3])
    assert result.report.skipped["imu-left.temperature (not provided: NaN in every record)"] == 4
    assert ep.numeric("handtracking-right").values.shape == (2, 64)
    result.cleanup()


def test_mps_hand_tracking_beside_the_file_becomes_two_hand_streams(tmp_path: Path, monkeypatch: Any) -> None:
    """Aria's Machine Perception Services write hand tracking next to the recording; its landmarks are reordered
    like the on-device ones (here only the right hand is tracked, in the second result)."""
    provider = FakeProvider()
    points = [[k / 100, k / 10, float(k)] for k in range(21)]
    right = SimpleNamespace(confidence=0.7, landmark_positions_device=points)
    results = [
        SimpleNamespace(tracking_timestamp=timedelta(microseconds=(T0 + i * 10**7) // 1000), left_hand=None,
                        right_hand=right if i == 1 else None)
        for i in range(3)
    ]  # fmt: skip
    fake = SimpleNamespace(create_vrs_data_provider=lambda path: provider, read_hand_tracking_results=lambda p: results)
    monkeypatch.setattr(aria, "require", lambda module, extra: fake)
    path = vrs_file(tmp_path)
    mps = tmp_path / "mps" / "hand_tracking"
    mps.mkdir(parents=True)
    (mps / "hand_tracking_results.csv").write_text("tracking_timestamp_us\n")
    result = get_reader("vrs").read(path, ReadContext(path, SHA))
    (ep,) = result.episodes
    hands = ep.numeric("mps-hands-right")
    cols = ep.meta.stream("mps-hands-right").columns
    assert hands.values.shape == (3, 64) and np.isnan(hands.values[0]).all()
    assert hands.values[1, cols.index("confidence")] == 0.7 and hands.values[1, cols.index("wrist_z")] == 5.0
    assert ep.meta.stream("mps-hands-left").role == "hand_keypoints"
    assert ep.meta.extra["mps_hand_tracking"].endswith("hand_tracking_results.csv")
    result.cleanup()


def test_mps_hand_tracking_with_the_trajectory_beside_it_is_also_in_the_world_frame(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """With ``trajectory/closed_loop_trajectory.csv`` beside ``hand_tracking/``, each MPS hand stream also comes as
    ``<name>-world``: here the glasses stand 1 m along world x, unrotated, when the right hand is tracked."""
    provider = FakeProvider()
    points = [[k / 100, k / 10, float(k)] for k in range(21)]
    t_us = (T0 + 10**7) // 1000
    right = SimpleNamespace(confidence=0.7, landmark_positions_device=points)
    results = [SimpleNamespace(tracking_timestamp=timedelta(microseconds=t_us), left_hand=None, right_hand=right)]
    fake = SimpleNamespace(create_vrs_data_provider=lambda path: provider, read_hand_tracking_results=lambda p: results)
    monkeypatch.setattr(aria, "require", lambda module, extra: fake)
    path = vrs_file(tmp_path)
    (tmp_path / "mps" / "hand_tracking").mkdir(parents=True)
    (tmp_path / "mps" / "hand_tracking" / "hand_tracking_results.csv").write_text("tracking_timestamp_us\n")
    (tmp_path / "mps" / "trajectory").mkdir()
    header = "graph_uid,tracking_timestamp_us," + ",".join(f"t{a}_world_device" for a in "xyz")
    header += "," + ",".join(f"q{a}_world_device" for a in "xyzw")
    (tmp_path / "mps" / "trajectory" / "closed_loop_trajectory.csv").write_text(f"{header}\ng,{t_us},1,0,0,0,0,0,1\n")
    result = get_reader("vrs").read(path, ReadContext(path, SHA))
    (ep,) = result.episodes
    world = ep.numeric("mps-hands-right-world")
    cols = ep.meta.stream("mps-hands-right-world").columns
    assert ep.meta.stream("mps-hands-right-world").frame == "world"
    assert world.values[0, cols.index("wrist_x")] == pytest.approx(points[5][0] + 1.0)  # Aria's wrist: landmark 5
    assert world.values[0, cols.index("confidence")] == 0.7
    assert "mps-hands-left-world" in {s.name for s in ep.meta.streams}
    assert ep.meta.extra["mps_closed_loop_trajectory"].endswith("closed_loop_trajectory.csv")
    result.cleanup()


def test_mps_wrist_and_palm_poses_beside_the_file_become_two_wrist_pose_streams(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """``wrist_and_palm_poses.csv`` in the MPS ``hand_tracking`` folder (here without the results file) is read too."""
    provider = FakeProvider()
    monkeypatch.setattr(
        aria, "require", lambda module, extra: SimpleNamespace(create_vrs_data_provider=lambda p: provider)
    )
    path = vrs_file(tmp_path)
    mps = tmp_path / f"mps_{path.stem}_vrs" / "hand_tracking"
    mps.mkdir(parents=True)
    header = "tracking_timestamp_us,left_tracking_confidence," + ",".join(
        f"t{a}_left_{part}_device" for part in ("wrist", "palm") for a in "xyz"
    )
    (mps / "wrist_and_palm_poses.csv").write_text(f"{header}\n100,0.9,0,0,0,0,0,0.1\n200,-1,0,0,0,0,0,0\n")
    result = get_reader("vrs").read(path, ReadContext(path, SHA))
    (ep,) = result.episodes
    left = ep.numeric("mps-wrist-palm-left")
    cols = ep.meta.stream("mps-wrist-palm-left").columns
    assert left.timestamps_ns.tolist() == [100_000, 200_000] and ep.meta.stream("mps-wrist-palm-right").count == 2
    assert left.values[0, cols.index("palm_z")] == 0.1 and np.isnan(left.values[0, cols.index("qw")])  # no normals
    assert np.isnan(left.values[1]).all()
    assert ep.meta.extra["mps_wrist_and_palm_poses"].endswith("wrist_and_palm_poses.csv")
    result.cleanup()
