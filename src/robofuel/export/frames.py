"""What frame-based exporters share: features an episode can give, numeric values and camera images at the frame
times, and how an episode that differs from the first is left out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import av
import numpy as np

from robofuel.errors import InputError
from robofuel.export.lerobot_features import Feature, missing_declared, plan_features
from robofuel.export.report import ExportReport
from robofuel.export.timeline import at_frames, reference_times
from robofuel.resample import nearest_index
from robofuel.standard import EpisodeData, NumericData, StreamKind, VideoData
from robofuel.standard.data import F64, I64
from robofuel.video import rgb_frames

#: Codecs whose packets are image files a trainer decodes as they are, and the format they are.
IMAGE_CODECS = {"mjpeg": "jpeg", "jpeg": "jpeg", "png": "png"}
JPEG_QSCALE = 3  # FFmpeg mjpeg quantiser: 2 (best) .. 31


def picked_frames(frames: Iterator[np.ndarray], picks: np.ndarray) -> Iterator[np.ndarray]:
    """Frames at the (non-decreasing) source indices ``picks``, repeating a frame picked twice."""
    k = 0
    for j, frame in enumerate(frames):
        while k < len(picks) and picks[k] == j:
            yield frame
            k += 1
        if k == len(picks):
            return
    if k < len(picks):
        raise ValueError(f"the video ended after {j + 1 if k else 0} frames; frame {int(picks[k])} was needed")


def safe_name(name: str) -> str:
    """a stream name as a lower-case identifier (``camera.front/video`` -> ``camera_front_video``)."""
    out = "".join(c if c.isascii() and c.isalnum() else "_" for c in name.lower())
    return "_".join(part for part in out.split("_") if part) or "x"


def image_format(video_codec: str | None) -> str | None:
    """the image format every camera is re-encoded to (``--video-codec``), None to copy where possible."""
    if video_codec is None:
        return None
    fmt = {"mjpeg": "jpeg", "jpeg": "jpeg", "libjpeg": "jpeg", "png": "png"}.get(video_codec)
    if fmt is None:
        raise InputError(f"--video-codec {video_codec}: images are stored as JPEG or PNG (use mjpeg or png)")
    return fmt


class ImageEncoder:
    """RGB frames to JPEG (FFmpeg mjpeg) or PNG files, one context per camera, opened at the first frame."""

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        self._ctx: Any = None

    def encode(self, rgb: np.ndarray) -> bytes:
        """One (H, W, 3) uint8 frame as an image file."""
        if self._ctx is None:
            height, width = rgb.shape[:2]
            self._ctx = av.CodecContext.create("mjpeg" if self.format == "jpeg" else "png", "w")
            self._ctx.width, self._ctx.height = width, height
            even = width % 2 == 0 and height % 2 == 0
            self._ctx.pix_fmt = "rgb24" if self.format == "png" else "yuvj420p" if even else "yuvj444p"
            if self.format == "jpeg":
                self._ctx.qmin = self._ctx.qmax = JPEG_QSCALE
            self._ctx.open()
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format=self._ctx.pix_fmt)
        return b"".join(bytes(p) for p in self._ctx.encode(frame))


@dataclass(frozen=True)
class CameraImages:
    """one camera's images at the export frames: the file format, how they were made, the images."""

    format: str
    how: str
    images: Iterator[bytes]


def camera_images(ep: EpisodeData, name: str, t_ns: I64, encode_as: str | None) -> CameraImages:
    """the camera's image at each frame time (its nearest frame): packets copied when they are image files
    and no re-encoding is asked, else decoded and encoded (JPEG unless ``encode_as`` says PNG)."""
    stream, video = ep.meta.stream(name), ep.payloads[name]
    assert isinstance(video, VideoData)
    picks = nearest_index(reference_times(stream, video), t_ns)
    source = IMAGE_CODECS.get(video.codec)
    if encode_as is None and source is not None and video.packets is not None:
        packets = video.packets
        return CameraImages(source, "copied", (packets[i] for i in picks))
    encoder = ImageEncoder(encode_as or "jpeg")
    why = "asked" if encode_as else f"{video.codec} frames encoded as {encoder.format}"
    frames = picked_frames(rgb_frames(video, stream.pixel_format), picks)
    return CameraImages(encoder.format, f"re-encoded ({why})", (encoder.encode(f) for f in frames))


def usable_features(ep: EpisodeData, report: ExportReport, target: str) -> list[Feature]:
    """the episode's features (LeRobot's plan), audio and non-numeric payloads left out and counted."""
    features, _ = plan_features(ep.meta)
    for s in ep.meta.streams:
        if s.kind is StreamKind.audio and s.count > 0:
            report.omitted[f"{s.name}: audio ({target} has no audio feature)"] += 1
    kept = []
    for f in features:
        if f.kind == "numeric" and not all(isinstance(ep.payloads.get(p.stream), NumericData) for p in f.parts):
            report.omitted[f"{f.key}: not a numeric payload"] += 1
        elif f.kind == "video" and not isinstance(ep.payloads.get(f.streams[0]), VideoData):
            report.omitted[f"{f.key}: no video payload"] += 1
        else:
            kept.append(f)
    if any(f.derived == "next_state" for f in kept) and not report.notes:
        report.notes.append("action: no command stream recorded; the next frame's observation.state")
    return kept


def sample_numeric(ep: EpisodeData, features: list[Feature], t_ns: I64) -> dict[str, F64]:
    """every numeric feature's values at the frame times (streams on the reference clock, resampled)."""
    out: dict[str, F64] = {}
    cache: dict[str, F64] = {}
    for f in features:
        if f.kind != "numeric":
            continue
        if f.derived == "next_state":
            state = out["observation.state"]
            out[f.key] = np.vstack([state[1:], state[-1:]])
            continue
        for part in f.parts:
            if part.stream not in cache:
                stream, data = ep.meta.stream(part.stream), ep.payloads[part.stream]
                assert isinstance(data, NumericData)
                cache[part.stream] = at_frames(stream, data, t_ns)
        out[f.key] = np.hstack([cache[p.stream][:, list(p.columns)] for p in f.parts])
    return out


def left_out_as_different(
    ep: EpisodeData,
    report: ExportReport,
    features: list[Feature],
    first: list[Feature],
    cameras: object = None,
    first_cameras: object = None,
) -> bool:
    """Whether ``ep`` differs from the dataset's first episode (feature keys and names, and the cameras where
    given: :func:`camera_signature`); one that does is counted in ``report`` as left out, saying how it differs."""
    differs = [(f.key, f.names) for f in features] != [(f.key, f.names) for f in first] or cameras != first_cameras
    if differs:
        how = "; ".join(_differences(ep, features, first)) or "other camera codecs or sizes"
        report.leave_out(ep.meta.id, f"its streams differ from the dataset's first episode: {how}")
    return differs


def _differences(ep: EpisodeData, features: list[Feature], first: list[Feature]) -> list[str]:
    """How an episode's features differ from the first episode's, in words."""
    mine, theirs = {f.key: f.names for f in features}, {f.key: f.names for f in first}
    undeclared = set(missing_declared(ep.meta))
    out = []
    for key in theirs.keys() - mine.keys():
        why = (
            " (declared by its LeRobot source; missing at ingest, see the episode's findings): restore the file and "
            f'ingest again, or export it on its own (--where "id = {ep.meta.id}") for a dataset without {key}'
        )
        out.append(f"it has no {key}" + (why if key in undeclared else ""))
    out += [f"it has {key}, the first episode has not" for key in mine.keys() - theirs.keys()]
    out += [f"{key} has other columns" for key in mine.keys() & theirs.keys() if mine[key] != theirs[key]]
    if not out and list(mine) != list(theirs):
        out.append("its features come in another order")
    return sorted(out)


def camera_signature(ep: EpisodeData, features: list[Feature]) -> list[tuple[str, str | None, int, int]]:
    """each camera's name, codec and size, to check that episodes agree."""
    out = []
    for f in features:
        if f.kind == "video":
            s = ep.meta.stream(f.streams[0])
            out.append((s.name, s.codec, s.width or 0, s.height or 0))
    return out
