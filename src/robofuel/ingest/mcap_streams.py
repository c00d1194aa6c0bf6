"""Turning one MCAP channel's raw messages into a canonical stream (numeric table or compressed video).

Decoders are made once per schema: ROS 2 CDR through ``mcap_ros2`` (``ros2msg`` schemas), JSON through
``json.loads`` into attribute-access namespaces, protobuf through ``mcap_protobuf`` from the FileDescriptorSet
the schema embeds, ROS 1 through ``rosbags`` from the stored message definition (and
ROS 2 standard types through ``rosbags`` when a bag stores no definition). Any other message encoding (a bogus
one) makes its channel undecodable with the reason counted in the report, as does a schema that does not
parse. Messages are decoded one by one in log-time order and handed to the topic's mapping
(:mod:`robofuel.ingest.ros_messages`); each sample's time is on the stream's chosen clock
(:mod:`robofuel.ingest.ros_clock`): its ``header.stamp`` (or time-typed ``timestamp``) where those are plausible
against the log time, else the MCAP log time; int64 ns since the Unix epoch.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import numpy.typing as npt
from mcap.records import Schema

from robofuel.ingest.base import Built, ReadReport
from robofuel.ingest.mcap_scan import ChannelData
from robofuel.ingest.ros_clock import (
    Clocked,
    choose_clock,
    clock_notes,
    reference_note,
    reference_offset,
    stream_offset,
)
from robofuel.ingest.ros_events import EventsMapping, array_events
from robofuel.ingest.ros_flatten import GenericMapping
from robofuel.ingest.ros_messages import Mapping, VideoMapping, frame_id, mapping_for, stamp_ns
from robofuel.ingest.ros_video import UnsupportedType
from robofuel.standard import (
    EventsData,
    NumericData,
    Severity,
    Stream,
    VideoData,
    events_stream,
    numeric_stream,
    video_stream,
)

Decode = Callable[[bytes], Any]
I64 = npt.NDArray[np.int64]
#: What a malformed message raises inside a mapping; it costs that message only.
MESSAGE_ERRORS = (ValueError, AttributeError, TypeError, IndexError, KeyError)


class Undecodable(Exception):
    """A channel whose messages cannot be decoded; the message is the reason."""


@dataclass
class Pending:
    """A finding about one stream at an absolute time; made a Finding once the episode start is known."""

    code: str
    message: str
    stream: str
    at_ns: int | None = None
    value: float | None = None
    severity: Severity = Severity.warning


def _json_decode(data: bytes) -> Any:
    return json.loads(data, object_hook=lambda d: SimpleNamespace(**d))


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


class Decoders:
    """One decoder per (schema, encoding), made on first use; a failure is remembered as its reason."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], Decode | str] = {}
        self._factory: Any = None
        self._ros1_stores: list[Any] = []

    def for_channel(self, ch: ChannelData) -> Decode:
        """The decoder of ``ch``'s messages; :class:`Undecodable` naming the reason when there is none."""
        key = (ch.schema.id if ch.schema is not None else 0, ch.message_encoding)
        if key not in self._cache:
            try:
                self._cache[key] = self._make(ch)
            except Undecodable as exc:
                self._cache[key] = str(exc)
        found = self._cache[key]
        if isinstance(found, str):
            raise Undecodable(found)
        return found

    def _make(self, ch: ChannelData) -> Decode:
        if ch.message_encoding == "json":
            return _json_decode
        if ch.message_encoding == "ros1":
            return ros1_decoder(ch.schema, self._ros1_stores)
        if ch.message_encoding == "protobuf":
            return protobuf_decoder(ch.schema)
        if ch.message_encoding != "cdr":
            raise Undecodable(f"unsupported encoding {ch.message_encoding!r}")
        if ch.schema is None:
            raise Undecodable("CDR messages without a schema")
        if ch.schema.encoding == "" and not ch.schema.data:  # a rosbag2 sqlite3 bag that stores no definitions
            return standard_cdr_decoder(ch.type_name)
        if ch.schema.encoding != "ros2msg":
            raise Undecodable(f"unsupported schema encoding {ch.schema.encoding!r} (only ros2msg is)")
        if "---" in ch.schema.data.decode(errors="replace").splitlines():
            raise Undecodable(
                f"schema {ch.schema.name} is a service definition (request --- response), not a message: "
                "service events are not read"
            )
        from mcap_ros2.decoder import DecoderFactory

        self._factory = self._factory or DecoderFactory()
        try:
            with contextlib.redirect_stderr(io.StringIO()):  # the vendored msg parser prints its complaints
                decoder = self._factory.decoder_for("cdr", ch.schema)
        except Exception as exc:
            raise Undecodable(f"schema {ch.schema.name} does not parse ({describe_error(exc)})") from exc
        if decoder is None:
            raise Undecodable(f"no CDR decoder for schema {ch.schema.name}")
        return decoder  # type: ignore[no-any-return]


def _full_type(name: str) -> str:
    """``pkg/Type`` or ``pkg/msg/Type`` -> ``pkg/msg/Type``, the name rosbags registers types under."""
    parts = name.split("/")
    return f"{parts[0]}/msg/{parts[-1]}" if len(parts) == 2 else name


def ros1_decoder(schema: Schema | None, stores: list[Any]) -> Decode:
    """A decoder of ROS 1 serialized messages from the full message definition a bag or MCAP stores.

    Types are registered in the first of ``stores`` (rosbags typestores, shared by the decoders of one file so
    that each type's code is generated once) whose definitions do not conflict; a new store is added when all do
    (two recorders may define one type differently)."""
    if schema is None or not schema.data:
        raise Undecodable("ROS 1 messages without a message definition")
    if schema.encoding not in ("ros1msg", ""):
        raise Undecodable(f"unsupported schema encoding {schema.encoding!r} for ROS 1 messages")
    from rosbags.typesys import Stores, TypesysError, get_types_from_msg, get_typestore

    name = _full_type(schema.name)
    try:
        types = get_types_from_msg(schema.data.decode("utf-8", "replace"), name)
    except Exception as exc:
        raise Undecodable(f"message definition of {schema.name} does not parse ({describe_error(exc)})") from exc
    for store in [*stores, None]:
        if store is None:
            store = get_typestore(Stores.EMPTY)
            stores.append(store)
        try:
            store.register(types)
        except TypesysError:
            continue
        except Exception as exc:
            raise Undecodable(f"message definition of {schema.name} is invalid ({describe_error(exc)})") from exc
        return _bound_ros1(store, name)
    raise AssertionError("unreachable: a fresh store accepts any parsed definition")


def _bound_ros1(store: Any, name: str) -> Decode:
    return lambda data: store.deserialize_ros1(data, name)


def protobuf_decoder(schema: Schema | None) -> Decode:
    """A decoder of protobuf messages from the FileDescriptorSet the MCAP schema embeds."""
    if schema is None or schema.encoding != "protobuf":
        raise Undecodable("protobuf messages without an embedded protobuf schema (FileDescriptorSet)")
    from mcap_protobuf.decoder import DecoderFactory as ProtobufDecoders

    try:
        decoder = ProtobufDecoders().decoder_for("protobuf", schema)
    except Exception as exc:
        raise Undecodable(f"protobuf schema {schema.name} does not load ({describe_error(exc)})") from exc
    if decoder is None:
        raise Undecodable(f"no protobuf decoder for schema {schema.name}")
    return decoder  # type: ignore[no-any-return]


def standard_cdr_decoder(type_name: str) -> Decode:
    """A CDR decoder for a ROS 2 standard type, for bags that store no definition (older rosbag2 sqlite3)."""
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_HUMBLE)
    name = _full_type(type_name)
    if name not in store.fielddefs:
        raise Undecodable(f"no message definition stored for {type_name} and it is not a ROS 2 standard type")
    return lambda data: store.deserialize_cdr(data, name)


@dataclass
class _Collected:
    mapping: Mapping
    logs: list[int]
    headers: list[int]
    first: Any


def _collect(ch: ChannelData, decode: Decode, report: ReadReport) -> _Collected | None:
    """Decode every message in log-time order into the topic's mapping; None if no stream can come of it.

    Keeps each message's log time and header stamp (0 when it has none) for the clock choice."""
    mapping: Mapping | None = None
    first: Any = None
    logs: list[int] = []
    headers: list[int] = []
    for log_time, data in sorted(ch.messages, key=lambda m: m[0]):
        try:
            msg = decode(data)
            if mapping is None:
                first, mapping = msg, mapping_for(ch.type_name, msg, ch.topic)
                if mapping is None:
                    report.skipped[f"{ch.topic}: no numeric fields: {ch.type_name}"] += len(ch.messages)
                    return None
            stamp = stamp_ns(msg) or 0
            mapping.add(msg)
        except UnsupportedType as exc:
            report.undecodable[f"{ch.topic}: {exc}"] += len(ch.messages)
            return None
        except Exception as exc:  # a malformed message (CDR buffer too short, missing field) costs itself only
            report.undecodable[f"{ch.topic}: {describe_error(exc)}"] += 1
            continue
        logs.append(log_time)
        headers.append(stamp)
    return _Collected(mapping, logs, headers, first) if mapping is not None and logs else None


def _numeric(
    name: str, ch: ChannelData, c: _Collected, t: Clocked, report: ReadReport, quiet: bool = False
) -> Built | None:
    """The numeric stream of a channel; None without columns (counted as skipped unless ``quiet``: its long
    arrays made a stream)."""
    m = c.mapping
    assert not isinstance(m, VideoMapping | EventsMapping)
    values = m.table()
    if not m.columns:
        if not quiet:
            report.skipped[f"{ch.topic}: no numeric fields: {ch.type_name}"] += len(c.logs)
        return None
    data = NumericData(t.times[t.keep], values[t.keep])
    info = {
        "role": m.role,
        "unit": m.unit,
        "column_units": m.column_units,
        "quaternion_order": m.quaternion_order,
    }
    return numeric_stream(name, data, m.columns, frame=frame_id(c.first), source=ch.topic, **info), data


def _video(name: str, ch: ChannelData, c: _Collected, t: Clocked) -> Built:
    m = c.mapping
    assert isinstance(m, VideoMapping)
    m.probe_size()
    packets = [p for p, k in zip(m.packets, t.keep.tolist(), strict=True) if k]
    data = VideoData(t.times[t.keep], m.codec, m.width, m.height, packets=packets)
    extra = {"pixel_format": m.pixel_format} if m.pixel_format else {}
    return video_stream(name, data, role=m.role, frame=frame_id(c.first), source=ch.topic, **extra), data


@dataclass
class Waiting:
    """A stream decoded but not built yet: its messages' log times and header stamps (0: none), ns, and how to
    build it once its clock is chosen (``build(timed)``: its streams, none with the reason in the report).
    ``signal`` is false for text events: their stamps (a node's wall clock) do not choose the episode's clock."""

    logs: I64
    headers: I64
    build: Callable[[Clocked], list[Built]]
    signal: bool = True


def collect_stream(
    name: str, ch: ChannelData, decoders: Decoders, report: ReadReport, pending: list[Pending]
) -> Waiting | None:
    """One channel decoded into its mapping, waiting for the episode's clock; None with the reason in the report."""
    try:
        decode = decoders.for_channel(ch)
    except Undecodable as exc:
        report.undecodable[f"{ch.topic}: {exc}"] += len(ch.messages)
        return None
    collected = _collect(ch, decode, report)
    if collected is None:
        return None
    for reason, n in collected.mapping.skipped.items():
        report.skipped[f"{ch.topic}: {reason}"] += n
    logs, headers = np.array(collected.logs, np.int64), np.array(collected.headers, np.int64)
    once = ch.latched and len(logs) <= LATCHED_ONCE
    signal = not isinstance(collected.mapping, EventsMapping) and not once

    def build(timed: Clocked) -> list[Built]:
        built = _build(name, ch, collected, timed, report, pending)
        if not once:
            return built
        states = [as_state(b) for b in built]
        for stream, _ in states:
            report.streams.get(stream.name, {})["kind"] = stream.kind.value
        return states

    return Waiting(logs, headers, build, signal)


def _arrays(name: str, ch: ChannelData, m: Mapping, timed: Clocked, report: ReadReport) -> list[Built]:
    """The ``<name>.arrays`` events stream of a generic type's arrays too long for columns, if it has any."""
    if not isinstance(m, GenericMapping):
        return []
    events = array_events(m.arrays, timed.times, timed.keep)
    if events is None:
        return []
    stream = events_stream(f"{name}.arrays", events, role="arrays", source=ch.topic, clock=timed.clock)
    register_stream(report, stream, ch.type_name)
    return [(stream, events)]


#: A latched topic with at most this many messages is a state announced once (parameters, a map's metadata): kept
#: as events (role ``latched``), so that it neither sets the episode's span nor its clock, nor "ends early".
LATCHED_ONCE = 2


def as_state(built: Built) -> Built:
    """A latched one-shot numeric stream as events (one field per column, role ``latched``); others unchanged."""
    stream, data = built
    if not isinstance(data, NumericData):
        return built
    events = EventsData(data.timestamps_ns, {c: data.values[:, i].tolist() for i, c in enumerate(stream.columns)})
    return events_stream(stream.name, events, role="latched", source=stream.source, clock=stream.clock), events


def _build(
    name: str, ch: ChannelData, collected: _Collected, timed: Clocked, report: ReadReport, pending: list[Pending]
) -> list[Built]:
    """The canonical stream of one decoded channel on its chosen clock, and its long arrays as events."""
    m = collected.mapping
    if not timed.keep.any():
        report.skipped[f"{ch.topic}: no message with a valid time"] += len(collected.logs)
        return []
    arrays = _arrays(name, ch, m, timed, report)
    if isinstance(m, EventsMapping):
        events = m.data(timed.times, timed.keep)
        built: Built | None = events_stream(name, events, source=ch.topic, clock=timed.clock), events
    elif isinstance(m, VideoMapping):
        built = _video(name, ch, collected, timed)
    else:
        built = _numeric(name, ch, collected, timed, report, quiet=bool(arrays))
    if built is None:
        return arrays
    stream = built[0]
    stream.clock = timed.clock
    for text, note in m.notes.items():
        at = int(timed.times[min(note.first_row, len(timed.times) - 1)])
        pending.append(Pending(note.code, f"{ch.topic}: {text} ({note.count} messages)", name, at, note.count))
    pending += clock_pending(name, ch.topic, timed)
    register_stream(report, stream, ch.type_name)
    return [built, *arrays]


def build_all(waiting: list[Waiting], floor_ns: int, pending: list[Pending]) -> list[Built]:
    """Every waiting stream built on the episode's clock (:func:`~robofuel.ingest.ros_clock.reference_offset`)."""
    offsets = [stream_offset(w.logs, w.headers, floor_ns) for w in waiting if w.signal]
    reference = reference_offset(offsets)
    note = reference_note(reference, sum(o is not None for o in offsets))
    if note is not None:
        pending.append(Pending("timing.clock_reference", note, "", None, reference / 1e9, Severity.info))
    return [b for w in waiting for b in w.build(choose_clock(w.logs, w.headers, floor_ns, reference))]


def clock_pending(name: str, topic: str, timed: Clocked) -> list[Pending]:
    """The info findings of a stream's clock choice (:func:`~robofuel.ingest.ros_clock.clock_notes`)."""
    return [Pending(code, text, name, None, value, Severity.info) for code, text, value in clock_notes(topic, timed)]


def register_stream(report: ReadReport, stream: Stream, type_name: str) -> None:
    """Count a built stream's samples as decoded and list it in the per-file report."""
    report.decoded += stream.count
    report.add_stream(stream, type=type_name)
