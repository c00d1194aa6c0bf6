"""A camera stream as a browser plays it, with HTTP range requests.

The file served is the stored one when a browser plays it as it is, else the MP4 kept in the lake under
``cache/console/`` (:mod:`robofuel.playable`): made when the episode was processed (the ``playable`` step), or
here, once, on the first request for it.

Paths come from the episode's metadata only (the stream is looked up by name there); a stored path that leaves the
episode folder is refused.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException
from fastapi.responses import Response, StreamingResponse

from robofuel.lake import Lake
from robofuel.lake.episodes import load_video
from robofuel.playable import CONTAINER_TYPES, NothingToPlay, cache_path, keep, playable, write_mp4
from robofuel.standard import Episode, Stream

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


def _make_cached(lake: Lake, meta: Episode, stream: Stream, rel: str) -> None:
    """Write the playable copy to ``rel``, whole or not at all (:func:`robofuel.playable.keep`)."""
    lake.check_writable("keeping a browser-playable copy of a video")
    video = load_video(lake, meta, stream)
    fd, name = tempfile.mkstemp(prefix="robofuel-console-", suffix=".mp4")
    os.close(fd)
    made = Path(name)
    try:
        write_mp4(video, stream, made)
    except NothingToPlay as exc:
        made.unlink(missing_ok=True)
        raise HTTPException(422, str(exc)) from exc
    except BaseException:
        made.unlink(missing_ok=True)
        raise
    keep(lake, rel, made)


def playable_path(lake: Lake, meta: Episode, stream: Stream) -> str:
    """The lake path of a file a browser plays for the stream (made and kept on the first request, unless the
    ``playable`` step made it when the episode was processed)."""
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
