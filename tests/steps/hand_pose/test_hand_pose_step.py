"""The hand_pose step with a plug-in model (no MediaPipe needed): the streams it writes (schema, camera frame from
pixels and intrinsics, world frame from a head pose), what the retargeting reads of them, findings, idempotence."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from factories import T0
from robofuel.embodiment.hand import hand_track, pinch_distance
from robofuel.errors import InputError
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.ingest.video.png import png_packets
from robofuel.standard import EpisodeData, NumericData, VideoData, numeric_stream, video_stream
from robofuel.standard.canonical import HAND_KEYPOINTS
from robofuel.steps import get_step
from robofuel.steps.base import StepOutput
from robofuel.steps.hand_pose.geometry import camera_points, scaled_to, steady_depth

W, H, N = 64, 48, 6
K = (80.0, 82.0, 31.0, 25.0)  # fx, fy, cx, cy in pixels
#: A hand in the camera frame, m: 21 points spread over 9 cm, 0.45 m in front of the camera.
HAND = np.random.default_rng(3).normal(0.0, 0.03, (21, 3)) + [0.05, -0.02, 0.45]


def project(points: np.ndarray, k: tuple[float, float, float, float] = K) -> np.ndarray:  # type: ignore[type-arg]
    fx, fy, cx, cy = k
    return np.column_stack([fx * points[:, 0] / points[:, 2] + cx, fy * points[:, 1] / points[:, 2] + cy])


class Fake:
    """Sees the person's left hand (and a weaker duplicate) in every frame but each third; counts resets."""

    name, version = "fake-hands", "0.1"

    def __init__(self) -> None:
        self.resets, self.seen = 0, 0

    def reset(self) -> None:
        self.resets += 1

    def detect(self, frames: list[Any]) -> list[list[dict[str, Any]]]:
        out = []
        for frame in frames:
            assert frame.shape == (H, W, 3) and frame.dtype == np.uint8
            k, self.seen = self.seen, self.seen + 1
            world = HAND - HAND.mean(axis=0)  # metric shape, origin at its centre: the step finds the translation
            hand = {"side": "left", "score": 0.9, "px": project(HAND), "world": world}
            out.append([] if k % 3 == 2 else [hand, {**hand, "score": 0.7}])
        return out


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("hand_pose_test_plugins")
    module.fake = Fake  # type: ignore[attr-defined]
    module.blind = lambda: types.SimpleNamespace(name="blind", version="1", detect=lambda fs: [[] for _ in fs])
    module.no_detect = lambda: object()
    monkeypatch.setitem(sys.modules, "hand_pose_test_plugins", module)
    return module


def episode(head_pose: bool = False, extra: dict[str, Any] | None = None, video: bool = True) -> EpisodeData:
    ts = T0 + np.arange(N, dtype=np.int64) * 33_333_333
    frames = np.full((N, H, W, 3), 90, dtype=np.uint8)
    built: list[Any] = []
    if video:
        data = VideoData(ts, "png", W, H, packets=png_packets(frames))
        built.append((video_stream("ego", data, rate_hz=30.0, role="camera_rgb", frame="head_camera"), data))
    if head_pose or not video:
        rows = np.tile([1.0, 2.0, 1.5, 0.0, 0.0, np.sin(np.pi / 4), np.cos(np.pi / 4)], (N, 1))  # 90 deg about z
        pose = NumericData(ts, rows)
        cols = ["x", "y", "z", "qx", "qy", "qz", "qw"]
        built.append((numeric_stream("head", pose, cols, role="head_pose", frame="world"), pose))
    ctx = ReadContext(path=Path("/data/ego.mcap"), sha256="e" * 64)
    return make_episode(ctx, "mcap", 0, built, extra=extra or {})


def run(data: EpisodeData, **config: Any) -> StepOutput:
    return get_step("hand_pose", {"model": "hand_pose_test_plugins:fake", **config}).run(data)


def test_camera_points_recover_a_hand_from_its_pixels_and_metric_shape() -> None:
    shape = HAND - HAND.mean(axis=0)
    np.testing.assert_allclose(camera_points(project(HAND), shape, K), HAND, atol=1e-9)
    assert np.isnan(camera_points(project(HAND), None, K)).all()


def test_streams_per_hand_in_the_camera_frame_with_pixels_and_confidence(plugin: Any) -> None:
    out = run(episode(extra={"intrinsics": {"ego": list(K)}}))
    assert out.payloads is not None
    left, right = out.meta.stream("hands-ego-left"), out.meta.stream("hands-ego-right")
    assert left.role == right.role == "hand_keypoints" and left.frame == "head_camera"
    assert left.columns[:4] == ["confidence", "wrist_x", "wrist_y", "wrist_z"] and "pinky_tip_v" in left.columns
    assert left.column_units["wrist_x"] == "m" and left.column_units["wrist_u"] == "px"
    values = out.payloads["hands-ego-left"].values  # type: ignore[union-attr]
    assert values.shape == (N, 1 + 63 + 42)
    np.testing.assert_array_equal(values[:, 0], [0.9, 0.9, 0.0, 0.9, 0.9, 0.0])  # the weaker duplicate left out
    seen = values[values[:, 0] > 0]
    np.testing.assert_allclose(seen[:, 1:64].reshape(-1, 21, 3), np.broadcast_to(HAND, (4, 21, 3)), atol=1e-9)
    np.testing.assert_allclose(seen[:, 64:].reshape(-1, 21, 2)[0], project(HAND), atol=1e-9)
    assert np.isnan(values[2, 1:]).all()
    right_values = out.payloads["hands-ego-right"].values  # type: ignore[union-attr]
    assert (right_values[:, 0] == 0).all() and np.isnan(right_values[:, 1:]).all()
    assert out.meta.extra["hand_pose"]["videos"]["ego"] == {"frames": N, "intrinsics": "episode", "left": 4, "right": 0}
    assert [f.code for f in out.meta.findings] == []


def test_the_retargeting_reads_the_streams_as_it_reads_the_aria_import(plugin: Any) -> None:
    out = run(episode(extra={"intrinsics": {"ego": list(K)}}))
    data = EpisodeData(out.meta, out.payloads or {})
    track = hand_track(data)
    assert track.stream == "hands-ego-left" and track.points.shape == (4, 21, 3) and track.dropped == 2
    thumb, index = HAND[HAND_KEYPOINTS.index("thumb_tip")], HAND[HAND_KEYPOINTS.index("index_tip")]
    np.testing.assert_allclose(pinch_distance(track.points), np.linalg.norm(thumb - index), atol=1e-9)


def test_a_head_pose_gives_a_world_frame_stream(plugin: Any) -> None:
    out = run(episode(head_pose=True), intrinsics={"ego": list(K)})
    world = out.meta.stream("hands-ego-left-world")
    assert world.frame == "world" and world.columns == out.meta.stream("hands-ego-left").columns[:64]
    values = out.payloads["hands-ego-left-world"].values  # type: ignore[index,union-attr]
    rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(values[0, 1:].reshape(21, 3), HAND @ rot.T + [1.0, 2.0, 1.5], atol=1e-9)
    assert out.meta.extra["hand_pose"]["videos"]["ego"]["intrinsics"] == "config"
    other = run(episode(head_pose=True), intrinsics={"ego": list(K)}, pose_stream="imu")  # named: that one only
    assert "hands-ego-left-world" not in {s.name for s in other.meta.streams}


def test_without_intrinsics_a_field_of_view_is_assumed_and_said(plugin: Any) -> None:
    out = run(episode(), fov_deg=60.0)
    assert [f.code for f in out.meta.findings] == ["hand_pose.assumed_intrinsics"]
    values = out.payloads["hands-ego-left"].values  # type: ignore[index,union-attr]
    assert np.isfinite(values[0, 1:64]).all()  # metric shape kept, placed at the depth the assumed focal gives
    np.testing.assert_allclose(values[0, 64:].reshape(21, 2), project(HAND), atol=1e-9)


def test_no_hands_no_video_and_reruns(plugin: Any) -> None:
    out = run(episode(), model="hand_pose_test_plugins:blind")
    assert [f.code for f in out.meta.findings] == ["hand_pose.no_hands"]
    assert np.isnan(out.payloads["hands-ego-left"].values[:, 1:]).all()  # type: ignore[index,union-attr]
    none = run(episode(video=False))
    assert [f.code for f in none.meta.findings] == ["hand_pose.no_video"] and none.payloads is None
    missing = run(episode(), streams=["cam9"])
    assert [f.code for f in missing.meta.findings] == ["hand_pose.no_video"]
    first = run(episode(extra={"intrinsics": {"ego": list(K)}}))
    again = run(EpisodeData(first.meta, {**episode().payloads, **(first.payloads or {})}))
    assert [s.name for s in again.meta.streams] == [s.name for s in first.meta.streams]
    assert sum(e.step == "hand_pose" for e in again.meta.lineage) == 1


def test_bad_models_are_input_errors(plugin: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ROBOFUEL_HANDPOSE_PYTHON", raising=False)
    monkeypatch.chdir(tmp_path)
    for spec, words in [
        ("no_such_module_xyz:make", "cannot be loaded"),
        ("hand_pose_test_plugins:no_detect", r"no detect\(frames\)"),
        ("nonsense", "'mediapipe'"),
        ("mediapipe", "tools/handpose-venv"),
    ]:
        with pytest.raises(InputError, match=words):
            get_step("hand_pose", {"model": spec}).hand_model  # noqa: B018
    with pytest.raises(InputError, match="stride"):
        get_step("hand_pose", {"stride": 0})
    if importlib.util.find_spec("mediapipe") is None:  # an interpreter without mediapipe: said in one line
        with pytest.raises(InputError, match=r"exit 3\): mediapipe is not importable by .*tools/handpose-venv"):
            get_step("hand_pose", {"python": sys.executable}).hand_model  # noqa: B018


def test_a_larger_hand_size_places_the_hand_proportionally_farther() -> None:
    shape = HAND - HAND.mean(axis=0)
    size = float(np.linalg.norm(shape[9] - shape[0]))
    base = camera_points(project(HAND), scaled_to(shape, size), K)
    np.testing.assert_allclose(base, HAND, atol=1e-9)  # the shape's own size: the hand where it is
    larger = camera_points(project(HAND), scaled_to(shape, 1.1 * size), K)
    np.testing.assert_allclose(larger, 1.1 * HAND, atol=1e-9)  # 10% larger hand: 10% farther, same pixels
    assert scaled_to(shape, None) is shape and scaled_to(None, 0.08) is None


def test_steady_depth_takes_the_median_distance_over_the_window_along_the_rays() -> None:
    n = 31
    times = T0 + np.arange(n, dtype=np.int64) * 33_333_333
    depth = 1.0 + np.resize([0.0, 0.25, 0.0, 0.0, -0.2, 0.0], n)  # per-frame errors around a still hand's distance
    hands = HAND[None] * depth[:, None, None]  # each frame on the same rays, scaled by its depth error
    hands[5] = np.nan  # a frame without the hand
    steady = steady_depth(hands, times, 0.5)
    found = np.isfinite(hands[:, 0, 0])
    np.testing.assert_allclose(steady[found], np.broadcast_to(HAND, (found.sum(), 21, 3)), atol=1e-9)
    assert np.isnan(steady[5]).all()
    np.testing.assert_allclose(project(steady[0]), project(hands[0]), atol=1e-9)  # the pixels do not change
    assert steady_depth(hands, times, 0.0) is hands
