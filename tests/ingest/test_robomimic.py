"""The robomimic / robosuite HDF5 reader: the real robosuite demos in ../shared/data, and small robomimic
files written here (observations, images, masks, damage)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from factories import png_pixels
from robofuel.errors import UnreadableRecording
from robofuel.ingest import ReadContext, ReadResult, get_reader
from robofuel.lake import Lake, load_episode, recording_sha256, write_episode
from robofuel.standard import EpisodeData, Severity, VideoData

REPO = Path(__file__).resolve().parents[2]
ROBOSUITE = REPO / ".." / "shared" / "data" / "robosuite"
FORMAT = "hdf5-robomimic"


def read(path: Path) -> ReadResult:
    return get_reader(FORMAT).read(path, ReadContext(path, recording_sha256(path)))


def shared(name: str) -> Path:
    path = ROBOSUITE / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (third-party sample recordings are not part of the repository)")
    return path


@pytest.fixture(scope="module")
def lift() -> ReadResult:
    return read(shared("lift_demo.hdf5"))


@pytest.fixture(scope="module")
def handover() -> ReadResult:
    return read(shared("handover_panda_panda_demo.hdf5"))


def _round_trip(ep: EpisodeData, tmp_path: Path) -> EpisodeData:
    lake = Lake(tmp_path / "lake")
    return load_episode(lake, write_episode(lake, ep).id)


def _assert_same_numeric(a: EpisodeData, b: EpisodeData) -> None:
    for stream in a.meta.streams:
        if stream.kind.value == "numeric":
            x, y = a.numeric(stream.name), b.numeric(stream.name)
            assert np.array_equal(x.values, y.values, equal_nan=True), stream.name
            assert np.array_equal(x.timestamps_ns, y.timestamps_ns), stream.name
            assert b.meta.stream(stream.name).columns == stream.columns


# --- lift: 3 demos, states and actions only, no control_freq in the file ---


def test_lift_demos_steps_columns_and_metadata(lift: ReadResult) -> None:
    assert [e.meta.stream("actions").count for e in lift.episodes] == [482, 510, 392]
    assert [e.meta.extra["demo"] for e in lift.episodes] == ["demo_1", "demo_2", "demo_3"]
    ep = lift.episodes[0]
    assert {s.name for s in ep.meta.streams} == {"actions", "states"}
    assert ep.meta.stream("actions").columns == [f"actions[{i}]" for i in range(7)]
    assert ep.meta.stream("states").columns == [f"states[{i}]" for i in range(32)]
    assert ep.meta.stream("actions").role == "action" and ep.meta.stream("states").role == "state"
    assert ep.meta.task.id == "Lift" and ep.meta.embodiment == "panda"
    assert ep.meta.extra["date"] == "11-16-2022" and ep.meta.extra["repository_version"] == "1.4.0"
    assert ep.meta.extra["env_info"]["controller_configs"]["type"] == "OSC_POSE"
    assert ep.meta.extra["model_file"].startswith("<mujoco model=")
    with h5py.File(shared("lift_demo.hdf5")) as h:
        assert np.array_equal(ep.numeric("states").values, h["data/demo_1/states"][()])


def test_lift_times_are_steps_at_the_assumed_20_hz(lift: ReadResult) -> None:
    for ep in lift.episodes:
        ts = ep.numeric("actions").timestamps_ns
        assert ts[0] == 0 and np.all(np.diff(ts) == 50_000_000)
        assert ep.meta.start_ns == 0 and ep.meta.duration_s == pytest.approx((len(ts) - 1) / 20)
        (assumed,) = [f for f in ep.meta.findings if f.code == "timing.assumed_rate"]
        assert assumed.severity is Severity.info and "20 Hz" in assumed.message
    assert len(lift.report.findings) == 1  # the assumed rate, once


def test_lift_episode_round_trips_through_the_lake(lift: ReadResult, tmp_path: Path) -> None:
    ep = lift.episodes[2]
    back = _round_trip(ep, tmp_path)
    _assert_same_numeric(ep, back)
    assert back.meta.stream("actions").count == 392 and back.meta.task.id == "Lift"


# --- wipe: model_file names a file that is not there ---


def test_wipe_demo_names_its_missing_model_file(tmp_path: Path) -> None:
    (ep,) = read(shared("wipe_panda_demo.hdf5")).episodes
    (finding,) = [f for f in ep.meta.findings if f.code == "metadata.missing_model_file"]
    assert finding.severity is Severity.warning and "model_1.xml" in finding.message
    assert ep.meta.extra["model_file"] == "model_1.xml"
    assert [ep.meta.stream(n).count for n in ("actions", "joint_torques", "states")] == [174, 174, 174]
    assert len(ep.meta.stream("actions").columns) == 6 and ep.meta.stream("joint_torques").unit == "N m"
    shutil.copy(shared("wipe_panda_demo.hdf5"), tmp_path / "wipe.hdf5")
    (tmp_path / "model_1.xml").write_text("<mujoco/>")  # the model beside the file: nothing missing
    (ep,) = read(tmp_path / "wipe.hdf5").episodes
    assert not [f for f in ep.meta.findings if f.code == "metadata.missing_model_file"]


# --- handover: 7 demos, teleop streams at their own rates and lengths ---


def test_handover_demos_and_declared_rate(handover: ReadResult) -> None:
    assert len(handover.episodes) == 7
    assert [e.meta.extra["demo"] for e in handover.episodes] == [f"demo_{i}" for i in range(7)]
    ep = handover.episodes[0]
    assert ep.meta.stream("actions").count == 641 and len(ep.meta.stream("actions").columns) == 14
    assert ep.meta.stream("states").count == 641
    assert ep.meta.stream("user_acting").columns == ["user_acting[0]", "user_acting[1]"]
    assert ep.meta.task.id == "TwoArmHandover" and ep.meta.embodiment == "panda+panda"
    assert ep.meta.task.success is True  # metadata "completed": true
    assert not [f for f in ep.meta.findings if f.code == "timing.assumed_rate" and f.stream is None]
    assert ep.meta.start_time.isoformat().startswith("2021-07-26T18:50:57")  # the demo's epoch timestamp
    actions = ep.numeric("actions").timestamps_ns
    assert actions[0] == round(1627325457.979791 * 1e9) and np.all(np.diff(actions) == 50_000_000)


def test_handover_teleop_streams_keep_their_own_count_and_times(handover: ReadResult) -> None:
    ep = handover.episodes[0]
    arm0, arm1 = (ep.meta.stream(f"controller_info.teleop_commands.arm{i}") for i in (0, 1))
    assert (arm0.count, arm1.count) == (622, 513)
    assert arm0.columns[:4] == ["gripper", "position[0]", "position[1]", "position[2]"]
    assert "rotation[2,2]" in arm0.columns and "counters" in arm0.columns
    user = ep.meta.stream("user_info.0")
    assert user.count == 1380 and "timestamp" in user.columns and "dpos[2]" in user.columns
    with h5py.File(shared("handover_panda_panda_demo.hdf5")) as h:
        demo = h["data/demo_0"]
        stamps = demo["user_info/0/timestamp"][()]
        user_ts = ep.numeric("user_info.0").timestamps_ns
        assert np.array_equal(user_ts, np.round(stamps * 1e9).astype(np.int64))
        ticks = demo["controller_info/counters"][()]
        tick_time = demo["controller_info/user_timestamps"][()].mean(axis=1)
        first = demo["controller_info/teleop_commands/arm0_counters"][0]
    arm0_ts = ep.numeric(arm0.name).timestamps_ns
    assert arm0_ts[0] == round(tick_time[np.searchsorted(ticks, first)] * 1e9)  # counter 458: ~1 s in
    assert np.all(np.diff(arm0_ts) >= 0)
    assert (arm0_ts[0] - ep.meta.start_ns) / 1e9 == pytest.approx(1.0, abs=0.1)
    entry = handover.report.streams[arm0.name]
    assert entry["rate"] == "own" and "counters" in entry["timed_by"]
    multi = [f for f in handover.report.findings if f.code == "timing.multi_rate"]
    assert multi and arm0.name in multi[0].message and "user_info.0" in multi[0].message


def test_handover_mixed_dtypes_are_read(handover: ReadResult) -> None:
    ep = handover.episodes[1]  # teleop_controls/arm0/rotation is float32 here, float64 elsewhere
    with h5py.File(shared("handover_panda_panda_demo.hdf5")) as h:
        raw = h["data/demo_1/controller_info/teleop_controls/arm0/rotation"][()]
    assert raw.dtype == np.float32
    stream = ep.meta.stream("controller_info.teleop_controls.arm0")
    values = ep.numeric(stream.name).values
    cols = [stream.columns.index(f"rotation[{i}]") for i in range(3)]
    assert np.array_equal(values[:, cols], raw.astype(np.float64))


def test_handover_episode_round_trips_through_the_lake(handover: ReadResult, tmp_path: Path) -> None:
    ep = handover.episodes[4]
    back = _round_trip(ep, tmp_path)
    _assert_same_numeric(ep, back)
    assert {s.name for s in back.meta.streams} == {s.name for s in ep.meta.streams}


# --- damage ---


def test_a_truncated_hdf5_is_refused_naming_the_file(tmp_path: Path) -> None:
    cut = tmp_path / "lift_cut.hdf5"
    cut.write_bytes(shared("lift_demo.hdf5").read_bytes()[:100_000])
    assert get_reader(FORMAT).sniff(cut)  # claimed, so that reading says what is wrong
    with pytest.raises(UnreadableRecording, match=r"lift_cut\.hdf5: not a readable HDF5 file") as err:
        read(cut)
    assert "truncated" in err.value.hint


def test_a_non_hdf5_file_named_hdf5_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "notes.hdf5"
    fake.write_text("these are not demonstrations\n")
    assert get_reader(FORMAT).sniff(fake)
    with pytest.raises(UnreadableRecording, match=r"notes\.hdf5: not an HDF5 file"):
        read(fake)


def test_sniff_takes_robomimic_files_only(tmp_path: Path) -> None:
    reader = get_reader(FORMAT)
    assert reader.sniff(shared("lift_demo.hdf5"))
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as h:
        h["images"] = np.zeros((2, 2))
    assert not reader.sniff(other) and not reader.sniff(tmp_path)
    (tmp_path / "a.txt").write_text("x")
    assert not reader.sniff(tmp_path / "a.txt")


# --- a robomimic file with observations, images and masks, written here ---


def _write_robomimic(path: Path) -> None:
    """Two demos at a declared 10 Hz: obs (image, joint positions), next_obs, rewards, dones, a mask, and a
    top-level dataset with another length and no times."""
    rng = np.random.default_rng(3)
    with h5py.File(path, "w") as h:
        data = h.create_group("data")
        env_args = {
            "env_name": "PickPlaceCan",
            "type": 1,
            "env_kwargs": {"robots": ["Panda"], "control_freq": 10},
        }
        data.attrs["env_args"] = json.dumps(env_args)
        data.attrs["total"] = 11
        for k, steps in (("demo_0", 5), ("demo_10", 6)):
            g = data.create_group(k)
            g.attrs["num_samples"] = steps
            g["actions"] = rng.normal(size=(steps, 7))
            g["states"] = rng.normal(size=(steps, 9)).astype(np.float32)
            g["rewards"] = np.arange(steps, dtype=np.float64)
            g["dones"] = np.arange(steps) == steps - 1
            g["obs/agentview_image"] = rng.integers(0, 256, size=(steps, 6, 8, 3), dtype=np.uint8)
            g["obs/robot0_joint_pos"] = rng.normal(size=(steps, 7))
            g["next_obs/agentview_image"] = rng.integers(0, 256, size=(steps, 6, 8, 3), dtype=np.uint8)
            g["next_obs/robot0_joint_pos"] = rng.normal(size=(steps, 7))
            g["sparse_events"] = np.ones((2, 1))
        h["mask/train"] = np.array([b"demo_0"])
        h["mask/valid"] = np.array([b"demo_10"])


@pytest.fixture
def written(tmp_path: Path) -> ReadResult:
    path = tmp_path / "can.hdf5"
    _write_robomimic(path)
    return read(path)


def test_observations_become_streams_and_images_lossless_png(written: ReadResult, tmp_path: Path) -> None:
    assert [e.meta.extra["demo"] for e in written.episodes] == ["demo_0", "demo_10"]  # numeric order
    ep = written.episodes[0]
    names = {s.name for s in ep.meta.streams}
    assert {"actions", "states", "rewards", "dones", "obs.agentview_image", "obs.robot0_joint_pos"} <= names
    assert "next_obs.robot0_joint_pos" in names and "next_obs.agentview_image" not in names
    assert written.report.skipped["next_obs/agentview_image: image repeating obs one step later"] == 2
    video = ep.payloads["obs.agentview_image"]
    assert isinstance(video, VideoData) and video.codec == "png" and (video.width, video.height) == (8, 6)
    assert video.packets is not None and len(video.packets) == 5
    with h5py.File(tmp_path / "can.hdf5") as h:
        images = h["data/demo_0/obs/agentview_image"][()]
    assert all(np.array_equal(a, b) for a, b in zip(png_pixels(video.packets), images, strict=True))
    assert ep.meta.stream("obs.robot0_joint_pos").role == "joint_position"
    assert ep.meta.stream("dones").columns == ["dones"] and ep.numeric("dones").values[-1, 0] == 1.0


def test_declared_rate_masks_and_other_lengths(written: ReadResult) -> None:
    ep = written.episodes[1]
    assert np.all(np.diff(ep.numeric("actions").timestamps_ns) == 100_000_000)  # control_freq 10
    assert ep.meta.task.id == "PickPlaceCan" and ep.meta.embodiment == "panda"
    assert written.episodes[0].meta.extra["masks"] == ["train"] and ep.meta.extra["masks"] == ["valid"]
    events = ep.numeric("sparse_events").timestamps_ns
    assert list(events - ep.meta.start_ns) == [0, 500_000_000]  # spread over the demo's 0.5 s
    (spread,) = [f for f in ep.meta.findings if f.code == "timing.assumed_rate"]
    assert spread.stream == "sparse_events" and spread.severity is Severity.info
    assert written.report.streams["sparse_events"]["rate"] == "own"


def test_images_round_trip_through_the_lake(written: ReadResult, tmp_path: Path) -> None:
    ep = written.episodes[1]
    back = _round_trip(ep, tmp_path)
    _assert_same_numeric(ep, back)
    a, b = ep.payloads["obs.agentview_image"], back.payloads["obs.agentview_image"]
    assert isinstance(a, VideoData) and isinstance(b, VideoData)
    assert a.packets == b.packets and np.array_equal(a.timestamps_ns, b.timestamps_ns)
