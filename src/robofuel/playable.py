"""A camera stream as a browser plays it: the stored file when it plays as it is, else an MP4 kept in the lake.

The lake keeps video as recorded (docs/architecture.md): a container file (``video-file``) or a camera's
concatenated packets with a frames table (``video-packets``). A browser plays MP4 or WebM holding H.264, VP9 or AV1:
such a file is served byte for byte. Anything else is made into an MP4 kept in the lake under
``cache/console/<episode id>/`` (named after the episode's content hash, so new samples make a new file) with the
exporters' :class:`~robofuel.export.video_out.Mp4Out`: H.264 packets are copied into the MP4 (no re-encoding),
other codecs (MJPEG, PNG, HEVC, raw frames) are decoded and encoded as H.264. Frame ``k`` of a made file plays at
``k / fps``, fps spreading the stream's frames evenly over its recorded span, so a page maps the episode's time to
the video's by the stream's start offset alone.

Two makers share this module and the file's name: the ``playable`` step, when the episode is processed
(:mod:`robofuel.steps.playable`), and the console, on the first request for a stream the step has not made
(:mod:`robofuel.server.video_serve`).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import posixpath
import re
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from robofuel.errors import InputError
from robofuel.standard import Episode, Stream, VideoData
from robofuel.video import codec_name, is_keyframe, rgb_frames

if TYPE_CHECKING:
    from robofuel.lake import Lake

#: Codecs and containers (file suffixes) a browser plays.
PLAYABLE_CODECS = frozenset({"h264", "vp9", "av1", "vp8"})
CONTAINER_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm"}
CACHE = "cache/console"
#: Version of the way copies are made: part of their names, so a change here makes new ones.
MADE_BY = "1"
#: Bytes copied per chunk into a remote lake.
CHUNK = 256 * 1024


class NothingToPlay(InputError):
    """A video stream none of whose frames decodes."""


def playable(stream: Stream) -> bool:
    """Whether the stored file plays in a browser as it is."""
    suffix = posixpath.splitext(stream.path)[1].lower()
    return (
        stream.storage.value == "video-file"
        and suffix in CONTAINER_TYPES
        and codec_name(stream.codec or "") in PLAYABLE_CODECS
    )


def cache_path(meta: Episode, stream: Stream) -> str:
    """Where the playable copy of a stream is kept in the lake."""
    digest = hashlib.sha256(f"{MADE_BY}\0{meta.content_hash}\0{stream.name}".encode()).hexdigest()[:20]
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", stream.name)[:80]
    return f"{CACHE}/{meta.id}/{safe}-{digest}.mp4"


def copies_packets(video: VideoData) -> bool:
    """Whether the copy is made by copying the packets (H.264 starting on a keyframe), not by encoding frames."""
    packets = video.packets or []
    return (
        video.file is None and codec_name(video.codec) == "h264" and bool(packets and is_keyframe("h264", packets[0]))
    )


def _fps(stream: Stream, frames: int) -> float:
    """Frames per second spreading ``frames`` evenly over the stream's recorded span (its rate when unknown)."""
    if stream.start_ns is not None and stream.end_ns is not None and frames > 1 and stream.end_ns > stream.start_ns:
        return (frames - 1) / ((stream.end_ns - stream.start_ns) / 1e9)
    return stream.measured_rate_hz or stream.rate_hz or 30.0


def write_mp4(video: VideoData, stream: Stream, out: Path) -> None:
    """An MP4 of the stream: H.264 packets starting on a keyframe copied, anything else encoded with libx264.
    :class:`NothingToPlay` when no frame decodes."""
    from robofuel.export.video_out import DEFAULT_ENCODER, Mp4Out

    frames = len(video.timestamps_ns)
    fps = _fps(stream, frames)
    if copies_packets(video):
        mp4 = Mp4Out(out, fps, codec="h264", width=video.width or 0, height=video.height or 0, encode=False)
        mp4.add_packets(video.packets or [])
        mp4.close()
        return
    decoded = rgb_frames(video, stream.pixel_format)
    first = next(decoded, None)
    if first is None:
        raise NothingToPlay(f"stream {stream.name!r}: no frame decodes, nothing to play")
    height, width = first.shape[:2]
    mp4 = Mp4Out(out, fps, codec=DEFAULT_ENCODER, width=width, height=height, encode=True)
    mp4.add_frames(itertools.chain([first], decoded))
    mp4.close()


def keep(lake: Lake, rel: str, made: Path) -> None:
    """Put the local file ``made`` at ``rel`` in the lake, whole or not at all (local: copied beside the target,
    then renamed over it; remote: one object put whole); ``made`` is removed."""
    with lake.writing(f"the console's copy of a video at {rel}"):
        try:
            if not lake.is_local:
                with made.open("rb") as src, lake.open(rel, "wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
                return
            target = lake.local_path(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
            try:
                shutil.move(made, tmp)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
        finally:
            made.unlink(missing_ok=True)
