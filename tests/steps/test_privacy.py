"""The privacy step on video: a real face photo (scikit-image's astronaut, public domain, inside its wheel) moving
over generated frames; detection before, none after, pixels outside the boxes unchanged, the plug-in point, the
redaction log and the key kept in the lake."""

from __future__ import annotations

import stat
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from factories import T0, store
from robofuel.catalog import Catalog
from robofuel.engine.local import LocalEngine
from robofuel.errors import InputError
from robofuel.ingest.video.png import png_packets
from robofuel.lake import Lake, load_episode
from robofuel.lake.records import read_record, secret_path
from robofuel.standard import EpisodeData, VideoData, video_stream
from robofuel.steps import get_step
from robofuel.steps.privacy.detect import Box, HaarDetector
from robofuel.steps.privacy.frames import output_codec
from robofuel.video import rgb_frames

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image ships the face photo (robofuel[dev])")
cv2 = pytest.importorskip("cv2", reason="the bundled detector needs robofuel[privacy]")

Rgb = npt.NDArray[np.uint8]
W, H, N = 200, 150, 6
HEAD = (slice(30, 200), slice(150, 300))  # the astronaut's head and shoulders in the 512 x 512 photo


def scene(n: int = N) -> list[Rgb]:
    """``n`` frames: a textured background and the astronaut's head moving 3 px right per frame."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:H, 0:W]
    base = np.stack([(xx * 0.5) % 256, (yy * 0.7) % 256, np.full_like(xx, 90)], axis=-1).astype(np.float64)
    base += rng.normal(0, 6, base.shape)
    head = cv2.resize(skimage_data.astronaut()[HEAD], (90, 102), interpolation=cv2.INTER_AREA)
    out = []
    for k in range(n):
        frame = np.clip(base, 0, 255).astype(np.uint8)
        x0 = 40 + 3 * k
        frame[20 : 20 + head.shape[0], x0 : x0 + head.shape[1]] = head
        out.append(frame)
    return out


def episode(frames: list[Rgb], codec: str = "png", operator: str | None = "Alice Martin") -> EpisodeData:
    """An episode holding one camera of ``frames`` as PNG or H.264 packets."""
    from robofuel.ingest.base import ReadContext, make_episode

    ts = T0 + np.arange(len(frames), dtype=np.int64) * 33_333_333
    packets = png_packets(np.stack(frames)) if codec == "png" else h264_packets(frames)
    video = VideoData(ts, codec, W, H, packets=packets)
    ctx = ReadContext(path=Path("/data/face.mcap"), sha256="f" * 64)
    stream = video_stream("cam", video, rate_hz=30.0)
    return make_episode(ctx, "mcap", 0, [(stream, video)], operator=operator, task={"id": "pick"})


def h264_packets(frames: list[Rgb]) -> list[bytes]:
    from robofuel.steps.privacy.frames import _encode, _encoder

    return _encode(_encoder("h264", W, H, {"crf": 18, "keyint": 30}), iter(frames))


def decoded(data: EpisodeData, name: str = "cam") -> list[Rgb]:
    video = data.payloads[name]
    assert isinstance(video, VideoData)
    return list(rgb_frames(video))


def test_the_bundled_detector_finds_the_real_face_and_not_the_background() -> None:
    detector = HaarDetector()
    frames = scene()
    hits = [detector.detect(f) for f in frames]
    assert sum(1 for h in hits if h) >= N - 1  # a real face, found in (nearly) every frame
    for k, boxes in enumerate(hits):
        for box in boxes:  # every hit lies on the pasted head, nowhere on the background
            assert 40 + 3 * k - 10 <= box.x and box.x + box.w <= 40 + 3 * k + 100
    blank = scene(1)[0]
    blank[20:122, 40:130] = 90
    assert detector.detect(blank) == []


def _run(data: EpisodeData, **config: Any) -> tuple[EpisodeData, Any]:
    step = get_step("privacy", config)
    step.bind_secrets({"privacy": b"k" * 32})
    out = step.run(data)
    return EpisodeData(out.meta, {**data.payloads, **(out.payloads or {})}), out


def test_faces_are_blurred_until_the_detector_finds_none_and_nothing_else_changes() -> None:
    frames = scene()
    data, out = _run(episode(frames))
    after = decoded(data)
    assert len(after) == N and out.meta.stream("cam").codec == "png"  # lossless in, lossless out
    detector = get_step("privacy").detector  # the default one (YuNet), which found the face
    assert all(detector.detect(f) == [] for f in after)  # the blur defeats the detector that found the face
    assert all(HaarDetector().detect(f) == [] for f in after)  # and the Haar cascades
    boxes = out.record["video"]["cam"]["boxes"]
    for k, (before, blurred) in enumerate(zip(frames, after, strict=True)):
        inside = np.zeros((H, W), bool)
        for x, y, w, h, *_ in boxes.get(k, []):
            inside[y : y + h, x : x + w] = True
        assert inside.any(), f"frame {k} has no box"
        assert np.array_equal(before[~inside], blurred[~inside])  # PNG: outside the boxes, every pixel as it was
        assert np.abs(before[inside].astype(int) - blurred[inside]).mean() > 5  # inside, changed


def test_h264_streams_are_reencoded_with_only_codec_noise_outside_the_boxes() -> None:
    frames = scene()
    source = episode(frames, codec="h264")
    original = decoded(source)
    data, out = _run(source, blur="pixelate")
    stream = out.meta.stream("cam")
    assert (stream.codec, stream.storage.value, stream.path, stream.count) == (
        "h264",
        "video-packets",
        "streams/cam.h264",
        N,
    )
    after = decoded(data)
    boxes = out.record["video"]["cam"]["boxes"]
    for k in range(N):
        inside = np.zeros((H, W), bool)
        for x, y, w, h, *_ in boxes[k]:
            inside[y : y + h, x : x + w] = True
        assert np.abs(original[k][~inside].astype(int) - after[k][~inside]).mean() < 2.5
    assert all(HaarDetector().detect(f) == [] for f in after)


class Blinking:
    """A plug-in detector: the face box on frames 0 and 4 only (missed on 1-3), counting its calls."""

    name, version = "blinking", "0.1"

    def __init__(self, box: tuple[int, int, int, int] = (40, 20, 90, 102)) -> None:
        self.box, self.calls = box, 0

    def detect(self, rgb: Rgb) -> list[tuple[int, int, int, int, float]]:
        self.calls += 1
        return [(*self.box, 0.9)] if self.calls - 1 in (0, 4) else []


@pytest.fixture
def plugin_module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("privacy_test_plugins")
    module.blinking = Blinking  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "privacy_test_plugins", module)
    return module


def test_a_plugin_detector_is_used_and_missed_frames_between_hits_are_blurred(plugin_module: Any) -> None:
    frames = scene()
    data, out = _run(episode(frames), detector="privacy_test_plugins:blinking", hold_frames=0, pad=0.0, detect_every=1)
    assert out.record["detector"] == {"name": "blinking", "version": "0.1"}
    boxes = out.record["video"]["cam"]["boxes"]
    assert [boxes[k][0][-1] for k in range(5)] == ["detected", "tracked", "tracked", "tracked", "detected"]
    assert sorted(boxes) == [0, 1, 2, 3, 4]  # after the last hit nothing is held (hold_frames = 0)
    after = decoded(data)
    assert all(not np.array_equal(frames[k][20:122, 40:130], after[k][20:122, 40:130]) for k in range(5))
    assert all(np.array_equal(frames[k], after[k]) for k in range(5, N))


class Counting:
    """A plug-in detector: the face box on every frame it is asked about."""

    name, version = "counting", "0.1"

    def detect(self, rgb: Rgb) -> list[tuple[int, int, int, int, float]]:
        return [(40, 20, 90, 102, 0.9)]


def test_detecting_every_third_frame_still_blurs_every_frame(plugin_module: Any) -> None:
    plugin_module.counting = Counting
    frames = scene(8)
    data, out = _run(episode(frames), detector="privacy_test_plugins:counting", hold_frames=0, pad=0.0, detect_every=3)
    boxes = out.record["video"]["cam"]["boxes"]
    detected = sorted(k for k, frame in boxes.items() if any(b[-1] == "detected" for b in frame))
    assert detected == [0, 3, 6, 7]  # every third frame and the last one
    assert sorted(boxes) == list(range(8))  # the frames between are held (hold at least detect_every - 1)
    after = decoded(data)
    assert all(not np.array_equal(frames[k][20:122, 40:130], after[k][20:122, 40:130]) for k in range(8))


def test_a_stream_without_faces_is_left_byte_for_byte(plugin_module: Any) -> None:
    plugin_module.nothing = lambda: types.SimpleNamespace(detect=lambda rgb: [])
    source = episode(scene(3))
    _, out = _run(source, detector="privacy_test_plugins:nothing")
    assert out.payloads is None or "cam" not in out.payloads
    assert out.meta.stream("cam") == source.meta.stream("cam")
    assert out.record["video"]["cam"]["boxes"] == {}


def test_bad_detectors_are_input_errors(plugin_module: Any) -> None:
    plugin_module.not_a_detector = lambda: object()
    for spec, words in [
        ("no_such_module_xyz:make", "cannot be loaded"),
        ("privacy_test_plugins:not_a_detector", r"no detect\(rgb\)"),
        ("nonsense", "'opencv'"),
        ("/nowhere/model.onnx", "does not exist"),
    ]:
        step = get_step("privacy", {"detector": spec})
        with pytest.raises(InputError, match=words):
            step.detector  # noqa: B018


def test_odd_sizes_and_lossless_sources_stay_lossless() -> None:
    assert output_codec("png", 640, 480) == "png"
    assert output_codec("rawvideo", 640, 480) == "png"
    assert output_codec("h264", 641, 480) == "png"
    assert output_codec("mjpeg", 640, 480) == "h264"
    assert Box(0, 0, 10, 10).padded(0.5, 12, 12) == Box(0, 0, 12, 12)


def test_through_the_engine_the_log_and_key_stay_in_the_lake(tmp_path: Any) -> None:
    lake = Lake(tmp_path / "lake")
    catalog = Catalog(lake.default_catalog_url)
    (meta,) = store(lake, catalog, [episode(scene(4))])
    stats = LocalEngine(lake, catalog, progress=False).run([get_step("privacy")], [meta.id])
    assert stats.step("privacy").ran == 1 and not stats.step("privacy").failed
    key = lake.local_path(secret_path("privacy"))
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    record = read_record(lake, "privacy", meta.id)
    assert record is not None and record["detector"]["name"] == "yunet"  # the default detector
    assert record["thresholds"]["score_threshold"] == 0.5 and record["video"]["cam"]["boxes"]
    stored = load_episode(lake, meta.id)
    assert stored.meta.content_hash != meta.content_hash  # the video was rewritten
    assert stored.meta.operator is not None and stored.meta.operator.startswith("psn-")
    assert "video" not in stored.meta.extra["privacy"]  # only counts: the log is not in the metadata (nor exports)
    assert catalog.episode_rows()[0]["operator"] == stored.meta.operator
    again = LocalEngine(lake, catalog, progress=False).run([get_step("privacy")], [meta.id])
    assert again.step("privacy").cached == 1  # done once; the same key on a rerun (not recreated)
    assert key.read_bytes() == lake.local_path(secret_path("privacy")).read_bytes()
    catalog.close()


def test_people_detection_runs_with_faces_off() -> None:
    detector = HaarDetector(faces=False, people=True)
    boxes = detector.detect(scene(1)[0])
    assert {b.label for b in boxes} <= {"person"} and "hog people" in detector.version
    assert HaarDetector(faces=False).detect(scene(1)[0]) == []


def test_a_video_file_stream_becomes_h264_packets(tmp_path: Path) -> None:
    from robofuel.export.video_out import Mp4Out

    frames = scene()
    out = Mp4Out(tmp_path / "cam.mp4", 30.0, codec="libx264", width=W, height=H, encode=True)
    out.add_frames(frames)
    out.close()
    ts = T0 + np.arange(N, dtype=np.int64) * 33_333_333
    video = VideoData(ts, "h264", W, H, file=tmp_path / "cam.mp4")
    source = episode(frames)
    source.meta.streams = [video_stream("cam", video, rate_hz=30.0)]
    source.payloads["cam"] = video
    assert source.meta.stream("cam").storage.value == "video-file"
    data, result = _run(source)
    stream = result.meta.stream("cam")
    assert (stream.storage.value, stream.path, stream.count) == ("video-packets", "streams/cam.h264", N)
    assert len(decoded(data)) == N and all(HaarDetector().detect(f) == [] for f in decoded(data))
