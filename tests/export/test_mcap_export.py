"""The MCAP exporter: generated teleop episodes written as ROS 2 MCAP files, validated with the ``mcap`` library
(CRCs, summary statistics), decoded with ``mcap-ros2-support`` and read back with robofuel's own MCAP reader
(same streams, times, values and camera packets); other message types on a synthetic episode; refusals."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory

from factories import T0, read
from robofuel.errors import InputError
from robofuel.export.base import ExportOptions, ExportReport
from robofuel.export.mcap import McapExporter
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.standard import AudioData, EpisodeData, NumericData, VideoData, audio_stream, numeric_stream, video_stream


@pytest.fixture(scope="module")
def exported(teleop_lake, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportReport]:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("mcap") / "out"
    return out, McapExporter().export(teleop_lake.episodes(), out, ExportOptions())


def test_one_valid_file_per_episode(exported: tuple[Path, ExportReport], teleop_lake) -> None:  # type: ignore[no-untyped-def]
    out, report = exported
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{i}.mcap" for i in teleop_lake.ids)
    assert report.episodes == 3 and not report.omitted
    assert report.video == {"camera.front.video": {"copied": 3}, "camera.wrist.image.compressed": {"copied": 3}}
    total = 0
    for path in sorted(out.iterdir()):
        with open(path, "rb") as f:
            reader = make_reader(f, validate_crcs=True)
            header, summary = reader.get_header(), reader.get_summary()
            per_channel: dict[int, int] = {}
            for _, channel, message in reader.iter_messages():
                per_channel[channel.id] = per_channel.get(channel.id, 0) + 1
                assert message.log_time == message.publish_time
            assert header.profile == "ros2" and summary is not None and summary.statistics is not None
            assert dict(summary.statistics.channel_message_counts) == per_channel
            assert summary.statistics.message_count == sum(per_channel.values())
            assert summary.chunk_indexes and {c.compression for c in summary.chunk_indexes} == {"zstd"}
            assert all(c.message_encoding == "cdr" for c in summary.channels.values())
            assert all(s.encoding == "ros2msg" for s in summary.schemas.values())
            total += summary.statistics.message_count
    assert report.frames == total


def test_every_message_decodes_with_mcap_ros2(exported: tuple[Path, ExportReport]) -> None:
    out, _ = exported
    for path in sorted(out.iterdir()):
        with open(path, "rb") as f:
            reader = make_reader(f, validate_crcs=True, decoder_factories=[DecoderFactory()])
            types = {}
            for schema, channel, _, msg in reader.iter_decoded_messages():
                types[channel.topic] = schema.name if schema else None
                assert msg is not None
        assert types == {
            "/camera/front/video": "foxglove_msgs/msg/CompressedVideo",
            "/camera/wrist/image/compressed": "sensor_msgs/msg/CompressedImage",
            "/franka_gripper/joint_states": "sensor_msgs/msg/JointState",
            "/ft_sensor/wrench": "geometry_msgs/msg/WrenchStamped",
            "/joint_states": "sensor_msgs/msg/JointState",
        }


def test_round_trip_through_robofuels_reader(exported: tuple[Path, ExportReport], teleop_lake) -> None:  # type: ignore[no-untyped-def]
    out, _ = exported
    for ep in teleop_lake.episodes():
        back = read(out / f"{ep.meta.id}.mcap", "mcap").episodes[0]
        assert not back.meta.findings  # no damage, counts match the summary, nothing undecodable
        assert sorted(s.name for s in back.meta.streams) == sorted(s.name for s in ep.meta.streams)
        for s in ep.meta.streams:
            r, a, b = back.meta.stream(s.name), ep.payloads[s.name], back.payloads[s.name]
            assert (r.role, r.frame, r.source, r.columns) == (s.role, s.frame, s.source, s.columns)
            assert isinstance(a, NumericData | VideoData) and isinstance(b, NumericData | VideoData)
            assert np.array_equal(a.timestamps_ns, b.timestamps_ns)
            if isinstance(a, NumericData):
                assert isinstance(b, NumericData) and np.array_equal(a.values, b.values, equal_nan=True)
            else:  # byte for byte, frame for frame: nothing re-encoded
                assert isinstance(b, VideoData) and b.codec == a.codec and b.packets == a.packets
        m, n = ep.meta, back.meta
        assert (n.operator, n.station, n.scene, n.site, n.embodiment) == (
            m.operator,
            m.station,
            m.scene,
            m.site,
            m.embodiment,
        )
        assert (n.task.id, n.task.instruction, n.devices) == (m.task.id, m.task.instruction, m.devices)
        stored = json.loads(n.extra["mcap_metadata"]["robofuel.episode"]["json"])
        assert stored["id"] == m.id and stored["streams"] == json.loads(m.model_dump_json())["streams"]


def _synthetic() -> EpisodeData:
    """Pose, IMU, two TF pairs, an action vector, raw RGB frames and audio, 50 samples at 100 Hz."""
    n = 50
    ts = T0 + np.arange(n, dtype=np.int64) * 10_000_000
    rng = np.random.default_rng(3)
    quat = rng.normal(size=(n, 4))
    quat /= np.linalg.norm(quat, axis=1, keepdims=True)
    xyz = ["x", "y", "z"]
    pose = NumericData(ts, np.hstack([rng.normal(size=(n, 3)), quat]))
    imu = NumericData(ts, np.hstack([quat, rng.normal(size=(n, 6))]))
    tf = NumericData(ts, np.hstack([rng.normal(size=(n, 3)), quat]))
    action = NumericData(ts, rng.normal(size=(n, 2)))
    frames = VideoData(ts[:3], "rawvideo", 4, 2, packets=[bytes([i] * 24) for i in range(3)])
    audio = AudioData(start_ns=T0, sample_rate=16000, channels=1, count=160, samples=np.zeros((160, 1), np.int16))
    imu_cols = [f"orientation.{a}" for a in "xyzw"] + [f"angular_velocity.{a}" for a in xyz]
    imu_cols += [f"linear_acceleration.{a}" for a in xyz]
    tf_cols = [f"translation.{a}" for a in xyz] + [f"rotation.{a}" for a in "xyzw"]
    pose_cols = [f"position.{a}" for a in xyz] + [f"orientation.{a}" for a in "xyzw"]
    q = {"quaternion_order": "xyzw"}
    streams = [
        (numeric_stream("ee", pose, pose_cols, role="pose", frame="base", **q), pose),
        (numeric_stream("imu.data", imu, imu_cols, role="imu", source="/imu/data", frame="imu", **q), imu),
        (numeric_stream("tf.world.base", tf, tf_cols, role="transform", source="/tf", frame="world", **q), tf),
        (numeric_stream("tf.base.tool", tf, tf_cols, role="transform", source="/tf", frame="base", **q), tf),
        (numeric_stream("action", action, ["a0", "a1"], role="action", source="data/action"), action),
        (video_stream("cam.raw", frames, pixel_format="rgb8", frame="cam"), frames),
        (audio_stream("mic", audio), audio),
    ]
    ctx = ReadContext(path=Path("/data/synthetic.mcap"), sha256="b" * 64)
    return make_episode(ctx, "mcap", 0, streams, operator="op-9", consent=True)  # type: ignore[arg-type]


def test_other_message_types_and_audio(tmp_path: Path) -> None:
    ep = _synthetic()
    report = McapExporter().export([ep], tmp_path / "out", ExportOptions())
    assert report.omitted == {"mic: audio (no standard ROS 2 or foxglove audio message for MCAP)": 1}
    back = read(tmp_path / "out" / f"{ep.meta.id}.mcap", "mcap").episodes[0]
    names = {s.name: s for s in back.meta.streams}
    assert set(names) == {"ee", "imu.data", "tf.world.base", "tf.base.tool", "action", "cam.raw"}
    assert [names[n].role for n in ("ee", "imu.data", "tf.world.base", "tf.base.tool")] == [
        "pose",
        "imu",
        "transform",
        "transform",
    ]
    for name in ("ee", "imu.data", "tf.world.base", "tf.base.tool", "action"):
        source, mine = ep.numeric(name), back.numeric(name)
        order = [ep.meta.stream(name).columns.index(c) for c in names[name].columns] if name != "action" else [0, 1]
        assert np.array_equal(source.timestamps_ns, mine.timestamps_ns)
        assert np.array_equal(source.values[:, order], mine.values)
    assert names["action"].columns == [
        "data[0]",
        "data[1]",
    ]  # Float64MultiArray: values kept, column names in robofuel.episode
    raw = back.payloads["cam.raw"]
    assert isinstance(raw, VideoData) and raw.packets == [bytes([i] * 24) for i in range(3)]
    assert names["cam.raw"].pixel_format == "rgb8" and (raw.width, raw.height) == (4, 2)
    assert back.meta.operator == "op-9" and back.meta.consent is True


def test_rerun_loads_the_files(exported: tuple[Path, ExportReport], tmp_path: Path) -> None:
    """Rerun's own MCAP loader (the ``rerun`` CLI of rerun-sdk) checks every file and converts it with its semantic
    decoders only (no raw fallback): every topic becomes an entity and the recording verifies."""
    pytest.importorskip("rerun", reason="rerun-sdk (the dev extra) is not installed")
    rerun = shutil.which("rerun", path=str(Path(sys.executable).parent)) or shutil.which("rerun")
    assert rerun is not None, "rerun-sdk is installed but its rerun command is not on PATH"
    for path in sorted(exported[0].iterdir()):
        check = subprocess.run([rerun, "mcap", "check", "--full", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        rows = [line.split() for line in check.stdout.splitlines() if line.strip().startswith(("ok", "warn", "err"))]
        assert rows and all(row[0] == "ok" for row in rows), check.stdout
        rrd = tmp_path / f"{path.stem}.rrd"
        cmd = [rerun, "mcap", "convert", "--disable-raw-fallback", "-o", str(rrd), str(path)]
        convert = subprocess.run(cmd, capture_output=True, text=True)
        assert convert.returncode == 0, convert.stderr
        for topic in ("/joint_states", "/ft_sensor/wrench", "/camera/front/video", "/camera/wrist/image/compressed"):
            assert f"    {topic}," in convert.stderr, convert.stderr
        verify = subprocess.run([rerun, "rrd", "verify", str(rrd)], capture_output=True, text=True)
        assert verify.returncode == 0, verify.stderr + verify.stdout


def test_refusals(teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        McapExporter().export(teleop_lake.episodes(), busy, ExportOptions())
    with pytest.raises(InputError, match="nothing to export"):
        McapExporter().export([], tmp_path / "none", ExportOptions())
    assert not (tmp_path / "none").exists() and not (tmp_path / ".none.partial").exists()
