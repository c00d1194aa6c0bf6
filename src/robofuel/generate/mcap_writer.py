"""Writing a teleop :class:`~robofuel.generate.draft.Draft` as a ROS 2 MCAP file (CDR, zstd chunks, summary).

Messages are written in receive-time order across topics, as a recorder does, so a file cut short loses every
topic's tail at about the same time. ``log_time`` = ``publish_time`` = the true sample time; ``header.stamp`` (or
``timestamp`` for CompressedVideo) = the written stamp, which timing faults alter.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from pathlib import Path

from mcap.records import Message as McapMessage
from mcap.stream_reader import StreamReader
from mcap.well_known import MessageEncoding, SchemaEncoding
from mcap.writer import LIBRARY_IDENTIFIER, CompressionType, Writer

from robofuel.generate import cdr
from robofuel.generate.draft import Draft
from robofuel.generate.media import h264_packets, jpeg_images
from robofuel.generate.msgdefs import DEFS

ARM_JOINTS = [f"panda_joint{i}" for i in range(1, 8)]
FINGERS = ["panda_finger_joint1", "panda_finger_joint2"]
SCHEMAS = {
    "joint_states": "sensor_msgs/msg/JointState",
    "gripper": "sensor_msgs/msg/JointState",
    "wrench": "geometry_msgs/msg/WrenchStamped",
    "camera_front": "foxglove_msgs/msg/CompressedVideo",
    "camera_wrist": "sensor_msgs/msg/CompressedImage",
}
LIBRARY = f"{LIBRARY_IDENTIFIER} robofuel-generate"
Message = tuple[int, int, int, bytes]  # (log_time ns, stream order, sequence, CDR bytes)


def _joints(d: Draft, name: str, order: int, joints: list[str]) -> Iterator[Message]:
    s, n = d.numeric[name], len(joints)
    for seq, (t, log, row) in enumerate(zip(s.ts.tolist(), s.log_ts.tolist(), s.values.tolist(), strict=True)):
        yield log, order, seq, cdr.joint_state(t, joints, row[:n], row[n : 2 * n], row[2 * n : 3 * n])


def _wrench(d: Draft, order: int) -> Iterator[Message]:
    s = d.numeric["wrench"]
    for seq, (t, log, v) in enumerate(zip(s.ts.tolist(), s.log_ts.tolist(), s.values.tolist(), strict=True)):
        yield log, order, seq, cdr.wrench_stamped(t, "panda_hand", v)


def _front(d: Draft, order: int) -> Iterator[Message]:
    v = d.video["camera_front"]
    packets = h264_packets(v.frames, 30)
    fmt = d.declared_codec.get("camera_front", "h264")
    for seq, (t, log, pkt) in enumerate(zip(v.ts.tolist(), v.log_ts.tolist(), packets, strict=True)):
        yield log, order, seq, cdr.compressed_video(t, "front_camera", pkt, fmt)


def _wrist(d: Draft, order: int) -> Iterator[Message]:
    v = d.video["camera_wrist"]
    images = jpeg_images(v.frames)
    fmt = d.declared_codec.get("camera_wrist", "jpeg")
    for seq, (t, log, jpg) in enumerate(zip(v.ts.tolist(), v.log_ts.tolist(), images, strict=True)):
        yield log, order, seq, cdr.compressed_image(t, "wrist_camera", fmt, jpg)


MAKERS: dict[str, Callable[[Draft, int], Iterator[Message]]] = {
    "joint_states": lambda d, o: _joints(d, "joint_states", o, ARM_JOINTS),
    "gripper": lambda d, o: _joints(d, "gripper", o, FINGERS),
    "wrench": _wrench,
    "camera_front": _front,
    "camera_wrist": _wrist,
}


def write_mcap(path: Path, d: Draft, session: dict[str, str]) -> None:
    """Write every stream of ``d`` not omitted, plus the ``robofuel.session`` metadata record.

    Profile ``ros2``, CDR messages with ``ros2msg`` schemas, zstd chunks of 256 KiB, summary with statistics.
    """
    names = [n for n in MAKERS if n in d.streams and n not in d.omitted]
    with open(path, "wb") as f:
        w = Writer(f, chunk_size=256 * 1024, compression=CompressionType.ZSTD)
        w.start(profile="ros2", library=LIBRARY)
        w.add_metadata("robofuel.session", session)
        used = dict.fromkeys(SCHEMAS[n] for n in names)
        schemas = {t: w.register_schema(t, SchemaEncoding.ROS2, DEFS[t].encode()) for t in used}
        channels = [w.register_channel(d.streams[n].source, MessageEncoding.CDR, schemas[SCHEMAS[n]]) for n in names]
        for log, order, seq, data in heapq.merge(*(MAKERS[n](d, i) for i, n in enumerate(names))):
            w.add_message(channels[order], log_time=log, data=data, publish_time=log, sequence=seq)
        w.finish()  # type: ignore[no-untyped-call]


def truncate(path: Path, fraction: float) -> int:
    """Cut the file to ``fraction`` of its bytes (a recorder killed mid-write); return the new size in bytes."""
    data = path.read_bytes()
    size = int(len(data) * fraction)
    path.write_bytes(data[:size])
    return size


def last_log_time(path: Path) -> int | None:
    """Largest log_time (ns) among the messages still readable from the start of a possibly cut MCAP file."""
    last = None
    with open(path, "rb") as f:
        try:
            for record in StreamReader(f).records:
                if isinstance(record, McapMessage):
                    last = record.log_time if last is None else max(last, record.log_time)
        except Exception:
            pass
    return last
