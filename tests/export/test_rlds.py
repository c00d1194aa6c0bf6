"""The RLDS exporter on generated teleop episodes, read back without TensorFlow: TFRecord framing (CRCs checked),
tf.train.Example protos, the TFDS features/dataset_info JSON, step flags, values at the step times, images; shards,
refusals, audio reporting, and the CRC check catching corruption. The export is also loaded by tensorflow-datasets
itself (``tfds.builder_from_directory``, in a venv of its own built by tools/tfds-venv)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from robofuel.errors import InputError
from robofuel.export import rlds, tfrecord
from robofuel.export.base import ExportOptions, ExportReport
from robofuel.export.lerobot_features import plan_features
from robofuel.export.rlds import RldsExporter
from robofuel.export.tfrecord import TFRecordError, crc32c_portable, parse_example, read_records
from robofuel.export.timeline import choose_timeline, reference_times
from robofuel.resample import nearest_index, resample
from robofuel.standard import AudioData, EpisodeData, NumericData, VideoData, audio_stream
from venvs import venv_python

FRONT, WRIST = "camera.front.video", "camera.wrist.image.compressed"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def exported(teleop_lake, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportReport]:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("rlds") / "teleop"
    return out, RldsExporter().export(teleop_lake.episodes(), out, ExportOptions())


def _episodes(version_dir: Path) -> list[dict[str, Any]]:
    """Every episode of the train split, shard by shard in name order, CRCs checked."""
    shards = sorted(version_dir.glob("*-train.tfrecord-*"))
    return [parse_example(record) for shard in shards for record in read_records(shard)]


def _decode(jpeg: bytes) -> np.ndarray:
    ctx: Any = av.CodecContext.create("mjpeg", "r")
    frames = list(ctx.decode(av.Packet(jpeg))) + list(ctx.decode(None))
    return np.asarray(frames[0].to_ndarray(format="rgb24"))


def _flat_features(node: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """features.json as {flattened key: leaf feature}, the steps Dataset's fields under ``steps/``."""
    out: dict[str, dict[str, Any]] = {}
    for key, child in node["featuresDict"]["features"].items():
        if "featuresDict" in child:
            out |= _flat_features(child, f"{prefix}{key}/")
        elif "sequence" in child:
            assert child["sequence"]["length"] == "-1"
            out |= _flat_features(child["sequence"]["feature"], f"{prefix}{key}/")
        else:
            out[prefix + key] = child
    return out


def test_layout_and_dataset_info(exported: tuple[Path, ExportReport]) -> None:
    out, report = exported
    version_dir = out / "teleop" / "1.0.0"
    files = sorted(p.name for p in version_dir.iterdir())
    assert files == ["dataset_info.json", "features.json", "teleop-train.tfrecord-00000-of-00001"]
    info = json.loads((version_dir / "dataset_info.json").read_text())
    assert info["name"] == "teleop" and info["version"] == "1.0.0" and info["fileFormat"] == "tfrecord"
    (split,) = info["splits"]
    assert split["name"] == "train" and split["shardLengths"] == ["3"]
    assert split["filepathTemplate"] == "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}"
    assert int(split["numBytes"]) == (version_dir / files[2]).stat().st_size
    assert report.episodes == 3 and report.bytes == sum(p.stat().st_size for p in version_dir.iterdir())
    assert not list(out.parent.glob(".*.partial"))


def test_steps_flags_instructions_and_metadata(teleop_lake, exported: tuple[Path, ExportReport]) -> None:  # type: ignore[no-untyped-def]
    out, report = exported
    episodes = _episodes(out / "teleop" / "1.0.0")
    lake_episodes = teleop_lake.episodes()
    assert [e["episode_metadata/episode_id"] for e in episodes] == [[i.encode()] for i in teleop_lake.ids]
    lengths = []
    for ex, ep in zip(episodes, lake_episodes, strict=True):
        n = len(ex["steps/is_first"])
        lengths.append(n)
        assert n > 200
        assert ex["steps/is_first"].tolist() == [1] + [0] * (n - 1)
        assert ex["steps/is_last"].tolist() == [0] * (n - 1) + [1] == ex["steps/is_terminal"].tolist()
        assert ex["steps/reward"].tolist() == [0.0] * (n - 1) + [1.0]
        assert np.all(ex["steps/discount"] == 1.0)
        assert ex["steps/language_instruction"] == [ep.meta.task.instruction.encode()] * n
        assert ep.meta.task.instruction
        assert ex["episode_metadata/file_path"] == [ep.meta.recording.path.encode()]
    assert sum(lengths) == report.frames and report.seconds == pytest.approx(sum(lengths) / 30)
    assert any("next frame's observation.state" in note for note in report.notes)


def test_numeric_values_are_the_lake_resampled_at_the_step_times(  # type: ignore[no-untyped-def]
    teleop_lake, exported: tuple[Path, ExportReport]
) -> None:
    out, _ = exported
    episodes = _episodes(out / "teleop" / "1.0.0")
    for ex, ep in zip(episodes, teleop_lake.episodes(), strict=True):
        features, _ = plan_features(ep.meta)
        names = [n for f in features for n in f.streams]
        timeline = choose_timeline(ep, names, None, set())  # the uniform grid the exporter uses
        assert timeline.camera is None and timeline.fps == 30.0
        n = len(timeline.t_ns)
        state = next(f for f in features if f.key == "observation.state")
        expected = []
        for part in state.parts:
            stream, data = ep.meta.stream(part.stream), ep.payloads[part.stream]
            assert isinstance(data, NumericData)
            shifted = NumericData(reference_times(stream, data), data.values)
            expected.append(resample(shifted, stream, timeline.t_ns)[:, list(part.columns)])
        got = ex["steps/observation/state"].reshape(n, -1)
        assert np.array_equal(got, np.hstack(expected).astype(np.float32))
        wrench = ep.numeric("ft_sensor.wrench")
        at = resample(wrench, ep.meta.stream("ft_sensor.wrench"), timeline.t_ns).astype(np.float32)
        assert np.array_equal(ex["steps/observation/ft_sensor_wrench"].reshape(n, -1), at)
        action = ex["steps/action"].reshape(n, -1)
        assert np.array_equal(action[:-1], got[1:]) and np.array_equal(action[-1], got[-1])


def test_images_decode_and_jpeg_packets_pass_through(  # type: ignore[no-untyped-def]
    teleop_lake, exported: tuple[Path, ExportReport]
) -> None:
    out, report = exported
    episodes = _episodes(out / "teleop" / "1.0.0")
    assert report.video == {FRONT: {"re-encoded (h264 frames encoded as jpeg)": 3}, WRIST: {"copied": 3}}
    for ex, ep in zip(episodes, teleop_lake.episodes(), strict=True):
        front, wrist = (
            ex["steps/observation/image_camera_front_video"],
            ex["steps/observation/image_camera_wrist_image_compressed"],
        )
        assert len(front) == len(wrist) == len(ex["steps/is_first"])
        for k in (0, len(front) // 2, len(front) - 1):
            assert _decode(front[k]).shape == (240, 320, 3)
            assert _decode(wrist[k]).shape == (120, 160, 3)
        features, _ = plan_features(ep.meta)
        timeline = choose_timeline(ep, [n for f in features for n in f.streams], None, set())
        video = ep.payloads[WRIST]
        assert isinstance(video, VideoData) and video.packets is not None
        picks = nearest_index(reference_times(ep.meta.stream(WRIST), video), timeline.t_ns)
        assert wrist == [video.packets[i] for i in picks]  # byte for byte, no transcode


def test_features_json_declares_every_example_key(exported: tuple[Path, ExportReport]) -> None:
    out, _ = exported
    version_dir = out / "teleop" / "1.0.0"
    features = json.loads((version_dir / "features.json").read_text())
    assert features["featuresDict"]["features"]["steps"]["pythonClassName"].endswith("dataset_feature.Dataset")
    flat = _flat_features(features)
    for ex in _episodes(version_dir):
        assert set(ex) == set(flat)
        n = len(ex["steps/is_first"])
        for key, values in ex.items():
            spec = flat[key]
            count = n if key.startswith("steps/") else 1
            if "tensor" in spec:
                dims = [int(d) for d in spec["tensor"]["shape"].get("dimensions", [])]
                assert len(values) == count * int(np.prod(dims)), key
                assert isinstance(values, np.ndarray)
                assert values.dtype == (np.float32 if spec["tensor"]["dtype"] == "float32" else np.int64)
            else:
                assert isinstance(values, list) and len(values) == count, key
    state = flat["steps/observation/state"]
    assert state["tensor"] == {"shape": {"dimensions": ["9"]}, "dtype": "float32", "encoding": "none"}
    assert "panda_joint1.position" in state["description"]
    image = flat["steps/observation/image_camera_front_video"]["image"]
    assert image == {"shape": {"dimensions": ["240", "320", "3"]}, "dtype": "uint8", "encodingFormat": "jpeg"}
    assert flat["steps/is_first"]["pythonClassName"].endswith("scalar.Scalar")
    assert flat["steps/language_instruction"]["pythonClassName"].endswith("text_feature.Text")


def test_shards_are_split_and_ordered(  # type: ignore[no-untyped-def]
    teleop_lake, exported: tuple[Path, ExportReport], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rlds, "SHARD_MAX_BYTES", 1)  # one episode per shard
    out = tmp_path / "Small Shards"
    RldsExporter().export(teleop_lake.episodes(), out, ExportOptions(fps=10))
    version_dir = out / "small_shards" / "1.0.0"
    shards = sorted(p.name for p in version_dir.glob("*.tfrecord-*"))
    assert shards == [f"small_shards-train.tfrecord-{i:05d}-of-00003" for i in range(3)]
    info = json.loads((version_dir / "dataset_info.json").read_text())
    assert info["splits"][0]["shardLengths"] == ["1", "1", "1"]
    episodes = _episodes(version_dir)
    assert [e["episode_metadata/episode_id"][0].decode() for e in episodes] == teleop_lake.ids
    assert "10 Hz" in info["description"]
    at_30 = _episodes(exported[0] / "teleop" / "1.0.0")
    for slow, fast in zip(episodes, at_30, strict=True):  # the asked 10 Hz: a third of the 30 Hz steps
        assert abs(len(slow["steps/is_first"]) - len(fast["steps/is_first"]) / 3) <= 1


def test_tfrecord_reader_catches_corruption(exported: tuple[Path, ExportReport], tmp_path: Path) -> None:
    out, _ = exported
    shard = next((out / "teleop" / "1.0.0").glob("*.tfrecord-*"))
    data = bytearray(shard.read_bytes())
    for position, what in ((len(data) // 2, "data CRC"), (3, "length CRC")):
        broken = tmp_path / f"flip{position}.tfrecord"
        flipped = bytearray(data)
        flipped[position] ^= 0x01
        broken.write_bytes(bytes(flipped))
        with pytest.raises(TFRecordError, match=what):
            list(read_records(broken))
    truncated = tmp_path / "truncated.tfrecord"
    truncated.write_bytes(bytes(data[:-1]))
    with pytest.raises(TFRecordError, match="truncated"):
        list(read_records(truncated))


def test_crc32c() -> None:
    assert tfrecord.crc32c(b"123456789") == crc32c_portable(b"123456789") == 0xE3069283
    rng = np.random.default_rng(0)
    for size in (0, 1, 5, 4095, 4096, 4097, 100_003):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        assert crc32c_portable(data) == tfrecord.crc32c(data) == tfrecord._crc_python(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


def test_audio_is_reported_not_dropped_silently(teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ep = teleop_lake.episodes()[0]
    audio = AudioData(ep.meta.start_ns, 16000, 1, 16000, samples=np.zeros((16000, 1), dtype=np.int16))
    meta = ep.meta.model_copy(update={"streams": [*ep.meta.streams, audio_stream("mic", audio)]})
    with_audio = EpisodeData(meta, {**ep.payloads, "mic": audio})
    report = RldsExporter().export([with_audio], tmp_path / "a", ExportOptions(fps=5))
    assert report.omitted == {"mic: audio (RLDS export has no audio feature)": 1}


def test_refusals(teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        RldsExporter().export(teleop_lake.episodes(), tmp_path / "full", ExportOptions())
    with pytest.raises(InputError, match="nothing to export"):
        RldsExporter().export([], tmp_path / "empty", ExportOptions())
    with pytest.raises(InputError, match="JPEG or PNG"):
        RldsExporter().export(teleop_lake.episodes(), tmp_path / "codec", ExportOptions(video_codec="libx264"))
    assert sorted(os.listdir(tmp_path)) == ["full"]  # nothing half-written left behind


@pytest.fixture(scope="module")
def tfds_python() -> Path:
    """TensorFlow and tensorflow-datasets in a venv of their own (tools/tfds-venv, about a minute on first use)."""
    return venv_python(REPO / "tools" / "tfds-venv", "tfds-venv", "the tensorflow-datasets venv")


@pytest.mark.slow
def test_tensorflow_datasets_loads_the_export(
    tfds_python: Path, exported: tuple[Path, ExportReport], tmp_path: Path
) -> None:
    """``tfds.builder_from_directory`` loads every episode; what TensorFlow serves equals the records as written
    (numbers exactly, flags, instructions; images as TensorFlow's JPEG decoder decodes them, within rounding)."""
    out, report = exported
    version_dir = out / "teleop" / "1.0.0"
    dump = tmp_path / "served.npz"
    script = Path(__file__).with_name("rlds_load.py")
    done = subprocess.run([str(tfds_python), str(script), str(version_dir), str(dump)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    served = np.load(dump, allow_pickle=True)
    written = _episodes(version_dir)
    assert {k.split("/")[0] for k in served.files} == {str(i) for i in range(report.episodes)}
    for i, ex in enumerate(written):
        n = len(ex["steps/is_first"])
        assert served[f"{i}/episode_id"].item() == ex["episode_metadata/episode_id"][0]
        for key in ("is_first", "is_last", "is_terminal", "reward", "discount"):
            assert np.array_equal(served[f"{i}/{key}"], ex[f"steps/{key}"].astype(served[f"{i}/{key}"].dtype))
        assert served[f"{i}/language_instruction"].tolist() == ex["steps/language_instruction"]
        for key in ("observation/state", "action", "observation/ft_sensor_wrench"):
            assert np.array_equal(served[f"{i}/{key}"], ex[f"steps/{key}"].reshape(n, -1))
        for camera in ("image_camera_front_video", "image_camera_wrist_image_compressed"):
            images = served[f"{i}/observation/{camera}"]
            assert images.shape[0] == n and images.dtype == np.uint8
            for row in (0, n - 1):
                mine = _decode(ex[f"steps/observation/{camera}"][row]).astype(np.int16)
                assert np.abs(images[row].astype(np.int16) - mine).mean() < 1.0
