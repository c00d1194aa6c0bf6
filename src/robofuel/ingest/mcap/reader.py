"""Reader for MCAP files: ROS 2 (CDR), ROS 1, protobuf and JSON messages, chunked or not, with or without a summary.

One MCAP file is one episode. The file is read front to back record by record
(:mod:`robofuel.ingest.mcap.scan`), so a truncated or damaged file yields every message before the damage: the
report says how much was recovered and the episode carries a blocking ``ingest.truncated`` finding. Where the
summary holds statistics, the messages read per channel are checked against them.

Streams: one per topic that gives numeric or video data, named after the topic without its leading slash,
``/`` becoming ``.`` (``/camera/front/video`` -> ``camera.front.video``), with ``source`` = the topic. Message
types map to columns, roles, units and frames through :mod:`robofuel.ingest.ros.messages`. Text topics
(``std_msgs/String``, logs, text-like types, ROS 2 service events) give events streams beside the signals; a file of
text topics only is an episode of events streams (a logging or teleop-marker bag: QC asks for review,
``completeness.no_signal_stream``); channels in encodings other than ``cdr`` and
``json``, ``ros1`` and ``protobuf`` or with unparsable schemas are counted in ``report.undecodable``. A file
from which no stream can be read raises :class:`UnreadableRecording` naming the topics, the encodings and why.

Findings on the episode: ``ingest.truncated`` (blocking: the file ends early, in or between records),
``ingest.corrupt_record`` (blocking: a chunk failing its CRC or decompression was skipped),
``ingest.crc_mismatch`` (warning: the data-section CRC differs), ``ingest.count_mismatch`` (warning: the
summary declares other message counts), ``ingest.joint_set_changed`` (warning), ``ingest.undecodable`` (info:
a topic lost to its encoding or schema; whether a required stream is missing is QC's to judge).

Timestamps: each stream's clock is chosen (:mod:`robofuel.ingest.ros.clock`): its ``header.stamp`` (or a time-typed
``timestamp``) where plausible against the MCAP log time, else the log time, with ``timing.clock_domain`` (info)
giving the offset of header stamps on another clock; messages logged at time 0 or before the recording get
``timing.time_zero`` (warning) naming the topic and the count, numeric or not. int64 ns since the Unix epoch.
Static transforms (``/tf_static``) are calibration (``Episode.calibration["transforms"]``), not streams.

Metadata: an MCAP metadata record named ``robofuel.session`` (keys operator, station, scene, site, task_id,
instruction, embodiment, device_id; also license, consent, success) fills the episode's metadata, under any ``--set``
values; unknown session keys go to ``extra["session"]``, other metadata records to
``extra["mcap_metadata"][name]`` and the MCAP header to ``extra["mcap"]`` (profile, library).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import Built, ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.ingest.joint_roles import split_joint_roles
from robofuel.ingest.mcap.scan import MAGIC, ChannelData, Scan, scan_file
from robofuel.ingest.mcap.streams import Pending, Waiting, build_all, collect_stream, episode_offsets
from robofuel.ingest.ros.clock import log_floor, reference_offset, static_stamp_note, time_zero_count
from robofuel.ingest.ros.decoders import Decoders
from robofuel.ingest.ros.messages import TEXT_TYPES, normalise_type
from robofuel.ingest.ros.tf import collect_tf_streams, is_static, is_tf, static_transforms
from robofuel.standard import Finding, Severity
from robofuel.standard.data import episode_span

SESSION_RECORD = "robofuel.session"
_SESSION_PLAIN = ("operator", "station", "scene", "site", "embodiment", "license")
_SESSION_OTHER = ("task_id", "task", "instruction", "device_id", "device", "consent", "success")
#: The MCAP message encodings this reader decodes.
ENCODINGS = ("cdr", "json", "ros1", "protobuf")


def stream_name(topic: str) -> str:
    """``/camera/front/video`` -> ``camera.front.video``; ``/`` alone -> ``root``."""
    return topic.strip("/").replace("/", ".") or "root"


def session_fields(scan: Scan) -> dict[str, Any]:
    """Episode fields from the ``robofuel.session`` record, other metadata records and the MCAP header."""
    session = {k: v for k, v in scan.metadata.get(SESSION_RECORD, {}).items() if v != ""}
    fields: dict[str, Any] = {k: session[k] for k in _SESSION_PLAIN if k in session}
    fields["task"] = {
        "id": session.get("task_id", session.get("task")),
        "instruction": session.get("instruction"),
    }
    if "success" in session:
        fields["task"]["success"] = session["success"].lower() in ("1", "true", "yes")
    device = session.get("device_id", session.get("device"))
    if device:
        fields["devices"] = [d for d in device.split(",") if d]
    if "consent" in session:
        fields["consent"] = session["consent"]  # true/false or purposes; the Episode model checks them
    extra: dict[str, Any] = {}
    if scan.header is not None:
        extra["mcap"] = {"profile": scan.header.profile, "library": scan.header.library}
    unknown = {k: v for k, v in session.items() if k not in _SESSION_PLAIN + _SESSION_OTHER}
    if unknown:
        extra["session"] = unknown
    others = {k: v for k, v in scan.metadata.items() if k != SESSION_RECORD}
    if others:
        extra["mcap_metadata"] = others
    fields["extra"] = extra
    return fields


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... when two topics map to the same stream name."""
    candidate, i = name, 1
    while candidate in taken:
        i += 1
        candidate = f"{name}_{i}"
    taken.add(candidate)
    return candidate


def _time_zero(scan: Scan, floor_ns: int, pending: list[Pending]) -> None:
    """A ``timing.time_zero`` warning for every topic, decoded or not, with messages logged before the recording."""
    counts: dict[str, list[int]] = {}
    for ch in scan.channels.values():
        logs = np.fromiter((t for t, _ in ch.messages), np.int64, len(ch.messages))
        entry = counts.setdefault(ch.topic, [0, 0])
        entry[0] += time_zero_count(logs, floor_ns)
        entry[1] += len(logs)
    for topic, (zero, total) in sorted(counts.items()):
        if zero:
            text = (
                f"{topic}: {zero} of {total} messages logged at time 0 or before the recording started (the "
                "recorder had no time for them): those with a header stamp are timed by it, the others are left out"
            )
            pending.append(Pending("timing.time_zero", text, stream_name(topic), None, float(zero)))


def _merged_text(channels: list[ChannelData]) -> list[ChannelData]:
    """``channels`` with the connections of one text topic (every node's ``/rosout``) merged into one channel, so a
    topic's events are one stream however the recorder split them into connections."""
    out: list[ChannelData] = []
    text: dict[tuple[str, str], ChannelData] = {}
    for ch in channels:
        if normalise_type(ch.type_name) not in TEXT_TYPES:
            out.append(ch)
            continue
        key = (ch.topic, normalise_type(ch.type_name))
        if key not in text:
            text[key] = ChannelData(ch.id, ch.topic, ch.message_encoding, ch.schema, list(ch.messages))
            out.append(text[key])
        else:
            text[key].messages.extend(ch.messages)
    return out


def read_streams(
    scan: Scan, report: ReadReport, pending: list[Pending], calibration: dict[str, Any] | None = None
) -> list[Built]:
    """Every stream the scanned channels give, in topic order; reasons for the others go to the report.

    TF topics give one stream per frame pair, all connections of the topic together
    (:mod:`robofuel.ingest.ros.tf`); static transforms go to ``calibration["transforms"]`` instead. Each stream's
    clock is chosen by :mod:`robofuel.ingest.ros.clock`; messages logged before the recording are reported per topic
    (``timing.time_zero``)."""
    decoders, taken, waiting = Decoders(), set[str](), list[Waiting]()
    floor = log_floor(np.fromiter((t for c in scan.channels.values() for t, _ in c.messages), np.int64))
    _time_zero(scan, floor, pending)
    tf_topics: dict[str, list[ChannelData]] = {}
    for ch in _merged_text(sorted(scan.channels.values(), key=lambda c: (c.topic, c.id))):
        if not ch.messages:
            continue
        if is_tf(ch.type_name):
            tf_topics.setdefault(ch.topic, []).append(ch)
            continue
        found = collect_stream(_unique(stream_name(ch.topic), taken), ch, decoders, report, pending)
        if found is not None:
            waiting.append(found)
    static: dict[str, list[tuple[str, str, int, int]]] = {}
    for topic, channels in sorted(tf_topics.items()):
        if is_static(topic) and calibration is not None:
            entries = static_transforms(channels, decoders, report, static.setdefault(topic, []))
            calibration.setdefault("transforms", []).extend(entries)
            continue
        unique = lambda n: _unique(n, taken)  # noqa: E731
        waiting += collect_tf_streams(stream_name(topic), channels, decoders, report, pending, unique)
    if scan.orphan_messages:
        report.undecodable["messages of a channel never declared"] += scan.orphan_messages
    _static_stamps(static, reference_offset(episode_offsets(waiting, floor)), pending)
    unique = lambda n: _unique(n, taken)  # noqa: E731
    return [part for b in build_all(waiting, floor, pending) for part in split_joint_roles(b, unique, report)]


def _static_stamps(static: dict[str, list[tuple[str, str, int, int]]], reference: int, pending: list[Pending]) -> None:
    """A ``timing.static_transform_stamp`` info finding per static-transform topic whose stamps are 0 or far from
    the time they were recorded (:func:`~robofuel.ingest.ros.clock.static_stamp_note`)."""
    for topic, stamps in sorted(static.items()):
        text = static_stamp_note(topic, stamps, reference)
        if text is not None:
            pending.append(Pending("timing.static_transform_stamp", text, "", None, None, Severity.info))


def _damage_findings(scan: Scan, report: ReadReport, end_s: float) -> list[Finding]:
    found = []
    n = scan.message_count
    if scan.damage is not None:
        report.recovered = f"read {n} messages up to byte {scan.bytes_read} of {scan.size}; {scan.damage}"
        text = f"the recording is incomplete: {scan.damage}; {n} messages read up to byte {scan.bytes_read} of "
        found.append(report.finding("ingest.truncated", text + f"{scan.size}", Severity.blocking, start_s=end_s))
    for what in scan.skipped_records:
        found.append(report.finding("ingest.corrupt_record", f"{what}; its messages are lost", Severity.blocking))
    if scan.skipped_records:
        lost = f"skipped {len(scan.skipped_records)} damaged record(s)"
        report.recovered = f"{report.recovered}; {lost}" if report.recovered else f"read {n} messages; {lost}"
    elif scan.crc_problem is not None:
        found.append(report.finding("ingest.crc_mismatch", scan.crc_problem))
    return found


def _count_findings(scan: Scan, report: ReadReport) -> list[Finding]:
    """Channels whose message count differs from the one the summary's statistics declare."""
    if scan.summary_counts is None or scan.damage is not None or scan.skipped_records:
        return []
    found = []
    for cid, ch in sorted(scan.channels.items()):
        declared = scan.summary_counts.get(cid, 0)
        if declared != len(ch.messages):
            text = f"{ch.topic}: the summary declares {declared} messages, the file holds {len(ch.messages)}"
            found.append(report.finding("ingest.count_mismatch", text, value=float(len(ch.messages))))
    return found


def findings(scan: Scan, report: ReadReport, streams: list[Built], pending: list[Pending]) -> list[Finding]:
    """Every finding of the episode: damage, count checks, undecodable topics, per-stream notes."""
    start_ns, duration_s = episode_span([s for s, _ in streams])
    found = _damage_findings(scan, report, duration_s) + _count_findings(scan, report)
    for reason, n in sorted(report.undecodable.items()):
        text = f"{reason} ({n} messages not decoded)"
        found.append(report.finding("ingest.undecodable", text, Severity.info, value=float(n)))
    for p in pending:
        at = None if p.at_ns is None else max(0.0, (p.at_ns - start_ns) / 1e9)
        found.append(report.finding(p.code, p.message, p.severity, stream=p.stream or None, start_s=at, value=p.value))
    return found


def _hint(encodings: set[str]) -> str:
    other = sorted(encodings - set(ENCODINGS))
    if other:
        return f"robofuel decodes MCAP messages encoded as {' or '.join(ENCODINGS)}, not {', '.join(other)}"
    return "robofuel keeps numeric signals, video and text as events; topics it cannot keep say why"


def _reasons(report: ReadReport, most: int = 12) -> str:
    items = sorted((report.undecodable + report.skipped).items())
    text = "; ".join(f"{reason} ({n})" for reason, n in items[:most])
    return text + (f"; and {len(items) - most} more" if len(items) > most else "")


def _all_damaged(path: Path, scan: Scan) -> UnreadableRecording:
    """The error for a file whose every message was in records that failed their checksum or decompression."""
    records = scan.skipped_records
    checksum = any("checksum" in r.lower() or "crc" in r.lower() for r in records)
    one = len(records) == 1
    count = "1 damaged record" if one else f"{len(records)} damaged records"
    corrupt = "is corrupt: it does not decompress" if one else "are corrupt: they do not decompress"
    what = ("failed its checksum" if one else "failed their checksums") if checksum else corrupt
    listed = "; ".join(records[:3]) + (f"; and {len(records) - 3} more" if len(records) > 3 else "")
    return UnreadableRecording(
        str(path),
        f"no message could be read: {count} {what} ({listed})",
        "its bytes changed after it was written (a flipped bit on disk or in transfer): copy it again from the "
        "source and compare checksums (sha256sum)",
    )


def nothing_read(path: Path, scan: Scan, report: ReadReport) -> UnreadableRecording:
    """The error for a file that gave no stream: every topic with messages and why it gave none."""
    with_messages = [c for c in scan.channels.values() if c.messages]
    encodings = {c.message_encoding for c in with_messages}
    if not with_messages and scan.skipped_records:
        return _all_damaged(path, scan)
    if not with_messages:
        why = f" ({scan.damage})" if scan.damage else ""
        hint = "check the recorder's topics and that it recorded for longer than an instant"
        return UnreadableRecording(str(path), f"the file holds no message{why}", hint)
    if report.undecodable and not report.skipped:
        problem = f"no message could be decoded (message encodings: {', '.join(sorted(encodings))}): "
    else:
        problem = "no stream in the file; topics: "
    return UnreadableRecording(str(path), problem + _reasons(report), _hint(encodings))


def episode_from_scan(
    path: Path, ctx: ReadContext, scan: Scan, report: ReadReport, more: list[Finding] | None = None, **fields: Any
) -> ReadResult:
    """The one episode of a scanned recording (MCAP file, ROS 1 bag, rosbag2 folder): its streams, its findings
    (``more`` first, from the container), ``fields`` as episode metadata; UnreadableRecording if no stream."""
    pending: list[Pending] = []
    calibration: dict[str, Any] = {}
    streams = read_streams(scan, report, pending, calibration)
    if not streams:
        raise nothing_read(path, scan, report)
    found = [*(more or []), *findings(scan, report, streams, pending)]
    if calibration:
        fields["calibration"] = {**calibration, **fields.get("calibration", {})}
    episode = make_episode(ctx, report.format, 0, list(streams), findings=found, **fields)
    report.episodes = 1
    return ReadResult([episode], report)


class McapReader(Reader):
    name = "mcap"
    description = "MCAP files: ROS 2 CDR, ROS 1, protobuf and JSON messages; damaged files are read up to the damage"

    def sniff(self, path: Path) -> bool:
        try:
            with open(path, "rb") as f:
                return f.read(len(MAGIC)) == MAGIC
        except OSError:
            return False

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        if not path.is_file():
            raise UnreadableRecording(str(path), "not a file", "an MCAP recording is a single .mcap file")
        if not self.sniff(path):
            size = path.stat().st_size
            what = "the file is empty (0 bytes)" if size == 0 else "not an MCAP file (no MCAP magic bytes at its start)"
            raise UnreadableRecording(str(path), what, "re-copy it from the recorder, or name the right --format")
        report = ReadReport(str(path), self.name)
        try:
            scan = scan_file(path)
        except OSError as exc:
            raise UnreadableRecording(str(path), f"cannot be read ({exc})", "check its permissions") from exc
        return episode_from_scan(path, ctx, scan, report, **session_fields(scan))
