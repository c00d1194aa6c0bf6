"""Luma frames for QC (robofuel.video): the reused scaler gives FFmpeg's own gray values, and sampling an
intra-only stream decodes only the sampled packets yet reaches the same frames and stops at the same broken one."""

from __future__ import annotations

import numpy as np

from robofuel.generate.media import h264_packets, jpeg_images
from robofuel.standard import VideoData
from robofuel.video import _frames, gray_frames


def _images(n: int) -> list[np.ndarray]:  # type: ignore[type-arg]
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    return [np.roll(base, 2 * i, axis=1) for i in range(n)]


def _video(codec: str, packets: list[bytes]) -> VideoData:
    ts = np.arange(len(packets), dtype=np.int64) * 33_333_334  # 30 fps
    return VideoData(ts, codec, 64, 48, packets=packets)


def _every_frame(video: VideoData) -> list[np.ndarray]:  # type: ignore[type-arg]
    return [f.to_ndarray(format="gray") for f in _frames(video)]


def test_sampled_luma_equals_ffmpeg_gray_for_limited_and_full_range() -> None:
    for video in (_video("h264", h264_packets(_images(20), 30)), _video("mjpeg", jpeg_images(_images(20)))):
        reference = _every_frame(video)
        got = list(gray_frames(video, 10.0))
        assert [i for _, _, i in got] == [0, 3, 6, 9, 12, 15, 18]
        for t, frame, i in got:
            assert t == int(video.timestamps_ns[i])
            assert frame.dtype == np.uint8 and np.array_equal(frame, reference[i])


def test_every_frame_without_a_sampling_rate() -> None:
    video = _video("mjpeg", jpeg_images(_images(6)))
    assert [i for _, _, i in gray_frames(video)] == list(range(6))


def test_a_broken_unsampled_jpeg_packet_ends_the_frames_there() -> None:
    packets = jpeg_images(_images(20))
    packets[7] = b"\x00" * 100  # not a JPEG: decoding would stop here, so sampling stops here too
    got = [i for _, _, i in gray_frames(_video("mjpeg", packets), 10.0)]
    assert got == [0, 3, 6]
