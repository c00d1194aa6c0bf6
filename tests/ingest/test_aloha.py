"""The ACT / ALOHA episode HDF5 reader (``hdf5-aloha``), on small files written here in the public layout.

No real ALOHA recording is in the repository; the fixtures follow, dataset for dataset, what these scripts write:

- tonyzhaozh/act ``record_sim_episodes.py``: root attr ``sim`` = True; ``/observations/qpos``, ``/observations/qvel``
  (T, 14); ``/observations/images/<cam>`` (T, 480, 640, 3) uint8 chunked (1, H, W, 3); ``/action`` (T, 14); no
  effort. Joint order and ``DT = 0.02`` from tonyzhaozh/act ``constants.py`` (``JOINT_NAMES``, gripper last).
- MarkFzp/mobile-aloha and 3DAlgoLab/mobile-aloha ``aloha_scripts/record_episodes.py`` (real robot): attrs ``sim``
  = False and ``compress``; ``/observations/effort`` (T, 14), ``/base_action`` (T, 2); with ``compress`` each image
  is a cv2 JPEG zero-padded to the longest one, the dataset (T, padded) uint8 chunked (1, padded), and
  ``/compress_len`` (num_cams, T) float32 (``create_dataset`` without dtype) in ``camera_names`` order;
  Physical-Intelligence/aloha ``aloha_scripts/record_episodes.py`` writes the raw variant with effort.

Images are 48x64 instead of 480x640 to keep the files small; JPEGs come from FFmpeg's encoder (PyAV) instead of cv2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import numpy.typing as npt
import pytest
from fuzzing import EXAMPLES, mutate
from fuzzing import mutations as fuzz_mutations
from hypothesis import HealthCheck, given, seed, settings

from factories import png_pixels
from robofuel.errors import UnreadableRecording
from robofuel.generate.media import jpeg_images
from robofuel.ingest.base import ReadContext, ReadResult
from robofuel.ingest.hdf5.aloha import ARM_COLUMNS, AlohaReader
from robofuel.lake import Lake, load_episode, recording_sha256, write_episode
from robofuel.standard import Severity, VideoData

N = 40
H, W = 48, 64
Frames = npt.NDArray[np.uint8]


def read(path: Path) -> ReadResult:
    return AlohaReader().read(path, ReadContext(path, recording_sha256(path)))


def frames(seed_: int, n: int = N) -> Frames:
    """Smooth moving gradients plus a little noise: JPEG-friendly, every frame different."""
    rng = np.random.default_rng(seed_)
    y, x = np.mgrid[0:H, 0:W]
    out = np.empty((n, H, W, 3), dtype=np.uint8)
    for i in range(n):
        base = np.stack([(x * 4 + i * 3) % 256, (y * 5 + i * 2) % 256, ((x + y) * 2 + seed_ * 40) % 256], axis=-1)
        out[i] = np.clip(base + rng.integers(0, 8, base.shape), 0, 255)
    return out


def joints(seed_: int, n: int = N, width: int = 14) -> npt.NDArray[np.float64]:
    return np.random.default_rng(seed_).normal(size=(n, width))


def write_raw(path: Path, n: int = N, cams: tuple[str, ...] = ("top",)) -> dict[str, Any]:
    """As record_sim_episodes.py writes it (sim, raw images, no effort)."""
    data: dict[str, Any] = {"qpos": joints(1, n), "qvel": joints(2, n), "action": joints(3, n)}
    with h5py.File(path, "w") as root:
        root.attrs["sim"] = True
        obs = root.create_group("observations")
        image = obs.create_group("images")
        for i, cam in enumerate(cams):
            data[cam] = frames(i, n)
            image.create_dataset(cam, (n, H, W, 3), dtype="uint8", chunks=(1, H, W, 3))[...] = data[cam]
        obs.create_dataset("qpos", (n, 14), dtype="f4")[...] = data["qpos"]
        obs.create_dataset("qvel", (n, 14), dtype="f4")[...] = data["qvel"]
        root.create_dataset("action", (n, 14), dtype="f4")[...] = data["action"]
    return data


def write_compressed(
    path: Path, n: int = N, cams: tuple[str, ...] = ("cam_high", "cam_low", "cam_left_wrist"), **attrs: Any
) -> dict[str, Any]:
    """As mobile-aloha's record_episodes.py writes it with COMPRESS = True."""
    data: dict[str, Any] = {"qpos": joints(1, n), "qvel": joints(2, n), "effort": joints(4, n)}
    data["action"], data["base_action"] = joints(3, n), joints(5, n, 2)
    jpegs = {cam: jpeg_images(list(frames(i, n)), quality=3 + i) for i, cam in enumerate(cams)}
    compressed_len = np.array([[len(j) for j in jpegs[cam]] for cam in cams])
    padded_size = int(compressed_len.max())
    with h5py.File(path, "w") as root:
        root.attrs["sim"] = False
        root.attrs["compress"] = True
        for key, value in attrs.items():
            root.attrs[key] = value
        obs = root.create_group("observations")
        image = obs.create_group("images")
        for cam in cams:
            padded = np.zeros((n, padded_size), dtype=np.uint8)
            for t, blob in enumerate(jpegs[cam]):
                padded[t, : len(blob)] = np.frombuffer(blob, dtype=np.uint8)
            image.create_dataset(cam, (n, padded_size), dtype="uint8", chunks=(1, padded_size))[...] = padded
        for key in ("qpos", "qvel", "effort"):
            obs.create_dataset(key, (n, 14), dtype="f4")[...] = data[key]
        root.create_dataset("action", (n, 14), dtype="f4")[...] = data["action"]
        root.create_dataset("base_action", (n, 2), dtype="f4")[...] = data["base_action"]
        root.create_dataset("compress_len", (len(cams), n), dtype="f4")[...] = compressed_len
    data["jpegs"] = jpegs
    return data


# --- a simulated episode: raw images ---


def test_raw_episode_streams_values_and_times(tmp_path: Path) -> None:
    path = tmp_path / "episode_0.hdf5"
    data = write_raw(path)
    result = read(path)
    (ep,) = result.episodes
    assert {s.name for s in ep.meta.streams} == {
        "observations.qpos",
        "observations.qvel",
        "action",
        "observations.images.top",
    }
    for name, key in (("observations.qpos", "qpos"), ("observations.qvel", "qvel"), ("action", "action")):
        expected = data[key].astype(np.float32).astype(np.float64)  # h5py's default float32 datasets
        assert np.array_equal(ep.numeric(name).values, expected), name
        assert np.array_equal(ep.numeric(name).timestamps_ns, np.arange(N) * 20_000_000)
    qpos = ep.meta.stream("observations.qpos")
    assert qpos.columns == ARM_COLUMNS and qpos.columns[:7] == [
        "left_waist",
        "left_shoulder",
        "left_elbow",
        "left_forearm_roll",
        "left_wrist_angle",
        "left_wrist_rotate",
        "left_gripper",
    ]
    assert qpos.role == "joint_position" and qpos.unit == "rad" and qpos.rate_hz == 50.0
    assert qpos.column_units["right_waist"] == "rad" and "normalized" in qpos.column_units["right_gripper"]
    assert ep.meta.stream("observations.qvel").column_units["left_elbow"] == "rad/s"
    assert ep.meta.stream("action").role == "action" and ep.meta.stream("action").source == "/action"
    assert ep.meta.start_ns == 0 and ep.meta.duration_s == pytest.approx((N - 1) * 0.02)
    assert ep.meta.extra["sim"] is True and "Unix epoch" in ep.meta.extra["time_base"]
    (assumed,) = [f for f in ep.meta.findings if f.code == "timing.assumed_rate"]
    assert assumed.severity is Severity.info and "50 Hz" in assumed.message
    assert result.report.episodes == 1 and result.report.decoded == 4 * N


def test_raw_images_become_lossless_png(tmp_path: Path) -> None:
    path = tmp_path / "episode_0.hdf5"
    data = write_raw(path, cams=("top", "angle"))
    (ep,) = read(path).episodes
    for cam in ("top", "angle"):
        video = ep.payloads[f"observations.images.{cam}"]
        assert isinstance(video, VideoData) and video.codec == "png" and (video.width, video.height) == (W, H)
        assert video.packets is not None and len(video.packets) == N
        assert np.array_equal(png_pixels(video.packets), data[cam])
        assert np.array_equal(video.timestamps_ns, np.arange(N) * 20_000_000)
        assert ep.meta.stream(f"observations.images.{cam}").role == "camera_rgb"


def test_episode_round_trips_through_the_lake(tmp_path: Path) -> None:
    path = tmp_path / "episode_0.hdf5"
    write_compressed(path)
    (ep,) = read(path).episodes
    lake = Lake(tmp_path / "lake")
    back = load_episode(lake, write_episode(lake, ep).id)
    for name in ("observations.qpos", "observations.effort", "base_action"):
        assert np.array_equal(back.numeric(name).values, ep.numeric(name).values)
        assert np.array_equal(back.numeric(name).timestamps_ns, ep.numeric(name).timestamps_ns)
    video, stored = ep.payloads["observations.images.cam_low"], back.payloads["observations.images.cam_low"]
    assert isinstance(video, VideoData) and isinstance(stored, VideoData)
    assert stored.packets == video.packets and np.array_equal(stored.timestamps_ns, video.timestamps_ns)


# --- a real-robot episode: padded JPEG images, effort, base_action ---


def test_compressed_images_are_the_jpeg_bytes_as_written(tmp_path: Path) -> None:
    path = tmp_path / "episode_3.hdf5"
    data = write_compressed(path)
    (ep,) = read(path).episodes
    # compress_len rows are in camera_names order (high, low, left_wrist), not in the file's order by name
    for cam in ("cam_high", "cam_low", "cam_left_wrist"):
        video = ep.payloads[f"observations.images.{cam}"]
        assert isinstance(video, VideoData) and video.codec == "mjpeg" and (video.width, video.height) == (W, H)
        assert video.packets == data["jpegs"][cam]
        assert np.array_equal(video.timestamps_ns, np.arange(N) * 20_000_000)
    assert not [f for f in ep.meta.findings if f.code == "ingest.malformed"]
    assert ep.meta.extra["compress"] is True and ep.meta.extra["sim"] is False


def test_effort_and_base_action(tmp_path: Path) -> None:
    path = tmp_path / "episode_0.hdf5"
    data = write_compressed(path)
    (ep,) = read(path).episodes
    effort = ep.meta.stream("observations.effort")
    assert effort.columns == ARM_COLUMNS and effort.unit is None and not effort.column_units
    assert np.array_equal(ep.numeric("observations.effort").values, data["effort"].astype(np.float32))
    base = ep.meta.stream("base_action")
    assert base.columns == ["linear", "angular"] and base.column_units == {"linear": "m/s", "angular": "rad/s"}
    assert np.array_equal(ep.numeric("base_action").values, data["base_action"].astype(np.float32))


def test_a_rate_attribute_overrides_the_assumed_50_hz(tmp_path: Path) -> None:
    path = tmp_path / "episode_0.hdf5"
    write_compressed(path, fps=30)
    (ep,) = read(path).episodes
    assert np.array_equal(ep.numeric("action").timestamps_ns, np.round(np.arange(N) * 1e9 / 30).astype(np.int64))
    assert not [f for f in ep.meta.findings if f.code == "timing.assumed_rate"]
    write_compressed(path, dt=0.1)
    (ep,) = read(path).episodes
    assert ep.numeric("action").timestamps_ns[1] == 100_000_000 and ep.meta.stream("action").rate_hz == 10.0


def test_width_other_than_14_gets_index_columns(tmp_path: Path) -> None:
    path = tmp_path / "episode_0.hdf5"
    with h5py.File(path, "w") as root:
        root.create_dataset("observations/qpos", data=joints(1, 10, 6))
        root.create_dataset("action", data=joints(2, 10, 6))
    (ep,) = read(path).episodes
    assert ep.meta.stream("observations.qpos").columns == [f"observations.qpos[{i}]" for i in range(6)]
    assert ep.meta.stream("observations.qpos").unit is None


# --- damage ---


def test_datasets_of_different_lengths_keep_the_common_prefix(tmp_path: Path) -> None:
    path = tmp_path / "episode_0.hdf5"
    data = write_compressed(path)
    with h5py.File(path, "r+") as root:
        del root["action"]
        root.create_dataset("action", data=data["action"][:35])
    result = read(path)
    (ep,) = result.episodes
    assert {s.count for s in ep.meta.streams} == {35}
    (mismatch,) = [f for f in ep.meta.findings if f.code == "ingest.count_mismatch"]
    assert "/action: 35" in mismatch.message and "/observations/qpos: 40" in mismatch.message
    assert "/observations/images/cam_low: 40" in mismatch.message and mismatch.value == 35
    video = ep.payloads["observations.images.cam_high"]
    assert isinstance(video, VideoData) and video.packets == data["jpegs"]["cam_high"][:35]


def test_an_image_that_is_not_jpeg_is_dropped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "episode_0.hdf5"
    data = write_compressed(path)
    with h5py.File(path, "r+") as root:
        root["observations/images/cam_low"][7, :2] = [0x00, 0x42]  # SOI marker destroyed
    result = read(path)
    (ep,) = result.episodes
    video = ep.payloads["observations.images.cam_low"]
    assert isinstance(video, VideoData) and video.packets is not None and len(video.packets) == N - 1
    assert video.packets == data["jpegs"]["cam_low"][:7] + data["jpegs"]["cam_low"][8:]
    assert 7 * 20_000_000 not in video.timestamps_ns.tolist()
    assert result.report.undecodable == {"/observations/images/cam_low: not a JPEG image (no SOI marker)": 1}
    (bad,) = [f for f in ep.meta.findings if f.code == "ingest.undecodable"]
    assert bad.stream == "observations.images.cam_low" and bad.start_s == pytest.approx(0.14)


def test_without_compress_len_images_end_at_their_last_non_zero_byte(tmp_path: Path) -> None:
    path = tmp_path / "episode_0.hdf5"
    data = write_compressed(path)
    with h5py.File(path, "r+") as root:
        del root["compress_len"]
    (ep,) = read(path).episodes
    video = ep.payloads["observations.images.cam_left_wrist"]
    assert isinstance(video, VideoData) and video.packets == data["jpegs"]["cam_left_wrist"]
    assert len([f for f in ep.meta.findings if f.code == "ingest.malformed"]) == 3  # one per camera


def test_missing_qpos_and_action_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "episode_0.hdf5"
    write_raw(path)
    with h5py.File(path, "r+") as root:
        del root["observations/qpos"]
        del root["action"]
    with pytest.raises(UnreadableRecording, match="qpos"):
        read(path)


def test_truncated_file_is_unreadable_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "episode_0.hdf5"
    write_raw(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert not AlohaReader().sniff(path)  # left to hdf5-robomimic, which claims damaged .hdf5 files
    with pytest.raises(UnreadableRecording, match="truncated") as caught:
        read(path)
    assert str(path) in str(caught.value)


# --- sniff ---


def test_sniff_claims_aloha_files_only(tmp_path: Path) -> None:
    reader = AlohaReader()
    write_raw(tmp_path / "raw.hdf5")
    write_compressed(tmp_path / "jpeg.hdf5")
    assert reader.sniff(tmp_path / "raw.hdf5") and reader.sniff(tmp_path / "jpeg.hdf5")
    with h5py.File(tmp_path / "robomimic.hdf5", "w") as h:
        h.create_dataset("data/demo_0/actions", data=np.zeros((5, 7)))
        h.create_dataset("data/demo_0/obs/robot0_joint_pos", data=np.zeros((5, 7)))
    (tmp_path / "plain").mkdir()
    (tmp_path / "x.mcap").write_bytes(b"\x89MCAP0\r\n" + bytes(100))
    (tmp_path / "fake.hdf5").write_bytes(b"not hdf5 at all")
    umi = tmp_path / "umi.zarr" / "meta" / "episode_ends"
    umi.mkdir(parents=True)
    (umi / ".zarray").write_text("{}")
    for other in ("robomimic.hdf5", "plain", "x.mcap", "fake.hdf5", "umi.zarr", "missing.hdf5"):
        assert not reader.sniff(tmp_path / other), other


# --- fuzz: mutated bytes give episodes or UnreadableRecording ---

mutations = fuzz_mutations(10**6)


@pytest.fixture(scope="module")
def aloha_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("aloha") / "episode_0.hdf5"
    write_compressed(path, n=12)
    return path.read_bytes()


@seed(20261123)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations)
def test_mutated_aloha_gives_episodes_or_a_clean_refusal(
    aloha_bytes: bytes, tmp_path: Path, change: tuple[list[tuple[int, int]], list[tuple[int, int]]]
) -> None:
    path = tmp_path / "mutated.hdf5"
    path.write_bytes(mutate(aloha_bytes, *change))
    try:
        result = read(path)
    except UnreadableRecording as exc:
        assert str(path) in str(exc)
        return
    assert result.episodes
