"""The UMI / diffusion-policy ReplayBuffer reader (``zarr-umi``), on small stores written here in the public layout.

No real UMI dataset is in the repository; the fixtures follow what these files write:

- real-stanford/diffusion_policy ``diffusion_policy/common/replay_buffer.py`` (``ReplayBuffer``): a zarr group with
  ``meta/episode_ends`` (int64, uncompressed, cumulative end row of each episode) and ``data/<key>`` arrays holding
  the rows of every episode back to back; ``save_to_store`` on a ``zarr.ZipStore`` gives the ``.zarr.zip`` file.
- real-stanford/universal_manipulation_interface ``scripts_slam_pipeline/07_generate_replay_buffer.py``: keys
  ``robot0_eef_pos`` (N, 3) float32, ``robot0_eef_rot_axis_angle`` (N, 3) float32, ``robot0_gripper_width`` (N, 1)
  float32, ``robot0_demo_start_pose`` / ``robot0_demo_end_pose`` (N, 6) float64, ``camera0_rgb`` (N, H, W, 3)
  uint8 chunked (1, H, W, 3) with the ``JpegXl`` codec (numcodecs id ``imagecodecs_jpegxl``, from
  ``diffusion_policy/codecs/imagecodecs_numcodecs.py``), no timestamp; the rows are video frames at the GoPro's
  59.94 fps (``scripts_slam_pipeline/06_generate_dataset_plan.py`` takes the video's ``average_rate``;
  ``diffusion_policy/config/task/umi.yaml`` notes ``dataset_frequeny`` 59.94).
- diffusion_policy's real-robot buffers add ``timestamp`` (N,) in seconds since the epoch.

UMI wrote its stores with zarr 2.x (format 2: ``.zgroup`` / ``.zarray``); format 3 (``zarr.json``) is written too.
Images are 48x64 instead of 224x224, compressed with zarr's default codec (imagecodecs is not installed here); the
JPEG XL case is the same store with the ``.zarray`` naming ``imagecodecs_jpegxl`` as UMI's does.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import numpy.typing as npt
import pytest
import zarr
from fuzzing import EXAMPLES, mutate
from fuzzing import mutations as fuzz_mutations
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from zarr.storage import ZipStore

from factories import png_pixels
from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import ReadContext, ReadResult
from robofuel.ingest.hdf5.aloha import AlohaReader
from robofuel.ingest.umi.reader import UmiReader
from robofuel.lake import Lake, load_episode, recording_sha256, write_episode
from robofuel.standard import Severity, VideoData

LENGTHS = (12, 15, 13)
H, W = 48, 64
GOPRO_NS = 1e9 * 1001 / 60000


def read(path: Path) -> ReadResult:
    return UmiReader().read(path, ReadContext(path, recording_sha256(path)))


def umi_data(n: int, cameras: int = 2) -> dict[str, npt.NDArray[Any]]:
    rng = np.random.default_rng(7)
    data: dict[str, npt.NDArray[Any]] = {
        "robot0_eef_pos": rng.normal(size=(n, 3)).astype(np.float32),
        "robot0_eef_rot_axis_angle": rng.normal(size=(n, 3)).astype(np.float32),
        "robot0_gripper_width": rng.uniform(0, 0.08, size=(n, 1)).astype(np.float32),
        "robot0_demo_start_pose": rng.normal(size=(n, 6)),
        "robot0_demo_end_pose": rng.normal(size=(n, 6)),
    }
    for k in range(cameras):
        data[f"camera{k}_rgb"] = rng.integers(0, 256, size=(n, H, W, 3), dtype=np.uint8)
    return data


def write_umi(
    path: Path,
    zarr_format: int = 2,
    ends: list[int] | None = None,
    extra: dict[str, npt.NDArray[Any]] | None = None,
    attrs: dict[str, Any] | None = None,
) -> dict[str, npt.NDArray[Any]]:
    """A ReplayBuffer as UMI saves it: a folder, or a zip file when ``path`` ends with ``.zip``."""
    episode_ends = np.cumsum(LENGTHS) if ends is None else np.array(ends)
    data = umi_data(int(np.cumsum(LENGTHS)[-1])) | (extra or {})
    store: Any = ZipStore(path, mode="w") if path.suffix == ".zip" else path
    root = zarr.open_group(store, mode="w", zarr_format=zarr_format)  # type: ignore[arg-type]
    root.attrs.update(attrs or {})
    root.create_array("meta/episode_ends", data=episode_ends.astype(np.int64), compressors=None)
    for key, value in data.items():
        chunks = (1, *value.shape[1:]) if value.ndim == 4 else (16, *value.shape[1:])
        root.create_array(f"data/{key}", data=value, chunks=chunks)
    if isinstance(store, ZipStore):
        store.close()
    return data


def rows(i: int) -> slice:
    ends = np.cumsum(LENGTHS)
    return slice(int(ends[i - 1]) if i else 0, int(ends[i]))


# --- the layout, format 2 and 3, folder and zip ---


@pytest.mark.parametrize(("zarr_format", "name"), [(2, "v2.zarr"), (3, "v3.zarr"), (2, "v2.zarr.zip")])
def test_episodes_are_the_slices_between_episode_ends(tmp_path: Path, zarr_format: int, name: str) -> None:
    path = tmp_path / name
    data = write_umi(path, zarr_format)
    result = read(path)
    assert [e.meta.recording.index for e in result.episodes] == [0, 1, 2]
    assert result.report.episodes == 3 and result.report.findings[0].code == "timing.assumed_rate"
    for i, ep in enumerate(result.episodes):
        assert ep.meta.extra["rows"] == [rows(i).start, rows(i).stop]
        for key in ("robot0_eef_pos", "robot0_eef_rot_axis_angle", "robot0_gripper_width", "robot0_demo_end_pose"):
            assert np.array_equal(ep.numeric(key).values, data[key][rows(i)].astype(np.float64)), key
        video = ep.payloads["camera1_rgb"]
        assert isinstance(video, VideoData) and video.codec == "png" and (video.width, video.height) == (W, H)
        assert video.packets is not None and np.array_equal(png_pixels(video.packets), data["camera1_rgb"][rows(i)])


def test_columns_units_and_times(tmp_path: Path) -> None:
    path = tmp_path / "umi.zarr"
    write_umi(path)
    ep = read(path).episodes[1]
    keys = ("robot0_eef_pos", "robot0_eef_rot_axis_angle", "robot0_gripper_width")
    pos, rot, width = (ep.meta.stream(k) for k in keys)
    assert pos.columns == ["x", "y", "z"] and pos.unit == "m" and pos.source == "data/robot0_eef_pos"
    assert rot.columns == ["rx", "ry", "rz"] and rot.unit == "rad"
    assert width.columns == ["width"] and width.unit == "m" and width.role == "gripper_width"
    start = ep.meta.stream("robot0_demo_start_pose")
    assert start.columns == ["x", "y", "z", "rx", "ry", "rz"] and start.column_units["y"] == "m"
    assert start.column_units["rz"] == "rad"
    assert ep.meta.stream("camera0_rgb").role == "camera_rgb" and ep.meta.stream("camera0_rgb").count == LENGTHS[1]
    expected = np.round(np.arange(LENGTHS[1]) * GOPRO_NS).astype(np.int64)
    for stream in ep.meta.streams:
        assert np.array_equal(ep.payloads[stream.name].timestamps_ns, expected), stream.name  # type: ignore[union-attr]
        assert stream.rate_hz == pytest.approx(59.94, abs=1e-3)
    assert ep.meta.start_ns == 0 and "Unix epoch" in ep.meta.extra["time_base"]
    (assumed,) = [f for f in ep.meta.findings if f.code == "timing.assumed_rate"]
    assert assumed.severity is Severity.info and "59.94 Hz" in assumed.message


def test_timestamp_array_gives_the_times(tmp_path: Path) -> None:
    path = tmp_path / "real.zarr"
    n = sum(LENGTHS)
    stamps = 1_700_000_000.0 + np.arange(n) * 0.1 + np.array([0.003 * (i % 3) for i in range(n)])
    write_umi(path, extra={"timestamp": stamps})
    result = read(path)
    ep = result.episodes[2]
    expected = np.round(stamps[rows(2)] * 1e9).astype(np.int64)
    assert np.array_equal(ep.numeric("robot0_eef_pos").timestamps_ns, expected)
    assert ep.meta.start_ns == expected[0] and ep.meta.extra["time_base"] == "data/timestamp (s)"
    assert "timestamp" not in {s.name for s in ep.meta.streams}
    assert ep.meta.extra["fps"] is None and ep.meta.stream("robot0_eef_pos").rate_hz is None
    assert ep.meta.stream("robot0_eef_pos").measured_rate_hz == pytest.approx(10.0, rel=0.05)
    assert not [f for f in result.report.findings if f.code == "timing.assumed_rate"]


def test_rate_attribute_sets_the_times(tmp_path: Path) -> None:
    path = tmp_path / "umi.zarr"
    write_umi(path, zarr_format=3, attrs={"fps": 10})
    ep = read(path).episodes[0]
    assert ep.numeric("robot0_eef_pos").timestamps_ns[1] == 100_000_000
    assert not [f for f in ep.meta.findings if f.code == "timing.assumed_rate"]


def test_episode_round_trips_through_the_lake(tmp_path: Path) -> None:
    path = tmp_path / "umi.zarr.zip"
    write_umi(path)
    ep = read(path).episodes[2]
    lake = Lake(tmp_path / "lake")
    back = load_episode(lake, write_episode(lake, ep).id)
    assert np.array_equal(back.numeric("robot0_eef_pos").values, ep.numeric("robot0_eef_pos").values)
    assert np.array_equal(back.numeric("robot0_eef_pos").timestamps_ns, ep.numeric("robot0_eef_pos").timestamps_ns)
    video, stored = ep.payloads["camera0_rgb"], back.payloads["camera0_rgb"]
    assert isinstance(video, VideoData) and isinstance(stored, VideoData) and stored.packets == video.packets


# --- damage ---


def test_a_codec_that_is_not_installed_skips_only_its_stream(tmp_path: Path) -> None:
    if importlib.util.find_spec("imagecodecs") is not None:
        pytest.skip("imagecodecs is installed: the JPEG XL codec is available")
    path = tmp_path / "umi.zarr"
    data = write_umi(path)
    meta_path = path / "data" / "camera0_rgb" / ".zarray"
    meta = json.loads(meta_path.read_text())
    meta["compressor"] = {"id": "imagecodecs_jpegxl", "level": 99, "effort": None, "numthreads": 1}
    meta_path.write_text(json.dumps(meta))
    result = read(path)
    assert len(result.episodes) == 3
    for i, ep in enumerate(result.episodes):
        names = {s.name for s in ep.meta.streams}
        assert "camera0_rgb" not in names and "camera1_rgb" in names and "robot0_eef_pos" in names
        assert np.array_equal(ep.numeric("robot0_eef_pos").values, data["robot0_eef_pos"][rows(i)])
        (missing,) = [f for f in ep.meta.findings if f.code == "ingest.undecodable"]
        assert "imagecodecs_jpegxl" in missing.message and "pip install imagecodecs" in missing.message
    assert result.report.undecodable == {"data/camera0_rgb: codec not installed": 1}


def test_episode_ends_not_increasing_drop_their_episode(tmp_path: Path) -> None:
    path = tmp_path / "umi.zarr"
    data = write_umi(path, ends=[12, 10, 27, 27, 40])
    result = read(path)
    assert [e.meta.recording.index for e in result.episodes] == [0, 2, 4]
    assert [e.meta.extra["rows"] for e in result.episodes] == [[0, 12], [12, 27], [27, 40]]
    assert np.array_equal(result.episodes[1].numeric("robot0_eef_pos").values, data["robot0_eef_pos"][12:27])
    bad = [f for f in result.report.findings if f.code == "ingest.malformed"]
    assert [f.value for f in bad] == [10, 27] and "episode_ends[1] = 10" in bad[0].message
    assert all(b in result.episodes[0].meta.findings for b in bad)


def test_episode_ends_past_the_data_are_clipped(tmp_path: Path) -> None:
    path = tmp_path / "umi.zarr"
    write_umi(path, ends=[12, 27, 55, 60])
    result = read(path)
    assert [e.meta.extra["rows"] for e in result.episodes] == [[0, 12], [12, 27], [27, 40]]
    messages = [f.message for f in result.report.findings if f.code == "ingest.malformed"]
    assert len(messages) == 3 and "episode_ends[2] = 55 is past the 40 rows" in messages[0]
    assert "episode_ends[3] = 40 does not increase" in messages[2]


def test_a_short_array_loses_its_stream_in_later_episodes(tmp_path: Path) -> None:
    path = tmp_path / "umi.zarr"
    short = np.linspace(0.0, 0.08, 20, dtype=np.float32).reshape(20, 1)
    write_umi(path, extra={"robot0_gripper_width": short})
    first, second, third = read(path).episodes
    assert np.array_equal(first.numeric("robot0_gripper_width").values, short[:12])
    assert np.array_equal(second.numeric("robot0_gripper_width").values, short[12:20])
    assert second.meta.stream("robot0_gripper_width").count == 8
    assert second.meta.stream("robot0_eef_pos").count == 15
    (cut,) = [f for f in second.meta.findings if f.code == "ingest.truncated"]
    assert cut.stream == "robot0_gripper_width" and cut.start_s == pytest.approx(8 * GOPRO_NS / 1e9)
    assert "robot0_gripper_width" not in {s.name for s in third.meta.streams}
    (missing,) = [f for f in third.meta.findings if f.code == "completeness.missing_stream"]
    assert "ends at row 20" in missing.message


def test_no_episode_ends_is_unreadable_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "umi.zarr"
    write_umi(path)
    shutil.rmtree(path / "meta" / "episode_ends")
    assert not UmiReader().sniff(path)
    with pytest.raises(UnreadableRecording, match="meta/episode_ends") as caught:
        read(path)
    assert str(path) in str(caught.value) and "ReplayBuffer" in str(caught.value)


def test_a_zip_that_is_cut_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "umi.zarr.zip"
    write_umi(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UnreadableRecording) as caught:
        read(path)
    assert str(path) in str(caught.value)


# --- sniff ---


def test_sniff_claims_replay_buffers_only(tmp_path: Path) -> None:
    reader = UmiReader()
    write_umi(tmp_path / "v2.zarr")
    write_umi(tmp_path / "v3.zarr", zarr_format=3)
    write_umi(tmp_path / "buffer.zarr.zip")
    assert all(reader.sniff(tmp_path / n) for n in ("v2.zarr", "v3.zarr", "buffer.zarr.zip"))
    with h5py.File(tmp_path / "episode_0.hdf5", "w") as h:
        h.create_dataset("observations/qpos", data=np.zeros((5, 14)))
        h.create_dataset("action", data=np.zeros((5, 14)))
    with h5py.File(tmp_path / "robomimic.hdf5", "w") as h:
        h.create_dataset("data/demo_0/actions", data=np.zeros((5, 7)))
    zarr.open_group(tmp_path / "other.zarr", mode="w").create_array("data/x", data=np.zeros(3))
    shutil.make_archive(str(tmp_path / "plain_zip"), "zip", tmp_path / "other.zarr")
    (tmp_path / "plain").mkdir()
    (tmp_path / "x.mcap").write_bytes(b"\x89MCAP0\r\n" + bytes(100))
    others = ("episode_0.hdf5", "robomimic.hdf5", "other.zarr", "plain_zip.zip", "plain", "x.mcap", "missing.zarr")
    for other in others:
        assert not reader.sniff(tmp_path / other), other
    assert AlohaReader().sniff(tmp_path / "episode_0.hdf5")
    assert not any(AlohaReader().sniff(tmp_path / n) for n in ("v2.zarr", "v3.zarr", "buffer.zarr.zip"))


# --- fuzz: mutated chunk and metadata files give episodes or UnreadableRecording ---

mutations = fuzz_mutations(10**5, 64)


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("umi") / "small.zarr"
    write_umi(path)
    return path


@seed(20261123)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations, pick=st.integers(0, 10**6))
def test_mutated_store_gives_episodes_or_a_clean_refusal(
    small_store: Path, tmp_path: Path, change: tuple[list[tuple[int, int]], list[tuple[int, int]]], pick: int
) -> None:
    folder = tmp_path / "m.zarr"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(small_store, folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.stat().st_size)
    target = files[pick % len(files)]
    target.write_bytes(mutate(target.read_bytes(), *change))
    try:
        result = read(folder)
    except UnreadableRecording as exc:
        assert str(folder) in str(exc)
        return
    assert result.episodes
