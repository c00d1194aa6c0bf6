"""Numeric mappings of decoded messages: the base class, and flattening of types with no dedicated mapping.

A flattened type gets one column per numeric scalar or numeric array element, named by its path:
``pose.position.x``, ``data[3]``, ``transforms[0].transform.translation.x``. Booleans become 0/1, integers
float64 (exact up to 2^53). Strings are not signals and are left out; ``header`` and a time-typed
``timestamp`` at the top level are the sample time, not columns. Arrays longer than :data:`MAX_ARRAY` (a laser
scan's ranges, a point cloud's bytes) are not made into columns: :class:`GenericMapping` keeps them per message
(``arrays``: float64 arrays, or bytes for ``uint8[]``), and the reader makes them an events stream
``<stream>.arrays`` with one field per array path; arrays of messages that long are counted as skipped fields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Row = list[float]
F64 = npt.NDArray[np.float64]

#: Longer arrays (images, point clouds, long covariance blobs) are not flattened into columns.
MAX_ARRAY = 64
_NUMBER = (bool, int, float, np.number, np.bool_)


@dataclass
class Note:
    """Something worth a finding (rule ``code``, ``severity`` a :class:`~robofuel.standard.Severity` value), first
    seen at row ``first_row`` and seen ``count`` times."""

    code: str
    first_row: int
    count: int = 1
    severity: str = "warning"


class NumericMapping:
    """Accumulates one topic's messages into a (N, C) float64 table with named columns.

    ``add`` either appends exactly one row or raises (ValueError, AttributeError, TypeError, IndexError)
    without changing anything, so the caller can count the message as undecodable and go on. ``notes`` collect
    problems worth a finding on the stream; ``skipped`` counts fields left out, by reason.
    """

    kind = "numeric"

    def __init__(
        self,
        columns: list[str],
        *,
        role: str | None = None,
        unit: str | None = None,
        column_units: dict[str, str] | None = None,
        quaternion_order: str | None = None,
    ) -> None:
        self.columns = columns
        self.role = role
        self.unit = unit
        self.column_units = column_units or {}
        self.quaternion_order = quaternion_order
        self.rows: list[Row] = []
        #: Rows decoded in bulk (:meth:`add_table`), before those of ``rows``.
        self._bulk: F64 | None = None
        self.notes: dict[str, Note] = {}
        #: Fields the sender marks as not provided (field -> how it says so), left out of the columns.
        self.not_provided: dict[str, str] = {}
        self.skipped: Counter[str] = Counter()

    def row(self, msg: Any) -> Row:
        """One float per column for ``msg``."""
        raise NotImplementedError

    def add(self, msg: Any) -> None:
        row = self.row(msg)
        if len(row) != len(self.columns):
            raise ValueError(f"{len(row)} values for {len(self.columns)} columns")
        self.rows.append(row)

    def leaf_columns(self, probe: Any) -> list[int]:
        """For each column, the index of the message leaf it copies, read off ``probe`` (a message whose numeric
        leaves hold their own indices, :mod:`robofuel.ingest.ros.cdr_bulk`); ValueError when a column is no plain copy
        of one leaf (then the messages are added one by one)."""
        row = self.check_row(probe)
        if len(row) != len(self.columns) or not all(float(v).is_integer() for v in row):
            raise ValueError("a column is not a copy of one leaf")
        return [int(v) for v in row]

    def check_row(self, msg: Any) -> Row:
        """The row :meth:`add` would append for ``msg``, without adding it."""
        return self.row(msg)

    def add_table(self, values: F64) -> None:
        """Append rows decoded in bulk, (N, C), as :meth:`add` would have appended them one by one; kept as the
        array itself (no list of rows) when the mapping has no rows yet."""
        if len(self):
            self.rows.extend(values.tolist())
        else:
            self._bulk = values

    def note(self, text: str, code: str = "ingest.inconsistent_messages", severity: str = "warning") -> None:
        """Record a problem with the row about to be added."""
        found = self.notes.get(text)
        if found is None:
            self.notes[text] = Note(code, len(self), severity=severity)
        else:
            found.count += 1

    def __len__(self) -> int:
        return len(self.rows) + (0 if self._bulk is None else len(self._bulk))

    def table(self) -> F64:
        """The (N, C) values, built once from the accumulated rows; quaternions the sender never filled in are
        left out (see :meth:`drop_absent_quaternions`)."""
        values = np.array(self.rows, dtype=np.float64).reshape(len(self.rows), len(self.columns))
        if self._bulk is not None:
            values = np.concatenate([self._bulk, values]) if len(values) else self._bulk
        for name, how in self.not_provided.items():
            self.notes[f"{name} not provided ({how}): left out"] = Note("ingest.not_provided", 0, len(values), "info")
        return self.drop_absent_quaternions(values)

    def drop_absent_quaternions(self, values: F64) -> F64:
        """``values`` without the quaternion columns (``<prefix>.x/.y/.z/.w``) that are zero in every message.

        A zero quaternion is no rotation at all: it is how a sender says "not provided" (an IMU without an
        orientation filter publishes 0, 0, 0, 0). Kept, it would be data robofuel cannot interpret and every
        interpolation of it NaN; so it is dropped, with an info note on the stream, and ``quaternion_order`` is
        cleared when no quaternion is left.
        """
        if self.quaternion_order is None or len(values) == 0:
            return values
        index = {c: i for i, c in enumerate(self.columns)}
        drop: list[int] = []
        for col in self.columns:
            if not col.endswith(".x"):
                continue
            group = [index.get(f"{col[:-2]}.{a}") for a in "xyzw"]
            cols = [i for i in group if i is not None]
            if len(cols) == 4 and not np.any(values[:, cols]):
                drop += cols
                text = f"{col[:-2]} not provided (a zero quaternion in every message): left out"
                self.notes[text] = Note("ingest.not_provided", 0, len(values), "info")
        if not drop:
            return values
        keep = [i for i in range(len(self.columns)) if i not in drop]
        self.columns = [self.columns[i] for i in keep]
        self.column_units = {c: u for c, u in self.column_units.items() if c in self.columns}
        if not any(c.endswith(".w") for c in self.columns):
            self.quaternion_order = None
        return values[:, keep]


def fields(msg: Any) -> list[str]:
    """Field names of a decoded message: its protobuf descriptor's, ``__slots__`` (mcap_ros2), else its attributes
    (rosbags, JSON) less the constants rosbags declares as ``ClassVar`` (``Log.DEBUG``, ``__msgtype__``)."""
    descriptor = getattr(msg, "DESCRIPTOR", None)
    if descriptor is not None and hasattr(descriptor, "fields"):
        return [f.name for f in descriptor.fields]
    slots = getattr(msg, "__slots__", None)
    if slots:
        return list(slots)
    if not hasattr(msg, "__dict__"):
        return []
    declared = getattr(type(msg), "__annotations__", {})
    return [n for n in vars(msg) if not str(declared.get(n, "")).startswith(("ClassVar", "typing.ClassVar"))]


def _is_repeated(value: Any) -> bool:
    """A protobuf repeated field (a sequence type of its own, neither list nor message)."""
    return type(value).__name__.startswith("Repeated")  # RepeatedScalarContainer, RepeatedCompositeContainer...


def _is_time(value: Any) -> bool:
    return hasattr(value, "sec") or hasattr(value, "secs") or hasattr(value, "seconds")


def _long_array(items: Any) -> bytes | F64 | None:
    """A long numeric array as kept per message: bytes for ``uint8[]`` / ``bytes``, else float64; None if it is
    not numbers (an array of messages)."""
    if isinstance(items, bytes | bytearray):
        return bytes(items)
    if isinstance(items, np.ndarray) and items.dtype.kind in "biuf":
        return items.tobytes() if items.dtype == np.uint8 else items.astype(np.float64)
    if all(isinstance(v, _NUMBER) for v in items):
        return np.asarray(items, dtype=np.float64)
    return None


def _array(
    path: str, value: Any, skipped: Counter[str], limit: int, big: dict[str, Any] | None = None
) -> Iterator[tuple[str, float]]:
    """Columns ``path[i]`` of an array field: numbers directly, messages flattened, text left out; an array
    longer than ``limit`` goes to ``big`` (when given) instead."""
    items: Any = value.ravel() if isinstance(value, np.ndarray) else value
    if len(items) == 0 or isinstance(items[0], str):
        return  # empty, or string[]: text, not a signal
    if len(items) > limit:
        kept = _long_array(items) if big is not None else None
        if kept is None:
            skipped[f"field {path} not made into columns (arrays over {limit} values)"] += 1
        else:
            assert big is not None
            big[path] = kept
        return
    if isinstance(items, bytes | bytearray) or (isinstance(items, np.ndarray) and items.dtype.kind in "biuf"):
        yield from ((f"{path}[{i}]", float(v)) for i, v in enumerate(items))
        return
    for i, item in enumerate(items):
        if isinstance(item, _NUMBER):
            yield f"{path}[{i}]", float(item)
        else:
            yield from flatten(item, skipped, f"{path}[{i}].", limit, big)


def flatten(
    msg: Any, skipped: Counter[str], prefix: str = "", limit: int = MAX_ARRAY, big: dict[str, Any] | None = None
) -> Iterator[tuple[str, float]]:
    """(column, value) for every numeric leaf of ``msg``; fields left out are counted in ``skipped``.

    Numeric arrays longer than ``limit`` values go to ``big`` by path (when given), else are counted in
    ``skipped``."""
    for name in fields(msg):
        value = getattr(msg, name)
        path = prefix + name
        if not prefix and ((name == "header" and hasattr(value, "stamp")) or (name == "timestamp" and _is_time(value))):
            continue
        if isinstance(value, _NUMBER):
            yield path, float(value)
        elif isinstance(value, bytes | bytearray | np.ndarray | list | tuple) or _is_repeated(value):
            yield from _array(path, value, skipped, limit, big)
        elif value is not None and not isinstance(value, str) and fields(value):
            yield from flatten(value, skipped, f"{path}.", limit, big)


class GenericMapping(NumericMapping):
    """Every numeric field of a type without a dedicated mapping; role None.

    Columns are the union over all messages in first-seen order, so variable-length arrays lose nothing: a row
    lacking a column holds NaN there. ``only`` keeps the named top-level fields (a MultiArray's ``data``),
    ``limit`` is the longest array made into columns.
    """

    def __init__(self, only: tuple[str, ...] | None = None, limit: int = MAX_ARRAY) -> None:
        super().__init__([])
        self._only = only
        self._limit = limit
        self._dicts: list[dict[str, float]] = []
        self._seen: dict[str, None] = {}
        #: Per message, its arrays too long for columns by path (float64 arrays, or bytes).
        self.arrays: list[dict[str, Any]] = []
        self._bulk_columns: list[str] = []

    def _values(self, msg: Any, skipped: Counter[str], big: dict[str, Any]) -> dict[str, float]:
        """The columns of ``msg`` by path; its long arrays go to ``big`` (both kept to ``only``)."""
        values = dict(flatten(msg, skipped, limit=self._limit, big=big))
        if self._only is not None:
            values = {k: v for k, v in values.items() if k.split("[")[0].split(".")[0] in self._only}
            for k in [k for k in big if k.split("[")[0].split(".")[0] not in self._only]:
                del big[k]
        return values

    def add(self, msg: Any) -> None:
        big: dict[str, Any] = {}
        values = self._values(msg, self.skipped, big)
        self._seen.update(dict.fromkeys(values))
        self._dicts.append(values)
        self.arrays.append(big)

    def leaf_columns(self, probe: Any) -> list[int]:
        """As :meth:`NumericMapping.leaf_columns`; the columns are the probe's (one layout: every message has
        them all); ValueError when the message has long arrays or fields left out."""
        skipped: Counter[str] = Counter()
        big: dict[str, Any] = {}
        values = self._values(probe, skipped, big)
        if big or skipped or not all(float(v).is_integer() for v in values.values()):
            raise ValueError("long arrays or fields left out")
        self._bulk_columns = list(values)
        return [int(v) for v in values.values()]

    def check_row(self, msg: Any) -> Row:
        values = self._values(msg, Counter(), {})
        return [values[c] for c in self._bulk_columns] if list(values) == self._bulk_columns else []

    def add_table(self, values: F64) -> None:
        columns = self._bulk_columns
        self._seen.update(dict.fromkeys(columns))
        self._dicts.extend(dict(zip(columns, row, strict=True)) for row in values.tolist())
        self.arrays.extend({} for _ in range(len(values)))

    def __len__(self) -> int:
        return len(self._dicts)

    def table(self) -> F64:
        self.columns = list(self._seen)
        width = len(self.columns)
        if all(len(d) == width for d in self._dicts):
            rows = [[d[c] for c in self.columns] for d in self._dicts]
            return np.array(rows, dtype=np.float64).reshape(len(rows), width)
        out = np.full((len(self._dicts), width), np.nan)
        index = {c: i for i, c in enumerate(self.columns)}
        for r, d in enumerate(self._dicts):
            for key, value in d.items():
                out[r, index[key]] = value
        return out
