"""The storage files of a ROS 2 bag read into one :class:`~robofuel.ingest.mcap.scan.Scan`.

A rosbag2 bag is a folder: ``metadata.yaml`` and one or more storage files (a split bag), either MCAP
(``storage_identifier: mcap``) or SQLite 3 (``sqlite3``, ``.db3``), possibly compressed with zstd per file
(``x.mcap.zstd``) or per message (``compression_mode: message``). Each MCAP file is walked with the MCAP scanner
(so damage is survived the same way); a ``.db3`` file is read with Python's ``sqlite3``: its ``topics`` table,
its ``message_definitions`` table where the writer stored one (Iron and later; older bags store none and only ROS 2
standard types can then be decoded), and its ``messages`` in timestamp order. Channels of all files are merged by
(topic, type, encoding), so a split bag gives one channel per topic.

Nothing is ever written beside the user's bag: SQLite opens even a read-only (``mode=ro``) WAL database by creating
``-wal`` and ``-shm`` files next to it, so a ``.db3`` is opened ``immutable`` (no lock, no journal, no file made);
when a non-empty ``-wal`` file lies beside it (a recorder that died before its last checkpoint), the database and
its log are copied to a temporary folder and the copy is opened, so the logged messages are read too.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mcap.records import Schema

from robofuel.errors import describe_error
from robofuel.ingest.mcap.scan import MAGIC, ChannelData, Scan, is_latched_qos, scan_file

SQLITE_MAGIC = b"SQLite format 3\x00"
#: Storage file suffixes, compressed or not.
STORAGE_SUFFIXES = (".mcap", ".db3", ".mcap.zstd", ".db3.zstd")


def storage_kind(path: Path) -> str | None:
    """``mcap`` or ``sqlite3`` from the file's first bytes; None for anything else (OSError if unreadable)."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(MAGIC):
        return "mcap"
    return "sqlite3" if head == SQLITE_MAGIC else None


def zstd_decompress(data: bytes) -> bytes:
    """Bytes compressed by rosbag2's zstd compressor (a zstd frame, maybe without a content size)."""
    import zstandard  # the mcap library's dependency, so installed with robofuel

    with zstandard.ZstdDecompressor().stream_reader(data) as reader:
        return reader.read()


class Merger:
    """Channels of several storage files merged by (topic, type, encoding) into one scan."""

    def __init__(self) -> None:
        self.scan = Scan(size=0)
        self._ids: dict[tuple[str, str, str], int] = {}

    def channel(self, topic: str, schema: Schema | None, encoding: str) -> ChannelData:
        """The merged channel for a topic, made on first sight (schemas renumbered: decoders are cached by id,
        and two files may give one id to different schemas)."""
        key = (topic, schema.name if schema is not None else "", encoding)
        cid = self._ids.get(key)
        if cid is None:
            cid = self._ids[key] = len(self._ids) + 1
            if schema is not None:
                schema = Schema(id=cid, name=schema.name, encoding=schema.encoding, data=schema.data)
            self.scan.channels[cid] = ChannelData(cid, topic, encoding, schema)
        return self.scan.channels[cid]

    def add_mcap(self, path: Path, label: str) -> None:
        part = scan_file(path)
        for ch in part.channels.values():
            merged = self.channel(ch.topic, ch.schema, ch.message_encoding)
            merged.messages.extend(ch.messages)
            merged.latched = merged.latched or ch.latched
        self._absorb(part, label)

    def add_sqlite(self, path: Path, label: str) -> None:
        part = Scan(size=path.stat().st_size)
        try:
            read_sqlite(path, self)
            part.bytes_read = part.size
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # SQLite's own message may be undecodable
            part.damage = f"the SQLite database is damaged ({describe_error(exc)}); messages before it were kept"
        self._absorb(part, label)

    def _absorb(self, part: Scan, label: str) -> None:
        scan = self.scan
        scan.size += part.size
        scan.bytes_read += part.bytes_read
        if part.damage is not None:
            scan.damage = f"{scan.damage}; {label}: {part.damage}" if scan.damage else f"{label}: {part.damage}"
        scan.skipped_records += [f"{label}: {what}" for what in part.skipped_records]
        if part.crc_problem is not None:
            scan.crc_problem = f"{label}: {part.crc_problem}"
        scan.orphan_messages += part.orphan_messages
        scan.metadata.update(part.metadata)
        scan.header = scan.header or part.header

    def decompress_messages(self, decompress: Callable[[bytes], bytes]) -> int:
        """Apply per-message decompression (``compression_mode: message``); the count that failed."""
        failed = 0
        for ch in self.scan.channels.values():
            kept = []
            for t, data in ch.messages:
                try:
                    kept.append((t, decompress(data)))
                except Exception:
                    failed += 1
            ch.messages = kept
        return failed


def _definitions(db: sqlite3.Connection) -> dict[str, Schema]:
    """Message definitions stored in the bag (Iron and later), by type name."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "message_definitions" not in tables:
        return {}
    out: dict[str, Schema] = {}
    rows = db.execute("SELECT topic_type, encoding, encoded_message_definition FROM message_definitions")
    for i, (type_name, encoding, text) in enumerate(rows, start=1):
        if text:
            out[type_name] = Schema(id=i, name=type_name, encoding=encoding, data=str(text).encode())
    return out


@contextmanager
def open_sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a ``.db3`` that writes nothing near it (see the module docstring)."""
    wal = path.with_name(path.name + "-wal")
    temp: Path | None = None
    if wal.is_file() and wal.stat().st_size > 0:
        temp = Path(tempfile.mkdtemp(prefix="robofuel-db3-"))
        shutil.copyfile(path, temp / path.name)
        shutil.copyfile(wal, temp / wal.name)
        db = sqlite3.connect(temp / path.name)  # the copy: SQLite replays the log into it
    else:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
    db.text_factory = lambda raw: raw.decode("utf-8", "replace")  # a damaged name must not stop the read
    try:
        yield db
    finally:
        db.close()
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def read_sqlite(path: Path, merger: Merger) -> None:
    """The topics and messages of one ``.db3`` file into ``merger`` (sqlite3.DatabaseError when damaged)."""
    with open_sqlite(path) as db:
        schemas = _definitions(db)
        channels: dict[int, ChannelData] = {}
        columns = {str(row[1]) for row in db.execute("PRAGMA table_info(topics)")}
        qos_column = "offered_qos_profiles" if "offered_qos_profiles" in columns else "''"  # Dashing bags: none
        for tid, name, type_name, fmt, qos in db.execute(
            f"SELECT id, name, type, serialization_format, {qos_column} FROM topics"
        ):
            # No stored definition: an empty schema, decoded as a ROS 2 standard type where it is one.
            schema = schemas.get(type_name) or Schema(id=0, name=type_name, encoding="", data=b"")
            channels[tid] = merger.channel(name, schema, fmt)
            channels[tid].latched = channels[tid].latched or is_latched_qos(str(qos or ""))
        for tid, stamp, data in db.execute("SELECT topic_id, timestamp, data FROM messages ORDER BY timestamp"):
            ch = channels.get(tid)
            if ch is None:
                merger.scan.orphan_messages += 1
            else:
                ch.messages.append((int(stamp), bytes(data)))
