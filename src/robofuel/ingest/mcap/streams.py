"""Turning one MCAP channel's raw messages into a canonical stream (numeric table, compressed video or events).

Decoders (:mod:`robofuel.ingest.ros.decoders`) are made once per schema; a channel without one is undecodable with
the reason counted in the report. A numeric ROS 2 topic whose messages share one CDR layout is decoded at once
(:mod:`robofuel.ingest.ros.cdr_bulk`), to the very values the per-message path gives. Otherwise messages are decoded one
by one in log-time order and handed to the topic's mapping
(:mod:`robofuel.ingest.ros.messages`); each sample's time is on the stream's chosen clock
(:mod:`robofuel.ingest.ros.clock`): its ``header.stamp`` (or time-typed ``timestamp``) where those are plausible
against the log time, else the MCAP log time; int64 ns since the Unix epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel.errors import describe_error
from robofuel.ingest.base import Built, ReadReport
from robofuel.ingest.mcap.scan import ChannelData
from robofuel.ingest.ros.cdr_bulk import BULK_MIN, decode_bulk
from robofuel.ingest.ros.clock import (
    Clocked,
    choose_clock,
    clock_notes,
    reference_note,
    reference_offset,
    stream_offset,
)
from robofuel.ingest.ros.decoders import Decode, Decoders, Undecodable
from robofuel.ingest.ros.events import EventsMapping, array_events
from robofuel.ingest.ros.flatten import GenericMapping
from robofuel.ingest.ros.messages import (
    FixedMapping,
    JointStateMapping,
    Mapping,
    VideoMapping,
    _stamp,
    frame_id,
    mapping_for,
    stamp_is_zero,
    stamp_ns,
)
from robofuel.ingest.ros.video import UnsupportedType
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

I64 = npt.NDArray[np.int64]


@dataclass
class Pending:
    """A finding about one stream at an absolute time; made a Finding once the episode start is known."""

    code: str
    message: str
    stream: str
    at_ns: int | None = None
    value: float | None = None
    severity: Severity = Severity.warning


@dataclass
class _Collected:
    mapping: Mapping
    logs: list[int]
    headers: list[int]
    first: Any
    zero_stamps: int = 0


def _collect(ch: ChannelData, decode: Decode, report: ReadReport) -> _Collected | None:
    """Decode every message in log-time order into the topic's mapping; None if no stream can come of it.

    Keeps each message's log time and header stamp (0 when it has none) for the clock choice."""
    mapping: Mapping | None = None
    first: Any = None
    logs: list[int] = []
    headers: list[int] = []
    zeros = 0
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
            zeros += not stamp and stamp_is_zero(msg)
        except UnsupportedType as exc:
            report.undecodable[f"{ch.topic}: {exc}"] += len(ch.messages)
            return None
        except Exception as exc:  # a malformed message (CDR buffer too short, missing field) costs itself only
            report.undecodable[f"{ch.topic}: {describe_error(exc)}"] += 1
            continue
        logs.append(log_time)
        headers.append(stamp)
    return _Collected(mapping, logs, headers, first, zeros) if mapping is not None and logs else None


#: Mappings whose rows copy message leaves (checked per topic by ``leaf_columns``): these may be filled in bulk.
BULK_MAPPINGS = (FixedMapping, JointStateMapping, GenericMapping)


def _collect_bulk(ch: ChannelData, decode: Decode, defs: dict[str, Any] | None) -> _Collected | None:
    """As :func:`_collect`, for a topic whose messages share one CDR layout, decoded at once
    (:mod:`robofuel.ingest.ros.cdr_bulk`); None when it is not (then it is decoded message by message). The first and
    last rows are checked against the general decoder's."""
    if defs is None or ch.schema is None or len(ch.messages) < BULK_MIN:
        return None
    ordered = sorted(ch.messages, key=lambda m: m[0])
    payloads = [data for _, data in ordered]
    try:
        bulk = decode_bulk(defs, ch.schema.name, payloads)
        if bulk is None:
            return None
        first = decode(payloads[0])
        mapping = mapping_for(ch.type_name, first, ch.topic)
        if type(mapping) not in BULK_MAPPINGS:
            return None
        assert isinstance(mapping, FixedMapping | JointStateMapping | GenericMapping)
        values = bulk.table(mapping.leaf_columns(bulk.layout.probe))
        headers, zeros = bulk.stamps(_stamp(bulk.layout.probe))
        for i, msg in ((0, first), (-1, decode(payloads[-1]))):
            row = np.array(mapping.check_row(msg), np.float64)
            if row.shape != values[i].shape or row.tobytes() != values[i].tobytes():
                return None
    except Exception:  # anything unexpected: the general path decodes the topic and reports what is wrong
        return None
    mapping.add_table(values)
    return _Collected(mapping, [t for t, _ in ordered], headers.tolist(), first, zeros)


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
    replaced = decoders.note_for(ch)
    if replaced is not None:
        pending.append(Pending("ingest.definition_mismatch", f"{ch.topic}: {replaced}", name))
    collected = _collect_bulk(ch, decode, decoders.definitions_for(ch)) or _collect(ch, decode, report)
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
        message = f"{ch.topic}: {text} ({note.count} messages)"
        pending.append(Pending(note.code, message, name, at, note.count, Severity(note.severity)))
    pending += clock_pending(name, ch.topic, timed, collected.zero_stamps)
    register_stream(report, stream, ch.type_name)
    return [built, *arrays]


def episode_offsets(waiting: list[Waiting], floor_ns: int) -> list[int | None]:
    """The header offsets of the signal streams, from which the episode's clock is chosen."""
    return [stream_offset(w.logs, w.headers, floor_ns) for w in waiting if w.signal]


def build_all(waiting: list[Waiting], floor_ns: int, pending: list[Pending]) -> list[Built]:
    """Every waiting stream built on the episode's clock (:func:`~robofuel.ingest.ros.clock.reference_offset`)."""
    offsets = episode_offsets(waiting, floor_ns)
    reference = reference_offset(offsets)
    note = reference_note(reference, sum(o is not None for o in offsets))
    if note is not None:
        pending.append(Pending("timing.clock_reference", note, "", None, reference / 1e9, Severity.info))
    return [b for w in waiting for b in w.build(choose_clock(w.logs, w.headers, floor_ns, reference))]


def clock_pending(name: str, topic: str, timed: Clocked, zero_stamps: int = 0) -> list[Pending]:
    """The info findings of a stream's clock choice (:func:`~robofuel.ingest.ros.clock.clock_notes`)."""
    notes = clock_notes(topic, timed, zero_stamps)
    return [Pending(code, text, name, None, value, Severity.info) for code, text, value in notes]


def register_stream(report: ReadReport, stream: Stream, type_name: str) -> None:
    """Count a built stream's samples as decoded and list it in the per-file report."""
    report.decoded += stream.count
    report.add_stream(stream, type=type_name)
