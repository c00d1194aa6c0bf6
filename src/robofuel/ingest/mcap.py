"""Reader for MCAP files: ROS 2 (CDR) and JSON message encodings, chunked or not, with or without a summary.

The file is read front to back as a record stream (no index needed), so a truncated or damaged file yields every
message before the damage; the report says how much was recovered and the episode carries an ``ingest.truncated``
finding. Topics become streams named after the topic (``/ft_sensor/wrench`` -> ``ft_sensor.wrench``); message
types map to canonical streams through :mod:`robofuel.ingest.ros_messages`. One MCAP file is one episode.

Timestamps: ``header.stamp`` (or ``timestamp``) when the message has a non-zero one, else the MCAP log time; int64
ns since the Unix epoch. Session metadata comes from an MCAP metadata record named ``robofuel.session`` (keys
operator, station, scene, site, task_id, instruction, embodiment, device_id); other metadata records go to
``extra``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from mcap.exceptions import EndOfFile
from mcap.records import Channel, Message, Metadata, Schema
from mcap.stream_reader import StreamReader

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.ingest.mcap_streams import build_stream
from robofuel.standard import Payload, Severity, Stream

MAGIC = b"\x89MCAP0\r\n"
SESSION_RECORD = "robofuel.session"


@dataclass
class ChannelData:
    """Everything read for one channel: its topic, schema and raw messages (log time, bytes)."""

    topic: str
    schema_name: str
    schema_encoding: str
    schema_data: bytes
    message_encoding: str
    messages: list[tuple[int, bytes]] = field(default_factory=list)


@dataclass
class Scan:
    channels: dict[int, ChannelData] = field(default_factory=dict)
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)
    damage: str | None = None
    bytes_read: int = 0


def _records(f: IO[bytes], scan: Scan, size: int) -> Iterator[Any]:
    reader = StreamReader(f, skip_magic=False, validate_crcs=True)
    try:
        yield from reader.records
    except EndOfFile:
        scan.damage = "the file ends in the middle of a record"
    except Exception as exc:  # McapError, CRC mismatches, and decompressors' own errors on a cut chunk
        scan.damage = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    scan.bytes_read = min(f.tell(), size)


def scan_file(path: Path) -> Scan:
    """Read every record up to the end of the file or the first damage."""
    scan = Scan()
    schemas: dict[int, Schema] = {}
    size = path.stat().st_size
    with open(path, "rb") as f:
        for rec in _records(f, scan, size):
            if isinstance(rec, Schema):
                schemas[rec.id] = rec
            elif isinstance(rec, Channel) and rec.id not in scan.channels:
                s = schemas.get(rec.schema_id)
                scan.channels[rec.id] = ChannelData(
                    rec.topic, s.name if s else "", s.encoding if s else "", s.data if s else b"", rec.message_encoding
                )
            elif isinstance(rec, Message) and rec.channel_id in scan.channels:
                scan.channels[rec.channel_id].messages.append((rec.log_time, rec.data))
            elif isinstance(rec, Metadata):
                scan.metadata[rec.name] = dict(rec.metadata)
    return scan


def _namespace(value: Any) -> Any:
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _namespace(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_namespace(v) for v in value]
    return value


def decoder_for(ch: ChannelData) -> Callable[[bytes], Any]:
    """A function decoding this channel's messages; ValueError naming the reason when unsupported."""
    if ch.message_encoding == "cdr" and ch.schema_encoding == "ros2msg":
        from mcap_ros2.decoder import DecoderFactory

        schema = Schema(id=0, name=ch.schema_name, encoding=ch.schema_encoding, data=ch.schema_data)
        try:
            decoder = DecoderFactory().decoder_for("cdr", schema)
        except Exception as exc:
            raise ValueError(f"schema {ch.schema_name} does not parse ({type(exc).__name__}: {exc})") from exc
        if decoder is None:
            raise ValueError(f"no CDR decoder for schema {ch.schema_name}")
        return decoder
    if ch.message_encoding == "json":
        return lambda data: _namespace(json.loads(data))
    raise ValueError(f"unsupported message encoding {ch.message_encoding!r} (schema encoding {ch.schema_encoding!r})")


def stream_name(topic: str) -> str:
    """``/camera/front/video`` -> ``camera.front.video``."""
    return topic.strip("/").replace("/", ".") or "root"


def _session_fields(metadata: dict[str, dict[str, str]]) -> dict[str, Any]:
    session = metadata.get(SESSION_RECORD, {})
    fields: dict[str, Any] = {
        k: session[k] for k in ("operator", "station", "scene", "site", "embodiment") if k in session
    }
    fields["task"] = {"id": session.get("task_id"), "instruction": session.get("instruction")}
    if session.get("device_id"):
        fields["devices"] = [session["device_id"]]
    others = {k: v for k, v in metadata.items() if k != SESSION_RECORD}
    if others:
        fields["extra"] = {"mcap_metadata": others}
    return fields


class McapReader(Reader):
    name = "mcap"
    description = "MCAP files: ROS 2 CDR and JSON encodings; damaged files are read up to the damage"

    def sniff(self, path: Path) -> bool:
        try:
            with open(path, "rb") as f:
                return f.read(8) == MAGIC
        except OSError:
            return False

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        if not self.sniff(path):
            raise UnreadableRecording(str(path), "not an MCAP file (no MCAP magic bytes)", "check --format")
        report = ReadReport(str(path), self.name)
        scan = scan_file(path)
        streams: list[tuple[Stream, Payload]] = []
        for ch in sorted(scan.channels.values(), key=lambda c: c.topic):
            built = build_stream(stream_name(ch.topic), ch, decoder_for, report)
            if built is not None:
                streams.append(built)
        findings = []
        if scan.damage is not None:
            size = path.stat().st_size
            n = sum(len(c.messages) for c in scan.channels.values())
            report.recovered = f"read {n} messages up to byte {scan.bytes_read} of {size}; then {scan.damage}"
            findings.append(
                report.finding(
                    "ingest.truncated",
                    f"the file is damaged or ends early ({scan.damage}): {n} messages recovered up to byte "
                    f"{scan.bytes_read} of {size}; whatever followed is lost",
                    Severity.blocking,
                )
            )
        if not streams:
            raise UnreadableRecording(str(path), _nothing_read(scan, report), "see `robofuel formats` for encodings")
        episode = make_episode(ctx, self.name, 0, streams, findings=findings, **_session_fields(scan.metadata))
        return ReadResult([episode], report)


def _nothing_read(scan: Scan, report: ReadReport) -> str:
    topics = ", ".join(sorted({c.topic for c in scan.channels.values()})) or "none"
    reasons = "; ".join(f"{r} ({n})" for r, n in (report.undecodable + report.skipped).items())
    if scan.damage and not scan.channels:
        return f"no readable record ({scan.damage})"
    return f"no numeric or video stream could be read; topics: {topics}" + (f"; {reasons}" if reasons else "")
