"""Transform trees (``tf2_msgs/TFMessage``, ROS 1 ``tf/tfMessage``, foxglove ``FrameTransform(s)``): one stream
per frame pair.

A TF topic multiplexes every transform of a robot on one channel (``/tf``, ``/tf_static``), often from several
connections (ROS 1 bags mix ``tf/tfMessage`` and ``tf2_msgs/TFMessage`` on ``/tf``). All messages of one topic are
decoded in log-time order and every transform goes to the stream of its (parent, child) pair, named
``<topic>.<parent>.<child>`` (``/tf`` with ``world -> turtle1`` gives ``tf.world.turtle1``), with columns
``translation.x..z`` (m) and ``rotation.x..w`` (quaternion xyzw), ``frame`` = the parent frame and ``source`` =
the topic. Each sample's time is the transform's ``header.stamp`` (foxglove: ``timestamp``) when non-zero, else
the message's log time (ns since the Unix epoch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robofuel.ingest.base import Built, ReadReport
from robofuel.ingest.mcap_scan import ChannelData
from robofuel.ingest.mcap_streams import Decoders, Undecodable, describe_error, register_stream
from robofuel.ingest.ros_messages import NumericMapping, mapping_for, normalise_type, stamp_ns
from robofuel.standard import NumericData, numeric_stream

TF_TYPES = ("tf2_msgs/TFMessage", "tf/tfMessage", "foxglove/FrameTransforms", "foxglove/FrameTransform")
_TRANSFORM = "geometry_msgs/TransformStamped"


def is_tf(type_name: str) -> bool:
    """Whether a channel of ``type_name`` carries a transform tree."""
    return normalise_type(type_name) in TF_TYPES


@dataclass
class _Pair:
    mapping: NumericMapping
    stamps: list[int] = field(default_factory=list)


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
        pair.stamps.append(stamp_ns(t) or log_time)


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


def build_tf_streams(
    name: str,
    channels: list[ChannelData],
    decoders: Decoders,
    report: ReadReport,
    unique: Callable[[str], str] = str,
) -> list[Built]:
    """One stream per (parent, child) frame pair of the TF topic that ``channels`` (same topic) carry.

    ``unique`` turns a stream name into one not taken yet in the episode."""
    topic = channels[0].topic
    pairs: dict[tuple[str, str], _Pair] = {}
    for log_time, msg in _decoded(channels, decoders, report):
        try:
            _add_message(pairs, msg, log_time, topic)
        except Exception as exc:
            report.undecodable[f"{topic}: {describe_error(exc)}"] += 1
    built: list[Built] = []
    for (parent, child), pair in sorted(pairs.items()):
        data = NumericData(np.array(pair.stamps, dtype=np.int64), pair.mapping.table())
        stream_name = unique(f"{name}.{_frame_part(parent)}.{_frame_part(child)}")
        stream = numeric_stream(
            stream_name,
            data,
            pair.mapping.columns,
            role="transform",
            unit=pair.mapping.unit,
            column_units=pair.mapping.column_units,
            quaternion_order=pair.mapping.quaternion_order,
            frame=parent or None,
            source=topic,
        )
        register_stream(report, stream, normalise_type(channels[0].type_name))
        built.append((stream, data))
    return built
