"""The wearable reader on generated captures (layout of docs/formats/wearable.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.generate import GeneratedRecording, generate_wearable
from robofuel.ingest import detect
from robofuel.standard import AudioData, NumericData, VideoData


def test_every_stream_is_read_exactly(wearable_rec: GeneratedRecording) -> None:
    assert detect(wearable_rec.path) is not None and detect(wearable_rec.path).name == "wearable"  # type: ignore[union-attr]
    (ep,) = read(wearable_rec.path, "wearable").episodes
    names = {s.name: s for s in ep.meta.streams}
    assert set(names) == {"imu_wrist", "hand_keypoints", "glove_pressure", "ego", "audio"}
    imu = ep.payloads["imu_wrist"]
    assert isinstance(imu, NumericData)
    raw = np.loadtxt(wearable_rec.path / "imu_wrist.csv", delimiter=",", skiprows=1, dtype=np.float64)
    first_line = (wearable_rec.path / "imu_wrist.csv").read_text().split("\n")[1]
    assert imu.timestamps_ns[0] == int(first_line.split(",")[0])  # exact int64, not via float
    np.testing.assert_array_equal(imu.values, raw[:, 1:])
    assert names["imu_wrist"].column_units["gyro_x"] == "rad/s" and names["imu_wrist"].frame == "imu"
    assert names["hand_keypoints"].columns[:3] == ["wrist_x", "wrist_y", "wrist_z"]
    assert names["hand_keypoints"].measured_rate_hz == pytest.approx(30, rel=0.01)
    video = ep.payloads["ego"]
    assert isinstance(video, VideoData) and video.file is not None and video.codec == "h264"
    audio = ep.payloads["audio"]
    assert isinstance(audio, AudioData) and audio.sample_rate == 16000
    session = json.loads((wearable_rec.path / "session.json").read_text())
    assert (ep.meta.operator, ep.meta.station, ep.meta.consent) == (session["operator"], session["station"], True)
    assert ep.meta.embodiment == "human_hand_21" and ep.meta.task.id == "pick_place.part"


def test_missing_stream_and_truncated_csv_are_findings(tmp_path: Path) -> None:
    rec = generate_wearable(tmp_path, "w", seed=3, faults=["missing_stream", "truncated_file"])
    (ep,) = read(rec.path, "wearable").episodes
    codes = {f.code: f for f in ep.meta.findings}
    assert codes["completeness.missing_stream"].stream == "glove_pressure"
    assert "imu_wrist.csv" in codes["ingest.truncated"].message
    lines = (rec.path / "imu_wrist.csv").read_text().split("\n")
    assert ep.meta.stream("imu_wrist").count == len(lines) - 2  # header and the cut last line


def test_broken_session_json_is_refused_naming_the_file(tmp_path: Path) -> None:
    rec = generate_wearable(tmp_path, "w", seed=4)
    (rec.path / "session.json").write_text("{not json")
    with pytest.raises(UnreadableRecording, match=r"session\.json"):
        read(rec.path, "wearable")
