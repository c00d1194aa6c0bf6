"""The ROS 1 bag reader on the real bags of ../shared/data (rosbag.js and Roboto fixtures) and on damaged copies."""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.ingest.registry import detect
from robofuel.ingest.ros.bag1_scan import scan_bag
from robofuel.standard import EventsData, Severity, VideoData

COMPRESSIONS = ["example.bag", "example-lz4.bag", "example-bz2.bag"]


def index_counts(path: Path) -> Counter[str]:
    """Messages per topic as the bag's own index declares them, read by rosbags (not by robofuel)."""
    from rosbags.rosbag1 import Reader

    counts: Counter[str] = Counter()
    with Reader(path) as bag:
        for conn in bag.connections:
            counts[conn.topic] += conn.msgcount
    return counts


@pytest.mark.parametrize("name", COMPRESSIONS)
def test_turtlesim_bag_in_every_compression_is_fully_decoded(shared_data: Path, name: str) -> None:
    path = shared_data / "rosbagjs" / name
    assert detect(path).name == "rosbag1"  # type: ignore[union-attr]
    result = read(path, "rosbag1")
    (ep,) = result.episodes
    declared = index_counts(path)
    assert sum(declared.values()) == 8647
    # Every message is decoded into a stream (the three /rosout connections into one events stream): none is lost.
    assert result.report.decoded == 8647 and result.report.skipped == {}
    rosout = ep.payloads["rosout"]
    assert isinstance(rosout, EventsData) and len(rosout.timestamps_ns) == declared["/rosout"]
    assert {"level", "name", "msg", "topics"} <= set(rosout.fields)
    by_source: Counter[str] = Counter()
    for s in ep.meta.streams:
        by_source[s.source or ""] += s.count
    # /tf_static is calibration, not a stream (its one transform is kept in the episode's calibration).
    assert by_source == declared - Counter({"/tf_static": declared["/tf_static"]})
    # /tf holds tf/tfMessage and tf2_msgs/TFMessage connections: one stream per frame pair, both merged.
    tf1 = ep.meta.stream("tf.world.turtle1")
    assert tf1.role == "transform" and tf1.frame == "world" and tf1.count == 1344
    assert tf1.columns == [f"translation.{a}" for a in "xyz"] + [f"rotation.{a}" for a in "xyzw"]
    (carrot,) = ep.meta.calibration["transforms"]
    assert (carrot["parent"], carrot["child"], carrot["source"]) == ("turtle1", "carrot", "/tf_static")
    assert len(carrot["translation"]) == 3 and len(carrot["rotation_xyzw"]) == 4
    assert ep.meta.stream("turtle1.cmd_vel").count == 357 and ep.meta.stream("turtle1.cmd_vel").role == "twist"
    assert ep.meta.findings == [] and ep.meta.extra["rosbag1"]["indexed"] is True


def test_compressions_give_the_same_samples(shared_data: Path) -> None:
    episodes = [read(shared_data / "rosbagjs" / n, "rosbag1").episodes[0] for n in COMPRESSIONS]
    first = episodes[0]
    for other in episodes[1:]:
        assert [s.name for s in other.meta.streams] == [s.name for s in first.meta.streams]
        for s in first.meta.streams:
            x, y = first.payloads[s.name], other.payloads[s.name]
            if isinstance(x, EventsData) and isinstance(y, EventsData):
                assert np.array_equal(x.timestamps_ns, y.timestamps_ns) and x.fields == y.fields
                continue
            a, b = first.numeric(s.name), other.numeric(s.name)
            assert np.array_equal(a.timestamps_ns, b.timestamps_ns) and np.array_equal(a.values, b.values)


def test_pose_values_and_turtle_position_agree_with_tf(shared_data: Path) -> None:
    ep = read(shared_data / "rosbagjs/example.bag", "rosbag1").episodes[0]
    pose = ep.numeric("turtle1.pose")
    assert ep.meta.stream("turtle1.pose").columns[:3] == ["x", "y", "theta"]
    tf = ep.numeric("tf.world.turtle1")
    # turtlesim broadcasts its pose as the world -> turtleN transform (header time; the pose has only log time).
    t = (pose.timestamps_ns - tf.timestamps_ns[0]) / 1e9
    t_tf = (tf.timestamps_ns - tf.timestamps_ns[0]) / 1e9
    for col in (0, 1):
        err = np.abs(np.interp(t, t_tf, tf.values[:, col]) - pose.values[:, col])
        assert np.median(err) < 0.01 and len(pose.timestamps_ns) == 1344


def test_visual_inertial_bag(shared_data: Path) -> None:
    result = read(shared_data / "robologs_ros/tiny_svo.bag", "rosbag1")
    (ep,) = result.episodes
    counts = {s.name: s.count for s in ep.meta.streams}
    expected = {"Rig": 42, "camera.camera_info": 11, "camera.image_raw": 10, "imu.data": 35, "imu.magnetometer": 35}
    expected["rosout"] = 6  # the node's log messages, as events
    assert counts == expected
    imu = ep.meta.stream("imu.data")
    assert imu.role == "imu" and imu.column_units["angular_velocity.x"] == "rad/s"
    cam = ep.meta.stream("camera.image_raw")
    assert (cam.width, cam.height, cam.pixel_format) == (752, 480, "mono8")
    video = ep.payloads["camera.image_raw"]
    assert isinstance(video, VideoData) and video.packets is not None and len(video.packets[0]) == 752 * 480
    assert result.report.skipped == {} and ep.meta.stream("rosout").kind.value == "events"


def test_ros1_messages_in_mcap_decode_like_the_bag(shared_data: Path) -> None:
    """tiny.mcap is tiny.bag converted by Roboto's action (profile ros1): the same frames, bytes and times."""
    bag = read(shared_data / "robologs_ros/tiny.bag", "rosbag1").episodes[0]
    mcap = read(shared_data / "robologs_ros/tiny.mcap", "mcap").episodes[0]
    names = ["dvs.image_raw", "dvs1.image_raw"]
    assert [s.name for s in mcap.meta.streams] == [s.name for s in bag.meta.streams] == names
    for name in ("dvs.image_raw", "dvs1.image_raw"):
        a, b = bag.payloads[name], mcap.payloads[name]
        assert isinstance(a, VideoData) and isinstance(b, VideoData)
        assert np.array_equal(a.timestamps_ns, b.timestamps_ns) and a.packets == b.packets
        assert (a.width, a.height) == (346, 260)


def test_broken_fixtures_are_refused_with_the_reason(shared_data: Path) -> None:
    folder = shared_data / "rosbagjs"
    with pytest.raises(UnreadableRecording, match=r"empty \(0 bytes\)"):
        read(folder / "empty-file.bag", "rosbag1")
    with pytest.raises(UnreadableRecording, match="holds no message") as info:
        read(folder / "no-messages.bag", "rosbag1")
    assert "no-messages.bag" in str(info.value)
    # Out-of-order chunks are read whole (all 3 messages); the text topic is kept as events (refused before issue 13).
    assert scan_bag(folder / "example-unsorted-chunks.bag").message_count == 3
    (ep,) = read(folder / "example-unsorted-chunks.bag", "rosbag1").episodes
    foo = ep.payloads["foo"]
    assert isinstance(foo, EventsData) and len(foo.timestamps_ns) == 3


def test_a_cut_bag_is_read_up_to_the_cut(shared_data: Path, tmp_path: Path) -> None:
    """The uncompressed chunk the cut falls in gives its whole messages before the cut."""
    data = (shared_data / "rosbagjs/example.bag").read_bytes()
    path = tmp_path / "cut.bag"
    path.write_bytes(data[: len(data) // 2])
    result = read(path, "rosbag1")
    (ep,) = result.episodes
    total = result.report.decoded + sum(result.report.skipped.values())
    assert total == 4899  # every whole message in the first half of the bag's single chunk
    (finding,) = [f for f in ep.meta.findings if f.code == "ingest.truncated"]
    assert finding.severity == Severity.blocking and "ends inside a chunk record" in finding.message
    assert "4899 messages recovered from its start" in finding.message
    assert result.report.recovered is not None and "read 4899 messages" in result.report.recovered


@pytest.mark.parametrize("name", ["example-lz4.bag", "example-bz2.bag"])
def test_a_cut_compressed_chunk_is_lost_whole_and_said_so(shared_data: Path, tmp_path: Path, name: str) -> None:
    """These bags hold one compressed chunk written as a single LZ4 / bzip2 block: no part of it decodes."""
    data = (shared_data / "rosbagjs" / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableRecording, match=r"holds no message \(the file ends inside a chunk record at byte"):
        read(path, "rosbag1")


def test_an_unindexed_bag_is_read_and_flagged(shared_data: Path, tmp_path: Path) -> None:
    """A recorder killed before closing leaves index_pos = 0 and no index: every message is still read."""
    data = bytearray((shared_data / "rosbagjs/example.bag").read_bytes())
    at = data.index(b"index_pos=") + len(b"index_pos=")
    index_pos = struct.unpack_from("<Q", data, at)[0]
    data[at : at + 8] = b"\0" * 8
    path = tmp_path / "unindexed.bag.active"
    path.write_bytes(bytes(data[:index_pos]))
    assert detect(path).name == "rosbag1"  # type: ignore[union-attr]
    result = read(path, "rosbag1")
    (ep,) = result.episodes
    assert result.report.decoded + sum(result.report.skipped.values()) == 8647
    assert any(f.code == "ingest.truncated" and "no index" in f.message for f in ep.meta.findings)


def test_a_corrupt_chunk_costs_only_its_messages(shared_data: Path, tmp_path: Path) -> None:
    """tiny_svo.bag has 4 uncompressed chunks; the second one's first inner record length is made impossible."""
    data = bytearray((shared_data / "robologs_ros/tiny_svo.bag").read_bytes())
    second = data.index(b"compression=none", data.index(b"compression=none") + 1)
    # In this bag a chunk header's last field is size=<uint32>; then come the uint32 data length and the records.
    header_end = data.index(b"size=", second) + len(b"size=") + 4
    data[header_end + 4 : header_end + 8] = b"\xff\xff\xff\x7f"  # the first inner record's header length
    path = tmp_path / "corrupt.bag"
    path.write_bytes(bytes(data))
    result = read(path, "rosbag1")
    (ep,) = result.episodes
    total = result.report.decoded + sum(result.report.skipped.values())
    assert 0 < total < 139
    assert any(f.code == "ingest.corrupt_record" and f.severity == Severity.blocking for f in ep.meta.findings)
    assert "skipped 1 damaged record" in (result.report.recovered or "")


def test_old_format_and_foreign_files(tmp_path: Path) -> None:
    old = tmp_path / "old.bag"
    old.write_bytes(b"#ROSBAG V1.2\n" + b"\0" * 64)
    with pytest.raises(UnreadableRecording, match=r"format 1\.x"):
        read(old, "rosbag1")
    other = tmp_path / "notes.txt"
    other.write_text("#ROSBAG? no\n")
    assert detect(other) is None or detect(other).name != "rosbag1"  # type: ignore[union-attr]
