"""Protobuf-encoded MCAP channels: schemas embedded as FileDescriptorSets, decoded without generated code.

The messages are built here from descriptors: ``foxglove.CompressedVideo`` with the field numbers of foxglove's
published schema (timestamp = 1, frame_id = 2, data = 3, format = 4) and a custom ``lab.ArmState``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
from mcap_files import H264, T0

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.standard import VideoData

F = descriptor_pb2.FieldDescriptorProto


def _file(name: str, package: str, messages: dict[str, list[tuple[str, int, int, int, str]]]) -> Any:
    """A FileDescriptorProto: message -> [(field, number, type, label, type_name)]."""
    fd = descriptor_pb2.FileDescriptorProto(name=name, package=package, syntax="proto3")
    fd.dependency.append("google/protobuf/timestamp.proto")
    for msg_name, fields in messages.items():
        msg = fd.message_type.add(name=msg_name)
        for field, number, type_, label, type_name in fields:
            extra = {"type_name": type_name} if type_name else {}
            msg.field.add(name=field, number=number, type=type_, label=label, **extra)
    return fd


OPT, REP, TS = F.LABEL_OPTIONAL, F.LABEL_REPEATED, ".google.protobuf.Timestamp"
VIDEO = _file(
    "foxglove/CompressedVideo.proto",
    "foxglove",
    {
        "CompressedVideo": [
            ("timestamp", 1, F.TYPE_MESSAGE, OPT, TS),
            ("frame_id", 2, F.TYPE_STRING, OPT, ""),
            ("data", 3, F.TYPE_BYTES, OPT, ""),
            ("format", 4, F.TYPE_STRING, OPT, ""),
        ]
    },
)
ARM = _file(
    "lab/arm.proto",
    "lab",
    {
        "ArmState": [
            ("timestamp", 1, F.TYPE_MESSAGE, OPT, TS),
            ("position", 2, F.TYPE_DOUBLE, REP, ""),
            ("gripper", 3, F.TYPE_FLOAT, OPT, ""),
            ("note", 4, F.TYPE_STRING, OPT, ""),
        ]
    },
)


def _descriptor_set(fd: Any) -> bytes:
    fds = descriptor_pb2.FileDescriptorSet()
    timestamp_pb2.DESCRIPTOR.CopyToProto(fds.file.add())
    fds.file.append(fd)
    return fds.SerializeToString()


def _classes() -> dict[str, Any]:
    pool = descriptor_pool.DescriptorPool()
    ts = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(ts)
    pool.Add(ts)
    pool.Add(VIDEO)
    pool.Add(ARM)
    return {
        n: message_factory.GetMessageClass(pool.FindMessageTypeByName(n))
        for n in ("foxglove.CompressedVideo", "lab.ArmState")
    }


def _stamp(msg: Any, t: int) -> None:
    msg.timestamp.seconds, msg.timestamp.nanos = divmod(t, 1_000_000_000)


def write_protobuf(path: Path, n_arm: int = 100) -> Path:
    from mcap.writer import Writer

    cls = _classes()
    with open(path, "wb") as f:
        w = Writer(f)
        w.start(profile="", library="robofuel-test")
        video_schema = w.register_schema("foxglove.CompressedVideo", "protobuf", _descriptor_set(VIDEO))
        arm_schema = w.register_schema("lab.ArmState", "protobuf", _descriptor_set(ARM))
        video = w.register_channel("/camera/front", "protobuf", video_schema)
        arm = w.register_channel("/arm/state", "protobuf", arm_schema)
        for i, pkt in enumerate(H264):
            t = T0 + round(i * 1e9 / 30)
            msg = cls["foxglove.CompressedVideo"](frame_id="front", data=pkt, format="h264")
            _stamp(msg, t)
            w.add_message(video, log_time=t + 1000, publish_time=t, data=msg.SerializeToString())
        for i in range(n_arm):
            t = T0 + i * 10_000_000
            msg = cls["lab.ArmState"](position=[0.1 * i, -0.2, 0.3], gripper=0.5, note="x")
            _stamp(msg, t)
            w.add_message(arm, log_time=t + 1000, publish_time=t, data=msg.SerializeToString())
        w.finish()
    return path


def test_protobuf_channels_decode_from_embedded_schemas(tmp_path: Path) -> None:
    result = read(write_protobuf(tmp_path / "pb.mcap"), "mcap")
    (ep,) = result.episodes
    arm = ep.meta.stream("arm.state")
    assert arm.columns == ["position[0]", "position[1]", "position[2]", "gripper"]  # text and timestamp left out
    data = ep.numeric("arm.state")
    assert data.timestamps_ns[0] == T0 and data.timestamps_ns[-1] == T0 + 99 * 10_000_000  # message timestamps
    assert np.allclose(data.values[10], [1.0, -0.2, 0.3, 0.5])
    video = ep.payloads["camera.front"]
    assert isinstance(video, VideoData) and video.codec == "h264" and video.packets == H264
    assert ep.meta.stream("camera.front").frame == "front"
    assert result.report.undecodable == {} and ep.meta.findings == []


def test_protobuf_without_a_descriptor_set_is_refused_with_the_reason(tmp_path: Path) -> None:
    from mcap.writer import Writer

    path = tmp_path / "bad.mcap"
    with open(path, "wb") as f:
        w = Writer(f)
        w.start()
        schema = w.register_schema("lab.ArmState", "protobuf", b"\x0a\xff\xff")  # not a FileDescriptorSet
        ch = w.register_channel("/arm/state", "protobuf", schema)
        w.add_message(ch, log_time=T0, publish_time=T0, data=b"\x08\x01")
        w.finish()
    with pytest.raises(UnreadableRecording, match=r"/arm/state: protobuf schema lab.ArmState does not load"):
        read(path, "mcap")
