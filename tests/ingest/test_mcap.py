"""The MCAP reader on generated recordings (ground truth known) and on third-party files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from mcap.reader import make_reader
from mcap.writer import Writer

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.generate import GeneratedRecording, generate_teleop
from robofuel.lake import Lake, load_episode, write_episode
from robofuel.standard import NumericData, VideoData


def _summary_counts(path: Path) -> dict[str, int]:
    with open(path, "rb") as f:
        summary = make_reader(f).get_summary()
    assert summary is not None and summary.statistics is not None
    return {c.topic: summary.statistics.channel_message_counts.get(i, 0) for i, c in summary.channels.items()}


def test_generated_teleop_reads_completely(teleop_rec: GeneratedRecording) -> None:
    result = read(teleop_rec.path, "mcap")
    (ep,) = result.episodes
    streams = {s.name: s for s in ep.meta.streams}
    counts = _summary_counts(teleop_rec.path)
    assert {s.source: s.count for s in streams.values()} == counts  # every message the index declares
    joints = streams["joint_states"]
    assert joints.role == "joint_position" and joints.columns[:2] == ["panda_joint1.position", "panda_joint2.position"]
    assert len(joints.columns) == 21 and joints.measured_rate_hz == pytest.approx(250, rel=0.01)
    wrench = streams["ft_sensor.wrench"]
    assert (wrench.role, wrench.frame, wrench.column_units["torque.z"]) == ("wrench", "panda_hand", "N m")
    assert streams["franka_gripper.joint_states"].role == "gripper_joint"
    video = streams["camera.front.video"]
    assert (video.codec, video.width, video.height, video.storage.value) == ("h264", 320, 240, "video-packets")
    assert streams["camera.wrist.image.compressed"].codec == "mjpeg"
    truth = json.loads(teleop_rec.truth_path.read_text())
    assert ep.meta.operator == truth["session"]["operator"] and ep.meta.embodiment == "franka_panda"
    assert ep.meta.task.id == "pick_place.cube" and ep.meta.devices == [truth["session"]["device_id"]]
    assert ep.meta.start_ns == truth["t0_ns"] or abs(ep.meta.start_ns - truth["t0_ns"]) < 100_000
    assert result.report.undecodable == {} and result.report.decoded == sum(counts.values())


def test_round_trip_through_the_lake_is_exact(teleop_rec: GeneratedRecording, tmp_path: Path) -> None:
    (ep,) = read(teleop_rec.path, "mcap").episodes
    lake = Lake(tmp_path / "lake")
    back = load_episode(lake, write_episode(lake, ep).id)
    for name, payload in ep.payloads.items():
        other = back.payloads[name]
        if isinstance(payload, NumericData):
            assert isinstance(other, NumericData)
            np.testing.assert_array_equal(payload.values, other.values)
            np.testing.assert_array_equal(payload.timestamps_ns, other.timestamps_ns)
        elif isinstance(payload, VideoData):
            assert isinstance(other, VideoData) and other.packets == payload.packets


def test_a_truncated_file_is_read_up_to_the_damage(tmp_path: Path) -> None:
    rec = generate_teleop(tmp_path, "cut", seed=2, cameras=1, faults=["truncated_file"])
    result = read(rec.path, "mcap")
    (ep,) = result.episodes
    finding = next(f for f in ep.meta.findings if f.code == "ingest.truncated")
    assert finding.severity.value == "blocking"
    assert "recovered" in (result.report.recovered or "") or "read" in (result.report.recovered or "")
    truth = json.loads(rec.truth_path.read_text())
    joints = ep.meta.stream("joint_states")
    assert 0.3 * truth["duration_s"] < (joints.end_ns - joints.start_ns) / 1e9 < truth["duration_s"]  # type: ignore[operator]


def test_unchunked_file_without_summary(tmp_path: Path) -> None:
    path = tmp_path / "plain.mcap"
    with open(path, "wb") as f:
        w = Writer(f, use_chunking=False)
        w.start(profile="", library="test")
        schema = w.register_schema("pose", "jsonschema", b"{}")
        chan = w.register_channel("/pose", "json", schema)
        for i in range(50):
            msg = {"position": {"x": i * 0.1, "y": 0.0, "z": 1.0}, "label": "p"}
            w.add_message(chan, log_time=10**18 + i * 10**7, data=json.dumps(msg).encode(), publish_time=10**18)
        w.finish()
    data = path.read_bytes()
    footer_less = tmp_path / "nosummary.mcap"
    footer_less.write_bytes(data[: data.rfind(b"\x89MCAP0\r\n")])  # drop summary, footer and closing magic
    for p in (path, footer_less):
        (ep,) = read(p, "mcap").episodes
        s = ep.meta.stream("pose")
        assert s.columns == ["position.x", "position.y", "position.z"] and s.count == 50
        assert ep.payloads["pose"].values[-1, 0] == pytest.approx(4.9)  # type: ignore[union-attr]


def test_empty_and_non_mcap_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.mcap").write_bytes(b"")
    (tmp_path / "text.mcap").write_text("hello")
    for name in ("empty.mcap", "text.mcap"):
        with pytest.raises(UnreadableRecording, match=name):
            read(tmp_path / name, "mcap")


# -- third-party files (../shared/data) --------------------------------------------------------------------------


def test_ros2_cdr_test_types_flatten_to_numeric_columns(shared_data: Path) -> None:
    path = shared_data / "rosbag2_fixtures/mcap/cdr_test/cdr_test_0.mcap"
    result = read(path, "mcap")
    (ep,) = result.episodes
    counts = {s.source: s.count for s in ep.meta.streams}
    assert counts == {"/test_topic": 3, "/array_topic": 4}
    basic = ep.meta.stream("test_topic")
    assert {"int64_value", "float64_value", "bool_value"} <= set(basic.columns)


def test_ros1_encoded_mcap_is_refused_with_the_reason(shared_data: Path) -> None:
    path = shared_data / "robologs_ros/tiny.mcap"
    with pytest.raises(UnreadableRecording, match="unsupported message encoding 'ros1'"):
        read(path, "mcap")


def test_bogus_encoding_is_refused_naming_it(shared_data: Path) -> None:
    path = shared_data / "rosbag2_fixtures/mcap/wrong_rmw_test/wrong_rmw_test_0.mcap"
    with pytest.raises(UnreadableRecording, match="wrong_format"):
        read(path, "mcap")


def test_string_only_bags_have_nothing_to_ingest(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "rosbag2_fixtures/mcap/talker/talker.mcap"
    with pytest.raises(UnreadableRecording, match="no numeric or video stream") as info:
        read(path, "mcap")
    assert "/topic" in str(info.value) and "no numeric fields in std_msgs/msg/String (10)" in str(info.value)


def test_zero_duration_split_file_reads_every_message(shared_data: Path) -> None:
    path = shared_data / "rosbag2_fixtures/mcap/wbag/wbag_0.mcap"
    with pytest.raises(UnreadableRecording) as info:  # only std_msgs/String topics
        read(path, "mcap")
    assert "AAA" in str(info.value)


def test_service_event_schemas_are_named_as_undecodable(shared_data: Path) -> None:
    """mcap_ros2 cannot parse service-event schemas (a '---' request/response split): say so per topic."""
    folder = shared_data / "rosbag2_fixtures/mcap/bag_with_topics_and_service_events"
    path = folder / "bag_with_topics_and_service_events.mcap"
    with pytest.raises(UnreadableRecording) as info:
        read(path, "mcap")
    message = str(info.value)
    assert "/test_service1/_service_event: schema test_msgs/srv/BasicTypes_Event does not parse" in message
    assert "/test_topic1: no numeric fields in test_msgs/msg/Strings (1)" in message


def test_copy_of_shared_file_is_not_modified(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "rosbag2_fixtures/mcap/cdr_test/cdr_test_0.mcap"
    copy = tmp_path / "c.mcap"
    shutil.copy(src, copy)
    before = copy.read_bytes()
    read(copy, "mcap")
    assert copy.read_bytes() == before
