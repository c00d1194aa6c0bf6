"""Reading the records of a ROS 1 bag (format 2.0) front to back, without its index, and telling what stopped it.

A bag is the line ``#ROSBAG V2.0`` followed by records, each a header (length-prefixed ``name=value`` fields,
``op`` saying the record type) and a data block, both prefixed by their little-endian uint32 length. Messages
and connections live inside *chunk* records (compression ``none``, ``bz2`` or ``lz4``); the index (index-data and
chunk-info records) follows the chunks, with the bag header pointing at it. This walk needs no index, so an
unindexed bag (a recorder killed before closing it, ``.bag.active``) and a cut one are read up to the damage. A
chunk that fails to decompress or to parse is skipped and the walk goes on; a record running past the end of the
file stops it, after taking the whole messages at the start of a chunk it cuts (an uncompressed chunk, or the
complete blocks of a compressed one). Chunk-info records declare the message count per connection: the caller
checks them against what was read.

The result is the same :class:`~robofuel.ingest.mcap.scan.Scan` the MCAP reader fills: one channel per
connection, message encoding ``ros1`` and a ``ros1msg`` schema holding the connection's message definition, so
that decoding and stream building are shared.
"""

from __future__ import annotations

import bz2
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from mcap.records import Schema

from robofuel.ingest.mcap.scan import ChannelData, Scan, _describe

MAGIC = b"#ROSBAG V2.0\n"
_U32 = struct.Struct("<I")
_OP_MESSAGE, _OP_BAG_HEADER, _OP_INDEX, _OP_CHUNK, _OP_CHUNK_INFO, _OP_CONNECTION = 2, 3, 4, 5, 6, 7
_OP_NAMES = {2: "message", 3: "bag header", 4: "index", 5: "chunk", 6: "chunk info", 7: "connection"}

Fields = dict[str, bytes]


@dataclass
class BagScan(Scan):
    """A :class:`Scan` with what only a bag has: whether its index was written and its chunk compressions."""

    indexed: bool = False
    compressions: set[str] = field(default_factory=set)


def parse_fields(buf: bytes) -> Fields:
    """``name=value`` fields, each prefixed by its uint32 length; ValueError on a malformed block."""
    fields: Fields = {}
    pos = 0
    while pos < len(buf):
        if pos + 4 > len(buf):
            raise ValueError("field length cut short")
        (n,) = _U32.unpack_from(buf, pos)
        pos += 4
        if pos + n > len(buf):
            raise ValueError(f"field of {n} bytes runs past its header")
        name, sep, value = buf[pos : pos + n].partition(b"=")
        if not sep:
            raise ValueError("field without '='")
        fields[name.decode("ascii", "replace")] = value
        pos += n
    return fields


def _u32(fields: Fields, key: str) -> int:
    value = fields.get(key)
    if value is None or len(value) < 4:
        raise ValueError(f"record without a valid {key!r} field")
    return int(_U32.unpack_from(value)[0])


def _time_ns(raw: bytes) -> int:
    if len(raw) < 8:
        raise ValueError("message time cut short")
    sec, nsec = struct.unpack_from("<II", raw)
    return int(sec) * 1_000_000_000 + int(nsec)


def _records(buf: bytes, start: int = 0) -> Iterator[tuple[Fields, bytes]]:
    """The records of an in-memory block (a decompressed chunk); ValueError when one is cut short."""
    pos = start
    while pos < len(buf):
        if pos + 4 > len(buf):
            raise ValueError("record header length cut short")
        (hlen,) = _U32.unpack_from(buf, pos)
        header_end = pos + 4 + hlen
        if header_end + 4 > len(buf):
            raise ValueError(f"record header of {hlen} bytes runs past the chunk")
        (dlen,) = _U32.unpack_from(buf, header_end)
        data_end = header_end + 4 + dlen
        if data_end > len(buf):
            raise ValueError(f"record data of {dlen} bytes runs past the chunk")
        yield parse_fields(buf[pos + 4 : header_end]), buf[header_end + 4 : data_end]
        pos = data_end


def decompress(compression: str, data: bytes, size: int) -> bytes:
    """A chunk's records from its stored bytes; ValueError for an unknown compression or a size mismatch."""
    if compression == "none":
        out = data
    elif compression == "bz2":
        out = bz2.decompress(data)
    elif compression == "lz4":
        import lz4.frame  # rosbags' dependency, so installed with robofuel

        out = lz4.frame.decompress(data)
    else:
        raise ValueError(f"unknown chunk compression {compression!r} (ROS 1 writes none, bz2 or lz4)")
    if len(out) != size:
        raise ValueError(f"chunk decompressed to {len(out)} bytes, its header declares {size}")
    return out


def _connection(scan: BagScan, fields: Fields, data: bytes) -> None:
    conn = _u32(fields, "conn")
    if conn in scan.channels:
        return
    info = parse_fields(data)
    topic = fields.get("topic", info.get("topic", b"")).decode("utf-8", "replace")
    type_name = info.get("type", b"").decode("utf-8", "replace")
    schema = Schema(id=conn + 1, name=type_name, encoding="ros1msg", data=info.get("message_definition", b""))
    latched = info.get("latching", b"0") == b"1"
    scan.channels[conn] = ChannelData(conn, topic, "ros1", schema, latched=latched)


def _take(scan: BagScan, fields: Fields, data: bytes) -> None:
    """One record (top level or inside a chunk) into the scan."""
    op = fields.get("op", b"\xff")[0]
    if op == _OP_CONNECTION:
        _connection(scan, fields, data)
    elif op == _OP_MESSAGE:
        ch = scan.channels.get(_u32(fields, "conn"))
        if ch is None:
            scan.orphan_messages += 1
        else:
            ch.messages.append((_time_ns(fields.get("time", b"")), data))
    elif op == _OP_CHUNK:
        compression = fields.get("compression", b"?").decode("ascii", "replace")
        scan.compressions.add(compression)
        for inner, inner_data in _records(decompress(compression, data, _u32(fields, "size"))):
            _take(scan, inner, inner_data)
    elif op == _OP_CHUNK_INFO:
        counts = scan.summary_counts if scan.summary_counts is not None else {}
        for i in range(_u32(fields, "count")):
            conn, n = struct.unpack_from("<II", data, 8 * i)
            counts[conn] = counts.get(conn, 0) + n
        scan.summary_counts = counts
    elif op == _OP_BAG_HEADER:
        scan.indexed = fields.get("index_pos", b"\0" * 8) != b"\0" * 8


def _op_name(header: bytes) -> str:
    """What kind of record a header opens, for messages; ``record`` when the header does not parse."""
    try:
        op = parse_fields(header).get("op", b"\xff")
        return _OP_NAMES.get(op[0], "record") if op else "record"
    except ValueError:
        return "record"


@dataclass
class _Cut:
    """A record the file ends inside: why, and its header and data bytes as far as they go."""

    why: str
    header: bytes = b""
    data: bytes = b""


def _read_record(f: IO[bytes], pos: int, size: int) -> tuple[bytes, bytes] | _Cut | None:
    """The header and data of the record at ``pos``, what is left of it when the file ends inside, or None at
    the end of the file."""
    head = f.read(4)
    if not head:
        return None
    if len(head) < 4:
        return _Cut(f"the file ends inside a record length at byte {pos}")
    (hlen,) = _U32.unpack(head)
    if pos + 8 + hlen > size:
        return _Cut(
            f"the file ends inside a record header at byte {pos} ({hlen} bytes declared, {size - pos - 4} left)"
        )
    header = f.read(hlen)
    (dlen,) = _U32.unpack(f.read(4))
    if pos + 8 + hlen + dlen > size:
        kind = _op_name(header)
        left = size - pos - 8 - hlen
        return _Cut(
            f"the file ends inside a {kind} record at byte {pos} ({dlen} data bytes declared, {left} left)",
            header,
            f.read(),
        )
    return header, f.read(dlen)


def _partial_records(fields: Fields, data: bytes) -> Iterator[tuple[Fields, bytes]]:
    """The whole records at the start of a cut chunk: decompressed as far as its bytes go."""
    compression = fields.get("compression", b"?").decode("ascii", "replace")
    if compression == "bz2":
        data = bz2.BZ2Decompressor().decompress(data)
    elif compression == "lz4":
        import lz4.frame

        data = lz4.frame.LZ4FrameDecompressor().decompress(data)
    elif compression != "none":
        return
    try:
        yield from _records(data)
    except ValueError:  # the record the cut falls in
        return


def _salvage(scan: BagScan, cut: _Cut) -> None:
    """Messages of a chunk the file ends inside, up to the cut; nothing for other records."""
    try:
        fields = parse_fields(cut.header)
        if fields.get("op", b"\xff")[0] != _OP_CHUNK:
            return
        before = scan.message_count
        for inner, inner_data in _partial_records(fields, cut.data):
            _take(scan, inner, inner_data)
        cut.why += f"; {scan.message_count - before} messages recovered from its start"
    except Exception as exc:  # a damaged partial chunk gives what it gave
        cut.why += f"; the rest of it is unreadable ({_describe(exc)})"


def walk(f: IO[bytes], scan: BagScan) -> None:
    """Take every record after the magic line into ``scan`` until the end of the file or damage."""
    pos = len(MAGIC)
    f.seek(pos)
    while True:
        got = _read_record(f, pos, scan.size)
        if got is None:
            return
        if isinstance(got, _Cut):
            _salvage(scan, got)
            scan.damage = got.why
            return
        header, data = got
        try:
            _take(scan, parse_fields(header), data)
        except Exception as exc:  # a chunk failing to decompress or parse costs that record only
            scan.skipped_records.append(f"record at bytes {pos}-{pos + 8 + len(header) + len(data)}: {_describe(exc)}")
        pos += 8 + len(header) + len(data)
        scan.bytes_read = pos


def scan_bag(path: Path) -> BagScan:
    """Read every record of the bag at ``path`` (whose magic line the caller checked)."""
    scan = BagScan(path.stat().st_size)
    with open(path, "rb") as f:
        walk(f, scan)
    if not scan.indexed and scan.damage is None:
        scan.damage = "the bag has no index: its recorder did not close it (killed, or still recording)"
    return scan
