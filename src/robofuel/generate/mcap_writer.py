"""Writing a teleop :class:`~robofuel.generate.faults.Draft` as a ROS 2 MCAP file (CDR, zstd chunks, summary)."""

from __future__ import annotations

from pathlib import Path

from mcap_ros2.writer import Writer

from robofuel.generate.faults import Draft
from robofuel.generate.media import h264_packets, jpeg_images
from robofuel.generate.msgdefs import DEFS, stamp

ARM_JOINTS = [f"panda_joint{i}" for i in range(1, 8)]
FINGERS = ["panda_finger_joint1", "panda_finger_joint2"]
TOPICS = {
    "joint_states": "/joint_states",
    "gripper": "/franka_gripper/joint_states",
    "wrench": "/ft_sensor/wrench",
    "camera_front": "/camera/front/video",
    "camera_wrist": "/camera/wrist/image/compressed",
}


def _log_times(stamps: list[int]) -> list[int]:
    """Receive times: the stamps made monotonic (a recorder logs in arrival order even when stamps go back)."""
    out, last = [], stamps[0] if stamps else 0
    for t in stamps:
        last = max(last, t)
        out.append(last)
    return out


def _joint_messages(w: Writer, d: Draft, name: str, joints: list[str]) -> None:
    schema = w.register_msgdef("sensor_msgs/msg/JointState", DEFS["sensor_msgs/msg/JointState"])
    s, n = d.numeric[name], len(joints)
    stamps = s.ts.tolist()
    for seq, (t, log, row) in enumerate(zip(stamps, _log_times(stamps), s.values.tolist(), strict=True)):
        msg = {
            "header": {"stamp": stamp(t), "frame_id": ""},
            "name": joints,
            "position": row[:n],
            "velocity": row[n : 2 * n],
            "effort": row[2 * n : 3 * n],
        }
        w.write_message(TOPICS[name], schema, msg, log_time=log, publish_time=log, sequence=seq)


def _wrench_messages(w: Writer, d: Draft) -> None:
    schema = w.register_msgdef("geometry_msgs/msg/WrenchStamped", DEFS["geometry_msgs/msg/WrenchStamped"])
    s = d.numeric["wrench"]
    stamps = s.ts.tolist()
    for seq, (t, log, v) in enumerate(zip(stamps, _log_times(stamps), s.values.tolist(), strict=True)):
        msg = {
            "header": {"stamp": stamp(t), "frame_id": "panda_hand"},
            "wrench": {"force": dict(zip("xyz", v[:3], strict=True)), "torque": dict(zip("xyz", v[3:], strict=True))},
        }
        w.write_message(TOPICS["wrench"], schema, msg, log_time=log, publish_time=log, sequence=seq)


def _video_messages(w: Writer, d: Draft) -> None:
    if "camera_front" in d.video and "camera_front" not in d.omitted:
        ts, frames = d.video["camera_front"]
        schema = w.register_msgdef("foxglove_msgs/msg/CompressedVideo", DEFS["foxglove_msgs/msg/CompressedVideo"])
        pairs = zip(ts.tolist(), _log_times(ts.tolist()), h264_packets(frames, 30), strict=True)
        for seq, (t, log, pkt) in enumerate(pairs):
            msg = {"timestamp": stamp(t), "frame_id": "front_camera", "data": pkt, "format": "h264"}
            w.write_message(TOPICS["camera_front"], schema, msg, log_time=log, publish_time=log, sequence=seq)
    if "camera_wrist" in d.video and "camera_wrist" not in d.omitted:
        ts, frames = d.video["camera_wrist"]
        schema = w.register_msgdef("sensor_msgs/msg/CompressedImage", DEFS["sensor_msgs/msg/CompressedImage"])
        pairs = zip(ts.tolist(), _log_times(ts.tolist()), jpeg_images(frames), strict=True)
        for seq, (t, log, jpg) in enumerate(pairs):
            msg = {"header": {"stamp": stamp(t), "frame_id": "wrist_camera"}, "format": "jpeg", "data": jpg}
            w.write_message(TOPICS["camera_wrist"], schema, msg, log_time=log, publish_time=log, sequence=seq)


def write_mcap(path: Path, d: Draft, session: dict[str, str]) -> None:
    """Write every stream of ``d`` not omitted, plus the ``robofuel.session`` metadata record."""
    with open(path, "wb") as f:
        w = Writer(f, chunk_size=256 * 1024)
        w.add_metadata("robofuel.session", session)
        if "joint_states" not in d.omitted:
            _joint_messages(w, d, "joint_states", ARM_JOINTS)
        if "gripper" not in d.omitted:
            _joint_messages(w, d, "gripper", FINGERS)
        if "wrench" not in d.omitted:
            _wrench_messages(w, d)
        _video_messages(w, d)
        w.finish()  # type: ignore[no-untyped-call]


def truncate(path: Path, fraction: float) -> int:
    """Cut the file to ``fraction`` of its bytes (a recorder that died mid-write); return the new size."""
    data = path.read_bytes()
    size = int(len(data) * fraction)
    path.write_bytes(data[:size])
    return size
