"""Each ROS stream's clock (issue 13, classes 1 and 11): header stamps where they agree with the episode's clock,
else log time with the offset as a finding; /tf_static as calibration; messages logged at time 0 named per topic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mcap_files import DEFS, HEADER, JOINTS, SEP, SESSION, T0, TIME, VEC3, stamp
from mcap_ros2.writer import Writer as Ros2Writer

from factories import read
from robofuel.ingest.ros.clock import CLOCK_TOLERANCE_NS, choose_clock, reference_offset

DAY = 86_400 * 1_000_000_000
QUAT = "MSG: geometry_msgs/Quaternion\nfloat64 x\nfloat64 y\nfloat64 z\nfloat64 w"
MORE = {
    "tf2_msgs/msg/TFMessage": SEP.join(
        [
            "geometry_msgs/TransformStamped[] transforms",
            "MSG: geometry_msgs/TransformStamped\nstd_msgs/Header header\nstring child_frame_id\n"
            "geometry_msgs/Transform transform",
            HEADER,
            TIME,
            "MSG: geometry_msgs/Transform\ngeometry_msgs/Vector3 translation\ngeometry_msgs/Quaternion rotation",
            VEC3,
            QUAT,
        ]
    ),
    "rcl_interfaces/msg/Log": SEP.join(
        [
            "builtin_interfaces/Time stamp\nuint8 level\nstring name\nstring msg\nstring file\nstring function\n"
            "uint32 line",
            TIME,
        ]
    ),
}
Msg = tuple[int, str, str, dict[str, Any]]


def _tf(stamp_ns: int, parent: str, child: str) -> dict[str, Any]:
    t = {"translation": {"x": 0.1, "y": 0.0, "z": 0.2}, "rotation": {"x": 0.0, "y": 0.0, "z": 0.0, "w": 1.0}}
    return {"header": {"stamp": stamp(stamp_ns), "frame_id": parent}, "child_frame_id": child, "transform": t}


def _joints(n: int, offset_ns: int) -> list[Msg]:
    out = []
    for i in range(n):
        t = T0 + i * 4_000_000
        msg = {"header": {"stamp": stamp(t + offset_ns)}, "name": JOINTS, "position": [i / n] * 7}
        out.append((t + 1_000_000, "/joint_states", "sensor_msgs/msg/JointState", msg | {"velocity": [], "effort": []}))
    return out


def _wrench(n: int, offset_ns: int) -> list[Msg]:
    w = {"force": {"x": 1.0, "y": 0.0, "z": 0.0}, "torque": {"x": 0.0, "y": 0.0, "z": 0.0}}
    out = []
    for i in range(n):
        t = T0 + i * 10_000_000
        out.append(
            (t, "/ft", "geometry_msgs/msg/WrenchStamped", {"header": {"stamp": stamp(t + offset_ns)}, "wrench": w})
        )
    return out


def _text(topic: str, n: int, zero: int) -> list[Msg]:
    """``n`` log messages (rcl_interfaces/Log) or strings on ``topic``, the first ``zero`` logged at time 0."""
    out = []
    for i in range(n):
        t = 0 if i < zero else T0 + i * 500_000_000
        if topic == "/rosout":
            log = {"stamp": stamp(t), "level": 20, "name": "node", "msg": f"m{i}", "file": "a.cpp", "function": "f"}
            out.append((t, topic, "rcl_interfaces/msg/Log", log | {"line": 3}))
        else:
            out.append((t, topic, "std_msgs/msg/String", {"data": f"s{i}"}))
    return out


LATCHED_QOS = "- history: 3\n  depth: 0\n  reliability: 1\n  durability: 1\n"  # rosbag2's transient_local


def write(path: Path, messages: list[Msg], latched: tuple[str, ...] = ()) -> Path:
    with open(path, "wb") as f:
        w = Ros2Writer(f, chunk_size=16 * 1024)
        w.add_metadata("robofuel.session", SESSION)
        schemas = {name: w.register_msgdef(name, text) for name, text in (DEFS | MORE).items()}
        for topic, type_name in latched:  # channels with their QoS, as rosbag2 records them
            meta = {"offered_qos_profiles": LATCHED_QOS}
            cid = w._writer.register_channel(topic, "cdr", schemas[type_name].id, metadata=meta)
            w._channel_ids[topic] = cid
        for log_time, topic, type_name, msg in sorted(messages, key=lambda m: m[0]):
            w.write_message(topic, schemas[type_name], msg, log_time=log_time)
        w.finish()  # type: ignore[no-untyped-call]
    return path


def test_mixed_clocks_give_a_seconds_long_episode_with_the_offset_as_a_finding(tmp_path: Path) -> None:
    static = {"transforms": [_tf(0, "base", "camera"), _tf(T0 - 30 * DAY, "base", "ft")]}  # stamped 0; latched, old
    messages = _joints(1000, 0) + _wrench(400, -5 * DAY) + [(T0, "/tf_static", "tf2_msgs/msg/TFMessage", static)]
    (ep,) = read(
        write(tmp_path / "mixed.mcap", messages + _text("/rosout", 5, 2) + _text("/chatter", 5, 2)), "mcap"
    ).episodes
    meta = ep.meta
    assert meta.duration_s == pytest.approx(3.996, abs=0.01)  # not five days, not 30 days, not back to 1970
    assert meta.stream("joint_states").clock == "header" and meta.stream("ft").clock == "log"
    np.testing.assert_array_equal(ep.numeric("ft").timestamps_ns, T0 + np.arange(400) * 10_000_000)
    (domain,) = [f for f in meta.findings if f.code == "timing.clock_domain"]
    assert (
        domain.stream == "ft" and domain.value == pytest.approx(-5 * 86_400.0) and "5.0 days behind" in domain.message
    )
    # Static transforms are calibration: no stream, whatever their stamps.
    assert not any(s.source == "/tf_static" for s in meta.streams)
    assert {(t["parent"], t["child"]) for t in meta.calibration["transforms"]} == {("base", "camera"), ("base", "ft")}
    # ... and their odd stamps are named, frames and offset, as a note that costs nothing.
    (static,) = [f for f in meta.findings if f.code == "timing.static_transform_stamp"]
    assert static.severity.value == "info" and static.message.startswith("/tf_static: 2 static transform(s)")
    assert "base -> camera stamped 0" in static.message
    assert "base -> ft stamped 30.0 days behind the time it was recorded (-2592000.000 s)" in static.message
    # Messages logged at time 0 are named per topic with their count, text topics included.
    zero = {f.stream: f.value for f in meta.findings if f.code == "timing.time_zero"}
    assert zero == {"rosout": 2.0, "chatter": 2.0}


def test_header_stamps_of_zero_are_timed_by_log_time_and_named(tmp_path: Path) -> None:
    """A publisher that never stamps (every header.stamp 0, as InOrbit's fake sensors): log time, and a note with
    the count; a static transform stamped when it was recorded gets no note."""
    zero = [(t, topic, type_name, m | {"header": {"stamp": stamp(0)}}) for t, topic, type_name, m in _wrench(50, 0)]
    static = {"transforms": [_tf(T0 - 1_000_000, "base", "ft")]}
    messages = _joints(100, 0) + zero + [(T0, "/tf_static", "tf2_msgs/msg/TFMessage", static)]
    (ep,) = read(write(tmp_path / "unstamped.mcap", messages), "mcap").episodes
    assert ep.meta.stream("ft").clock == "log"
    np.testing.assert_array_equal(ep.numeric("ft").timestamps_ns, T0 + np.arange(50) * 10_000_000)
    (note,) = [f for f in ep.meta.findings if f.code == "timing.header_stamp_zero"]
    assert (note.stream, note.value, note.severity.value) == ("ft", 50.0, "info")
    assert note.message == (
        "/ft: 50 of 50 messages have a header stamp of 0 (the publisher did not stamp them): timed by log time"
    )
    assert not [f for f in ep.meta.findings if f.code == "timing.static_transform_stamp"]


def test_a_replayed_bag_keeps_its_header_clock(tmp_path: Path) -> None:
    """Every stream's stamps agree with each other and run years behind the recorder: they are the episode's clock;
    a stream without stamps (String) shifted onto it would be; numeric ones keep their exact stamps."""
    back = -3 * 365 * DAY
    (ep,) = read(
        write(tmp_path / "replayed.mcap", _joints(500, back) + _wrench(200, back - 2_000_000)), "mcap"
    ).episodes
    assert {s.clock for s in ep.meta.streams} == {"header"}
    assert ep.meta.start_ns == T0 + back - 2_000_000
    np.testing.assert_array_equal(ep.numeric("joint_states").timestamps_ns, T0 + back + np.arange(500) * 4_000_000)
    (ref,) = [f for f in ep.meta.findings if f.code == "timing.clock_reference"]
    assert ref.severity.value == "info" and ref.value == pytest.approx(back / 1e9, abs=0.01)


def test_choose_clock_falls_back_per_message_and_drops_untimeable_ones() -> None:
    log = np.array([0, 10, 20, 30, 40], dtype=np.int64) * 1_000_000 + T0
    log[0] = 0  # logged at time 0, but its header is good: kept on the header clock
    header = log + 1_000_000
    header[0] = T0 - 1_000_000
    header[2] = 0  # no stamp: log time plus the stream's offset
    header[3] = T0 - 40 * DAY  # an old latched stamp
    timed = choose_clock(log, header, floor_ns=DAY)
    assert timed.clock == "header" and timed.keep.all() and timed.fallbacks == 2 and timed.dropped == 0
    np.testing.assert_array_equal(timed.times[2:4], log[2:4] + 1_000_000)
    assert choose_clock(log, np.zeros(5, np.int64), floor_ns=DAY).dropped == 1


def test_reference_offset() -> None:
    far = -100 * DAY
    assert reference_offset([None, None]) == 0  # no header stamps: log time
    assert reference_offset([None, 3 * CLOCK_TOLERANCE_NS]) == 3 * CLOCK_TOLERANCE_NS  # the one header clock
    assert reference_offset([3 * CLOCK_TOLERANCE_NS, -3 * CLOCK_TOLERANCE_NS]) == 0  # two clocks, no majority
    assert reference_offset([far, far + 1, 10]) == 0  # one stream on log time: log time
    assert reference_offset([far, far + 1, far + 2, -DAY]) == far + 1  # a clear majority shares a clock
    assert reference_offset([far, -DAY]) == 0  # no majority


def test_real_bags_are_not_days_long(shared_data: Path) -> None:
    svo = read(shared_data / "robologs_ros/tiny_svo.bag", "rosbag1").episodes[0].meta
    signals = [s for s in svo.streams if s.kind.value != "events"]
    assert svo.duration_s < 1 and {s.clock for s in signals} == {"header"}  # 2013 stamps, replayed in 2023
    assert svo.stream("rosout").clock == "log"  # the node's log messages, on the recorder's clock, shifted
    dvs = read(shared_data / "robologs_ros/tiny.mcap", "mcap").episodes[0].meta  # two cameras 43 s apart by stamps
    assert dvs.duration_s < 1 and {f.stream for f in dvs.findings if f.code == "timing.clock_domain"} == {
        "dvs.image_raw",
        "dvs1.image_raw",
    }
    turtles = read(shared_data / "rosbagjs/example.bag", "rosbag1").episodes[0].meta
    assert 21 < turtles.duration_s < 22 and turtles.calibration["transforms"][0]["child"] == "carrot"


def test_a_latched_one_shot_topic_is_a_state_not_a_stream(tmp_path: Path) -> None:
    """A latched topic sent once (parameters, a map's metadata) is kept as events: it neither stretches the episode
    with its old stamp nor "ends early" against the sensors."""
    w = {"force": {"x": 2.0, "y": 0.0, "z": 0.0}, "torque": {"x": 0.0, "y": 0.0, "z": 0.0}}
    once = [
        (
            T0 - 1_000_000,
            "/bias",
            "geometry_msgs/msg/WrenchStamped",
            {"header": {"stamp": stamp(T0 - DAY)}, "wrench": w},
        )
    ]
    path = write(tmp_path / "latched.mcap", _joints(500, 0) + once, (("/bias", "geometry_msgs/msg/WrenchStamped"),))
    (ep,) = read(path, "mcap").episodes
    bias = ep.meta.stream("bias")
    assert (bias.kind.value, bias.role, bias.count) == ("events", "latched", 1)
    assert ep.meta.duration_s == pytest.approx(1.996, abs=0.01) and ep.meta.start_ns == T0
