"""The ROS 2 bag reader: bags written here by rosbags' own writer (ground truth), and ros2/rosbag2's fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.ingest.registry import detect
from robofuel.standard import Severity

T0 = 1_790_000_000_000_000_000
JOINTS = [f"panda_joint{i}" for i in range(1, 8)]
N = 200


def _store():  # type: ignore[no-untyped-def]
    from rosbags.typesys import Stores, get_typestore

    return get_typestore(Stores.ROS2_HUMBLE)


def _joint_message(store, i: int):  # type: ignore[no-untyped-def]
    types = store.types
    stamp = types["builtin_interfaces/msg/Time"](
        sec=(T0 + i * 10_000_000) // 10**9, nanosec=(T0 + i * 10_000_000) % 10**9
    )
    header = types["std_msgs/msg/Header"](stamp=stamp, frame_id="")
    position = np.sin(0.01 * i + np.arange(7)).astype(np.float64)
    return types["sensor_msgs/msg/JointState"](
        header=header, name=JOINTS, position=position, velocity=np.zeros(7), effort=np.array([], dtype=np.float64)
    )


def write_bag(folder: Path, storage: str, compression: str = "none", custom: dict[str, str] | None = None) -> Path:
    """A bag of N JointState messages at 100 Hz and N/2 String messages, written by rosbags.rosbag2.Writer."""
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.rosbag2.enums import CompressionFormat, CompressionMode

    store = _store()
    plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
    writer = Writer(folder, version=8, storage_plugin=plugin)
    if compression != "none":
        writer.set_compression(CompressionMode[compression.upper()], CompressionFormat.ZSTD)
    for key, value in (custom or {}).items():
        writer.set_custom_data(key, value)
    with writer:
        joints = writer.add_connection("/franka/joint_states", "sensor_msgs/msg/JointState", typestore=store)
        text = writer.add_connection("/notes", "std_msgs/msg/String", typestore=store)
        for i in range(N):
            msg = _joint_message(store, i)
            writer.write(joints, T0 + i * 10_000_000 + 5, store.serialize_cdr(msg, msg.__msgtype__))
            if i % 2 == 0:
                note = store.types["std_msgs/msg/String"](data=f"step {i}")
                writer.write(text, T0 + i * 10_000_000, store.serialize_cdr(note, note.__msgtype__))
    return folder


@pytest.mark.parametrize(
    ("storage", "compression"), [("mcap", "none"), ("sqlite3", "none"), ("mcap", "file"), ("sqlite3", "message")]
)
def test_written_bag_gives_exact_joint_states(tmp_path: Path, storage: str, compression: str) -> None:
    bag = write_bag(tmp_path / "bag", storage, compression, custom={"operator": "op-3", "task_id": "pick.cube"})
    assert detect(bag).name == "rosbag2"  # type: ignore[union-attr]
    result = read(bag, "rosbag2")
    (ep,) = result.episodes
    stream = ep.meta.stream("franka.joint_states")
    assert stream.count == N and stream.columns[:2] == ["panda_joint1.position", "panda_joint2.position"]
    data = ep.numeric("franka.joint_states")
    assert data.timestamps_ns[0] == T0 and data.timestamps_ns[-1] == T0 + (N - 1) * 10_000_000  # header stamps
    assert np.allclose(data.values[7, :7], np.sin(0.07 + np.arange(7)))
    assert result.report.skipped == {} and ep.meta.stream("notes").count == N // 2  # text kept as events
    assert ep.meta.operator == "op-3" and ep.meta.task.id == "pick.cube"
    assert ep.meta.findings == [] and ep.meta.extra["rosbag2"]["storage_identifier"] == storage


def test_lone_db3_and_bag_without_metadata(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "bag", "sqlite3")
    (db3,) = bag.glob("*.db3")
    assert read(db3, "rosbag2").episodes[0].meta.stream("franka.joint_states").count == N
    (bag / "metadata.yaml").unlink()
    result = read(bag, "rosbag2")
    assert result.episodes[0].meta.stream("franka.joint_states").count == N
    assert [f.code for f in result.episodes[0].meta.findings] == ["ingest.no_bag_metadata"]


def test_missing_split_file_and_count_mismatch_are_findings(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "bag", "mcap")
    meta = (bag / "metadata.yaml").read_text()
    (bag / "metadata.yaml").write_text(meta.replace("- bag.mcap", "- bag.mcap\n  - bag_1.mcap"))
    result = read(bag, "rosbag2")
    codes = {f.code: f for f in result.episodes[0].meta.findings}
    assert (
        codes["ingest.missing_file"].severity == Severity.blocking
        and "bag_1.mcap" in codes["ingest.missing_file"].message
    )
    (bag / "metadata.yaml").write_text(meta.replace(f"message_count: {N}\n", f"message_count: {N + 3}\n"))
    (f,) = read(bag, "rosbag2").episodes[0].meta.findings
    assert f.code == "ingest.count_mismatch" and f"declares {N + 3} messages, the files hold {N}" in f.message


def test_cut_storage_file_is_read_up_to_the_damage(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "bag", "mcap")
    (file,) = bag.glob("*.mcap")
    data = file.read_bytes()
    file.write_bytes(data[: len(data) * 2 // 3])
    result = read(bag, "rosbag2")
    (ep,) = result.episodes
    assert 0 < ep.meta.stream("franka.joint_states").count < N
    (cut,) = [f for f in ep.meta.findings if f.code == "ingest.truncated"]
    assert cut.severity == Severity.blocking and cut.message.startswith("the recording is incomplete: bag.mcap:")


# -- ros2/rosbag2's own fixtures (../shared/data/rosbag2_fixtures) -----------------------------------------------


def test_cdr_test_bag_decodes_every_primitive(shared_data: Path) -> None:
    result = read(shared_data / "rosbag2_fixtures/mcap/cdr_test", "rosbag2")
    (ep,) = result.episodes
    assert {s.source: s.count for s in ep.meta.streams} == {"/test_topic": 3, "/array_topic": 4}
    assert ep.meta.findings == []  # counts equal metadata.yaml's


@pytest.mark.parametrize(
    ("bag", "counts"),
    [
        ("mcap/talker", {"rosout": 10, "topic": 10}),
        ("sqlite3/talker", {"rosout": 10, "topic": 10}),
        ("mcap/wbag", {"AAA": 804, "BBB": 742, "CCC": 742, "DDD": 753, "EEE": 804, "FFF": 772, "GGG": 731, "HHH": 726}),
        ("mcap/convert_b", {"a_empty": 24, "c_strings": 50}),  # one a_empty message is logged at time 0
    ],
)
def test_text_only_bags_are_fully_read_as_events(shared_data: Path, bag: str, counts: dict[str, int]) -> None:
    """Every message is decoded (the counts equal metadata.yaml's; rosbags 0.11 iterates none of talker's) and kept
    as events: text carries no signal, but it is what was recorded (these bags were refused before issue 13)."""
    (ep,) = read(shared_data / "rosbag2_fixtures" / bag, "rosbag2").episodes
    assert {s.name: s.count for s in ep.meta.streams} == counts
    assert {s.kind.value for s in ep.meta.streams} == {"events"}


def test_split_bag_without_metadata_is_read_in_file_order(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "rosbag2_fixtures/mcap/reindex_test_bags/multiple_files"
    assert detect(folder).name == "rosbag2"  # type: ignore[union-attr]
    (ep,) = read(folder, "rosbag2").episodes
    assert ep.meta.stream("chatter").count == 3177  # 1324 + 1324 + 529 messages from the three files, as events


def test_bogus_encoding_is_refused_with_the_reason_and_service_events_are_read(shared_data: Path) -> None:
    with pytest.raises(UnreadableRecording, match="unsupported encoding 'wrong_format'"):
        read(shared_data / "rosbag2_fixtures/mcap/wrong_rmw_test", "rosbag2")
    (ep,) = read(shared_data / "rosbag2_fixtures/mcap/bag_with_topics_and_service_events", "rosbag2").episodes
    assert ep.meta.stream("test_service2._service_event").count == 4  # refused before issue 13


def test_empty_and_foreign_folders(tmp_path: Path) -> None:
    empty = tmp_path / "empty_bag"
    empty.mkdir()
    (empty / "metadata.yaml").write_text("rosbag2_bagfile_information:\n  relative_file_paths: []\n")
    with pytest.raises(UnreadableRecording, match="no storage file"):
        read(empty, "rosbag2")
    other = tmp_path / "csvs"
    other.mkdir()
    (other / "a.csv").write_text("t,x\n0,1\n")
    assert detect(other) is None or detect(other).name != "rosbag2"  # type: ignore[union-attr]
    shutil.rmtree(other)
