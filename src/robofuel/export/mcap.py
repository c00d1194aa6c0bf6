"""Exporter to MCAP: one ROS 2 MCAP file per episode, ``<out>/<episode id>.mcap``.

Each file has profile ``ros2``, CDR messages with embedded ``ros2msg`` schemas (written through
``mcap_ros2.writer.Writer``), zstd-compressed chunks with CRCs, and a summary with schemas, channels, statistics
and chunk and message indexes, so that Foxglove, ``mcap`` tools, rosbag2 and robofuel's own reader open it.

Streams become topics (message types: :mod:`robofuel.export.mcap_messages`): the topic is the stream's ``source``
when it is a ROS topic name, else ``/`` + the stream name with ``.`` -> ``/`` (``camera.front.video`` ->
``/camera/front/video``), so robofuel's reader gives back the same stream names. Transform streams whose topic is
a TF topic (``/tf``, ``/tf_static``) are written together as ``tf2_msgs/msg/TFMessage`` on it, each sample one
``TransformStamped`` from the stream's ``frame`` (parent) to the child frame named by the stream.

Times: every sample at its own time (no resampling: MCAP is multi-rate), on the reference clock (the stream's
sync correction ``clock_offset_ns`` added), ns since the Unix epoch; ``header.stamp`` (``timestamp`` for
CompressedVideo), log time and publish time are all that time. Camera packets are copied byte for byte (H.264,
HEVC, AV1, VP9 as foxglove ``CompressedVideo``; JPEG, PNG as ``CompressedImage``; raw frames as ``Image``).

Metadata records: ``robofuel.session`` (the keys robofuel's MCAP reader reads back: operator, station, scene,
site, embodiment, license, task_id, instruction, device_id, consent) and ``robofuel.episode`` (key ``json``: the
episode's metadata as JSON). Left out, and counted in the report: audio (no standard ROS 2 / foxglove audio
message), event streams, cameras stored as a container file, streams without samples.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcap.writer import CompressionType
from mcap_ros2.writer import Writer

from robofuel.export.base import Exporter, ExportOptions, ExportReport, ExportWriter, Written, rights
from robofuel.export.mcap_messages import (
    MSGDEFS,
    TRANSFORM,
    MessagePlan,
    Msg,
    columns_index,
    numeric_plan,
    transform_msg,
    video_plan,
)
from robofuel.export.timeline import reference_times
from robofuel.ingest.mcap.reader import SESSION_RECORD, stream_name
from robofuel.standard import Episode, EpisodeData, NumericData, Stream, StreamKind, VideoData

EPISODE_RECORD = "robofuel.episode"
CHUNK_BYTES = 4 * 1024 * 1024
TF_TOPICS = ("tf", "tf_static")
_ROS_TOPIC = re.compile(r"^(/[A-Za-z_~][A-Za-z0-9_]*)+$")
#: (time ns, stream order, sequence, topic, message type, message): sorts by time across streams.
Item = tuple[int, int, int, str, str, Msg]


def topic_for(stream: Stream) -> str:
    """The stream's ``source`` when it is a ROS topic name, else ``/`` + its name with ``.`` -> ``/``."""
    if stream.source and _ROS_TOPIC.match(stream.source):
        return stream.source
    parts = [re.sub(r"[^A-Za-z0-9_]", "_", p) for p in stream.name.split(".") if p]
    return "/" + "/".join(f"_{p}" if p[0].isdigit() else p for p in parts) if parts else "/root"


def is_tf_topic(topic: str) -> bool:
    return topic.rsplit("/", 1)[-1] in TF_TOPICS


def tf_child(stream: Stream, topic: str) -> str:
    """The child frame of a TF stream: its name less ``<topic>.<parent>.`` (as robofuel's reader names TF
    streams), else its whole name."""
    parent = (stream.frame or "").strip("/").replace("/", ".") or "root"
    prefix = f"{stream_name(topic)}.{parent}."
    return stream.name[len(prefix) :] if stream.name.startswith(prefix) else stream.name


def session_record(meta: Episode) -> dict[str, str]:
    """The ``robofuel.session`` metadata record: the episode fields robofuel's MCAP reader reads back."""
    values = {
        "operator": meta.operator,
        "station": meta.station,
        "scene": meta.scene,
        "site": meta.site,
        "embodiment": meta.embodiment,
        "task_id": meta.task.id,
        "instruction": meta.task.instruction,
        "device_id": ",".join(meta.devices),
        **rights(meta),
    }
    return {k: v for k, v in values.items() if v}


@dataclass
class _Topic:
    """One stream as messages on one topic: its times (ns, reference clock) and samples (rows or packets)."""

    order: int
    topic: str
    plan: MessagePlan
    times: list[int]
    samples: list[Any]

    def items(self) -> Iterator[Item]:
        for seq, (t, sample) in enumerate(zip(self.times, self.samples, strict=True)):
            yield t, self.order, seq, self.topic, self.plan.type_name, self.plan.build(t, sample)


class _Episode:
    """Plans the topics of one episode; what cannot be written is counted in the report with the reason."""

    def __init__(self, ep: EpisodeData, report: ExportReport) -> None:
        self.ep, self.report = ep, report
        self.taken: dict[str, str] = {}  # topic -> message type
        self.topics: list[_Topic] = []
        for stream in ep.meta.streams:
            self._add(stream)

    def _omit(self, stream: Stream, why: str) -> None:
        self.report.omitted[f"{stream.name}: {why}"] += 1

    def _topic(self, stream: Stream, type_name: str) -> str:
        """A topic for the stream: its own, or with ``_2``, ``_3``... when another type or stream holds it (TF
        topics are shared by every TF stream)."""
        base, i = topic_for(stream), 1
        topic = base
        while topic in self.taken and not (type_name == "tf2_msgs/msg/TFMessage" == self.taken[topic]):
            i += 1
            topic = f"{base}_{i}"
        self.taken[topic] = type_name
        return topic

    def _add(self, stream: Stream) -> None:
        payload = self.ep.payloads.get(stream.name)
        if stream.kind is StreamKind.audio:
            self._omit(stream, "audio (no standard ROS 2 or foxglove audio message for MCAP)")
        elif stream.kind is StreamKind.events or payload is None:
            self._omit(stream, f"{stream.kind.value} stream without a numeric or video payload")
        elif not len(getattr(payload, "timestamps_ns", [])):
            self._omit(stream, "no samples")
        elif isinstance(payload, NumericData):
            self._numeric(stream, payload)
        elif isinstance(payload, VideoData):
            self._video(stream, payload)

    def _numeric(self, stream: Stream, data: NumericData) -> None:
        times, rows = reference_times(stream, data).tolist(), data.values.tolist()
        idx = columns_index(stream, TRANSFORM)
        if idx is not None and is_tf_topic(topic_for(stream)):
            parent, child, found = stream.frame, tf_child(stream, topic_for(stream)), idx
            plan = MessagePlan(
                "tf2_msgs/msg/TFMessage", lambda t, r: {"transforms": [transform_msg(t, r, found, parent, child)]}
            )
        else:
            plan = numeric_plan(stream)
        topic = self._topic(stream, plan.type_name)
        self.topics.append(_Topic(len(self.topics), topic, plan, times, rows))

    def _video(self, stream: Stream, video: VideoData) -> None:
        if video.packets is None:
            self._omit(stream, "camera stored as a container file: its packets are not extracted for MCAP")
            return
        plan = video_plan(stream, video.codec, video.width, video.height)
        if plan is None:
            self._omit(stream, f"{video.codec} frames: no ROS 2 / foxglove message carries them")
            return
        times, topic = reference_times(stream, video).tolist(), self._topic(stream, plan.type_name)
        self.topics.append(_Topic(len(self.topics), topic, plan, times, video.packets))
        self.report.video_handled(stream.name, "copied")

    def write(self, path: Path) -> int:
        """Write the MCAP file; the number of messages written."""
        count = 0
        with open(path, "wb") as f:
            writer = Writer(f, chunk_size=CHUNK_BYTES, compression=CompressionType.ZSTD)
            writer.add_metadata(SESSION_RECORD, session_record(self.ep.meta))
            writer.add_metadata(EPISODE_RECORD, {"json": self.ep.meta.model_dump_json()})
            schemas: dict[str, Any] = {}
            for t, _, seq, topic, type_name, msg in heapq.merge(*(s.items() for s in self.topics)):
                if type_name not in schemas:
                    schemas[type_name] = writer.register_msgdef(type_name, MSGDEFS[type_name])
                writer.write_message(topic, schemas[type_name], msg, log_time=t, publish_time=t, sequence=seq)
                count += 1
            writer.finish()  # type: ignore[no-untyped-call]
        return count


class _Files(ExportWriter):
    """MCAP files, one per episode, in the staging folder."""

    def __init__(self, stage: Path, options: ExportOptions, report: ExportReport) -> None:
        self.stage, self.options, self.report = stage, options, report

    def add(self, ep: EpisodeData) -> Written | None:
        plan = _Episode(ep, self.report)
        if not plan.topics:
            self.report.leave_out(ep.meta.id, "no stream MCAP can hold")
            return None
        return Written(plan.write(self.stage / f"{ep.meta.id}.mcap"), ep.meta.duration_s)

    def finish(self) -> None:
        if self.options.fps is not None:
            self.report.notes.append("fps not applied: MCAP keeps every stream at its own rate")
        if self.options.video_codec is not None:
            self.report.notes.append("video codec not applied: camera packets are copied into MCAP as they are")
        self.report.notes.append("frames: messages written (MCAP is multi-rate)")


class McapExporter(Exporter):
    name = "mcap"
    description = "MCAP, one ROS 2 file per episode (CDR, zstd chunks, summary): every stream at its own rate"

    def open(self, stage: Path, out: Path, options: ExportOptions, report: ExportReport) -> ExportWriter:
        return _Files(stage, options, report)
