"""The LeRobot v3.0 exporter on generated teleop episodes: layout, values at the camera's frame times, packets
copied byte for byte, re-encoding when asked, and refusals. tests/export/test_lerobot_real.py loads the export
with the real LeRobot library."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from factories import read
from robofuel.errors import InputError
from robofuel.export import ExportOptions, get_exporter
from robofuel.export.base import ExportReport
from robofuel.standard import VideoData
from robofuel.video import rgb_frames

FRONT = "observation.images.camera.front.video"
WRIST = "observation.images.camera.wrist.image.compressed"
BOOKKEEPING = {"timestamp", "frame_index", "episode_index", "index", "task_index"}


@pytest.fixture(scope="module")
def exported(teleop_lake, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportReport]:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("lerobot") / "ds"
    report = get_exporter("lerobot").export(teleop_lake.episodes(), out, ExportOptions())
    return out, report


def _packets(mp4: Path) -> list[list[bytes]]:
    """The NAL units of each packet of an MP4's H.264 track (stored length-prefixed)."""
    out = []
    with av.open(str(mp4)) as c:
        for packet in c.demux(video=0):
            data, nals, pos = bytes(packet), [], 0
            while pos + 4 <= len(data):
                n = int.from_bytes(data[pos : pos + 4], "big")
                nals.append(data[pos + 4 : pos + 4 + n])
                pos += 4 + n
            if nals:
                out.append(nals)
    return out


def _annexb(packet: bytes) -> list[bytes]:
    """The NAL units of an Annex B packet (start codes removed)."""
    return [n.rstrip(b"\x00") for n in packet.split(b"\x00\x00\x01") if n.rstrip(b"\x00")]


def test_layout_and_info(exported: tuple[Path, ExportReport]) -> None:
    out, report = exported
    info = json.loads((out / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0" and info["fps"] == 30 and info["total_episodes"] == 3
    assert info["robot_type"] == "franka_panda"
    state = info["features"]["observation.state"]
    assert state["names"][:2] == ["panda_joint1.position", "panda_joint2.position"] and state["shape"] == [9]
    assert info["features"][FRONT]["info"]["video.codec"] == "h264"
    data = pq.read_table(out / "data/chunk-000/file-000.parquet")
    assert data.num_rows == info["total_frames"] == report.frames
    assert np.array_equal(data.column("index").to_numpy(), np.arange(data.num_rows))
    episodes = pq.read_table(out / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    assert [e["dataset_from_index"] for e in episodes[1:]] == [e["dataset_to_index"] for e in episodes[:-1]]
    for e in episodes:  # each episode's video span in the file holds exactly its frames
        span = e[f"videos/{FRONT}/to_timestamp"] - e[f"videos/{FRONT}/from_timestamp"]
        assert span == pytest.approx(e["length"] / 30)
    # no command stream in these recordings: action is the next frame's state, and the report says so
    first = data.filter(data.column("episode_index").to_numpy() == 0)
    state = np.stack(first.column("observation.state").to_numpy(zero_copy_only=False))
    action = np.stack(first.column("action").to_numpy(zero_copy_only=False))
    assert np.array_equal(action[:-1], state[1:]) and np.array_equal(action[-1], state[-1])
    assert any("next frame's observation.state" in n for n in report.notes)
    stats = json.loads((out / "meta/stats.json").read_text())
    assert set(stats["observation.state"]) >= {"min", "max", "mean", "std", "count", "q01", "q50", "q99"}
    assert np.asarray(stats[FRONT]["mean"]).shape == (3, 1, 1)
    assert report.video == {
        "camera.front.video": {"copied": 3},
        "camera.wrist.image.compressed": {"re-encoded (mjpeg is not copyable or not the frame clock)": 3},
    }


def test_front_camera_packets_are_copied_and_signals_sampled_at_its_frames(
    exported: tuple[Path, ExportReport],
    teleop_lake,  # type: ignore[no-untyped-def]
) -> None:
    out, _ = exported
    copied = _packets(out / f"videos/{FRONT}/chunk-000/file-000.mp4")
    data = pq.read_table(out / "data/chunk-000/file-000.parquet")
    names = json.loads((out / "meta/info.json").read_text())["features"]["observation.state"]["names"]
    first = 0
    for i, ep in enumerate(teleop_lake.episodes()):
        video = ep.payloads["camera.front.video"]
        assert isinstance(video, VideoData) and video.packets is not None
        rows = data.filter(data.column("episode_index").to_numpy() == i)
        n = rows.num_rows
        mine = copied[first : first + n]
        source = [_annexb(p) for p in video.packets]
        start = source.index(mine[0])  # the same NAL units, byte for byte: nothing was re-encoded
        assert source[start : start + n] == mine
        times = video.timestamps_ns[start : start + n]
        joints = ep.numeric("joint_states")
        cols = ep.meta.stream("joint_states").columns
        state = np.stack(rows.column("observation.state").to_numpy(zero_copy_only=False))
        for j, name in enumerate(names[:7]):
            expected = np.interp(times, joints.timestamps_ns, joints.values[:, cols.index(name)])
            assert np.allclose(state[:, j], expected, atol=1e-6)
        first += n
    assert first == len(copied)


def test_round_trip_through_robofuels_lerobot_reader(
    exported: tuple[Path, ExportReport],
    teleop_lake,  # type: ignore[no-untyped-def]
) -> None:
    """Export, then ingest with robofuel's ``lerobot`` reader: the same numeric rows (exactly) and the same camera
    frames (the copied H.264 camera frame-exact, as nothing was re-encoded)."""
    out, _ = exported
    data = pq.read_table(out / "data/chunk-000/file-000.parquet")
    back = read(out, "lerobot").episodes
    features = json.loads((out / "meta/info.json").read_text())["features"]
    assert len(back) == 3
    for i, (ep, source) in enumerate(zip(back, teleop_lake.episodes(), strict=True)):
        rows = data.filter(data.column("episode_index").to_numpy() == i)
        assert {s.name for s in ep.meta.streams} == set(features) - BOOKKEEPING
        for name in set(features) - BOOKKEEPING - {FRONT, WRIST}:
            assert np.array_equal(ep.numeric(name).values, np.stack(rows.column(name).to_numpy(zero_copy_only=False)))
        timestamps = rows.column("timestamp").to_numpy().astype(np.float64)
        assert np.array_equal(
            ep.numeric("observation.state").timestamps_ns, np.round(timestamps * 1e9).astype(np.int64)
        )
        mine, lake = ep.payloads[FRONT], source.payloads["camera.front.video"]
        assert isinstance(mine, VideoData) and isinstance(lake, VideoData)
        frames = list(rgb_frames(mine, None))
        assert len(frames) == rows.num_rows
        lake_frames = list(rgb_frames(lake, source.meta.stream("camera.front.video").pixel_format))
        start = next(k for k, f in enumerate(lake_frames) if np.array_equal(f, frames[0]))
        assert all(np.array_equal(a, b) for a, b in zip(frames, lake_frames[start:], strict=False))


def test_annotated_segments_become_lerobot_subtasks(teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Segments of the annotate step go into the episodes table as LeRobot's sub-task columns (names and inclusive
    frame spans, as its SARM policy reads them), contiguous and in order."""
    from robofuel.standard import EpisodeData
    from robofuel.steps.annotate import Annotate

    episodes = [EpisodeData(Annotate().run(ep).meta, ep.payloads) for ep in teleop_lake.episodes()]
    assert all(ep.meta.segments for ep in episodes)
    get_exporter("lerobot").export(episodes, tmp_path / "ds", ExportOptions())
    rows = pq.read_table(tmp_path / "ds/meta/episodes/chunk-000/file-000.parquet").to_pylist()
    data = pq.read_table(tmp_path / "ds/data/chunk-000/file-000.parquet")
    for ep, row in zip(episodes, rows, strict=True):
        names, starts, ends = row["subtask_names"], row["subtask_start_frames"], row["subtask_end_frames"]
        labels = [s.label for s in ep.meta.segments]  # those overlapping the exported frames, in order
        assert any(labels[i : i + len(names)] == names for i in range(len(labels))) and "grasp" in names
        assert len(names) == len(starts) == len(ends) == len(row["subtask_instructions"])
        assert starts[0] == 0 and ends[-1] == row["length"] - 1
        assert all(a <= b for a, b in zip(starts, ends, strict=True))
        assert all(e + 1 == s for e, s in zip(ends[:-1], starts[1:], strict=True))  # contiguous
        frames = data.filter(data.column("episode_index").to_numpy() == row["episode_index"])
        assert frames.num_rows == row["length"]


def test_reencoding_when_asked(teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = get_exporter("lerobot").export(teleop_lake.episodes()[:1], tmp_path / "ds", ExportOptions(fps=15))
    assert set(report.video["camera.front.video"]) == {"re-encoded (h264 is not copyable or not the frame clock)"}
    info = json.loads((tmp_path / "ds/meta/info.json").read_text())
    assert info["fps"] == 15
    with av.open(str(tmp_path / f"ds/videos/{FRONT}/chunk-000/file-000.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == report.frames


def test_refusals(teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        get_exporter("lerobot").export(teleop_lake.episodes(), busy, ExportOptions())
    with pytest.raises(InputError, match="nothing to export"):
        get_exporter("lerobot").export([], tmp_path / "none", ExportOptions())
    assert not (tmp_path / "none").exists() and not (tmp_path / ".none.partial").exists()


def test_an_episode_whose_camera_cannot_be_copied_is_left_out(teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Packets that are not the declared H.264 (no keyframe among them): that episode is left out with the reason,
    before anything of it is written, and the others are exported."""
    from robofuel.standard import EpisodeData

    good, bad = teleop_lake.episodes()[:2]
    video = bad.payloads["camera.front.video"]
    assert isinstance(video, VideoData) and video.packets is not None
    broken = VideoData(
        video.timestamps_ns, video.codec, video.width, video.height, packets=[b"\xff\xd8"] * len(video.packets)
    )
    bad = EpisodeData(bad.meta, {**bad.payloads, "camera.front.video": broken})
    report = get_exporter("lerobot").export([good, bad], tmp_path / "ds", ExportOptions())
    assert report.episodes == 1
    assert report.omitted == {
        f"{bad.meta.id}: camera.front.video: no keyframe among its frames (damaged, or not h264)": 1
    }
    info = json.loads((tmp_path / "ds/meta/info.json").read_text())
    assert info["total_episodes"] == 1 and info["total_frames"] == report.frames
