"""The ACT / ALOHA HDF5 exporter on generated teleop episodes: the layout ALOHA's recorder writes (root attributes,
qpos / qvel / effort / action, padded JPEG rows with ``compress_len``), values at the 50 Hz frame times, images
(JPEG packets copied byte for byte, H.264 frames encoded with PSNR > 35 dB, raw frames pixel for pixel), the round
trip through robofuel's own ``hdf5-aloha`` reader, actions, audio and refusals."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import av
import h5py
import numpy as np
import pytest

from factories import joint_episode, read
from robofuel.errors import InputError
from robofuel.export.base import ExportOptions, ExportReport
from robofuel.export.hdf5_aloha import AlohaExporter
from robofuel.export.lerobot_features import state_feature
from robofuel.export.timeline import Timeline, choose_timeline, reference_times
from robofuel.resample import nearest_index, resample
from robofuel.standard import AudioData, EpisodeData, NumericData, VideoData, audio_stream, numeric_stream
from robofuel.video import rgb_frames

FRONT, WRIST = "camera.front.video", "camera.wrist.image.compressed"
CAMS = {"camera_front_video": FRONT, "camera_wrist_image_compressed": WRIST}  # compress_len rows in this order
WRITTEN = ["joint_states", "franka_gripper.joint_states", FRONT, WRIST]  # the wrench has no ALOHA dataset


@pytest.fixture(scope="module")
def exported(teleop_lake: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportReport]:
    out = tmp_path_factory.mktemp("aloha") / "teleop"
    return out, AlohaExporter().export(teleop_lake.episodes(), out, ExportOptions())


def _timeline(ep: EpisodeData, fps: float = 50.0) -> Timeline:
    return choose_timeline(ep, WRITTEN, fps, set())


def _at(ep: EpisodeData, name: str, t_ns: np.ndarray) -> np.ndarray:
    stream, data = ep.meta.stream(name), ep.numeric(name)
    return resample(NumericData(reference_times(stream, data), data.values), stream, t_ns)


def _columns(ep: EpisodeData, t_ns: np.ndarray, suffix: str) -> np.ndarray:
    """The ``<joint><suffix>`` columns of the arm then the gripper stream, at the frame times."""
    blocks = []
    for name in ("joint_states", "franka_gripper.joint_states"):
        cols = ep.meta.stream(name).columns
        blocks.append(_at(ep, name, t_ns)[:, [i for i, c in enumerate(cols) if c.endswith(suffix)]])
    return np.hstack(blocks)


def _jpeg(blob: bytes) -> np.ndarray:
    ctx: Any = av.CodecContext.create("mjpeg", "r")
    frames = list(ctx.decode(av.Packet(blob))) + list(ctx.decode(None))
    return np.asarray(frames[0].to_ndarray(format="rgb24"))


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def test_layout_as_aloha_writes_it(teleop_lake: Any, exported: tuple[Path, ExportReport]) -> None:
    out, report = exported
    assert sorted(os.listdir(out)) == ["episode_0.hdf5", "episode_1.hdf5", "episode_2.hdf5"]
    assert not list(out.parent.glob(".*.partial"))
    frames = 0
    for i, ep in enumerate(teleop_lake.episodes()):
        with h5py.File(out / f"episode_{i}.hdf5", "r") as h:
            assert h.attrs["sim"] == False and h.attrs["compress"] == True  # noqa: E712 (numpy bools)
            assert h.attrs["fps"] == 50.0 and h.attrs["episode_id"] == ep.meta.id
            assert h.attrs["operator"] == ep.meta.operator and h.attrs["task_id"] == ep.meta.task.id
            n = len(_timeline(ep).t_ns)
            frames += n
            for key in ("observations/qpos", "observations/qvel", "observations/effort", "action"):
                assert h[key].shape == (n, 9) and h[key].dtype == np.float64
            assert "base_action" not in h
            assert sorted(h["observations/images"]) == list(CAMS)
            padded = h["observations/images/camera_front_video"].shape[1]
            for cam in CAMS:
                assert h[f"observations/images/{cam}"].shape == (n, padded)
                assert h[f"observations/images/{cam}"].dtype == np.uint8
            lengths = h["compress_len"][()]
            assert lengths.shape == (2, n) and lengths.dtype == np.float32 and lengths.max() == padded
    assert report.episodes == 3 and report.frames == frames and report.seconds == pytest.approx(frames / 50)
    assert report.omitted == {"ft_sensor.wrench: no ALOHA dataset for it": 3}
    assert report.notes == [
        "actions: no action stream recorded; the next frame's joint positions (absolute joint-position targets, "
        "the last frame keeps its own)"
    ]
    assert report.bytes == sum(p.stat().st_size for p in out.iterdir())


def test_values_are_the_lake_resampled_at_the_frame_times(
    teleop_lake: Any, exported: tuple[Path, ExportReport]
) -> None:
    out, _ = exported
    for i, ep in enumerate(teleop_lake.episodes()):
        t_ns = _timeline(ep).t_ns
        state = state_feature(ep.meta.streams)
        assert state is not None and state.streams == ["joint_states", "franka_gripper.joint_states"]
        with h5py.File(out / f"episode_{i}.hdf5", "r") as h:
            qpos = h["observations/qpos"][()]
            assert np.array_equal(qpos, _columns(ep, t_ns, ".position"))
            assert list(h["observations/qpos"].attrs["columns"]) == list(state.names)
            assert np.array_equal(h["observations/qvel"][()], _columns(ep, t_ns, ".velocity"))
            assert np.array_equal(h["observations/effort"][()], _columns(ep, t_ns, ".effort"))
            action = h["action"][()]
            assert np.array_equal(action[:-1], qpos[1:]) and np.array_equal(action[-1], qpos[-1])


def test_images_copied_or_encoded_at_the_nearest_frame(teleop_lake: Any, exported: tuple[Path, ExportReport]) -> None:
    out, report = exported
    assert report.video == {FRONT: {"re-encoded (h264 frames encoded as JPEG)": 3}, WRIST: {"copied": 3}}
    ep = teleop_lake.episodes()[0]
    t_ns = _timeline(ep).t_ns
    with h5py.File(out / "episode_0.hdf5", "r") as h:
        lengths = h["compress_len"][()].astype(int)
        rows = {cam: h[f"observations/images/{cam}"][()] for cam in CAMS}
    for c, (cam, name) in enumerate(CAMS.items()):
        video = ep.payloads[name]
        assert isinstance(video, VideoData) and video.packets is not None
        picks = nearest_index(reference_times(ep.meta.stream(name), video), t_ns)
        blobs = [bytes(row[:size]) for row, size in zip(rows[cam], lengths[c], strict=True)]
        assert all(not row[size:].any() for row, size in zip(rows[cam], lengths[c], strict=True))  # zero padding
        if name == WRIST:
            assert blobs == [video.packets[j] for j in picks]  # byte for byte, no transcode
            continue
        frames = list(rgb_frames(video))
        for k in range(0, len(t_ns), 25):
            got = _jpeg(blobs[k])
            assert got.shape == (240, 320, 3) and _psnr(got, frames[picks[k]]) > 35.0


def test_round_trip_through_the_aloha_reader(teleop_lake: Any, exported: tuple[Path, ExportReport]) -> None:
    out, _ = exported
    for i, ep in enumerate(teleop_lake.episodes()):
        result = read(out / f"episode_{i}.hdf5", "hdf5-aloha")
        (back,) = result.episodes
        assert not [f for f in back.meta.findings if f.code == "timing.assumed_rate"]  # fps attribute honoured
        assert back.meta.extra["fps"] == 50.0 and back.meta.extra["episode_id"] == ep.meta.id
        t_ns = _timeline(ep).t_ns
        qpos = back.numeric("observations.qpos")
        assert np.array_equal(qpos.timestamps_ns, np.round(np.arange(len(t_ns)) * 2e7).astype(np.int64))
        assert np.array_equal(qpos.timestamps_ns + t_ns[0], t_ns)  # the same grid, from 0 ns
        assert np.array_equal(qpos.values, _columns(ep, t_ns, ".position"))
        assert np.array_equal(back.numeric("observations.qvel").values, _columns(ep, t_ns, ".velocity"))
        assert np.array_equal(back.numeric("action").values[:-1], qpos.values[1:])
        wrist = back.payloads["observations.images.camera_wrist_image_compressed"]
        source = ep.payloads[WRIST]
        assert isinstance(wrist, VideoData) and isinstance(source, VideoData) and source.packets is not None
        picks = nearest_index(reference_times(ep.meta.stream(WRIST), source), t_ns)
        assert wrist.codec == "mjpeg" and wrist.packets == [source.packets[j] for j in picks]
        front = back.payloads["observations.images.camera_front_video"]
        assert isinstance(front, VideoData) and len(list(rgb_frames(front))) == len(t_ns)


def test_raw_frames_pixel_for_pixel_and_back(teleop_lake: Any, tmp_path: Path) -> None:
    ep = teleop_lake.episodes()[0]
    report = AlohaExporter().export([ep], tmp_path / "raw", ExportOptions(fps=5, video_codec="rawvideo"))
    assert report.video == {name: {"re-encoded (decoded to raw RGB frames)": 1} for name in (FRONT, WRIST)}
    t_ns = _timeline(ep, 5.0).t_ns
    path = tmp_path / "raw" / "episode_0.hdf5"
    with h5py.File(path, "r") as h:
        assert h.attrs["compress"] == False and h.attrs["fps"] == 5.0 and "compress_len" not in h  # noqa: E712
        images = h["observations/images/camera_front_video"][()]
    video = ep.payloads[FRONT]
    assert isinstance(video, VideoData)
    frames = list(rgb_frames(video))
    picks = nearest_index(reference_times(ep.meta.stream(FRONT), video), t_ns)
    assert images.shape == (len(t_ns), 240, 320, 3)
    assert np.array_equal(images, np.stack([frames[j] for j in picks]))
    (back,) = read(path, "hdf5-aloha").episodes
    png = back.payloads["observations.images.camera_front_video"]
    assert isinstance(png, VideoData) and png.codec == "png"
    assert np.array_equal(np.stack(list(rgb_frames(png))), images)


def test_an_action_stream_is_written_as_it_is(tmp_path: Path) -> None:
    ep = joint_episode(video=False, n=200)
    joints = ep.numeric("joints")
    command = NumericData(joints.timestamps_ns, joints.values * 0.5)
    stream = numeric_stream("command", command, [f"j{i}" for i in range(7)], role="action")
    ep = EpisodeData(
        ep.meta.model_copy(update={"streams": [*ep.meta.streams, stream]}), {**ep.payloads, "command": command}
    )
    report = AlohaExporter().export([ep], tmp_path / "o", ExportOptions())
    assert not report.notes and not report.omitted
    t_ns = choose_timeline(ep, ["joints", "command"], 50.0, set()).t_ns
    with h5py.File(tmp_path / "o" / "episode_0.hdf5", "r") as h:
        assert np.array_equal(h["action"][()], _at(ep, "command", t_ns))
        assert np.array_equal(h["observations/qpos"][()], _at(ep, "joints", t_ns))
        assert "observations/qvel" not in h and h.attrs["compress"] == False  # noqa: E712


def test_audio_is_reported_not_dropped_silently(teleop_lake: Any, tmp_path: Path) -> None:
    ep = teleop_lake.episodes()[0]
    audio = AudioData(ep.meta.start_ns, 16000, 1, 16000, samples=np.zeros((16000, 1), dtype=np.int16))
    meta = ep.meta.model_copy(update={"streams": [*ep.meta.streams, audio_stream("mic", audio)]})
    episode = EpisodeData(meta, {**ep.payloads, "mic": audio})
    report = AlohaExporter().export([episode], tmp_path / "a", ExportOptions(fps=5))
    assert report.omitted == {
        "mic: audio (ALOHA HDF5 has no place for audio)": 1,
        "ft_sensor.wrench: no ALOHA dataset for it": 1,
    }


def test_refusals(teleop_lake: Any, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        AlohaExporter().export(teleop_lake.episodes(), tmp_path / "full", ExportOptions())
    with pytest.raises(InputError, match="nothing to export"):
        AlohaExporter().export([], tmp_path / "empty", ExportOptions())
    with pytest.raises(InputError, match="JPEG"):
        AlohaExporter().export(teleop_lake.episodes(), tmp_path / "codec", ExportOptions(video_codec="libx264"))
    assert sorted(os.listdir(tmp_path)) == ["full"]  # nothing half-written left behind
