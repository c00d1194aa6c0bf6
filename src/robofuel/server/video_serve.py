"""A camera stream as a browser plays it, with HTTP range requests.

The lake keeps video as recorded (docs/architecture.md): a container file (``video-file``) or a camera's
concatenated packets with a frames table (``video-packets``). A browser plays MP4 or WebM holding H.264, VP9 or AV1:
such a file is served byte for byte. Anything else is made once into an MP4 kept in the lake under
``cache/console/<episode id>/`` (named after the episode's content hash, so new samples make a new file) with the
exporters' :class:`~robofuel.export.video_out.Mp4Out`: H.264 packets are copied into the MP4 (no re-encoding),
other codecs (MJPEG, PNG, HEVC, raw frames) are decoded and encoded as H.264. Frame ``k`` of a made file plays at
``k / fps``, fps spreading the stream's frames evenly over its recorded span, so a page maps the episode's time to
the video's by the stream's start offset alone.

Paths come from the episode's metadata only (the stream is looked up by name there); a stored path that leaves the
episode folder is refused.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import posixpath
import re
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException
from fastapi.responses import Response, StreamingResponse

from robofuel.export.video_out import DEFAULT_ENCODER, Mp4Out
from robofuel.lake import Lake
from robofuel.lake.episodes import load_video
from robofuel.standard import Episode, Stream, VideoData
from robofuel.video import codec_name, is_keyframe, rgb_frames

#: Codecs and containers (file suffixes) a browser plays.
PLAYABLE_CODECS = frozenset({"h264", "vp9", "av1", "vp8"})
CONTAINER_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm"}
CACHE = "cache/console"
#: Version of the way copies are made: part of their names, so a change here makes new ones.
MADE_BY = "1"
#: Bytes read from the lake per chunk of a response.
CHUNK = 256 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _stored_path(lake: Lake, meta: Episode, stream: Stream) -> str:
    """The lake path of the stream's file; 404 when the metadata names a path outside the episode folder."""
    rel = posixpath.normpath(stream.path)
    if rel.startswith(("/", "..")) or "\\" in rel or not rel.startswith("streams/"):
        raise HTTPException(404, f"stream {stream.name!r}: its stored path leaves the episode folder")
    return f"{lake.episode_dir(meta.id)}/{rel}"


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


def _fps(stream: Stream, frames: int) -> float:
    """Frames per second spreading ``frames`` evenly over the stream's recorded span (its rate when unknown)."""
    if stream.start_ns is not None and stream.end_ns is not None and frames > 1 and stream.end_ns > stream.start_ns:
        return (frames - 1) / ((stream.end_ns - stream.start_ns) / 1e9)
    return stream.measured_rate_hz or stream.rate_hz or 30.0


def write_mp4(video: VideoData, stream: Stream, out: Path) -> None:
    """An MP4 of the stream: H.264 packets starting on a keyframe copied, anything else encoded with libx264."""
    frames = len(video.timestamps_ns)
    fps = _fps(stream, frames)
    packets = video.packets or []
    if video.file is None and codec_name(video.codec) == "h264" and packets and is_keyframe("h264", packets[0]):
        size = (video.width or 0, video.height or 0)
        mp4 = Mp4Out(out, fps, codec="h264", width=size[0], height=size[1], encode=False)
        mp4.add_packets(packets)
        mp4.close()
        return
    decoded = rgb_frames(video, stream.pixel_format)
    first = next(decoded, None)
    if first is None:
        raise HTTPException(422, f"stream {stream.name!r}: no frame decodes, nothing to play")
    height, width = first.shape[:2]
    mp4 = Mp4Out(out, fps, codec=DEFAULT_ENCODER, width=width, height=height, encode=True)
    mp4.add_frames(itertools.chain([first], decoded))
    mp4.close()


def _make_cached(lake: Lake, meta: Episode, stream: Stream, rel: str) -> None:
    """Write the playable copy to ``rel``: into a temporary file, then renamed (local lake) or put whole (remote:
    a single object appears whole or not at all)."""
    lake.check_writable("keeping a browser-playable copy of a video")
    video = load_video(lake, meta, stream)
    with lake.writing(f"the console's copy of {stream.name}"):
        if lake.is_local:
            target = lake.local_path(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        else:
            fd, name = tempfile.mkstemp(prefix="robofuel-console-", suffix=".mp4")
            os.close(fd)
            tmp = Path(name)
        try:
            write_mp4(video, stream, tmp)
            if lake.is_local:
                os.replace(tmp, target)
                return
            with tmp.open("rb") as src, lake.open(rel, "wb") as dst:
                while chunk := src.read(CHUNK):
                    dst.write(chunk)
        finally:
            tmp.unlink(missing_ok=True)


def playable_path(lake: Lake, meta: Episode, stream: Stream) -> str:
    """The lake path of a file a browser plays for the stream (made and kept on the first request)."""
    stored = _stored_path(lake, meta, stream)
    if playable(stream):
        return stored
    rel = cache_path(meta, stream)
    with _locks_guard:
        lock = _locks.setdefault(rel, threading.Lock())
    with lock:  # two requests for one stream make it once
        if not lake.exists(rel):
            _make_cached(lake, meta, stream, rel)
    return rel


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a ``Range: bytes=A-B`` header (inclusive); None for no header. 416 for a range
    that is malformed, lists several ranges, or starts past the end."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        raise HTTPException(416, "send one range as bytes=FIRST-[LAST] or bytes=-SUFFIX", _unsatisfiable(size))
    first, last = match.group(1), match.group(2)
    if first == "":  # the last N bytes
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise HTTPException(416, f"range {header!r} is outside the {size} bytes", _unsatisfiable(size))
    return start, end


def _unsatisfiable(size: int) -> dict[str, str]:
    return {"Content-Range": f"bytes */{size}"}


def _chunks(open_file: Callable[[], BinaryIO], start: int, length: int) -> Iterator[bytes]:
    with open_file() as f:
        f.seek(start)
        while length > 0:
            data = f.read(min(CHUNK, length))
            if not data:
                return
            length -= len(data)
            yield data


def ranged_response(
    open_file: Callable[[], BinaryIO],
    size: int,
    span: tuple[int, int] | None,
    media_type: str,
    headers: dict[str, str] | None = None,
    head: bool = False,
) -> Response:
    """A file of ``size`` bytes, whole (200) or the ``span`` :func:`byte_range` gave (206 with ``Content-Range``),
    read in chunks as it is sent (``head``: the headers alone, for a HEAD request)."""
    start, end = span if span else (0, size - 1)
    sent = {**(headers or {}), "Accept-Ranges": "bytes", "Content-Length": str(end - start + 1)}
    if span:
        sent["Content-Range"] = f"bytes {start}-{end}/{size}"
    if head:
        return Response(status_code=206 if span else 200, headers=sent, media_type=media_type)
    body = _chunks(open_file, start, end - start + 1)
    return StreamingResponse(body, status_code=206 if span else 200, headers=sent, media_type=media_type)


def video_response(lake: Lake, meta: Episode, stream: Stream, range_header: str | None) -> Response:
    """The playable file, whole (200) or the asked range (206 with ``Content-Range``)."""
    rel = playable_path(lake, meta, stream)
    with lake.open(rel, "rb") as f:
        size = f.seek(0, os.SEEK_END)
    kind = CONTAINER_TYPES.get(posixpath.splitext(rel)[1].lower(), "video/mp4")
    opener = functools.partial(lake.open, rel, "rb")
    return ranged_response(
        opener, size, byte_range(range_header, size), kind, {"Cache-Control": "private, max-age=300"}
    )
