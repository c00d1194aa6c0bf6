"""Transform trees (``tf2_msgs/TFMessage``, ROS 1 ``tf/tfMessage``, foxglove ``FrameTransform(s)``): one stream
per frame pair.

A TF topic multiplexes every transform of a robot on one channel (``/tf``, ``/tf_static``), often from several
connections (ROS 1 bags mix ``tf/tfMessage`` and ``tf2_msgs/TFMessage`` on ``/tf``). All messages of one topic are
decoded in log-time order and every transform goes to the stream of its (parent, child) pair, named
``<topic>.<parent>.<child>`` (``/tf`` with ``world -> turtle1`` gives ``tf.world.turtle1``), with columns
``translation.x..z`` (m) and ``rotation.x..w`` (quaternion xyzw), ``frame`` = the parent frame and ``source`` =
the topic. Each pair is timed like any stream (:mod:`robofuel.ingest.ros.clock`): the transforms' ``header.stamp``
(foxglove: ``timestamp``) where plausible against log time, else the log time (ns since the Unix epoch).

Static transforms (``/tf_static``) are calibration, not streams: :func:`static_transforms` gives them as entries for
``Episode.calibration["transforms"]``, so their stamps (0, or a latched publisher's old time) never stretch the
episode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from robofuel.errors import describe_error
from robofuel.ingest.base import Built, ReadReport
from robofuel.ingest.mcap.scan import ChannelData
from robofuel.ingest.mcap.streams import Pending, Waiting, clock_pending, register_stream
from robofuel.ingest.ros.clock import Clocked
from robofuel.ingest.ros.decoders import Decoders, Undecodable
from robofuel.ingest.ros.messages import NumericMapping, mapping_for, normalise_type, stamp_ns
from robofuel.standard import NumericData, numeric_stream

TF_TYPES = ("tf2_msgs/TFMessage", "tf/tfMessage", "foxglove/FrameTransforms", "foxglove/FrameTransform")
_TRANSFORM = "geometry_msgs/TransformStamped"


def is_tf(type_name: str) -> bool:
    """Whether a channel of ``type_name`` carries a transform tree."""
    return normalise_type(type_name) in TF_TYPES


@dataclass
class _Pair:
    mapping: NumericMapping
    logs: list[int] = field(default_factory=list)
    headers: list[int] = field(default_factory=list)


def _frame_part(frame: str) -> str:
    return frame.strip("/").replace("/", ".") or "root"


def _add_message(pairs: dict[tuple[str, str], _Pair], msg: Any, log_time: int, topic: str) -> None:
    for t in msg.transforms if hasattr(msg, "transforms") else [msg]:
        parent = t.parent_frame_id if hasattr(t, "parent_frame_id") else t.header.frame_id
        key = (str(parent), str(t.child_frame_id))
        pair = pairs.get(key)
        if pair is None:
            mapping = mapping_for(_TRANSFORM, t, topic)
            assert isinstance(mapping, NumericMapping)
            pair = pairs[key] = _Pair(mapping)
        pair.mapping.add(t)
        pair.logs.append(log_time)
        pair.headers.append(stamp_ns(t) or 0)


def _decoded(channels: list[ChannelData], decoders: Decoders, report: ReadReport) -> list[tuple[int, Any]]:
    """Every decodable message of the topic's channels as (log time, message), in log-time order."""
    out: list[tuple[int, Any]] = []
    for ch in channels:
        try:
            decode = decoders.for_channel(ch)
        except Undecodable as exc:
            report.undecodable[f"{ch.topic}: {exc}"] += len(ch.messages)
            continue
        for log_time, data in ch.messages:
            try:
                out.append((log_time, decode(data)))
            except Exception as exc:  # a malformed message costs itself only
                report.undecodable[f"{ch.topic}: {describe_error(exc)}"] += 1
    return sorted(out, key=lambda m: m[0])


def _pairs(channels: list[ChannelData], decoders: Decoders, report: ReadReport) -> dict[tuple[str, str], _Pair]:
    """Every transform of the topic's channels, by (parent, child) frame pair, in log-time order."""
    topic = channels[0].topic
    pairs: dict[tuple[str, str], _Pair] = {}
    for log_time, msg in _decoded(channels, decoders, report):
        try:
            _add_message(pairs, msg, log_time, topic)
        except Exception as exc:
            report.undecodable[f"{topic}: {describe_error(exc)}"] += 1
    return pairs


def is_static(topic: str) -> bool:
    """Whether a TF topic holds static transforms (``/tf_static``): calibration, not a stream."""
    return topic.rstrip("/").endswith("tf_static")


def static_transforms(
    channels: list[ChannelData],
    decoders: Decoders,
    report: ReadReport,
    stamps: list[tuple[str, str, int, int]] | None = None,
) -> list[dict[str, Any]]:
    """The static transforms of a ``/tf_static`` topic as calibration entries, the last one of each frame pair.

    Static transforms hold for the whole recording whatever their stamp (often 0, or the time a latched publisher
    first sent them), so they never time anything: each entry is ``{"parent", "child", "translation" [x, y, z] m,
    "rotation_xyzw", "source"}`` and the messages are counted in the report's ``decoded``. ``stamps`` receives
    (parent, child, log ns, header ns) of each entry for :func:`~robofuel.ingest.ros.clock.static_stamp_note`."""
    out = []
    for (parent, child), pair in sorted(_pairs(channels, decoders, report).items()):
        if stamps is not None:
            stamps.append((parent, child, pair.logs[-1], pair.headers[-1]))
        row = pair.mapping.table()[-1].tolist()
        out.append(
            {
                "parent": parent,
                "child": child,
                "translation": row[:3],
                "rotation_xyzw": row[3:7],
                "source": channels[0].topic,
            }
        )
        report.decoded += len(pair.logs)
    return out


def collect_tf_streams(
    name: str,
    channels: list[ChannelData],
    decoders: Decoders,
    report: ReadReport,
    pending: list[Pending],
    unique: Callable[[str], str] = str,
) -> list[Waiting]:
    """One waiting stream per (parent, child) frame pair of the TF topic that ``channels`` (same topic) carry.

    ``unique`` turns a stream name into one not taken yet in the episode; each pair's clock is chosen as for any
    stream (:mod:`robofuel.ingest.ros.clock`), its notes go to ``pending``."""
    out = []
    for (parent, child), pair in sorted(_pairs(channels, decoders, report).items()):
        stream_name = unique(f"{name}.{_frame_part(parent)}.{_frame_part(child)}")
        logs, headers = np.array(pair.logs, np.int64), np.array(pair.headers, np.int64)
        build = partial(_build_pair, stream_name, pair, (parent, child), channels[0], report, pending)
        out.append(Waiting(logs, headers, build))
    return out


def _build_pair(
    name: str,
    pair: _Pair,
    frames: tuple[str, str],
    channel: ChannelData,
    report: ReadReport,
    pending: list[Pending],
    timed: Clocked,
) -> list[Built]:
    parent, child = frames
    topic = channel.topic
    if not timed.keep.any():
        report.skipped[f"{topic}: {parent} -> {child}: no message with a valid time"] += len(pair.logs)
        return []
    data = NumericData(timed.times[timed.keep], pair.mapping.table()[timed.keep])
    stream = numeric_stream(
        name,
        data,
        pair.mapping.columns,
        role="transform",
        unit=pair.mapping.unit,
        column_units=pair.mapping.column_units,
        quaternion_order=pair.mapping.quaternion_order,
        frame=parent or None,
        source=topic,
        clock=timed.clock,
    )
    register_stream(report, stream, normalise_type(channel.type_name))
    zeros = pair.headers.count(0)  # a TransformStamped always has a header: 0 is an unset stamp
    pending += clock_pending(name, f"{topic} {parent} -> {child}", timed, zeros)
    return [(stream, data)]
