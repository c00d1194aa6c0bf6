"""Messages kept as events: text (``std_msgs/String``, ``rcl_interfaces/Log``, ``rosgraph_msgs/Log``,
``foxglove/Log``), and arrays too long for columns (:func:`array_events`: a laser scan's ranges, a point cloud).

They carry no signal, but they are what happened (a node's warnings, an operator's note), so they are kept as an
events stream (:class:`~robofuel.standard.EventsData`), one event per message, with one field per top-level scalar
field of the message (or list of scalars): ``data`` for a string; ``level``, ``name``, ``msg``, ``file``,
``function``, ``line`` (ROS 1: and ``topics``) for a ROS log (foxglove: ``message``). The time fields (``header``,
``stamp``, ``timestamp``) are the event's time, not fields; nested messages are left out (counted in ``skipped``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from robofuel.ingest.ros_flatten import Note, fields
from robofuel.standard import EventsData

_TIME_FIELDS = ("header", "stamp", "timestamp")
_SCALARS = (str, bool, int, float, np.number, np.bool_)


def _plain(value: Any) -> str | bool | int | float:
    """A message scalar as a plain Python value (numpy scalars unwrapped)."""
    return value.item() if isinstance(value, np.generic) else value  # type: ignore[no-any-return]


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
                self.skipped[f"field {name} not kept (events keep scalar fields)"] += 1
        self._seen.update(dict.fromkeys(row))
        self.rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)

    def data(self, times_ns: np.ndarray, keep: np.ndarray) -> EventsData:
        """The events kept by ``keep`` at ``times_ns`` (both per message), fields in first-seen order."""
        rows = [r for r, k in zip(self.rows, keep.tolist(), strict=True) if k]
        return EventsData(times_ns[keep], {f: [r.get(f) for r in rows] for f in self._seen})


def array_events(arrays: list[dict[str, Any]], times_ns: np.ndarray, keep: np.ndarray) -> EventsData | None:
    """The arrays too long for columns (:class:`~robofuel.ingest.ros_flatten.GenericMapping` ``arrays``, one dict
    per message) as events: one field per array path, a float64 array or bytes per message (None where a message
    lacks it); None when no message has one."""
    rows = [a for a, k in zip(arrays, keep.tolist(), strict=True) if k]
    paths = list(dict.fromkeys(p for a in rows for p in a))
    if not paths:
        return None
    return EventsData(times_ns[keep], {p: [a.get(p) for a in rows] for p in paths})
