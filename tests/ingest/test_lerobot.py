"""The LeRobot reader: the real v2.1 Unitree G1 sample, a v3.0 dataset written by LeRobot itself, and small
v2.1 datasets written here to reach the damaged cases."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from robofuel.errors import UnreadableRecording
from robofuel.ingest import ReadContext, ReadResult, get_reader
from robofuel.ingest.video.clip import cut_video
from robofuel.lake import Lake, load_episode, recording_sha256, write_episode
from robofuel.standard import EpisodeData, NumericData, Severity, VideoData

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "data"
G1 = SHARED / "lerobot_v21_unitree_g1"
V30 = REPO / "tests" / "fixtures" / "lerobot_v30"
CAM = "observation.images.cam"
G1_CAM = "observation.images.cam_high"


def read(path: Path) -> ReadResult:
    return get_reader("lerobot").read(path, ReadContext(path, recording_sha256(path)))


@pytest.fixture(scope="module")
def g1() -> ReadResult:
    if not G1.is_dir():
        pytest.skip(f"{G1} is absent (third-party sample recordings are not part of the repository)")
    return read(G1)


@pytest.fixture(scope="module")
def v30() -> Any:
    result = read(V30)
    yield result
    result.cleanup()


def _decoded_frames(video: VideoData) -> list[Any]:
    assert video.file is not None
    with av.open(str(video.file)) as c:
        return [f.to_ndarray(format="gray") for f in c.decode(video=0)]


def _lake_round_trip(ep: EpisodeData, tmp_path: Path) -> EpisodeData:
    lake = Lake(tmp_path / "lake")
    return load_episode(lake, write_episode(lake, ep).id)


# --- the real v2.1 sample ---


def test_g1_episodes_streams_and_named_columns(g1: ReadResult) -> None:
    assert [e.meta.recording.index for e in g1.episodes] == [0, 1, 2]
    for ep, frames in zip(g1.episodes, (479, 393, 343), strict=True):
        for name in ("observation.state", "action"):
            stream = ep.meta.stream(name)
            assert stream.count == frames and len(stream.columns) == 26
            assert stream.rate_hz == 30.0 and stream.measured_rate_hz == pytest.approx(30.0, rel=1e-3)
        assert ep.meta.stream("observation.state").role == "state" and ep.meta.stream("action").role == "action"
        ts = ep.numeric("action").timestamps_ns
        assert ts[0] == 0 and np.all(np.diff(ts) > 0)
        assert ep.meta.start_ns == 0 and ep.meta.duration_s == pytest.approx((frames - 1) / 30, abs=1e-5)
    columns = g1.episodes[0].meta.stream("observation.state").columns
    assert columns[:2] == ["kLeftShoulderPitch", "kLeftShoulderRoll"]  # names nested as [[...]]
    assert len(set(columns)) == 26
    ep = g1.episodes[0]
    assert ep.meta.task.instruction == "Pick up the yellow bottle on the table."
    assert ep.meta.embodiment == "unitree_g1_inspire"
    assert ep.meta.extra["lerobot"]["codebase_version"] == "v2.1" and ep.meta.extra["lerobot_episode_index"] == 0
    table = pq.read_table(G1 / "data/chunk-000/episode_000000.parquet")
    expected = np.array(table.column("action").to_pylist(), dtype=np.float32).astype(np.float64)
    assert np.array_equal(ep.numeric("action").values, expected)


def test_g1_episode_0_misses_its_video_and_is_still_read(g1: ReadResult) -> None:
    ep = g1.episodes[0]
    (missing,) = [f for f in ep.meta.findings if f.code == "completeness.missing_video"]
    assert missing.severity is Severity.blocking and missing.stream == G1_CAM
    assert "episode_000000.mp4" in missing.message
    assert {s.name for s in ep.meta.streams} == {"observation.state", "action"}
    assert missing in g1.report.findings
    assert any(f.code == "completeness.missing_episodes" and "3-99" in f.message for f in g1.report.findings)


def test_g1_videos_are_av1_with_a_time_per_frame(g1: ReadResult) -> None:
    for ep, frames in zip(g1.episodes[1:], (393, 343), strict=True):
        video = ep.payloads[G1_CAM]
        assert isinstance(video, VideoData) and video.codec == "av1" and (video.width, video.height) == (640, 480)
        assert video.file is not None and video.file.name == f"episode_{ep.meta.recording.index:06d}.mp4"
        assert len(video.timestamps_ns) == frames == ep.meta.stream(G1_CAM).count
        assert np.all(np.diff(video.timestamps_ns) > 0)
        rows = ep.numeric("action").timestamps_ns
        assert np.abs(video.timestamps_ns - rows).max() < 10_000  # same clock; rows are float32 seconds
        assert not [f for f in ep.meta.findings if f.severity is not Severity.info]


def test_g1_episode_round_trips_through_the_lake(g1: ReadResult, tmp_path: Path) -> None:
    ep = g1.episodes[2]
    back = _lake_round_trip(ep, tmp_path)
    for name in ("observation.state", "action"):
        a, b = ep.numeric(name), back.numeric(name)
        assert np.array_equal(a.values, b.values) and np.array_equal(a.timestamps_ns, b.timestamps_ns)
    a_vid, b_vid = ep.payloads[G1_CAM], back.payloads[G1_CAM]
    assert isinstance(a_vid, VideoData) and isinstance(b_vid, VideoData)
    assert a_vid.file is not None and b_vid.file is not None
    assert a_vid.file.read_bytes() == b_vid.file.read_bytes()
    assert np.array_equal(a_vid.timestamps_ns, b_vid.timestamps_ns) and b_vid.codec == "av1"
    assert back.meta.stream("action").columns == ep.meta.stream("action").columns


# --- v3.0, written by LeRobot (tests/fixtures/make_lerobot_v30.py) ---


def test_v30_episodes_tasks_and_exact_values(v30: ReadResult) -> None:
    assert [e.meta.task.instruction for e in v30.episodes] == ["move block 0", "move block 1", "move block 2"]
    assert [e.meta.stream("action").count for e in v30.episodes] == [20, 30, 25]
    for k, ep in enumerate(v30.episodes):
        state = ep.numeric("observation.state")
        i = np.arange(len(state.values))[:, None]
        expected = (np.float32(k * 100) + i.astype(np.float32) + np.arange(6, dtype=np.float32) / 10).astype(np.float32)
        assert np.array_equal(state.values, expected.astype(np.float64))
        assert np.array_equal(ep.numeric("action").values, (expected + np.float32(0.5)).astype(np.float64))
        assert ep.meta.stream("action").columns == [f"joint{j}" for j in range(6)]
        assert state.timestamps_ns[0] == 0 and np.allclose(np.diff(state.timestamps_ns), 100_000_000, atol=1000)
        assert ep.meta.embodiment == "so101" and ep.meta.findings == []
    assert v30.report.findings == []


def test_v30_video_is_cut_per_episode_without_reencoding(v30: ReadResult) -> None:
    shared = V30 / f"videos/{CAM}/chunk-000/file-000.mp4"
    with av.open(str(shared)) as c:
        packets = {bytes(p) for p in c.demux(video=0) if p.size}
    for k, ep in enumerate(v30.episodes):
        video = ep.payloads[CAM]
        assert isinstance(video, VideoData) and video.codec == "av1" and (video.width, video.height) == (64, 48)
        assert video.file is not None and video.file != shared
        with av.open(str(video.file)) as c:
            cut = [bytes(p) for p in c.demux(video=0) if p.size]
        assert set(cut) <= packets  # packets copied byte for byte
        frames = _decoded_frames(video)
        n = ep.meta.stream("observation.state").count
        assert len(frames) == len(cut) == len(video.timestamps_ns) == n
        assert np.array_equal(video.timestamps_ns, np.arange(n) * 100_000_000)
        stripe = 8 * (k + 1)  # the fixture paints this many white columns on every frame of episode k
        assert frames[0][:, : stripe - 2].mean() > 200 and frames[0][:, stripe + 2 :].mean() < 40
        assert abs(float(frames[-1][:, stripe + 2 :].mean()) - ((n - 1) * 8) % 256) < 12  # last frame's grey


def test_v30_episode_round_trips_through_the_lake(v30: ReadResult, tmp_path: Path) -> None:
    ep = v30.episodes[1]
    back = _lake_round_trip(ep, tmp_path)
    assert np.array_equal(ep.numeric("observation.state").values, back.numeric("observation.state").values)
    a_vid, b_vid = ep.payloads[CAM], back.payloads[CAM]
    assert isinstance(a_vid, VideoData) and isinstance(b_vid, VideoData)
    assert np.array_equal(a_vid.timestamps_ns, b_vid.timestamps_ns)
    assert len(_decoded_frames(b_vid)) == 30


def test_v30_missing_video_is_a_finding_per_episode(tmp_path: Path) -> None:
    copy = tmp_path / "ds"
    shutil.copytree(V30, copy)
    (copy / f"videos/{CAM}/chunk-000/file-000.mp4").unlink()
    result = read(copy)
    assert len(result.episodes) == 3
    for ep in result.episodes:
        assert [f.code for f in ep.meta.findings] == ["completeness.missing_video"]
        assert ep.meta.stream("action").count in (20, 30, 25)


def test_v30_damaged_data_file_is_unreadable_naming_it(tmp_path: Path) -> None:
    copy = tmp_path / "ds"
    shutil.copytree(V30, copy)
    data = copy / "data/chunk-000/file-000.parquet"
    data.write_bytes(data.read_bytes()[:500])
    with pytest.raises(UnreadableRecording, match=r"data/chunk-000/file-000\.parquet"):
        read(copy)


# --- cutting a shared video whose episodes do not start on keyframes ---


def _encode(path: Path, frames: int, gop: int, b_frames: int) -> list[int]:
    """An MPEG-4 part 2 file at 10 fps whose frame i is uniformly grey level 4 * i; returns the keyframes."""
    with av.open(str(path), "w") as out:
        stream: Any = out.add_stream("mpeg4", rate=10, options={"sc_threshold": "1000000000"})
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        stream.gop_size, stream.max_b_frames = gop, b_frames
        for i in range(frames):
            img = np.full((32, 32, 3), 4 * i, dtype=np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(stream.encode(None))
    with av.open(str(path)) as c:
        return sorted(int(p.pts or 0) // 1024 for p in c.demux(video=0) if p.size and p.is_keyframe)


def _greys(path: Path) -> list[float]:
    with av.open(str(path)) as c:
        return [float(f.to_ndarray(format="gray").mean()) for f in c.decode(video=0)]


@pytest.mark.parametrize("b_frames", [0, 2])  # 2: reordered frames, an open GOP with leading B-frames
def test_cut_between_keyframes_starts_at_the_keyframe_before(tmp_path: Path, b_frames: int) -> None:
    src, dst = tmp_path / "all.mp4", tmp_path / "cut.mp4"
    keyframes = _encode(src, 40, gop=10, b_frames=b_frames)
    assert 13 not in keyframes
    lead = 13 - max(k for k in keyframes if k <= 13)
    clip = cut_video(src, dst, 1.3, 2.7, tolerance_s=0.05)
    assert (clip.inside, clip.lead, clip.codec) == (14, lead, "mpeg4")
    assert clip.times_s[0] == Fraction(-lead, 10) and clip.times_s[lead] == 0
    assert clip.times_s == sorted(clip.times_s) and len(clip.times_s) == lead + 14 + clip.trail
    greys, source = _greys(dst), _greys(src)
    assert len(greys) == len(clip.times_s)  # every copied frame decodes, to the very pixels of the source
    assert greys == source[13 - lead : 13 - lead + len(greys)]


def test_cut_on_a_keyframe_copies_no_extra_frame(tmp_path: Path) -> None:
    src, dst = tmp_path / "all.mp4", tmp_path / "cut.mp4"
    assert 20 in _encode(src, 40, gop=10, b_frames=0)
    clip = cut_video(src, dst, 2.0, 3.0, tolerance_s=0.05)
    assert (clip.inside, clip.lead, clip.trail) == (10, 0, 0)
    assert clip.times_s == [Fraction(i, 10) for i in range(10)] and len(_greys(dst)) == 10


# --- small v2.1 datasets written here ---


def _write_v21(root: Path, info_extra: dict[str, Any] | None = None, frames: list[int] | None = None) -> Path:
    """A one-episode v2.1 dataset: 'observation.state' with {"motors": [...]} names, 'action' without names,
    a scalar 'next.reward', an 'image' feature of PNG bytes; rows at 10 fps with the given frame indices."""
    frames = frames if frames is not None else list(range(5))
    features = {
        "observation.state": {"dtype": "float32", "shape": [3], "names": {"motors": ["a", "b", "c"]}},
        "action": {"dtype": "float64", "shape": [2], "names": None},
        "next.reward": {"dtype": "float32", "shape": [1], "names": None},
        "observation.images.top": {
            "dtype": "image",
            "shape": [4, 4, 3],
            "names": ["height", "width", "channel"],
        },
        "timestamp": {"dtype": "float32", "shape": [1], "names": None},
        "frame_index": {"dtype": "int64", "shape": [1], "names": None},
        "episode_index": {"dtype": "int64", "shape": [1], "names": None},
        "index": {"dtype": "int64", "shape": [1], "names": None},
        "task_index": {"dtype": "int64", "shape": [1], "names": None},
    }
    info = {
        "codebase_version": "v2.1",
        "robot_type": "Koch",
        "fps": 10,
        "chunks_size": 1000,
        "data_path": "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet",
        "video_path": None,
        "features": features,
        **(info_extra or {}),
    }
    (root / "meta").mkdir(parents=True)
    (root / "meta/info.json").write_text(json.dumps(info))
    (root / "meta/episodes.jsonl").write_text(json.dumps({"episode_index": 0, "tasks": ["wave"], "length": 5}))
    (root / "meta/tasks.jsonl").write_text(json.dumps({"task_index": 0, "task": "wave"}))
    n = len(frames)
    png = _png(np.zeros((4, 4, 3), dtype=np.uint8))
    table = pa.table(
        {
            "observation.state": pa.array([[i, i + 0.5, i + 0.25] for i in range(n)], pa.list_(pa.float32(), 3)),
            "action": pa.array([[-i, 2.0 * i] for i in range(n)], pa.list_(pa.float64(), 2)),
            "next.reward": pa.array([float(i == n - 1) for i in range(n)], pa.float32()),
            "observation.images.top": pa.array(
                [{"bytes": png, "path": None}] * n, pa.struct([("bytes", pa.binary()), ("path", pa.string())])
            ),
            "timestamp": pa.array([f / 10 for f in frames], pa.float32()),
            "frame_index": pa.array(frames, pa.int64()),
            "episode_index": pa.array([0] * n, pa.int64()),
            "index": pa.array(range(n), pa.int64()),
            "task_index": pa.array([0] * n, pa.int64()),
        }
    )
    (root / "data/chunk-000").mkdir(parents=True)
    pq.write_table(table, root / "data/chunk-000/episode_000000.parquet")
    return root


def _png(img: Any) -> bytes:
    ctx: Any = av.CodecContext.create("png", "w")
    ctx.width, ctx.height, ctx.pix_fmt = img.shape[1], img.shape[0], "rgb24"
    return b"".join(bytes(p) for p in ctx.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))


def test_names_dict_missing_names_scalars_and_images(tmp_path: Path) -> None:
    (ep,) = read(_write_v21(tmp_path / "ds")).episodes
    assert ep.meta.stream("observation.state").columns == ["a", "b", "c"]
    assert ep.meta.stream("action").columns == ["action_0", "action_1"]
    assert ep.meta.stream("next.reward").columns == ["next.reward"]
    assert np.array_equal(ep.numeric("action").values[:, 1], [0.0, 2.0, 4.0, 6.0, 8.0])
    assert not {"timestamp", "frame_index", "episode_index", "index", "task_index"} & set(ep.payloads)
    image = ep.payloads["observation.images.top"]
    assert isinstance(image, VideoData) and image.codec == "png" and image.packets is not None
    assert len(image.packets) == 5 and image.packets[0].startswith(b"\x89PNG")
    assert ep.meta.embodiment == "koch" and ep.meta.task.instruction == "wave" and ep.meta.findings == []


def test_a_frame_index_gap_is_a_finding(tmp_path: Path) -> None:
    (ep,) = read(_write_v21(tmp_path / "ds", frames=[0, 1, 2, 4, 5])).episodes
    (gap,) = [f for f in ep.meta.findings if f.code == "timing.frame_index_gap"]
    assert gap.severity is Severity.warning and gap.start_s == pytest.approx(0.2)
    assert ep.meta.stream("action").count == 5


def test_time_going_backwards_is_a_finding(tmp_path: Path) -> None:
    (ep,) = read(_write_v21(tmp_path / "ds", frames=[0, 1, 2, 1, 4])).episodes
    codes = {f.code for f in ep.meta.findings}
    assert {"timing.non_monotonic", "timing.frame_index_gap"} <= codes


def test_v30_without_an_episode_table_is_unreadable(tmp_path: Path) -> None:
    copy = tmp_path / "ds"
    shutil.copytree(V30, copy)
    shutil.rmtree(copy / "meta/episodes")
    with pytest.raises(UnreadableRecording, match=r"no chunk-XXX/file-XXX\.parquet episode table"):
        read(copy)


def test_sniff_takes_v2_and_v3_folders_only(tmp_path: Path) -> None:
    reader = get_reader("lerobot")
    assert reader.sniff(_write_v21(tmp_path / "v2")) and reader.sniff(V30)
    old = _write_v21(tmp_path / "v16", {"codebase_version": "v1.6"})
    assert not reader.sniff(old) and not reader.sniff(tmp_path) and not reader.sniff(V30 / "meta/info.json")


def test_info_json_that_is_not_json_is_unreadable(tmp_path: Path) -> None:
    root = _write_v21(tmp_path / "ds")
    (root / "meta/info.json").write_text('{"codebase_version": "v2.1", ')
    assert get_reader("lerobot").sniff(root)  # claimed, so that reading says what is wrong
    with pytest.raises(UnreadableRecording, match=r"info\.json: is not valid JSON"):
        read(root)


@pytest.mark.parametrize("key", ["fps", "features", "data_path", "codebase_version"])
def test_info_json_missing_a_key_names_it(tmp_path: Path, key: str) -> None:
    root = _write_v21(tmp_path / "ds")
    info = json.loads((root / "meta/info.json").read_text())
    del info[key]
    (root / "meta/info.json").write_text(json.dumps(info))
    with pytest.raises(UnreadableRecording, match=f"has no '{key}' key"):
        read(root)


def test_a_corrupt_parquet_is_unreadable_naming_the_file(tmp_path: Path) -> None:
    root = _write_v21(tmp_path / "ds")
    (root / "data/chunk-000/episode_000000.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(UnreadableRecording, match=r"episode_000000\.parquet: not a readable Parquet file"):
        read(root)


def test_numeric_values_are_exact(tmp_path: Path) -> None:
    (ep,) = read(_write_v21(tmp_path / "ds")).episodes
    state = ep.payloads["observation.state"]
    assert isinstance(state, NumericData)
    assert np.array_equal(state.values[3], [3.0, 3.5, 3.25])
    assert np.array_equal(
        state.timestamps_ns,
        np.round(np.array([0, 0.1, 0.2, 0.3, 0.4], np.float32).astype(np.float64) * 1e9).astype(np.int64),
    )
