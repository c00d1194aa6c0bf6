"""The robomimic HDF5 exporter on generated teleop episodes: the layout robomimic reads, values at the frame times,
lossless images, the round trip through robofuel's own ``hdf5-robomimic`` reader, actions, audio and refusals.

robomimic itself cannot be installed without torch (``robomimic/utils/dataset.py`` and ``file_utils.py`` import it
at module level), so its expectations are checked here as those files state them: ``SequenceDataset.load_demo_info``
sorts the ``data`` keys by ``int(key[5:])`` and reads each demo's ``num_samples`` attribute, and
``load_dataset_in_memory`` reads ``obs/<key>`` and each dataset key (``actions``, ``rewards``, ``dones``) cast to
float32; ``FileUtils.get_env_metadata_from_dataset`` parses ``data.attrs["env_args"]`` as JSON with ``env_name``,
``type`` and ``env_kwargs``; ``get_shape_metadata_from_dataset`` takes the action dimension from
``data/<first demo>/actions.shape[1]`` and each observation's shape from ``obs/<key>.shape[1:]``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from factories import joint_episode, read
from robofuel.errors import InputError
from robofuel.export.base import ExportOptions, ExportReport
from robofuel.export.hdf5_robomimic import RobomimicExporter
from robofuel.export.lerobot_features import state_feature
from robofuel.export.timeline import Timeline, choose_timeline, reference_times
from robofuel.resample import nearest_index, resample
from robofuel.standard import AudioData, EpisodeData, NumericData, VideoData, audio_stream, numeric_stream
from robofuel.video import rgb_frames

FRONT, WRIST = "camera.front.video", "camera.wrist.image.compressed"
OBS = {
    "joint_states": (21,),
    "franka_gripper_joint_states": (6,),
    "ft_sensor_wrench": (6,),
    "camera_front_video_image": (240, 320, 3),
    "camera_wrist_image_compressed_image": (120, 160, 3),
}


@pytest.fixture(scope="module")
def exported(teleop_lake: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportReport]:
    out = tmp_path_factory.mktemp("robomimic") / "teleop"
    return out, RobomimicExporter().export(teleop_lake.episodes(), out, ExportOptions())


def _timeline(ep: EpisodeData, fps: float | None = None) -> Timeline:
    """The exporter's frames: a uniform grid over every stream (each one is written), 30 Hz (the front camera)."""
    return choose_timeline(ep, [s.name for s in ep.meta.streams if s.count], fps, set())


def _at(ep: EpisodeData, name: str, t_ns: np.ndarray) -> np.ndarray:
    stream, data = ep.meta.stream(name), ep.numeric(name)
    return resample(NumericData(reference_times(stream, data), data.values), stream, t_ns)


def test_layout_as_robomimic_reads_it(teleop_lake: Any, exported: tuple[Path, ExportReport]) -> None:
    out, report = exported
    metas = [ep.meta for ep in teleop_lake.episodes()]
    assert sorted(os.listdir(out)) == ["demo.hdf5"] and not list(out.parent.glob(".*.partial"))
    with h5py.File(out / "demo.hdf5", "r") as h:
        data = h["data"]
        demos = list(data.keys())
        assert [demos[i] for i in np.argsort([int(k[5:]) for k in demos])] == ["demo_0", "demo_1", "demo_2"]
        env = json.loads(data.attrs["env_args"])
        assert env == {
            "env_name": "pick_place.cube",
            "type": 1,
            "env_kwargs": {"control_freq": 30.0, "robots": ["franka_panda"]},
        }
        assert h[f"data/{demos[0]}/actions"].shape[1] == 9  # get_shape_metadata_from_dataset's ac_dim
        lengths = []
        for key, meta in zip(demos, metas, strict=True):
            demo = data[key]
            n = int(demo.attrs["num_samples"])
            lengths.append(n)
            assert demo["actions"].shape == (n, 9) and demo["actions"].dtype == np.float64
            assert demo["rewards"].shape == (n,) and not demo["rewards"][()].any()
            assert demo["dones"].dtype == np.int64 and demo["dones"][()].tolist() == [0] * (n - 1) + [1]
            assert {k: demo["obs"][k].shape[1:] for k in demo["obs"]} == OBS
            assert all(demo["obs"][k].shape[0] == n for k in OBS)
            assert demo["obs/camera_front_video_image"].dtype == np.uint8
            assert demo["obs/joint_states"].dtype == np.float64
            assert demo.attrs["episode_id"] == meta.id and demo.attrs["operator"] == meta.operator
            assert demo.attrs["task_id"] == meta.task.id and demo.attrs["task_instruction"] == meta.task.instruction
        assert int(data.attrs["total"]) == sum(lengths) == report.frames
    assert report.episodes == 3 and report.bytes == (out / "demo.hdf5").stat().st_size
    assert report.notes == [
        "actions: no action stream recorded; the next frame's joint positions (absolute joint-position targets, "
        "the last frame keeps its own)"
    ]
    assert not report.omitted


def test_values_are_the_lake_resampled_at_the_frame_times(
    teleop_lake: Any, exported: tuple[Path, ExportReport]
) -> None:
    out, _ = exported
    with h5py.File(out / "demo.hdf5", "r") as h:
        for i, ep in enumerate(teleop_lake.episodes()):
            demo = h[f"data/demo_{i}"]
            timeline = _timeline(ep)
            assert timeline.camera is None and timeline.fps == 30.0
            assert demo.attrs["num_samples"] == len(timeline.t_ns)
            assert abs(demo.attrs["timestamp"] * 1e9 - timeline.t_ns[0]) < 1e3
            for key, name in [("joint_states", "joint_states"), ("ft_sensor_wrench", "ft_sensor.wrench")]:
                assert np.array_equal(demo[f"obs/{key}"][()], _at(ep, name, timeline.t_ns))
            feature = state_feature(ep.meta.streams)
            assert feature is not None
            state = np.hstack([_at(ep, p.stream, timeline.t_ns)[:, list(p.columns)] for p in feature.parts])
            actions = demo["actions"][()]
            assert np.array_equal(actions[:-1], state[1:]) and np.array_equal(actions[-1], state[-1])


def test_images_are_the_nearest_frames_pixel_for_pixel(teleop_lake: Any, exported: tuple[Path, ExportReport]) -> None:
    out, report = exported
    how = "re-encoded (decoded to raw RGB frames, gzip-compressed in HDF5)"
    assert report.video == {FRONT: {how: 3}, WRIST: {how: 3}}
    ep = teleop_lake.episodes()[0]
    t_ns = _timeline(ep).t_ns
    with h5py.File(out / "demo.hdf5", "r") as h:
        for name, key in [(FRONT, "camera_front_video_image"), (WRIST, "camera_wrist_image_compressed_image")]:
            video = ep.payloads[name]
            assert isinstance(video, VideoData)
            frames = list(rgb_frames(video))
            picks = nearest_index(reference_times(ep.meta.stream(name), video), t_ns)
            images = h[f"data/demo_0/obs/{key}"][()]
            assert np.array_equal(images, np.stack([frames[j] for j in picks]))


def test_round_trip_through_the_robomimic_reader(teleop_lake: Any, exported: tuple[Path, ExportReport]) -> None:
    out, _ = exported
    result = read(out / "demo.hdf5", "hdf5-robomimic")
    lake = teleop_lake.episodes()
    assert len(result.episodes) == 3
    with h5py.File(out / "demo.hdf5", "r") as h:
        for i, (back, ep) in enumerate(zip(result.episodes, lake, strict=True)):
            assert back.meta.task.id == "pick_place.cube" and back.meta.embodiment == "franka_panda"
            assert back.meta.extra["episode_id"] == ep.meta.id
            t_ns = _timeline(ep).t_ns
            for stream in ("actions", "obs.joint_states", "obs.franka_gripper_joint_states", "obs.ft_sensor_wrench"):
                data = back.numeric(stream)
                assert np.abs(data.timestamps_ns - t_ns).max() < 1000  # step times from timestamp + control_freq
                key = stream.replace(".", "/")
                assert np.array_equal(data.values, h[f"data/demo_{i}/{key}"][()].reshape(len(t_ns), -1))
            assert np.array_equal(back.numeric("obs.ft_sensor_wrench").values, _at(ep, "ft_sensor.wrench", t_ns))
            assert back.numeric("dones").values[-1, 0] == 1.0
            if i == 0:  # images come back as lossless PNG frames, pixel for pixel
                video = back.payloads["obs.camera_wrist_image_compressed_image"]
                assert isinstance(video, VideoData) and video.codec == "png"
                got = np.stack(list(rgb_frames(video)))
                assert np.array_equal(got, h["data/demo_0/obs/camera_wrist_image_compressed_image"][()])


def test_an_action_stream_is_written_as_it_is(tmp_path: Path) -> None:
    ep = joint_episode(video=False, n=200)
    joints = ep.numeric("joints")
    command = NumericData(joints.timestamps_ns, joints.values[:, :3] * 2.0)
    stream = numeric_stream("command", command, ["x", "y", "z"], role="action")
    ep = EpisodeData(
        ep.meta.model_copy(update={"streams": [*ep.meta.streams, stream]}), {**ep.payloads, "command": command}
    )
    report = RobomimicExporter().export([ep], tmp_path / "out", ExportOptions(fps=20))
    assert not report.notes
    timeline = choose_timeline(ep, ["command", "joints"], 20.0, set())
    with h5py.File(tmp_path / "out" / "demo.hdf5", "r") as h:
        assert np.array_equal(h["data/demo_0/actions"][()], _at(ep, "command", timeline.t_ns))
        assert list(h["data/demo_0/obs"]) == ["joints"]
        assert json.loads(h["data"].attrs["env_args"])["env_kwargs"]["control_freq"] == 20.0


def test_an_episode_without_actions_or_joints_is_left_out_and_counted(tmp_path: Path) -> None:
    ep = joint_episode(video=False)
    bare = EpisodeData(ep.meta.model_copy(update={"streams": [ep.meta.streams[0].model_copy(update={"role": None})]}))
    bare.payloads = dict(ep.payloads)
    report = RobomimicExporter().export([bare, ep], tmp_path / "out", ExportOptions())
    assert report.episodes == 1
    assert report.omitted == {f"{ep.meta.id}: no action stream and no joint positions to take actions from": 1}


def test_audio_is_reported_not_dropped_silently(teleop_lake: Any, tmp_path: Path) -> None:
    ep = teleop_lake.episodes()[0]
    audio = AudioData(ep.meta.start_ns, 16000, 1, 16000, samples=np.zeros((16000, 1), dtype=np.int16))
    meta = ep.meta.model_copy(update={"streams": [*ep.meta.streams, audio_stream("mic", audio)]})
    report = RobomimicExporter().export(
        [EpisodeData(meta, {**ep.payloads, "mic": audio})], tmp_path / "a", ExportOptions(fps=5)
    )
    assert report.omitted == {"mic: audio (robomimic HDF5 has no place for audio)": 1}


def test_refusals(teleop_lake: Any, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        RobomimicExporter().export(teleop_lake.episodes(), tmp_path / "full", ExportOptions())
    with pytest.raises(InputError, match="nothing to export"):
        RobomimicExporter().export([], tmp_path / "empty", ExportOptions())
    assert sorted(os.listdir(tmp_path)) == ["full"]  # nothing half-written left behind
