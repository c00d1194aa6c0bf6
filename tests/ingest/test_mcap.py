"""The MCAP reader on a ROS 2 teleop recording written here (see :mod:`mcap_files`) and its damaged copies."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from mcap.reader import make_reader
from mcap.writer import CompressionType, IndexType
from mcap_files import (
    H264,
    JOINT_POS,
    JOINT_T,
    JOINTS,
    JPEGS,
    T0,
    WRENCH,
    WRENCH_T,
    data_end,
    rewrite,
    same_payloads,
    summary_counts,
    teleop_messages,
    write_ros2,
)

from factories import read
from robofuel.ingest.base import ReadResult
from robofuel.lake import Lake, load_episode, write_episode
from robofuel.standard import EventsData, Finding, VideoData


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ros2(tmp_path_factory.mktemp("mcap") / "teleop.mcap", teleop_messages())


@pytest.fixture(scope="module")
def full(rec: Path) -> ReadResult:
    return read(rec, "mcap")


def test_joint_states_are_exact_and_stamped_by_their_headers(full: ReadResult) -> None:
    (ep,) = full.episodes
    s = ep.meta.stream("joint_states")
    assert (s.role, s.unit, s.source, s.count) == ("joint_position", "rad", "/joint_states", 500)
    assert s.columns == [f"{j}.{p}" for p in ("position", "velocity", "effort") for j in JOINTS]
    assert s.column_units["panda_joint3.effort"] == "N m" and s.column_units["panda_joint3.velocity"] == "rad/s"
    d = ep.numeric("joint_states")
    np.testing.assert_array_equal(d.timestamps_ns, JOINT_T)  # header.stamp, not the log time 1 ms later
    np.testing.assert_array_equal(d.values, np.hstack([JOINT_POS, 2 * JOINT_POS, 3 * JOINT_POS]))
    assert s.measured_rate_hz == pytest.approx(250.0, rel=1e-9)
    assert full.report.streams["joint_states"] == {
        "kind": "numeric",
        "episodes": 1,
        "type": "sensor_msgs/msg/JointState",
        "count": 500,
        "rate_hz": pytest.approx(250.0),
        "duration_s": pytest.approx(1.996),
    }


def damage(findings: list[Finding]) -> list[Finding]:
    """The findings besides the fixture's one note on its gripper, whose header stamps are all 0."""
    return [f for f in findings if (f.code, f.stream) != ("timing.header_stamp_zero", "franka_gripper.joint_states")]


def test_gripper_unstamped_messages_take_the_log_time(full: ReadResult) -> None:
    (ep,) = full.episodes
    s = ep.meta.stream("franka_gripper.joint_states")
    assert (s.role, s.count, s.unit) == ("gripper_joint", 100, None)
    assert s.columns == ["panda_finger_joint1.position", "panda_finger_joint2.position"]
    np.testing.assert_array_equal(ep.numeric("franka_gripper.joint_states").timestamps_ns, JOINT_T[::5])
    (note,) = [f for f in ep.meta.findings if f.code == "timing.header_stamp_zero"]
    assert (note.stream, note.value, note.severity.value) == ("franka_gripper.joint_states", 100.0, "info")


def test_wrench_columns_units_frame_and_values(full: ReadResult) -> None:
    (ep,) = full.episodes
    s = ep.meta.stream("ft_sensor.wrench")
    assert s.columns == ["force.x", "force.y", "force.z", "torque.x", "torque.y", "torque.z"]
    assert (s.role, s.frame, s.count) == ("wrench", "panda_hand", 1000)
    assert s.column_units == {"force.x": "N", "force.y": "N", "force.z": "N"} | dict.fromkeys(s.columns[3:], "N m")
    d = ep.numeric("ft_sensor.wrench")
    np.testing.assert_array_equal(d.values, WRENCH)
    np.testing.assert_array_equal(d.timestamps_ns, WRENCH_T)
    assert s.measured_rate_hz == pytest.approx(500.0, rel=1e-9)


def test_cameras_keep_their_packets_byte_for_byte(full: ReadResult) -> None:
    (ep,) = full.episodes
    wrist, front = ep.meta.stream("camera.wrist.image.compressed"), ep.meta.stream("camera.front.video")
    assert (wrist.codec, wrist.width, wrist.height, wrist.count, wrist.frame) == (
        "mjpeg",
        64,
        48,
        20,
        "wrist_camera",
    )
    assert (front.codec, front.width, front.height, front.count, front.frame) == (
        "h264",
        64,
        48,
        30,
        "front_camera",
    )
    assert wrist.role == front.role == "camera_rgb" and front.storage.value == "video-packets"
    w, f = ep.payloads["camera.wrist.image.compressed"], ep.payloads["camera.front.video"]
    assert isinstance(w, VideoData) and isinstance(f, VideoData)
    assert w.packets == JPEGS and f.packets == H264
    np.testing.assert_array_equal(f.timestamps_ns, [T0 + round(i * 1e9 / 30) for i in range(30)])
    assert front.measured_rate_hz == pytest.approx(30.0, rel=1e-3) and wrist.measured_rate_hz == pytest.approx(10.0)


def test_unknown_types_flatten_and_text_becomes_events(full: ReadResult) -> None:
    (ep,) = full.episodes
    s = ep.meta.stream("lab.gauge")
    assert s.columns == [
        "pressure",
        "counts[0]",
        "counts[1]",
        "counts[2]",
        "valid",
        "tilt.x",
        "tilt.y",
        "tilt.z",
    ]
    assert s.role is None and s.count == 10
    np.testing.assert_array_equal(ep.numeric("lab.gauge").values[3], [101_328.0, 3, 6, -3, 0, 3, 0, 1])
    # Text is no signal but what happened: kept as events (it was skipped before issue 13), one per message.
    assert full.report.skipped == {}
    chatter = ep.meta.stream("chatter")
    assert chatter.kind.value == "events" and chatter.columns == ["data"] and chatter.count == 10
    events = ep.payloads["chatter"]
    assert isinstance(events, EventsData) and events.fields["data"] == [f"hello {i}" for i in range(10)]


def test_counts_match_the_summary_and_the_report_adds_up(rec: Path, full: ReadResult) -> None:
    (ep,) = full.episodes
    counts = summary_counts(rec)
    read_counts = {s.source: s.count for s in ep.meta.streams}
    assert read_counts == counts
    assert full.report.decoded == sum(read_counts.values()) and full.report.undecodable == {}
    # The gripper's messages carry a header whose stamp is 0 (timed by log time): the one note, info.
    zero = [(f.code, f.severity.value, f.stream, f.value) for f in full.report.findings]
    assert zero == [("timing.header_stamp_zero", "info", "franka_gripper.joint_states", 100.0)]
    assert ep.meta.findings == full.report.findings and full.report.recovered is None
    assert full.report.episodes == 1 and ep.meta.start_ns == T0 and ep.meta.duration_s == pytest.approx(1.998)


def test_session_record_fills_the_metadata_and_set_values_win(rec: Path, full: ReadResult) -> None:
    meta = full.episodes[0].meta
    assert (meta.operator, meta.station, meta.scene, meta.site) == ("op-07", "cell-2", "tabletop", "lab-1")
    assert (meta.task.id, meta.task.instruction) == ("pick.cube", "Pick up the cube.")
    assert (meta.embodiment, meta.devices) == ("franka_panda", ["panda-0042"])
    assert meta.extra["mcap_metadata"] == {"calibration": {"camera": "front", "fx": "500.0"}}
    assert meta.extra["mcap"]["profile"] == "ros2"
    from robofuel.ingest import ReadContext, get_reader

    ctx = ReadContext(rec, "0" * 64, {"operator": "op-99", "task": "pick.sphere"})
    (ep,) = get_reader("mcap").read(rec, ctx).episodes
    assert (ep.meta.operator, ep.meta.task.id, ep.meta.station) == ("op-99", "pick.sphere", "cell-2")


def test_unchunked_and_summaryless_files_read_the_same(rec: Path, full: ReadResult, tmp_path: Path) -> None:
    plain = rewrite(rec, tmp_path / "plain.mcap", use_chunking=False)
    bare = rewrite(
        rec,
        tmp_path / "bare.mcap",
        compression=CompressionType.NONE,
        index_types=IndexType.NONE,
        repeat_channels=False,
        repeat_schemas=False,
        use_statistics=False,
        use_summary_offsets=False,
    )
    with open(bare, "rb") as f:
        assert make_reader(f).get_summary() is None
    for path in (plain, bare):
        result = read(path, "mcap")
        same_payloads(full, result)
        assert damage(result.episodes[0].meta.findings) == [] and result.report.recovered is None


def test_a_file_cut_at_60_percent_recovers_its_prefix(rec: Path, full: ReadResult, tmp_path: Path) -> None:
    data = rec.read_bytes()
    cut = tmp_path / "cut.mcap"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    result = read(cut, "mcap")
    (ep,) = result.episodes
    (finding,) = damage(ep.meta.findings)
    assert (finding.code, finding.severity.value) == ("ingest.truncated", "blocking")
    assert finding.start_s == pytest.approx(ep.meta.duration_s)
    m = re.fullmatch(
        r"read (\d+) messages up to byte (\d+) of (\d+); the file ends inside a chunk record .*",
        result.report.recovered or "",
    )
    assert m is not None and int(m[3]) == cut.stat().st_size and 0 < int(m[2]) < int(m[3])
    joints, whole = ep.numeric("joint_states"), full.episodes[0].numeric("joint_states")
    n = len(joints.timestamps_ns)
    assert 0 < n < 500 and ep.meta.stream("joint_states").count == n
    np.testing.assert_array_equal(joints.values, whole.values[:n])  # an exact prefix
    np.testing.assert_array_equal(joints.timestamps_ns, JOINT_T[:n])


@pytest.mark.parametrize(("compression", "error"), [("zstd", "ZstdError"), ("none", "CRCValidationError")])
def test_a_corrupt_chunk_is_skipped_and_the_rest_is_read(
    rec: Path, tmp_path: Path, compression: str, error: str
) -> None:
    src = (
        rec
        if compression == "zstd"
        else rewrite(rec, tmp_path / "raw.mcap", compression=CompressionType.NONE, chunk_size=16 * 1024)
    )
    with open(src, "rb") as f:
        summary = make_reader(f).get_summary()
    assert summary is not None and len(summary.chunk_indexes) > 4
    chunk = summary.chunk_indexes[2]
    data = bytearray(src.read_bytes())
    data[chunk.chunk_start_offset + chunk.chunk_length - 40] ^= 0xFF  # inside the records, framing intact
    bad = tmp_path / "bad.mcap"
    bad.write_bytes(bytes(data))
    result = read(bad, "mcap")
    (finding,) = damage(result.episodes[0].meta.findings)
    assert (finding.code, finding.severity.value) == ("ingest.corrupt_record", "blocking")
    assert f"chunk record at bytes {chunk.chunk_start_offset}-" in finding.message and error in finding.message
    assert result.report.recovered is not None and "skipped 1 damaged record(s)" in result.report.recovered
    got = result.episodes[0].numeric("ft_sensor.wrench").timestamps_ns
    assert 0 < len(got) < 1000 and got[-1] == WRENCH_T[-1]  # messages after the damage are still read
    assert set(got.tolist()) <= set(WRENCH_T.tolist())


def test_the_data_section_crc_catches_damage_outside_chunks(rec: Path, full: ReadResult, tmp_path: Path) -> None:
    plain = rewrite(rec, tmp_path / "plain.mcap", use_chunking=False, enable_data_crcs=True)
    clean = read(plain, "mcap")
    same_payloads(full, clean)
    assert damage(clean.episodes[0].meta.findings) == []
    data = bytearray(plain.read_bytes())
    at = data.index(JPEGS[5]) + 100  # inside one JPEG message: unchunked messages have no CRC of their own
    data[at] ^= 0xFF
    flipped = tmp_path / "flipped.mcap"
    flipped.write_bytes(bytes(data))
    (finding,) = damage(read(flipped, "mcap").episodes[0].meta.findings)
    assert (finding.code, finding.severity.value) == ("ingest.crc_mismatch", "warning")


def test_a_file_whose_recorder_never_closed_it_keeps_every_message(rec: Path, full: ReadResult, tmp_path: Path) -> None:
    data = rewrite(rec, tmp_path / "plain.mcap", use_chunking=False).read_bytes()
    open_file = tmp_path / "open.mcap"
    open_file.write_bytes(data[: data_end(data)])  # every message record, then nothing
    result = read(open_file, "mcap")
    same_payloads(full, result)
    (finding,) = damage(result.episodes[0].meta.findings)
    assert finding.code == "ingest.truncated" and "without the MCAP footer" in finding.message


def test_round_trip_through_the_lake_is_exact(full: ReadResult, tmp_path: Path) -> None:
    (ep,) = full.episodes
    lake = Lake(tmp_path / "lake")
    back = load_episode(lake, write_episode(lake, ep).id)
    assert [s.name for s in back.meta.streams] == [s.name for s in ep.meta.streams]
    assert back.meta.operator == "op-07" and back.meta.extra == ep.meta.extra
    same_payloads(full, ReadResult([back], full.report))
