"""Reading the records of an MCAP file front to back, without its index, and telling what damage stopped it.

One pass serves chunked and unchunked files, with or without a summary: every record is framed by an opcode (1
byte) and a length (8 bytes, little endian), so the walk needs neither the summary nor the footer. Chunk CRCs
are checked as chunks are opened, and the data-section CRC at the DataEnd record when the writer stored one. A
record whose framing is intact but whose content is damaged (a chunk failing its CRC or decompression) is
skipped and the walk goes on; a file that ends inside a record, or a record whose length runs past the end of
the file, stops the walk: everything before it is kept, with the whole records at the start of a chunk it cuts
(decompressed as far as the bytes go). The summary's Statistics record, when present, gives
the message count per channel that the caller checks against what was read.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from mcap.data_stream import ReadDataStream
from mcap.opcode import Opcode
from mcap.records import Channel, Chunk, DataEnd, Footer, Header, Message, Metadata, Schema, Statistics
from mcap.stream_reader import breakup_chunk

MAGIC = b"\x89MCAP0\r\n"
_FRAME = struct.Struct("<BQ")
#: Records the reader uses; any other record (indexes, attachments, private records) is stepped over.
_PARSED: dict[int, Any] = {
    Opcode.HEADER: Header,
    Opcode.SCHEMA: Schema,
    Opcode.CHANNEL: Channel,
    Opcode.CHUNK: Chunk,
    Opcode.METADATA: Metadata,
    Opcode.STATISTICS: Statistics,
    Opcode.DATA_END: DataEnd,
    Opcode.FOOTER: Footer,
}
_NAMES = {int(op): op.name.lower().replace("_", " ") for op in Opcode}


@dataclass
class ChannelData:
    """Everything read for one channel: topic, encoding, schema, raw messages as (log time ns, bytes); ``latched``:
    its publisher latches (ROS 1 ``latching=1``, ROS 2 durability ``transient_local``): a state sent once to each
    subscriber, recorded when the recorder subscribed."""

    id: int
    topic: str
    message_encoding: str
    schema: Schema | None
    messages: list[tuple[int, bytes]] = field(default_factory=list)
    latched: bool = False

    @property
    def type_name(self) -> str:
        return self.schema.name if self.schema is not None else ""


def is_latched_qos(profiles: str) -> bool:
    """Whether rosbag2's ``offered_qos_profiles`` (YAML text) offer transient-local durability (a latched topic)."""
    text = profiles.replace(" ", "").lower()
    return "durability:transient_local" in text or "durability:1\n" in text + "\n"


@dataclass
class Scan:
    """What one pass over the file found; ``damage`` says why it stopped early (None: read to the footer)."""

    size: int
    header: Header | None = None
    channels: dict[int, ChannelData] = field(default_factory=dict)
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)
    summary_counts: dict[int, int] | None = None
    damage: str | None = None
    bytes_read: int = 0
    skipped_records: list[str] = field(default_factory=list)
    crc_problem: str | None = None
    orphan_messages: int = 0
    _schemas: dict[int, Schema] = field(default_factory=dict)

    @property
    def message_count(self) -> int:
        return sum(len(c.messages) for c in self.channels.values())

    def add(self, rec: Any) -> None:
        """Take one parsed record into the scan."""
        if isinstance(rec, Message):
            ch = self.channels.get(rec.channel_id)
            if ch is None:
                self.orphan_messages += 1
            else:
                ch.messages.append((rec.log_time, rec.data))
        elif isinstance(rec, Schema):
            self._schemas.setdefault(rec.id, rec)
        elif isinstance(rec, Channel) and rec.id not in self.channels:
            schema = self._schemas.get(rec.schema_id)
            latched = is_latched_qos(rec.metadata.get("offered_qos_profiles", ""))
            self.channels[rec.id] = ChannelData(rec.id, rec.topic, rec.message_encoding, schema, latched=latched)
        elif isinstance(rec, Metadata):
            self.metadata[rec.name] = dict(rec.metadata)  # rosbag2 rewrites its record at close: the last wins
        elif isinstance(rec, Statistics):
            self.summary_counts = dict(rec.channel_message_counts)
        elif isinstance(rec, Header):
            self.header = rec


def _parse(opcode: int, body: bytes) -> list[Any]:
    """The records in one record body: itself, or a chunk's records (CRC checked); [] for unused types."""
    stream = ReadDataStream(io.BytesIO(body))
    if opcode == Opcode.MESSAGE:
        return [Message.read(stream, len(body))]
    kind = _PARSED.get(opcode)
    if kind is None:
        return []
    record = kind.read(stream)
    if isinstance(record, Chunk):
        return list(breakup_chunk(record, validate_crc=True))
    return [record]


def _ends_inside(opcode: int, pos: int, length: int, size: int) -> str:
    name = _NAMES.get(opcode)
    if name is None:
        return f"unreadable bytes at byte {pos} (opcode 0x{opcode:02x}, length {length} past the file's end)"
    article = "an" if name[0] in "aeiou" else "a"
    where = f"at byte {pos}, {length} bytes long, {size - pos} left"
    return f"the file ends inside {article} {name} record ({where})"


def walk(f: IO[bytes], scan: Scan) -> Iterator[Any]:
    """Every parsed record after the magic, until the footer or damage (described in ``scan.damage``)."""
    pos, crc = len(MAGIC), zlib.crc32(MAGIC)
    f.seek(pos)
    while True:
        frame = f.read(_FRAME.size)
        if len(frame) < _FRAME.size:
            scan.damage = (
                f"the file ends at byte {pos} without the MCAP footer (the recorder did not close it)"
                if not frame
                else f"the file ends inside a record header at byte {pos}"
            )
            return
        opcode, length = _FRAME.unpack(frame)
        if length > scan.size - pos - _FRAME.size:
            scan.damage = _ends_inside(opcode, pos, length, scan.size)
            if opcode == Opcode.CHUNK:
                salvaged = _salvage_chunk(f.read())
                n = sum(isinstance(r, Message) for r in salvaged)
                scan.damage += f"; {n} messages recovered from the start of that chunk" if n else ""
                yield from salvaged
            return
        body = f.read(length)
        try:
            records = _parse(opcode, body)
        except Exception as exc:  # CRC mismatch, decompression or record-parsing errors: skip this record only
            what = _NAMES.get(opcode, f"opcode 0x{opcode:02x}")
            scan.skipped_records.append(f"{what} record at bytes {pos}-{pos + 9 + length}: {_describe(exc)}")
            records = []
        if opcode == Opcode.DATA_END and records:
            _check_data_crc(records[0], crc, scan)
        crc = zlib.crc32(body, zlib.crc32(frame, crc))
        pos += _FRAME.size + length
        scan.bytes_read = pos
        yield from records
        if opcode == Opcode.FOOTER:
            return


_CHUNK_HEAD = struct.Struct("<QQQII")  # start time, end time, uncompressed size, CRC, compression name length


def _partial_decompress(compression: str, data: bytes) -> bytes:
    if compression == "zstd":
        import zstandard

        out: bytes = zstandard.ZstdDecompressor().decompressobj().decompress(data)
        return out
    if compression == "lz4":
        import lz4.frame

        lz4_out: bytes = lz4.frame.LZ4FrameDecompressor().decompress(data)
        return lz4_out
    return data if compression == "" else b""


def _salvage_chunk(body: bytes) -> list[Any]:
    """The whole records at the start of a chunk the file ends inside (as far as its compression allows)."""
    try:
        *_, name_len = _CHUNK_HEAD.unpack_from(body)
        start = _CHUNK_HEAD.size
        compression = body[start : start + name_len].decode()
        records = _partial_decompress(compression, body[start + name_len + 8 :])
    except Exception:
        return []
    pos, out = 0, []
    while pos + _FRAME.size <= len(records):
        opcode, length = _FRAME.unpack_from(records, pos)
        end = pos + _FRAME.size + length
        if end > len(records):
            break
        try:
            out += _parse(opcode, records[pos + _FRAME.size : end])
        except Exception:
            break
        pos = end
    return out


def _check_data_crc(data_end: DataEnd, crc: int, scan: Scan) -> None:
    if data_end.data_section_crc not in (0, crc):
        scan.crc_problem = (
            f"data section CRC mismatch (stored {data_end.data_section_crc:08x}, computed {crc:08x}): "
            "some record outside the checked chunks is damaged"
        )


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def scan_file(path: Path) -> Scan:
    """Read every record of the MCAP file at ``path`` (whose magic the caller checked)."""
    scan = Scan(size=path.stat().st_size)
    with open(path, "rb") as f:
        for record in walk(f, scan):
            scan.add(record)
    return scan
