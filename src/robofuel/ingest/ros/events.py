"""Messages kept as events: text, service calls, and arrays too long for columns (:func:`array_events`: a laser
scan's ranges, a point cloud).

Text carries no signal, but it is what happened (a node's warnings, an operator's note, a teleop marker), so it is
kept as an events stream (:class:`~robofuel.standard.EventsData`), one event per message. Text is
``std_msgs/String``, the logs (``rcl_interfaces/Log``, ``rosgraph_msgs/Log``, ``foxglove/Log`` in CDR, ROS 1,
protobuf or JSON) and any other type that is text-like (:func:`text_like`: only strings and booleans, or no field
at all as ``Empty``: then each event is a time alone). An event has one field per top-level field of the message:
``data`` for a string; ``level``, ``name``, ``msg``, ``file``, ``function``, ``line`` (ROS 1: and ``topics``) for
a ROS log (foxglove: ``message``); a nested message or a list of them is kept as JSON text. The time fields
(``header``, ``stamp``, ``timestamp``) are the event's time, not fields.

ROS 2 service events (:mod:`robofuel.ingest.ros.services`) give one event per call step
(:class:`ServiceEventMapping`): ``event`` (``request_sent``, ``request_received``, ``response_sent``,
``response_received``), ``sequence_number``, ``client`` (the client's id, hex), and ``request`` / ``response`` as
JSON text where the recorder kept the contents; a message that did not decode is kept with its ``type``, ``size``
(bytes) and an ``ingest.undecodable`` note saying why.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np

from robofuel.ingest.ros.flatten import Note, fields
from robofuel.ingest.ros.services import EVENT_TYPES, UndecodedEvent
from robofuel.standard import EventsData

_TIME_FIELDS = ("header", "stamp", "timestamp")
_SCALARS = (str, bool, int, float, np.number, np.bool_)
_BLOBS = (bytes, bytearray, np.ndarray)


def _plain(value: Any) -> str | bool | int | float:
    """A message scalar as a plain Python value (numpy scalars unwrapped)."""
    return value.item() if isinstance(value, np.generic) else value  # type: ignore[no-any-return]


def _is_list(value: Any) -> bool:
    """A sequence field: a list, a tuple, a numpy array or a protobuf repeated field."""
    return isinstance(value, list | tuple | np.ndarray) or type(value).__name__.startswith("Repeated")


def to_plain(value: Any) -> Any:
    """A decoded message or field as JSON-ready Python values: messages as dicts of their fields, sequences as
    lists, bytes as hex text, numpy scalars unwrapped."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, np.ndarray):
        return value.tobytes().hex() if value.dtype == np.uint8 else value.tolist()
    if isinstance(value, _SCALARS) or value is None:
        return _plain(value)
    if _is_list(value):
        return [to_plain(v) for v in value]
    return {name: to_plain(getattr(value, name)) for name in fields(value)}


def as_json(value: Any) -> str:
    """A decoded message or field as compact JSON text (:func:`to_plain`)."""
    return json.dumps(to_plain(value), separators=(",", ":"), default=str)


def _text_leaves(value: Any, skip: tuple[str, ...] = ()) -> tuple[bool, bool]:
    """(only strings and booleans below ``value``, at least one string); fields named in ``skip`` do not count."""
    if isinstance(value, str):
        return True, True
    if isinstance(value, bool | np.bool_):
        return True, False
    if _is_list(value) and not isinstance(value, np.ndarray):
        items = list(value)
    elif isinstance(value, _BLOBS + _SCALARS) or not fields(value):
        return False, False  # numbers, bytes, or a value that is neither a message nor a sequence
    else:
        items = [getattr(value, n) for n in fields(value) if n not in skip]
    only, text = True, False
    for item in items:
        o, t = _text_leaves(item)
        only, text = only and o, text or t
    return only, text


def text_like(msg: Any) -> bool:
    """A message that is text, not a signal: only string and boolean fields (at least one string), or no field
    at all (``Empty``: the event is the time itself). A message of booleans only (``std_msgs/Bool``) is a 0/1
    signal and stays numeric."""
    names = [n for n in fields(msg) if n not in _TIME_FIELDS]
    if not names:
        return True
    only, text = _text_leaves(msg, _TIME_FIELDS)
    return only and text


class EventsMapping:
    """Accumulates one topic's text messages as events; ``add`` appends one event or raises without a change."""

    kind = "events"

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.notes: dict[str, Note] = {}
        self.skipped: Counter[str] = Counter()
        self._seen: dict[str, None] = {}

    def add(self, msg: Any) -> None:
        row: dict[str, Any] = {}
        for name in fields(msg):
            if name in _TIME_FIELDS:
                continue
            value = getattr(msg, name)
            if isinstance(value, _SCALARS):
                row[name] = _plain(value)
            elif isinstance(value, list | tuple) and all(isinstance(v, _SCALARS) for v in value):
                row[name] = [_plain(v) for v in value]  # ROS 1 log's topics
            elif value is not None:
                row[name] = as_json(value)  # a nested message, or a list of them
        self.keep(row)

    def keep(self, row: dict[str, Any]) -> None:
        """Append one event's fields."""
        self._seen.update(dict.fromkeys(row))
        self.rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)

    def data(self, times_ns: np.ndarray, keep: np.ndarray) -> EventsData:
        """The events kept by ``keep`` at ``times_ns`` (both per message), fields in first-seen order."""
        rows = [r for r, k in zip(self.rows, keep.tolist(), strict=True) if k]
        return EventsData(times_ns[keep], {f: [r.get(f) for r in rows] for f in self._seen})


class ServiceEventMapping(EventsMapping):
    """A ROS 2 service event topic: one event per call step (see the module docstring)."""

    def add(self, msg: Any) -> None:
        if isinstance(msg, UndecodedEvent):
            self.notes.setdefault(
                f"{msg.type} {msg.reason}: kept as events with the type and size only",
                Note("ingest.undecodable", len(self), 0, "info"),
            ).count += 1
            self.keep({"type": msg.type, "size": msg.size})
            return
        info = msg.info
        kind = int(info.event_type)
        row: dict[str, Any] = {
            "event": EVENT_TYPES[kind] if 0 <= kind < len(EVENT_TYPES) else f"event_type {kind}",
            "sequence_number": int(info.sequence_number),
            "client": to_plain(info.client_gid),
        }
        for part in ("request", "response"):
            items = list(getattr(msg, part))
            row[part] = as_json(items[0]) if items else None
        self.keep(row)


def array_events(arrays: list[dict[str, Any]], times_ns: np.ndarray, keep: np.ndarray) -> EventsData | None:
    """The arrays too long for columns (:class:`~robofuel.ingest.ros.flatten.GenericMapping` ``arrays``, one dict
    per message) as events: one field per array path, a float64 array or bytes per message (None where a message
    lacks it); None when no message has one."""
    rows = [a for a, k in zip(arrays, keep.tolist(), strict=True) if k]
    paths = list(dict.fromkeys(p for a in rows for p in a))
    if not paths:
        return None
    return EventsData(times_ns[keep], {p: [a.get(p) for a in rows] for p in paths})
