"""Redacting one video stream: detect on every ``detect_every``-th frame, fill gaps across frames, blur, re-encode.

Two passes over the decoded frames, so memory stays one frame whatever the episode's length: the first detects
(boxes only are kept), the second blurs and encodes. A stream where nothing is found is left as it is (not
re-encoded). The new stream is stored as packets: PNG (lossless) where the original was lossless (PNG, raw
frames) or has an odd width or height, else H.264 (libx264, ``crf``, no B-frames, a keyframe with its SPS/PPS
every ``keyint`` frames), the Annex B packets the lake and the exporters copy as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av
import numpy as np

from robofuel.standard import Storage, Stream, VideoData
from robofuel.standard.data import measured_rate
from robofuel.steps.privacy import blur, track
from robofuel.steps.privacy.detect import Box, Detector, as_box
from robofuel.video import Rgb, rgb_frames

LOSSLESS = frozenset({"png", "rawvideo"})


@dataclass
class Redacted:
    """What redacting one stream gave: the new payload and metadata (None: unchanged), the boxes per frame
    (frame index -> [x, y, w, h, label, score, how]) and the frames that decoded."""

    payload: VideoData | None
    stream: Stream | None
    boxes: dict[int, list[list[Any]]] = field(default_factory=dict)
    decoded: int = 0
    codec: str | None = None


def detect_all(
    video: VideoData, pixel_format: str | None, detector: Detector, threshold: float, every: int = 1
) -> tuple[list[list[Box]], tuple[int, int]]:
    """Boxes scoring at least ``threshold`` in every frame that decodes, in order, and the frames' (height, width);
    the detector runs on every ``every``-th frame and on the last one (the others get no boxes here: the caller holds
    boxes over them, :func:`hold_for`)."""
    found: list[list[Box]] = []
    shape, last = (0, 0), None
    for i, rgb in enumerate(rgb_frames(video, pixel_format)):
        shape, last = (int(rgb.shape[0]), int(rgb.shape[1])), rgb
        found.append(_found(detector, rgb, threshold) if i % every == 0 else [])
    if last is not None and (len(found) - 1) % every:
        found[-1] = _found(detector, last, threshold)
    return found, shape


def _found(detector: Detector, rgb: Rgb, threshold: float) -> list[Box]:
    return [b for b in map(as_box, detector.detect(rgb)) if b.score >= threshold]


def hold_for(config: Mapping[str, Any]) -> int:
    """Frames every box is held before and after: ``hold_frames``, and at least up to the next and previous frame
    the detector ran on (``detect_every - 1``), so no frame between two detections of a face goes unblurred."""
    return max(int(config["hold_frames"]), int(config["detect_every"]) - 1)


def _encoder(codec: str, width: int, height: int, config: Mapping[str, Any]) -> Any:
    ctx: Any = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height = width, height
    if codec == "png":
        ctx.pix_fmt = "rgb24"
        return ctx
    ctx.pix_fmt = "yuv420p"
    ctx.time_base = Fraction(1, 90_000)
    keyint = int(config["keyint"])
    params = f"bframes=0:keyint={keyint}:min-keyint={keyint}:scenecut=0:repeat-headers=1"
    ctx.options = {"crf": str(config["crf"]), "preset": "veryfast", "x264-params": params}
    return ctx


def _encode(ctx: Any, frames: Iterator[Any]) -> list[bytes]:
    packets: list[bytes] = []
    for k, rgb in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = k * 3000
        packets += [bytes(p) for p in ctx.encode(frame)]
    packets += [bytes(p) for p in ctx.encode(None)]
    return packets


def output_codec(codec: str, width: int, height: int) -> str:
    """The codec a redacted stream is stored in (see the module docstring)."""
    return "png" if codec in LOSSLESS or width % 2 or height % 2 else "h264"


def _blurred(
    video: VideoData, pixel_format: str | None, boxes: list[list[tuple[Box, str]]], config: Mapping[str, Any]
) -> Iterator[Rgb]:
    for i, rgb in enumerate(rgb_frames(video, pixel_format)):
        if i >= len(boxes):
            return
        yield blur.blur_boxes(rgb, (b for b, _ in boxes[i]), config["blur"], config["blur_strength"])


def _new_stream(stream: Stream, video: VideoData, codec: str) -> Stream:
    ts = video.timestamps_ns
    update: dict[str, Any] = {
        "codec": codec,
        "storage": Storage.video_packets,
        "path": f"streams/{stream.name}.{codec}",
        "pixel_format": None,
        "width": video.width,
        "height": video.height,
        "count": len(ts),
        "measured_rate_hz": measured_rate(ts),
    }
    if len(ts):
        update.update(start_ns=int(ts.min()), end_ns=int(ts.max()))
    return stream.model_copy(update=update)


def redact_stream(stream: Stream, video: VideoData, detector: Detector, config: Mapping[str, Any]) -> Redacted:
    """Redact one video stream with ``detector`` under the step's ``config``."""
    every = int(config["detect_every"])
    found, (height, width) = detect_all(video, stream.pixel_format, detector, config["score_threshold"], every)
    boxes = track.fill(found, config["max_gap_frames"] * every, hold_for(config))
    boxes = track.padded(boxes, config["pad"], width, height)
    log = {i: [[*b.as_list(), how] for b, how in frame] for i, frame in enumerate(boxes) if frame}
    if not log:
        return Redacted(None, None, {}, len(found))
    codec = output_codec(video.codec, width, height)
    packets = _encode(_encoder(codec, width, height, config), _blurred(video, stream.pixel_format, boxes, config))
    kept = min(len(packets), len(found))
    out = VideoData(video.timestamps_ns[:kept], codec, width, height, packets=packets[:kept])
    return Redacted(out, _new_stream(stream, out, codec), log, len(found), codec)
