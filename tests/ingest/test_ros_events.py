"""Text-like messages, logs and ROS 2 service events kept as events streams (issue 13: "no clean file rejected").

The MCAPs are written here, so every value is known: a ROS 2 recording of text only (``std_msgs/String``, a custom
type of strings and booleans with a nested message, ``Empty``, a service's events), and a foxglove ``Log`` in JSON.
The service events are encoded with a definition of the event message written out by hand below, as rosbag2 writes
them, while the MCAP stores the ``.srv`` text as rosbag2 does.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from mcap.writer import Writer
from mcap_ros2._dynamic import serialize_dynamic

from factories import read
from robofuel.ingest.ros.events import text_like
from robofuel.standard import EventsData, NumericData, Severity

T0 = 1_790_000_000_000_000_000
SEP = "\n" + "=" * 80 + "\n"
SRV = "string command\nint32 speed\n---\nbool ok\nstring message"
#: The service event message as ROS 2 defines it (service_msgs/ServiceEventInfo + request[<=1] + response[<=1]).
EVENT = SEP.join(
    [
        "service_msgs/ServiceEventInfo info\nteleop_msgs/DriveRequest[<=1] request\n"
        "teleop_msgs/DriveResponse[<=1] response",
        "MSG: service_msgs/ServiceEventInfo\nuint8 event_type\nbuiltin_interfaces/Time stamp\nchar[16] client_gid\n"
        "int64 sequence_number",
        "MSG: teleop_msgs/DriveRequest\nstring command\nint32 speed",
        "MSG: teleop_msgs/DriveResponse\nbool ok\nstring message",
    ]
)
MARKER = SEP.join(["string label\nbool accepted\nteleop_msgs/Note note", "MSG: teleop_msgs/Note\nstring text"])


def _cdr(name: str, text: str, msg: dict[str, Any]) -> bytes:
    return bytes(serialize_dynamic(name, text)[name](msg))


def _event(kind: int, seq: int, request: list[dict[str, Any]], response: list[dict[str, Any]]) -> dict[str, Any]:
    info = {"event_type": kind, "stamp": {"sec": 1, "nanosec": 0}, "client_gid": list(range(16))}
    return {"info": info | {"sequence_number": seq}, "request": request, "response": response}


def _messages() -> dict[str, tuple[str, str, list[bytes]]]:
    """{topic: (schema name, stored schema text, [CDR message])}: ten of each, 0.1 s apart."""
    drive = [
        _cdr("teleop_msgs/msg/DriveEvent", EVENT, e)
        for i in range(5)
        for e in (
            _event(0, i + 1, [{"command": f"go {i}", "speed": i}], []),
            _event(3, i + 1, [], [{"ok": i % 2 == 0, "message": f"done {i}"}]),
        )
    ]
    return {
        "/chatter": (
            "std_msgs/msg/String",
            "string data",
            [_cdr("std_msgs/msg/String", "string data", {"data": f"hi {i}"}) for i in range(10)],
        ),
        "/marker": (
            "teleop_msgs/msg/Marker",
            MARKER,
            [
                _cdr("teleop_msgs/msg/Marker", MARKER, {"label": f"m{i}", "accepted": i > 4, "note": {"text": "ok"}})
                for i in range(10)
            ],
        ),
        "/trigger": ("test_msgs/msg/Empty", "", [b"\x00\x01\x00\x00\x00\x00\x00\x00"] * 10),
        "/drive/_service_event": ("teleop_msgs/srv/Drive_Event", SRV, drive),
    }


def write_text_mcap(path: Path, messages: dict[str, tuple[str, str, list[bytes]]] | None = None) -> Path:
    """A ROS 2 MCAP of the text topics of :func:`_messages` (or ``messages``), schemas stored as rosbag2 does."""
    with open(path, "wb") as f:
        w = Writer(f)
        w.start(profile="ros2", library="test")
        for topic, (name, text, datas) in (messages or _messages()).items():
            cid = w.register_channel(topic, "cdr", w.register_schema(name, "ros2msg", text.encode()))
            for i, data in enumerate(datas):
                t = T0 + i * 100_000_000
                w.add_message(cid, log_time=t, data=data, publish_time=t)
        w.finish()  # type: ignore[no-untyped-call]
    return path


def test_text_like_is_strings_and_booleans_or_nothing() -> None:
    ns = SimpleNamespace
    assert text_like(ns(data="hi"))
    assert text_like(ns(header=ns(stamp=ns(sec=1, nanosec=0), frame_id="f"), label="x", ok=True))
    assert text_like(ns())  # Empty: the event is its time
    assert text_like(ns(names=["a", "b"], note=ns(text="n")))
    assert not text_like(ns(data=True))  # std_msgs/Bool is a 0/1 signal
    assert not text_like(ns(label="x", value=1.5))
    assert not text_like(ns(label="x", blob=b"\x00"))


def test_a_recording_of_text_only_is_an_episode_of_events(tmp_path: Path) -> None:
    (ep,) = read(write_text_mcap(tmp_path / "text.mcap"), "mcap").episodes
    assert {s.name: (s.kind.value, s.count) for s in ep.meta.streams} == {
        "chatter": ("events", 10),
        "marker": ("events", 10),
        "trigger": ("events", 10),
        "drive._service_event": ("events", 10),
    }
    chatter, marker, trigger = (ep.payloads[n] for n in ("chatter", "marker", "trigger"))
    assert isinstance(chatter, EventsData) and chatter.fields["data"] == [f"hi {i}" for i in range(10)]
    assert isinstance(marker, EventsData) and marker.fields["accepted"] == [i > 4 for i in range(10)]
    assert marker.fields["label"][3] == "m3" and json.loads(marker.fields["note"][0]) == {"text": "ok"}
    assert isinstance(trigger, EventsData) and trigger.fields == {}
    np.testing.assert_array_equal(trigger.timestamps_ns, T0 + np.arange(10) * 100_000_000)
    assert ep.meta.duration_s == pytest.approx(0.9)
    assert not [f for f in ep.meta.findings if f.severity is not Severity.info]


def test_service_events_give_one_event_per_call_step(tmp_path: Path) -> None:
    result = read(write_text_mcap(tmp_path / "text.mcap"), "mcap")
    assert result.report.streams["drive._service_event"]["type"] == "teleop_msgs/srv/Drive_Event"
    (ep,) = result.episodes
    drive = ep.payloads["drive._service_event"]
    assert isinstance(drive, EventsData)
    assert drive.fields["event"] == ["request_sent", "response_received"] * 5
    assert drive.fields["sequence_number"] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert drive.fields["client"][0] == bytes(range(16)).hex()
    assert json.loads(drive.fields["request"][4]) == {"command": "go 2", "speed": 2}
    assert json.loads(drive.fields["response"][3]) == {"ok": False, "message": "done 1"}
    assert drive.fields["response"][0] is None and drive.fields["request"][1] is None


def test_a_service_event_that_does_not_decode_is_kept_with_its_type_and_why(tmp_path: Path) -> None:
    """A .srv schema naming a type it does not define cannot be rebuilt: each message is still an event (type,
    size), and an info finding says why: never dropped."""
    broken = "missing_msgs/Thing thing\n---\nbool ok"
    path = write_text_mcap(tmp_path / "b.mcap", {"/x/_service_event": ("a/srv/X_Event", broken, [b"\x00" * 12] * 3)})
    (ep,) = read(path, "mcap").episodes
    events = ep.payloads["x._service_event"]
    assert isinstance(events, EventsData)
    assert events.fields == {"type": ["a/srv/X_Event"] * 3, "size": [12] * 3}
    (found,) = [f for f in ep.meta.findings if f.code == "ingest.undecodable"]
    assert found.stream == "x._service_event" and found.value == 3 and "a/srv/X_Event" in found.message


def test_a_boolean_topic_stays_a_signal_beside_text(tmp_path: Path) -> None:
    bools = [_cdr("std_msgs/msg/Bool", "bool data", {"data": i % 2 == 1}) for i in range(10)]
    messages = {"/enabled": ("std_msgs/msg/Bool", "bool data", bools), **dict(list(_messages().items())[:1])}
    (ep,) = read(write_text_mcap(tmp_path / "bool.mcap", messages), "mcap").episodes
    enabled = ep.payloads["enabled"]
    assert isinstance(enabled, NumericData) and enabled.values[:, 0].tolist() == [i % 2 for i in range(10)]
    assert ep.meta.stream("chatter").kind.value == "events"


def test_foxglove_log_in_json_is_events(tmp_path: Path) -> None:
    path = tmp_path / "log.mcap"
    with open(path, "wb") as f:
        w = Writer(f)
        w.start(profile="", library="test")
        cid = w.register_channel("/log", "json", w.register_schema("foxglove.Log", "jsonschema", b"{}"))
        for i in range(4):
            t = T0 + i * 1_000_000_000
            stamp = {"sec": t // 1_000_000_000, "nsec": 0}
            log = {"timestamp": stamp, "level": 2, "message": f"step {i}", "name": "arm", "file": "a.py", "line": i}
            w.add_message(cid, log_time=t, data=json.dumps(log).encode(), publish_time=t)
        w.finish()  # type: ignore[no-untyped-call]
    (ep,) = read(path, "mcap").episodes
    log_events = ep.payloads["log"]
    assert isinstance(log_events, EventsData) and log_events.fields["message"] == [f"step {i}" for i in range(4)]
    assert ep.meta.stream("log").clock == "header" and ep.meta.duration_s == pytest.approx(3.0)


def test_foxglove_log_in_cdr_is_events_with_its_text(tmp_path: Path) -> None:
    """foxglove_msgs/msg/Log has numbers (level, line) beside its text: a log all the same, not a numeric signal."""
    text = "builtin_interfaces/Time timestamp\nuint8 level\nstring message\nstring name\nstring file\nuint32 line"
    logs = [
        _cdr("foxglove_msgs/msg/Log", text, {"timestamp": {"sec": 1, "nanosec": i}, "level": 3, "message": f"w{i}"})
        for i in range(3)
    ]
    (ep,) = read(write_text_mcap(tmp_path / "l.mcap", {"/log": ("foxglove_msgs/msg/Log", text, logs)}), "mcap").episodes
    log_events = ep.payloads["log"]
    assert isinstance(log_events, EventsData) and log_events.fields["message"] == ["w0", "w1", "w2"]
    assert log_events.fields["level"] == [3, 3, 3]


def test_a_stored_definition_that_does_not_fit_is_replaced_by_the_standard_one(shared_data: Path) -> None:
    """sqlite3/talker stores the placeholder ``uint8 level`` for rcl_interfaces/Log: read with it, every log was
    a garbage level alone; the standard definition reads the messages, and a warning says so."""
    (ep,) = read(shared_data / "rosbag2_fixtures/sqlite3/talker", "rosbag2").episodes
    rosout = ep.payloads["rosout"]
    assert isinstance(rosout, EventsData)
    assert rosout.fields["msg"][0] == "Publishing: 'Hello, world! 0'" and rosout.fields["level"] == [20] * 10
    assert set(rosout.fields) == {"level", "name", "msg", "file", "function", "line"}
    (found,) = [f for f in ep.meta.findings if f.code == "ingest.definition_mismatch"]
    assert (
        found.severity is Severity.warning and found.stream == "rosout" and "reads 5 of the 176 bytes" in found.message
    )
