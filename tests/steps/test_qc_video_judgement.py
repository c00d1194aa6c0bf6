"""qc video rules on small videos written here with PyAV: a camera's own softness is not blur, a fade through black
is not a blackout, a variable frame rate or a held frame is not a drop; the defects themselves still reject."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from qc_helpers import found, judge

from robofuel.standard import Finding, Severity

W, H = 160, 120
Frame = np.ndarray  # type: ignore[type-arg]


def _pattern(seed: int = 0) -> Frame:
    """Grey blocks of 8 px with sharp edges (a textured scene), (H + 64, W + 64) so it can slide."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(30, 225, size=((H + 64) // 8, (W + 64) // 8))
    return np.kron(blocks, np.ones((8, 8))).astype(np.float64)


def _box(img: Frame, k: int) -> Frame:
    """Box blur of ``k`` pixels, twice (as the generator's defocus)."""
    out = img
    for axis in (0, 1, 0, 1):
        out = sum((np.roll(out, i, axis=axis) for i in range(-(k // 2), k // 2 + 1)), np.zeros_like(out)) / k
    return out


def _view(scene: Frame, i: int) -> Frame:
    """The scene seen by a camera panning one pixel per frame, as 8-bit RGB."""
    gray = np.clip(scene[8 : 8 + H, i % 64 : i % 64 + W], 0, 255).astype(np.uint8)
    return np.repeat(gray[:, :, None], 3, axis=2)


def _write(path: Path, times_s: Sequence[float], frame: Callable[[int], Frame]) -> Path:
    """A lossless (FFV1) Matroska file whose frame ``i`` shows ``frame(i)`` at ``times_s[i]`` (ms time base)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1", rate=30)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.time_base = Fraction(1, 1000)
        for i, t in enumerate(times_s):
            image = av.VideoFrame.from_ndarray(frame(i), format="rgb24")
            image.pts, image.time_base = round(t * 1000), Fraction(1, 1000)
            for packet in stream.encode(image):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _video_findings(path: Path) -> list[Finding]:
    data = judge(path, "video")
    return [f for f in data.meta.findings if f.code.startswith("video.")]


def _cfr(seconds: float, fps: float = 30.0) -> list[float]:
    return [i / fps for i in range(round(seconds * fps))]


def test_a_uniformly_soft_video_asks_for_review_not_rejection(tmp_path: Path) -> None:
    soft = _box(_pattern(), 7)  # a soft sensor or lens, the same all through (tactile gel, underwater housing)
    path = _write(tmp_path / "soft.mkv", _cfr(4), lambda i: _view(soft, i))
    findings = _video_findings(path)
    assert not [f for f in findings if f.severity is Severity.blocking], findings
    (f,) = [f for f in findings if f.code == "video.soft"]
    assert f.severity is Severity.warning and "soft all through" in f.message


def test_a_blurred_section_of_a_sharp_video_rejects(tmp_path: Path) -> None:
    sharp, blurred = _pattern(), _box(_pattern(), 9)
    times = _cfr(4)
    path = _write(tmp_path / "blur.mkv", times, lambda i: _view(blurred if 1.5 <= times[i] < 2.3 else sharp, i))
    (f,) = [f for f in _video_findings(path) if f.code == "video.blurred"]
    assert f.severity is Severity.blocking
    assert f.start_s == pytest.approx(1.5, abs=0.12) and f.end_s == pytest.approx(2.2, abs=0.12)


def test_a_soft_camera_losing_focus_still_rejects(tmp_path: Path) -> None:
    soft, lost = _box(_pattern(), 3), _box(_pattern(), 11)
    times = _cfr(4)
    path = _write(tmp_path / "focus.mkv", times, lambda i: _view(lost if 2.0 <= times[i] < 2.8 else soft, i))
    assert found(judge(path, "video"), "video.blurred")


def test_a_fade_through_black_asks_for_review_a_blackout_rejects(tmp_path: Path) -> None:
    scene, times = _pattern(), _cfr(4)
    dark = np.zeros((H, W, 3), dtype=np.uint8)
    fade = _write(tmp_path / "fade.mkv", times, lambda i: dark if 2.0 <= times[i] < 2.15 else _view(scene, i))
    out = _write(tmp_path / "out.mkv", times, lambda i: dark if 1.0 <= times[i] < 1.8 else _view(scene, i))
    (blink,) = found(judge(fade, "video"), "video.black")
    assert blink.severity is Severity.warning
    (blackout,) = found(judge(out, "video"), "video.black")
    assert blackout.severity is Severity.blocking and blackout.start_s == pytest.approx(1.0, abs=0.12)


def test_white_titles_on_black_are_not_black(tmp_path: Path) -> None:
    """A title card: 5 % of the pixels white, the rest black; mean luma 13, under black_luma, but an image."""
    titles = np.zeros((H, W, 3), dtype=np.uint8)
    titles[50:70, 55:105] = 255
    findings = _video_findings(_write(tmp_path / "titles.mkv", _cfr(3), lambda i: titles))
    assert not [f for f in findings if f.code == "video.black"], findings


def test_a_variable_frame_rate_is_not_a_drop(tmp_path: Path) -> None:
    """A browser capture: 30 fps with 32/36 ms jitter for 3 s, then 15 fps (64/68 ms) when the light drops."""
    fast = np.cumsum([0.032 if i % 2 else 0.036 for i in range(90)])
    slow = fast[-1] + np.cumsum([0.064 if i % 2 else 0.068 for i in range(45)])
    scene = _pattern()
    path = _write(tmp_path / "vfr.mkv", [0.0, *fast, *slow], lambda i: _view(scene, i))
    assert not found(judge(path, "video"), "video.dropped_frames")


def test_a_real_drop_is_found(tmp_path: Path) -> None:
    times = [t for t in _cfr(4) if not 2.0 <= t < 2.3]  # 9 frames lost while the camera pans
    scene = _pattern()
    (f,) = found(
        judge(_write(tmp_path / "drop.mkv", times, lambda i: _view(scene, i)), "video"), "video.dropped_frames"
    )
    assert f.severity is Severity.blocking and f.value == 9
    assert f.start_s == pytest.approx(1.967, abs=0.05)


def test_a_held_frame_in_a_video_file_is_not_a_drop(tmp_path: Path) -> None:
    """An edited film or stop-motion holds a pose longer; a moving view across the same gap lost frames."""
    all_times = _cfr(4)
    times = [t for t in all_times if not 2.0 <= t < 2.1]  # one frame shown for 133 ms instead of 33
    lost = len(all_times) - len(times)
    scene = _pattern()
    still = _write(tmp_path / "hold.mkv", times, lambda i: _view(scene, int(times[i] / 0.75)))  # a pose per 0.75 s
    assert not found(judge(still, "video"), "video.dropped_frames")
    moving = _write(tmp_path / "moving.mkv", times, lambda i: _view(scene, round(times[i] * 60)))
    (f,) = found(judge(moving, "video"), "video.dropped_frames")
    assert f.value == lost == 3


def test_real_lerobot_videos_are_not_rejected_by_video_rules(shared_data: Path) -> None:
    folder = shared_data / "lerobot_v21_unitree_g1/videos/chunk-000/observation.images.cam_high"
    videos = sorted(folder.glob("*.mp4"))
    if not videos:
        pytest.skip(f"no video under {folder}")
    for path in videos:
        findings = _video_findings(path)
        assert not [f for f in findings if f.severity is Severity.blocking], (path.name, findings)
