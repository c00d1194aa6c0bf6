"""Bulk decoding of a ROS 2 topic whose messages all share one CDR layout, with numpy instead of message by message.

Most signal topics (``JointState`` with a fixed joint list, ``Imu``, ``WrenchStamped``, poses, twists,
``Float64MultiArray`` of one length) repeat the same layout in every message: the same length, the same strings
(frame id, joint names) and sequence counts, only the numbers differ. :func:`layout_of` walks the first message
exactly as ``mcap_ros2``'s decoder reads it (the same message definitions, CDR alignment relative to the 4-byte
encapsulation header, strings as uint32 length + bytes + NUL, sequences as a uint32 count) and records where each
numeric leaf lies; :func:`decode_bulk` then checks that every message has the first one's length and the very
same structural bytes (encapsulation header, counts, strings), and reads every leaf of every message at once
through a numpy structured dtype. Anything else (another length, other strings or counts, big-endian or
parameter-list encapsulation, a ``wstring``, a definition that does not walk) gives None: the caller decodes the
topic message by message with the general decoder, so the values are bit-identical either way.

The walk also builds a *probe*: the first message's structure (same classes, field order, strings and array
lengths as ``mcap_ros2`` gives) with every numeric leaf replaced by its own index as a float, so a mapping's row
of the probe tells which leaf each column copies (:meth:`robofuel.ingest.ros.flatten.NumericMapping.leaf_columns`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import numpy.typing as npt
from mcap.records import Schema

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: Fewer messages than this are decoded one by one (the walk and its checks cost about two messages' decoding).
BULK_MIN = 8
#: A layout of more numeric leaves (a raw image, a point cloud: not columns anyway) is not read in bulk.
MAX_LEAVES = 8192
#: numpy dtype of each primitive type as ``mcap_ros2`` reads it (``char`` is int8, ``byte`` uint8, ``bool`` a byte).
PRIMITIVES = {
    "bool": "u1",
    "byte": "u1",
    "char": "i1",
    "int8": "i1",
    "uint8": "u1",
    "int16": "<i2",
    "uint16": "<u2",
    "int32": "<i4",
    "uint32": "<u4",
    "int64": "<i8",
    "uint64": "<u8",
    "float32": "<f4",
    "float64": "<f8",
}
_U32 = struct.Struct("<I")


class NotBulk(Exception):
    """The layout cannot be read in bulk (the caller decodes message by message)."""


def message_definitions(schema: Schema) -> dict[str, Any]:
    """The message definitions ``mcap_ros2`` decodes ``schema`` with, by full and short type name."""
    from mcap_ros2._dynamic import TimeDefinition, _for_each_msgdef

    defs: dict[str, Any] = {"builtin_interfaces/Time": TimeDefinition, "builtin_interfaces/Duration": TimeDefinition}

    def add(full: str, short: str, msgdef: Any) -> None:
        defs[full] = defs[short] = msgdef

    _for_each_msgdef(schema.name, schema.data.decode(), add)
    return defs


@dataclass
class Layout:
    """Where the numeric leaves of a message lie (byte offset, numpy dtype, whether a ``bool``), the byte ranges
    that must be the same in every message of the layout, and the probe (see the module docstring)."""

    size: int
    leaves: list[tuple[int, str, bool]]
    fixed: list[tuple[int, int]]
    probe: Any


class _Walk:
    """One walk over a message's bytes, mirroring ``mcap_ros2._dynamic._read_complex_type``."""

    def __init__(self, defs: dict[str, Any], data: bytes) -> None:
        if len(data) < 4 or data[0] != 0 or data[1] != 1:
            raise NotBulk("not little-endian plain CDR")
        self.defs, self.data, self.offset = defs, data, 4
        self.leaves: list[tuple[int, str, bool]] = []
        self.fixed: list[tuple[int, int]] = [(0, 4)]
        self.classes: dict[str, type] = {}

    def _take(self, size: int, align: bool = True) -> int:
        if align and size > 1 and (self.offset - 4) % size:
            self.offset += size - (self.offset - 4) % size
        start = self.offset
        if start + size > len(self.data):
            raise NotBulk("message shorter than its layout")
        self.offset += size
        return start

    def leaf(self, type_name: str) -> float:
        dtype = PRIMITIVES.get(type_name)
        if dtype is None:
            raise NotBulk(f"primitive type {type_name}")
        self.leaves.append((self._take(np.dtype(dtype).itemsize), dtype, type_name == "bool"))
        return float(len(self.leaves) - 1)

    def count(self) -> int:
        start = self._take(4)
        self.fixed.append((start, start + 4))
        return int(_U32.unpack_from(self.data, start)[0])

    def string(self) -> str:
        start, length = self.offset, self.count()
        begin = self._take(length, align=False)
        self.fixed.append((start, begin + length))
        return "" if length <= 1 else self.data[begin : begin + length - 1].decode("utf-8")

    def message(self, msgdef: Any) -> Any:
        key = str(msgdef.base_type)
        cls = self.classes.get(key)
        if cls is None:
            names = [f.name for f in msgdef.fields]
            cls = self.classes[key] = type(msgdef.msg_name, (SimpleNamespace,), {"__slots__": names})
        msg = cls()
        if not msgdef.fields:
            start = self._take(1)  # ROS 2 gives an empty message one uint8 member
            self.fixed.append((start, start + 1))
        for field in msgdef.fields:
            setattr(msg, field.name, self.field(field.type))
        return msg

    def field(self, ftype: Any) -> Any:
        n = 0
        if ftype.is_array:
            fixed_size = ftype.is_fixed_size_array() and ftype.array_size is not None
            n = ftype.array_size if fixed_size else self.count()
            if len(self.leaves) + n > MAX_LEAVES:
                raise NotBulk(f"more than {MAX_LEAVES} values")
        if not ftype.is_primitive_type():
            nested = self.defs.get(f"{ftype.pkg_name}/{ftype.type}")
            if nested is None:
                raise NotBulk(f"no definition of {ftype.pkg_name}/{ftype.type}")
            return [self.message(nested) for _ in range(n)] if ftype.is_array else self.message(nested)
        if ftype.type == "string":
            return [self.string() for _ in range(n)] if ftype.is_array else self.string()
        return [self.leaf(ftype.type) for _ in range(n)] if ftype.is_array else self.leaf(ftype.type)


def layout_of(defs: dict[str, Any], type_name: str, data: bytes) -> Layout:
    """The layout of one message ``data`` of ``type_name``; :class:`NotBulk` when it cannot be read in bulk."""
    msgdef = defs.get(type_name)
    if msgdef is None:
        raise NotBulk(f"no definition of {type_name}")
    walk = _Walk(defs, data)
    try:
        probe = walk.message(msgdef)
    except (UnicodeDecodeError, RecursionError) as exc:
        raise NotBulk(str(exc)) from exc
    return Layout(len(data), walk.leaves, walk.fixed, probe)


@dataclass
class Bulk:
    """Every message of a topic decoded at once: ``records`` holds leaf ``i`` of every message in field ``l<i>``."""

    layout: Layout
    records: npt.NDArray[np.void]

    def __len__(self) -> int:
        return len(self.records)

    def leaf(self, index: int) -> npt.NDArray[Any]:
        """Leaf ``index`` of every message, as ``mcap_ros2`` reads it (a bool is 0 or 1)."""
        values = self.records[f"l{index}"]
        return values != 0 if self.layout.leaves[index][2] else values

    def stamps(self, stamp: Any) -> tuple[I64, int]:
        """Each message's stamp (ns; 0 for none) and how many hold 0, as ``ros_messages.stamp_ns`` and
        ``stamp_is_zero`` read them, from ``stamp``: the probe's stamp field (None: the type has none)."""
        if stamp is None or not any(hasattr(stamp, k) for k in ("sec", "secs", "seconds")):
            return np.zeros(len(self), np.int64), 0
        sec, nanosec = getattr(stamp, "sec", None), getattr(stamp, "nanosec", None)
        if not isinstance(sec, float) or not isinstance(nanosec, float):
            raise NotBulk("a stamp not of builtin_interfaces/Time")
        if {self.layout.leaves[int(i)][1] for i in (sec, nanosec)} - {"<u4", "<i4"}:
            raise NotBulk("a stamp of other than 32-bit integers")
        total = self.leaf(int(sec)).astype(np.int64) * 1_000_000_000 + self.leaf(int(nanosec)).astype(np.int64)
        return total, int(np.count_nonzero(total == 0))

    def table(self, columns: list[int]) -> F64:
        """(N, C) float64: for each column the leaf it copies, converted as ``float()`` converts it."""
        out = np.empty((len(self), len(columns)), np.float64)
        for c, index in enumerate(columns):
            out[:, c] = self.leaf(index)
        return out


def decode_bulk(defs: dict[str, Any], type_name: str, payloads: list[bytes], minimum: int = BULK_MIN) -> Bulk | None:
    """Every payload decoded at once, or None when they are fewer than ``minimum`` or do not all share the first
    one's layout."""
    if len(payloads) < max(minimum, 1):
        return None
    size = len(payloads[0])
    if any(len(p) != size for p in payloads):
        return None
    try:
        layout = layout_of(defs, type_name, payloads[0])
    except NotBulk:
        return None
    raw = b"".join(payloads)
    matrix = np.frombuffer(raw, np.uint8).reshape(len(payloads), size)
    fixed = np.concatenate([np.arange(a, b) for a, b in layout.fixed])
    if not layout.leaves or not (matrix[:, fixed] == matrix[0, fixed]).all():
        return None
    names = [f"l{i}" for i in range(len(layout.leaves))]
    formats, offsets = [d for _, d, _ in layout.leaves], [o for o, _, _ in layout.leaves]
    dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": size})
    return Bulk(layout, np.frombuffer(raw, dtype))
