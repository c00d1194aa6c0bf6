"""The MCAP reader on JSON channels, message types, mixed encodings, odd content and third-party files."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mcap_files import H264, JOINTS, T0, imu_message, stamp, summary_counts, write_json, write_ros2

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.standard import EventsData, VideoData


def test_json_channels_map_like_cdr_ones(tmp_path: Path) -> None:
    cells = [[1, 2], [3], [4, 5, 6]]
    path = write_json(
        tmp_path / "json.mcap",
        {
            "/imu": (
                "sensor_msgs/msg/Imu",
                "json",
                [(T0 + i * 10_000_000 + 7, imu_message(i)) for i in range(100)],
            ),
            "/cells": (
                "lab.Cells",
                "json",
                [(T0 + i, {"cells": c, "note": "x"}) for i, c in enumerate(cells)],
            ),
            "/video": (
                "foxglove.CompressedVideo",
                "json",
                [
                    (
                        T0 + i,
                        {
                            "timestamp": {"sec": 1, "nsec": i},
                            "frame_id": "cam",
                            "format": "h264",
                            "data": base64.b64encode(p).decode(),
                        },
                    )
                    for i, p in enumerate(H264[:5])
                ],
            ),
        },
    )
    (ep,) = read(path, "mcap").episodes
    imu = ep.meta.stream("imu")
    assert (imu.role, imu.frame, imu.quaternion_order, imu.count) == ("imu", "imu_link", "xyzw", 100)
    assert imu.columns[:4] == ["orientation.x", "orientation.y", "orientation.z", "orientation.w"]
    assert imu.column_units["angular_velocity.x"] == "rad/s" and imu.column_units["linear_acceleration.z"] == "m/s^2"
    d = ep.numeric("imu")
    np.testing.assert_array_equal(d.timestamps_ns, T0 + np.arange(100) * 10_000_000)  # stamps, not log times
    assert d.values[50, 2] == np.sin(0.5) and d.values[50, 4] == 5.0 and d.values[7, 9] == 9.81
    c = ep.numeric("cells")
    assert ep.meta.stream("cells").columns == [
        "cells[0]",
        "cells[1]",
        "cells[2]",
    ]  # union of variable lengths
    np.testing.assert_array_equal(c.values, [[1, 2, np.nan], [3, np.nan, np.nan], [4, 5, 6]])
    v = ep.payloads["video"]
    assert isinstance(v, VideoData) and v.packets == H264[:5] and v.codec == "h264"
    # The video's stamps (foxglove JSON time: sec 1, nsec i) are on another clock than the IMU's header stamps and
    # the log time: the video is timed by log time and the offset is a finding.
    np.testing.assert_array_equal(v.timestamps_ns, T0 + np.arange(5))
    (domain,) = [f for f in ep.meta.findings if f.code == "timing.clock_domain"]
    assert domain.stream == "video" and domain.value == pytest.approx((1_000_000_000 - T0) / 1e9)


def test_common_geometry_and_std_types(tmp_path: Path) -> None:
    def pose(i: int) -> dict[str, Any]:
        p = {"position": {"x": i, "y": 2.0, "z": 3.0}, "orientation": {"x": 0, "y": 0, "z": 0, "w": 1}}
        return {"header": {"stamp": stamp(T0 + i), "frame_id": "world"}, "pose": p}

    twist = {"linear": {"x": 0.5, "y": 0, "z": 0}, "angular": {"x": 0, "y": 0, "z": -0.25}}
    layout = {"dim": [{"label": "a", "size": 100, "stride": 100}], "data_offset": 0}
    channels = {
        "/pose": ("geometry_msgs/msg/PoseStamped", "json", [(T0 + i, pose(i)) for i in range(3)]),
        "/cmd_vel": ("geometry_msgs/msg/Twist", "json", [(T0 + i, twist) for i in range(3)]),
        "/level": ("std_msgs/msg/Float64", "json", [(T0 + i, {"data": 0.5 * i}) for i in range(3)]),
        "/flag": ("std_msgs/msg/Bool", "json", [(T0 + i, {"data": i == 1}) for i in range(3)]),
        "/act": ("std_msgs/msg/Float64MultiArray", "json", [(T0, {"layout": layout, "data": [0.1] * 100})]),
    }
    (ep,) = read(write_json(tmp_path / "geo.mcap", channels), "mcap").episodes
    p = ep.meta.stream("pose")
    assert p.columns == [f"position.{a}" for a in "xyz"] + [f"orientation.{a}" for a in "xyzw"]
    assert (p.role, p.frame, p.quaternion_order, p.column_units["position.x"]) == (
        "pose",
        "world",
        "xyzw",
        "m",
    )
    np.testing.assert_array_equal(ep.numeric("pose").values[2], [2, 2, 3, 0, 0, 0, 1])
    t = ep.meta.stream("cmd_vel")
    assert (t.role, t.columns[0], t.column_units["angular.z"]) == ("twist", "linear.x", "rad/s")
    np.testing.assert_array_equal(ep.numeric("cmd_vel").values[0], [0.5, 0, 0, 0, 0, -0.25])
    assert ep.meta.stream("level").columns == ["data"] and ep.numeric("level").values[:, 0].tolist() == [
        0,
        0.5,
        1,
    ]
    assert ep.numeric("flag").values[:, 0].tolist() == [0, 1, 0]
    assert ep.meta.stream("act").columns == [f"data[{i}]" for i in range(100)]


def test_other_encodings_are_counted_undecodable_and_the_rest_is_read(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "mixed.mcap",
        {
            "/imu": ("sensor_msgs/msg/Imu", "json", [(T0 + i, imu_message(i)) for i in range(10)]),
            "/pose": ("geometry_msgs/PoseStamped", "flatbuffer", [(T0 + i, b"\x08\x01") for i in range(4)]),
        },
    )
    result = read(path, "mcap")
    assert result.report.undecodable == {"/pose: unsupported encoding 'flatbuffer'": 4}
    (finding,) = result.episodes[0].meta.findings
    assert (finding.code, finding.severity.value, finding.value) == ("ingest.undecodable", "info", 4.0)
    assert [s.name for s in result.episodes[0].meta.streams] == ["imu"]


def test_a_joint_set_change_is_a_finding_and_reordering_is_harmless(tmp_path: Path) -> None:
    msgs = []
    for i in range(15):
        names = JOINTS if i < 5 else JOINTS[::-1] if i < 10 else JOINTS[:6]
        pos = [float(JOINTS.index(n) + i / 100) for n in names]
        js = {
            "header": {"stamp": stamp(T0 + i * 4_000_000)},
            "name": names,
            "position": pos,
            "velocity": [],
            "effort": [],
        }
        msgs.append((T0 + i * 4_000_000, "/joint_states", "sensor_msgs/msg/JointState", js))
    (ep,) = read(write_ros2(tmp_path / "js.mcap", msgs), "mcap").episodes
    d = ep.numeric("joint_states")
    assert ep.meta.stream("joint_states").columns == [f"{j}.position" for j in JOINTS]
    np.testing.assert_array_equal(d.values[:10], np.arange(7)[None, :] + np.arange(10)[:, None] / 100)
    assert np.isnan(d.values[10:, 6]).all() and d.values[12, 5] == 5.12
    (finding,) = ep.meta.findings
    assert (finding.code, finding.stream, finding.value) == ("ingest.joint_set_changed", "joint_states", 5.0)
    assert finding.start_s == pytest.approx(0.040)


def test_identical_timestamps_give_zero_duration_and_no_rate(tmp_path: Path) -> None:
    path = write_json(tmp_path / "z.mcap", {"/level": ("lab.Level", "json", [(T0, {"level": i}) for i in range(5)])})
    (ep,) = read(path, "mcap").episodes
    s = ep.meta.stream("level")
    assert (s.count, s.measured_rate_hz, ep.meta.duration_s, ep.meta.start_ns) == (5, None, 0.0, T0)


def test_empty_and_non_mcap_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.mcap").write_bytes(b"")
    (tmp_path / "text.mcap").write_text("hello, not an mcap")
    (tmp_path / "magic_only.mcap").write_bytes(b"\x89MCAP0\r\n")
    with pytest.raises(UnreadableRecording, match=r"empty\.mcap: the file is empty \(0 bytes\)"):
        read(tmp_path / "empty.mcap", "mcap")
    with pytest.raises(UnreadableRecording, match=r"text\.mcap: not an MCAP file"):
        read(tmp_path / "text.mcap", "mcap")
    with pytest.raises(UnreadableRecording, match=r"magic_only\.mcap: the file holds no message"):
        read(tmp_path / "magic_only.mcap", "mcap")


def test_topics_that_name_the_same_stream_get_distinct_names(tmp_path: Path) -> None:
    msgs = [(T0 + i, {"v": i}) for i in range(3)]
    path = write_json(tmp_path / "n.mcap", {"/a/b": ("lab.V", "json", msgs), "a/b": ("lab.V", "json", msgs)})
    (ep,) = read(path, "mcap").episodes
    assert {s.name: s.source for s in ep.meta.streams} == {"a.b": "/a/b", "a.b_2": "a/b"}


def test_long_arrays_of_unknown_types_are_kept_per_message_not_as_columns(tmp_path: Path) -> None:
    """Arrays over 64 values were skipped before issue 13; now each message's array is kept as an event."""
    msgs = [(T0 + i, {"gain": i, "samples": list(range(i, 100 + i)), "names": ["a", "b"]}) for i in range(4)]
    result = read(write_json(tmp_path / "l.mcap", {"/scope": ("lab.Scope", "json", msgs)}), "mcap")
    (ep,) = result.episodes
    assert ep.meta.stream("scope").columns == ["gain"] and result.report.skipped == {}
    arrays = ep.meta.stream("scope.arrays")
    assert (arrays.kind.value, arrays.role, arrays.columns, arrays.count) == ("events", "arrays", ["samples"], 4)
    events = ep.payloads["scope.arrays"]
    assert isinstance(events, EventsData)
    np.testing.assert_array_equal(events.fields["samples"][3], np.arange(3, 103))


def test_counts_differing_from_the_summary_are_a_finding() -> None:
    from robofuel.ingest.base import ReadReport
    from robofuel.ingest.mcap.reader import findings
    from robofuel.ingest.mcap.scan import ChannelData, Scan

    scan = Scan(size=100, summary_counts={1: 5})
    scan.channels[1] = ChannelData(1, "/x", "json", None, [(T0, b"{}")] * 3)
    (finding,) = findings(scan, ReadReport("f.mcap", "mcap"), [], [])
    assert finding.code == "ingest.count_mismatch" and "declares 5 messages, the file holds 3" in finding.message


# -- third-party files (../shared/data) ----------------------------------------------------------------------


def test_ros2_cdr_test_types_flatten_to_numeric_columns(shared_data: Path) -> None:
    path = shared_data / "rosbag2_fixtures/mcap/cdr_test/cdr_test_0.mcap"
    result = read(path, "mcap")
    (ep,) = result.episodes
    assert {s.source: s.count for s in ep.meta.streams} == summary_counts(path) == {"/test_topic": 3, "/array_topic": 4}
    basic = ep.meta.stream("test_topic")
    assert basic.columns[:5] == ["bool_value", "byte_value", "char_value", "float32_value", "float64_value"]
    assert len(basic.columns) == 13 and basic.role is None  # string_value is not a signal
    arrays = ep.meta.stream("array_topic")
    assert "int64_values_default[1]" in arrays.columns and "basic_types_values[2].uint64_value" in arrays.columns
    i = arrays.columns.index("int32_values_default[2]")
    assert ep.numeric("array_topic").values[0, i] == -2147483648
    assert result.report.decoded == 7 and result.report.undecodable == {} and ep.meta.findings == []


def test_bogus_encoding_is_refused_naming_it(shared_data: Path) -> None:
    path = shared_data / "rosbag2_fixtures/mcap/wrong_rmw_test/wrong_rmw_test_0.mcap"
    with pytest.raises(UnreadableRecording, match="message encodings: wrong_format") as info:
        read(path, "mcap")
    assert "/test_topic: unsupported encoding 'wrong_format' (3)" in str(info.value)


def test_service_events_are_decoded_from_the_srv_schema(shared_data: Path) -> None:
    """Service events store the .srv text (request --- response) as schema: the event message is rebuilt from it
    (it was refused as undecodable before issue 13); each call step is one event, request and response as JSON."""
    folder = shared_data / "rosbag2_fixtures/mcap/bag_with_topics_and_service_events"
    (ep,) = read(folder / "bag_with_topics_and_service_events.mcap", "mcap").episodes
    assert {s.name: s.count for s in ep.meta.streams} == {
        "test_service1._service_event": 4,
        "test_service2._service_event": 4,
        "test_topic1": 1,
        "test_topic2": 1,
    }
    calls = ep.payloads["test_service1._service_event"]
    assert isinstance(calls, EventsData)
    assert calls.fields["event"] == ["request_sent", "response_received"] * 2
    assert calls.fields["sequence_number"] == [1, 1, 2, 2]
    assert calls.fields["response"][0] is None and calls.fields["request"][1] is None
    assert json.loads(calls.fields["request"][0])["string_value"] == ""
    assert json.loads(calls.fields["response"][1])["float64_value"] == 0.0
    strings = ep.payloads["test_topic1"]
    assert isinstance(strings, EventsData) and strings.fields["string_value_default1"] == ["Hello world!"]
    assert not [f for f in ep.meta.findings if f.code == "ingest.undecodable"]


@pytest.mark.parametrize(
    ("rel", "topic", "count", "first"),
    [
        ("talker/talker.mcap", "topic", 10, "Hello, world! 0"),
        ("wbag/wbag_0.mcap", "AAA", 174, "Hello, world! 1 - 1"),  # zero duration, text only
    ],
)
def test_text_only_bags_are_episodes_of_events(shared_data: Path, rel: str, topic: str, count: int, first: str) -> None:
    """A recording of text topics only is kept as an episode of events (it was refused before issue 13)."""
    (ep,) = read(shared_data / "rosbag2_fixtures/mcap" / rel, "mcap").episodes
    assert {s.kind.value for s in ep.meta.streams} == {"events"}
    events = ep.payloads[topic]
    assert isinstance(events, EventsData) and len(events.timestamps_ns) == count
    assert events.fields["data"][0] == first


def test_shared_files_are_not_modified(shared_data: Path, tmp_path: Path) -> None:
    copy = tmp_path / "c.mcap"
    shutil.copy(shared_data / "rosbag2_fixtures/mcap/cdr_test/cdr_test_0.mcap", copy)
    before = copy.read_bytes()
    read(copy, "mcap")
    assert copy.read_bytes() == before


def test_foxglove_frame_transforms_give_one_stream_per_frame_pair(tmp_path: Path) -> None:
    def transform(t: int, parent: str, child: str, x: float) -> dict[str, Any]:
        return {
            "timestamp": stamp(t),
            "parent_frame_id": parent,
            "child_frame_id": child,
            "translation": {"x": x, "y": 0.0, "z": 0.5},
            "rotation": {"x": 0.0, "y": 0.0, "z": 0.0, "w": 1.0},
        }

    msgs = [
        (
            T0 + i * 20_000_000 + 9,
            {
                "transforms": [
                    transform(T0 + i * 20_000_000, "world", "base", 0.0),
                    transform(T0 + i * 20_000_000, "base", "ee", 0.01 * i),
                ]
            },
        )
        for i in range(50)
    ]
    single = [(T0 + i, transform(T0 + i * 1_000_000, "/map", "/odom", 1.0)) for i in range(3)]
    path = write_json(
        tmp_path / "tf.mcap",
        {"/tf": ("foxglove.FrameTransforms", "json", msgs), "/map_tf": ("foxglove.FrameTransform", "json", single)},
    )
    (ep,) = read(path, "mcap").episodes
    assert [s.name for s in ep.meta.streams] == ["map_tf.map.odom", "tf.base.ee", "tf.world.base"]
    ee = ep.meta.stream("tf.base.ee")
    assert ee.count == 50 and ee.frame == "base" and ee.role == "transform" and ee.source == "/tf"
    values = ep.numeric("tf.base.ee")
    assert np.allclose(values.values[:, 0], 0.01 * np.arange(50)) and values.timestamps_ns[1] == T0 + 20_000_000
    assert ep.meta.stream("map_tf.map.odom").count == 3
