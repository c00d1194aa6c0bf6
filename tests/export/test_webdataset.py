"""The WebDataset exporter on generated teleop episodes: shards read back with tarfile (and with the ``webdataset``
library when installed), sample keys and members, values at the frame times, JPEG packets copied byte for byte,
other cameras encoded, size-limited shards, PNG on request, refusals and audio reporting."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from robofuel.errors import InputError
from robofuel.export import webdataset
from robofuel.export.base import ExportOptions, ExportReport
from robofuel.export.lerobot_features import plan_features
from robofuel.export.timeline import choose_timeline, reference_times
from robofuel.export.webdataset import WebDatasetExporter
from robofuel.resample import nearest_index, resample
from robofuel.standard import AudioData, EpisodeData, NumericData, VideoData, audio_stream

FRONT, WRIST = "camera.front.video", "camera.wrist.image.compressed"
FRONT_JPG, WRIST_JPG = "camera_front_video.jpg", "camera_wrist_image_compressed.jpg"


@pytest.fixture(scope="module")
def exported(teleop_lake, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportReport]:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("wds") / "teleop"
    return out, WebDatasetExporter().export(teleop_lake.episodes(), out, ExportOptions())


def _samples(out: Path) -> list[dict[str, Any]]:
    """Every sample, shard by shard in name order: members with one key grouped (they must be consecutive)."""
    samples: list[dict[str, Any]] = []
    for shard in sorted(out.glob("shard-*.tar")):
        with tarfile.open(shard) as tar:
            for member in tar:
                key, field = member.name.split(".", 1)
                if not samples or samples[-1]["__key__"] != key:
                    assert all(s["__key__"] != key for s in samples), f"{key}: members not consecutive"
                    samples.append({"__key__": key, "__shard__": shard.name})
                data = tar.extractfile(member)
                assert data is not None
                samples[-1][field] = data.read()
    return samples


def _decode(data: bytes, codec: str = "mjpeg") -> np.ndarray:
    ctx: Any = av.CodecContext.create(codec, "r")
    packet = av.Packet(data)
    packet.is_keyframe = True
    frames = list(ctx.decode(packet)) + list(ctx.decode(None))
    return np.asarray(frames[0].to_ndarray(format="rgb24"))


def _frame_times(ep: EpisodeData) -> np.ndarray:
    """The export frames of a teleop episode: the wrist JPEG camera is slower than the front one, so not the clock:
    a uniform grid at the front camera's 30 fps."""
    features, _ = plan_features(ep.meta)
    assert webdataset._fastest_image_cameras(ep, features) == set()
    timeline = choose_timeline(ep, [n for f in features for n in f.streams], None, set())
    assert timeline.fps == 30.0
    return timeline.t_ns


def test_layout_and_dataset_json(exported: tuple[Path, ExportReport]) -> None:
    out, report = exported
    assert sorted(p.name for p in out.iterdir()) == ["dataset.json", "shard-000000.tar"]
    info = json.loads((out / "dataset.json").read_text())
    assert info["fps"] == 30 and info["total_episodes"] == report.episodes == 3
    assert info["total_frames"] == report.frames == sum(e["length"] for e in info["episodes"])
    assert info["shards"] == [
        {
            "name": "shard-000000.tar",
            "samples": report.frames,
            "bytes": report.bytes - len((out / "dataset.json").read_bytes()),
        }
    ]
    features = info["features"]
    assert features["observation.state"]["shape"] == [9] and features["observation.state"]["in"] == "json"
    assert features[f"observation.images.{FRONT}"] == {
        "dtype": "image",
        "format": "jpeg",
        "shape": [240, 320, 3],
        "in": FRONT_JPG,
    }
    assert features[f"observation.images.{WRIST}"]["in"] == WRIST_JPG
    assert report.video == {FRONT: {"re-encoded (h264 frames encoded as jpeg)": 3}, WRIST: {"copied": 3}}
    assert not list(out.parent.glob(".*.partial"))


def test_samples_keys_and_json(teleop_lake, exported: tuple[Path, ExportReport]) -> None:  # type: ignore[no-untyped-def]
    out, report = exported
    samples = _samples(out)
    info = json.loads((out / "dataset.json").read_text())
    assert len(samples) == report.frames
    expected_keys = [f"{e['episode_id']}_{k:06d}" for e in info["episodes"] for k in range(e["length"])]
    assert [s["__key__"] for s in samples] == expected_keys
    assert all(set(s) == {"__key__", "__shard__", "json", FRONT_JPG, WRIST_JPG} for s in samples)
    rows = [json.loads(s["json"]) for s in samples]
    assert [r["index"] for r in rows] == list(range(len(rows)))
    for e, ep in zip(info["episodes"], teleop_lake.episodes(), strict=True):
        mine = [r for r in rows if r["episode_index"] == e["episode_index"]]
        assert [r["frame_index"] for r in mine] == list(range(e["length"]))
        assert [r["timestamp"] for r in mine] == pytest.approx([k / 30 for k in range(e["length"])])
        assert {r["task"] for r in mine} == {ep.meta.task.instruction} and {r["episode_id"] for r in mine} == {
            ep.meta.id
        }


def test_numeric_values_are_the_lake_resampled_at_the_frame_times(  # type: ignore[no-untyped-def]
    teleop_lake, exported: tuple[Path, ExportReport]
) -> None:
    out, _ = exported
    rows = [json.loads(s["json"]) for s in _samples(out)]
    for index, ep in enumerate(teleop_lake.episodes()):
        t_ns = _frame_times(ep)
        mine = [r for r in rows if r["episode_index"] == index]
        assert len(mine) == len(t_ns)
        for name in ("joint_states", "ft_sensor.wrench", "franka_gripper.joint_states"):
            stream, data = ep.meta.stream(name), ep.numeric(name)
            expected = resample(NumericData(reference_times(stream, data), data.values), stream, t_ns)
            assert np.array_equal(np.array([r[f"observation.{name}"] for r in mine]), expected)
        state = np.array([r["observation.state"] for r in mine])
        joints = resample(ep.numeric("joint_states"), ep.meta.stream("joint_states"), t_ns)
        assert np.array_equal(state[:, :7], joints[:, :7])
        action = np.array([r["action"] for r in mine])
        assert np.array_equal(action[:-1], state[1:]) and np.array_equal(action[-1], state[-1])


def test_images_decode_and_jpeg_packets_pass_through(  # type: ignore[no-untyped-def]
    teleop_lake, exported: tuple[Path, ExportReport]
) -> None:
    out, _ = exported
    samples = _samples(out)
    start = 0
    for ep in teleop_lake.episodes():
        t_ns = _frame_times(ep)
        mine = samples[start : start + len(t_ns)]
        start += len(t_ns)
        video = ep.payloads[WRIST]
        assert isinstance(video, VideoData) and video.packets is not None
        picks = nearest_index(reference_times(ep.meta.stream(WRIST), video), t_ns)
        assert [s[WRIST_JPG] for s in mine] == [video.packets[i] for i in picks]  # byte for byte
        for s in (mine[0], mine[len(mine) // 2], mine[-1]):
            assert _decode(s[FRONT_JPG]).shape == (240, 320, 3)
            assert _decode(s[WRIST_JPG]).shape == (120, 160, 3)


def test_read_with_the_webdataset_library(exported: tuple[Path, ExportReport]) -> None:
    wds = pytest.importorskip("webdataset", reason="the webdataset package is not installed (tarfile reader used)")
    out, report = exported
    urls = [str(p) for p in sorted(out.glob("shard-*.tar"))]
    samples = list(wds.WebDataset(urls, shardshuffle=False, empty_check=False))
    assert len(samples) == report.frames
    assert [s["__key__"] for s in samples] == [s["__key__"] for s in _samples(out)]
    first = samples[0]
    assert {"json", FRONT_JPG, WRIST_JPG} <= set(first)
    assert json.loads(first["json"])["frame_index"] == 0


def test_shards_split_between_samples(  # type: ignore[no-untyped-def]
    teleop_lake, exported: tuple[Path, ExportReport], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webdataset, "SHARD_MAX_BYTES", 1_000_000)
    out = tmp_path / "small"
    report = WebDatasetExporter().export(teleop_lake.episodes(), out, ExportOptions())
    shards = sorted(p.name for p in out.glob("shard-*.tar"))
    assert len(shards) > 3 and shards == [f"shard-{i:06d}.tar" for i in range(len(shards))]
    assert all((out / s).stat().st_size <= 1_000_000 + 20_480 for s in shards)  # whole samples, tar padding
    samples = _samples(out)
    assert [s["__key__"] for s in samples] == [s["__key__"] for s in _samples(exported[0])]
    info = json.loads((out / "dataset.json").read_text())
    assert [s["name"] for s in info["shards"]] == shards and sum(s["samples"] for s in info["shards"]) == report.frames
    for e in info["episodes"]:
        assert e["shards"] == sorted({s["__shard__"] for s in samples if s["__key__"].startswith(e["episode_id"])})


def test_png_when_asked(teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ep = teleop_lake.episodes()[0]
    report = WebDatasetExporter().export([ep], tmp_path / "png", ExportOptions(fps=3, video_codec="png"))
    assert report.video == {FRONT: {"re-encoded (asked)": 1}, WRIST: {"re-encoded (asked)": 1}}
    samples = _samples(tmp_path / "png")
    assert len(samples) == report.frames and set(samples[0]) >= {
        "camera_front_video.png",
        "camera_wrist_image_compressed.png",
    }
    assert _decode(samples[0]["camera_front_video.png"], "png").shape == (240, 320, 3)


def test_audio_is_reported_not_dropped_silently(teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ep = teleop_lake.episodes()[0]
    audio = AudioData(ep.meta.start_ns, 16000, 1, 16000, samples=np.zeros((16000, 1), dtype=np.int16))
    meta = ep.meta.model_copy(update={"streams": [*ep.meta.streams, audio_stream("mic", audio)]})
    report = WebDatasetExporter().export(
        [EpisodeData(meta, {**ep.payloads, "mic": audio})], tmp_path / "a", ExportOptions(fps=5)
    )
    assert report.omitted == {"mic: audio (WebDataset export has no audio feature)": 1}


def test_refusals(teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        WebDatasetExporter().export(teleop_lake.episodes(), tmp_path / "full", ExportOptions())
    with pytest.raises(InputError, match="nothing to export"):
        WebDatasetExporter().export([], tmp_path / "empty", ExportOptions())
    assert sorted(os.listdir(tmp_path)) == ["full"]  # nothing half-written left behind


def test_tar_members_are_plain_files(exported: tuple[Path, ExportReport]) -> None:
    out, _ = exported
    with tarfile.open(out / "shard-000000.tar") as tar:
        members = tar.getmembers()[:3]
    assert all(m.isreg() and m.mode == 0o444 and "/" not in m.name for m in members)
    assert [m.name.split(".", 1)[1] for m in members] == ["json", FRONT_JPG, WRIST_JPG]
