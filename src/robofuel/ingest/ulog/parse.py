"""Reading the messages of a PX4 ULog file front to back (the format PX4 autopilots log to their SD card).

A ULog file is a 16-byte header (magic ``ULog\\x01\\x12\\x35``, version, start time in µs) and messages framed by
``uint16 size, uint8 type``: ``F`` formats (``name:type field;...``, fields packed without alignment, nested
formats and ``type[n]`` arrays allowed), ``I``/``M`` info, ``P``/``Q`` parameters, ``A`` subscriptions (a format
logged under a message id and a ``multi_id`` instance), ``D`` data (message id + the packed fields, trailing padding
may be left out), ``L``/``C`` logged strings, ``S`` sync markers and ``O`` dropouts (ms of data the logger lost).

The data of each subscription is kept as its packed bytes (one record per message, so memory is the size of the
data section) and decoded with one numpy structured dtype at the end. A message type the format does not define
is taken as damage: the walk looks for the next sync marker and goes on from there. A file that ends inside a
message stops the walk: everything before it is kept.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.errors import RobofuelError

MAGIC = b"ULog\x01\x12\x35"
SYNC = b"\x2f\x73\x13\x20\x25\x0c\xbb\x12"
HEADER_SIZE = 16
_FRAME = struct.Struct("<HB")
_ID = struct.Struct("<H")
_TIME = struct.Struct("<Q")
_DATA = ord("D")
#: ULog base types -> numpy dtype (little endian, packed).
BASE_TYPES = {
    "int8_t": "i1",
    "uint8_t": "u1",
    "int16_t": "<i2",
    "uint16_t": "<u2",
    "int32_t": "<i4",
    "uint32_t": "<u4",
    "int64_t": "<i8",
    "uint64_t": "<u8",
    "float": "<f4",
    "double": "<f8",
    "bool": "?",
    "char": "S1",
}
_KNOWN_TYPES = frozenset(b"FIMPQADLCSOBR")


class Incompatible(RobofuelError):
    """A ULog file whose flag bits announce a feature that changes how it must be parsed."""


@dataclass
class Subscription:
    """One logged topic instance: its format name, ``multi_id``, dtype and the packed bytes of its messages."""

    name: str
    multi_id: int
    dtype: np.dtype[Any]
    data: bytearray = field(default_factory=bytearray)
    count: int = 0
    short: int = 0  # messages shorter than their format beyond its trailing padding, left out


@dataclass
class ULog:
    """What a ULog file holds; times are µs on the autopilot's boot clock."""

    version: int
    start_us: int
    formats: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    parameter_changes: list[tuple[int, str, Any]] = field(default_factory=list)
    logs: list[tuple[int, int, int | None, str]] = field(default_factory=list)  # time, level, tag, text
    dropouts: list[tuple[int, int]] = field(default_factory=list)  # time before it, duration ms
    messages: int = 0
    unknown_ids: int = 0
    bad_formats: dict[str, int] = field(default_factory=dict)  # subscriptions whose format cannot be used
    damaged: list[tuple[int, int]] = field(default_factory=list)  # (byte offset, bytes skipped)
    stopped: str | None = None
    in_data: bool = False


def _field_dtype(
    type_name: str, formats: dict[str, str], cache: dict[str, np.dtype[Any]], outer: frozenset[str]
) -> Any:
    base, _, rest = type_name.partition("[")
    n = int(rest.rstrip("]")) if rest else 0
    if base == "char" and n:
        return f"S{n}"
    if base in BASE_TYPES:
        one: Any = BASE_TYPES[base]
    else:
        one = format_dtype(base, formats, cache, outer)
    return (one, (n,)) if n else one


def format_dtype(
    name: str, formats: dict[str, str], cache: dict[str, np.dtype[Any]], outer: frozenset[str] = frozenset()
) -> np.dtype[Any]:
    """The packed numpy dtype of format ``name`` (nested formats resolved; ``outer``: the formats it is nested in);
    ValueError for a bad or missing definition, a format nesting itself included."""
    if name in cache:
        return cache[name]
    if name not in formats:
        raise ValueError(f"format {name!r} is not defined")
    if name in outer:
        raise ValueError(f"format {name!r} nests itself")
    names, types = [], []
    for item in formats[name].split(";"):
        if not item.strip():
            continue
        type_name, _, field_name = item.strip().rpartition(" ")
        if not type_name or not field_name:
            raise ValueError(f"format {name!r}: field {item!r} is not 'type name'")
        names.append(field_name)
        types.append(_field_dtype(type_name, formats, cache, outer | {name}))
    try:
        dtype = np.dtype({"names": names, "formats": types})  # packed: no alignment, as ULog writes it
    except (TypeError, ValueError) as exc:  # duplicate names, absurd sizes
        raise ValueError(f"format {name!r}: {exc}") from None
    if dtype.itemsize > 65535:
        raise ValueError(f"format {name!r} is larger ({dtype.itemsize} bytes) than a ULog message can be")
    cache[name] = dtype
    return dtype


def _padding_tail(dtype: np.dtype[Any]) -> int:
    """How many bytes at the end of ``dtype`` are ``_padding`` fields (which a writer may leave out)."""
    assert dtype.names is not None
    tail = 0
    for name in reversed(dtype.names):
        if not name.startswith("_padding"):
            break
        tail += dtype.fields[name][0].itemsize  # type: ignore[index]
    return tail


def _key_value(payload: bytes) -> tuple[str, Any]:
    """An ``I``/``P`` style ``key_len, "type name", value`` payload as (name, plain value)."""
    n = payload[0]
    type_name, _, name = payload[1 : 1 + n].decode("utf-8", "replace").rpartition(" ")
    raw = payload[1 + n :]
    base, _, rest = type_name.partition("[")
    if base == "char":
        return name, raw.split(b"\0", 1)[0].decode("utf-8", "replace")
    if base not in BASE_TYPES:
        return name, raw.hex()
    values = np.frombuffer(raw, dtype=BASE_TYPES[base], count=len(raw) // np.dtype(BASE_TYPES[base]).itemsize)
    plain = values.tolist()
    if rest or len(plain) != 1:
        return name, plain
    return name, plain[0]


class _Walker:
    """The message loop: frames one message after the other and hands each to its handler."""

    def __init__(self, buf: Any, log: ULog) -> None:
        self.buf = buf
        self.log = log
        self.cache: dict[str, np.dtype[Any]] = {}
        self.last_body: int | None = None  # offset of the last data message's fields (its timestamp first)
        self.appended: list[int] = []  # where appended data sections begin (flag bits, incompat bit 0)
        self.current: dict[str, Any] = {}  # each parameter's latest value

    def last_us(self) -> int:
        """The timestamp of the last data message read (µs), 0 before any."""
        if self.last_body is None or self.last_body + 8 > len(self.buf):
            return 0
        return int(_TIME.unpack_from(self.buf, self.last_body)[0])

    def run(self) -> None:
        buf, pos, end = self.buf, HEADER_SIZE, len(self.buf)
        subs = self.log.subscriptions
        while pos < end:
            if pos + 3 > end:
                self.log.stopped = f"the file ends inside a message header at byte {pos}"
                return
            size, kind = _FRAME.unpack_from(buf, pos)
            if kind == _DATA and pos + 3 + size <= end:  # the fast path: a whole data message of its full size
                sub = subs.get(_ID.unpack_from(buf, pos + 3)[0])
                if sub is not None and size - 2 == sub.dtype.itemsize:
                    sub.data += buf[pos + 5 : pos + 3 + size]
                    sub.count += 1
                    self.last_body = pos + 5
                    self.log.messages += 1
                    pos += 3 + size
                    continue
            if kind not in _KNOWN_TYPES:
                pos = self._resync(pos, f"message type {kind:#04x} is not a ULog message")
                continue
            if pos + 3 + size > end:
                self.log.stopped = f"the file ends inside a {chr(kind)!r} message at byte {pos} ({size} bytes declared)"
                return
            if any(pos < a < pos + 3 + size for a in self.appended):  # a message cut where appended data begins
                pos = min(a for a in self.appended if a > pos)
                continue
            try:
                self._handle(chr(kind), bytes(buf[pos + 3 : pos + 3 + size]))
            except (ValueError, IndexError, TypeError, struct.error, UnicodeDecodeError):
                pos = self._resync(pos, f"a damaged {chr(kind)!r} message")
                continue
            if kind == _DATA and size >= 10:
                self.last_body = pos + 5
            self.log.messages += 1
            pos += 3 + size

    def _resync(self, pos: int, why: str) -> int:
        """The position after the next sync marker past ``pos``, or where appended data begins if that comes
        first (or the end), the skipped bytes recorded."""
        found = self.buf.find(SYNC, pos + 1)
        nxt = len(self.buf) if found < 0 else found + len(SYNC)
        appended = [a for a in self.appended if pos < a <= nxt]
        if appended:
            return min(appended)
        self.log.damaged.append((pos, nxt - pos))
        if found < 0:
            self.log.stopped = f"{why} at byte {pos}, and no sync marker follows"
        return nxt

    def _handle(self, kind: str, p: bytes) -> None:
        log = self.log
        if kind == "D":
            self._data(p)
        elif kind == "F":
            name, _, fields = p.decode("utf-8").partition(":")
            log.formats[name] = fields
        elif kind == "A":
            msg_id = struct.unpack_from("<H", p, 1)[0]
            name = p[3:].decode("utf-8", "replace")
            log.in_data = True
            try:
                log.subscriptions[msg_id] = Subscription(name, p[0], format_dtype(name, log.formats, self.cache))
            except ValueError as exc:  # its data messages are counted as for an id never subscribed
                log.bad_formats[str(exc)] = log.bad_formats.get(str(exc), 0) + 1
        elif kind == "I":
            key, value = _key_value(p)
            log.info[key] = value
        elif kind == "M":
            key, value = _key_value(p[1:])
            log.info.setdefault(f"multi:{key}", []).append(value)
        elif kind == "P":
            key, value = _key_value(p)
            if log.in_data and self.current.get(key) != value:
                log.parameter_changes.append((self.last_us(), key, value))
            log.parameters.setdefault(key, value)
            self.current[key] = value
        elif kind == "Q":
            key, value = _key_value(p[1:])
            log.defaults[key] = value
        elif kind in "LC":
            tag = struct.unpack_from("<H", p, 1)[0] if kind == "C" else None
            at = 3 if kind == "C" else 1
            t = struct.unpack_from("<Q", p, at)[0]
            log.logs.append((t, p[0], tag, p[at + 8 :].split(b"\0", 1)[0].decode("utf-8", "replace")))
        elif kind == "B":
            self._flags(p)
        elif kind == "O":
            log.dropouts.append((self.last_us(), struct.unpack_from("<H", p)[0]))

    def _flags(self, p: bytes) -> None:
        """The flag bits message: appended data offsets; incompatible features this parser does not know refuse."""
        incompat = p[8:16]
        if incompat[0] & ~1 or any(incompat[1:]):
            raise Incompatible(f"it uses ULog features this reader does not know (incompatible flags {incompat.hex()})")
        if incompat[0] & 1:
            self.appended = [a for a in struct.unpack_from("<3Q", p, 16) if a > 0]

    def _data(self, p: bytes) -> None:
        msg_id = struct.unpack_from("<H", p)[0]
        sub = self.log.subscriptions.get(msg_id)
        if sub is None:
            self.log.unknown_ids += 1
            return
        body, size = p[2:], sub.dtype.itemsize
        if len(body) < size:
            if len(body) < size - _padding_tail(sub.dtype):
                sub.short += 1
                return
            body += bytes(size - len(body))
        sub.data += body[:size]
        sub.count += 1


def parse(path: Path) -> ULog:
    """Every message of the ULog file at ``path``; ValueError when it is not ULog or is cut inside its header."""
    with open(path, "rb") as f:
        if path.stat().st_size == 0:
            raise ValueError("the file is empty")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            if buf[: len(MAGIC)] != MAGIC:
                raise ValueError(f"it does not start with the ULog magic {MAGIC!r}")
            if len(buf) < HEADER_SIZE:
                raise ValueError(f"the file ends inside its {HEADER_SIZE}-byte header ({len(buf)} bytes)")
            log = ULog(version=buf[7], start_us=struct.unpack_from("<Q", buf, 8)[0])
            _Walker(buf, log).run()
    return log


def records(sub: Subscription) -> np.ndarray[Any, Any]:
    """The structured array of a subscription's messages (a view of its bytes)."""
    return np.frombuffer(sub.data, dtype=sub.dtype, count=sub.count)
