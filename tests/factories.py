"""Builders of small synthetic episodes for tests (no reader involved)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel.catalog import Catalog
from robofuel.ingest.base import ReadContext, ReadResult, make_episode
from robofuel.lake import Lake, write_episode
from robofuel.standard import (
    Episode,
    EpisodeData,
    NumericData,
    Payload,
    Stream,
    VideoData,
    numeric_stream,
    video_stream,
)

T0 = 1_793_000_000_000_000_000  # 2026-10-25, ns since epoch


def joint_episode(
    sha: str = "a" * 64,
    index: int = 0,
    n: int = 500,
    rate_hz: float = 100.0,
    nan_at: int | None = None,
    video: bool = True,
) -> EpisodeData:
    """A 7-joint numeric stream and (unless ``video`` is false) a 3-packet stand-in video stream (not decodable)."""
    ts = T0 + (np.arange(n) * (1e9 / rate_hz)).astype(np.int64)
    values = 0.3 * np.sin(np.linspace(0, 3, n))[:, None] * np.arange(1, 8)[None, :]  # |values| <= 2.1 rad
    if nan_at is not None:
        values[nan_at, 2] = np.nan
    joints = NumericData(ts, values)
    cols = [f"j{i}.position" for i in range(7)]
    frames = VideoData(ts[:3], codec="mjpeg", width=4, height=4, packets=[b"\xff\xd8a", b"\xff\xd8bb", b"\xff\xd8c"])
    streams: list[tuple[Stream, Payload]] = [
        (numeric_stream("joints", joints, cols, role="joint_position", unit="rad", rate_hz=rate_hz), joints),
    ]
    if video:
        streams.append((video_stream("cam", frames, rate_hz=30.0), frames))
    ctx = ReadContext(path=Path(f"/data/rec_{sha[:4]}.mcap"), sha256=sha)
    return make_episode(ctx, "mcap", index, streams, operator="op-01", station="st-1", task={"id": "pick"})


def store(lake: Lake, catalog: Catalog, episodes: list[EpisodeData]) -> list[Episode]:
    """Write episodes into the lake and commit them under their recordings, as ingest does."""
    metas = [write_episode(lake, ep) for ep in episodes]
    by_rec: dict[str, list[Episode]] = {}
    for m in metas:
        by_rec.setdefault(m.recording.sha256, []).append(m)
    for sha, ms in by_rec.items():
        row = {
            "sha256": sha,
            "path": ms[0].recording.path,
            "format": "mcap",
            "raw": "",
            "status": "ok",
            "episodes": len(ms),
            "report": "{}",
        }
        catalog.commit_recording(row, ms)
    return metas


def read(path: Path, fmt: str) -> ReadResult:
    """Read a recording with the named reader, as ingest does."""
    from robofuel.ingest import ReadContext, get_reader
    from robofuel.lake import recording_sha256

    return get_reader(fmt).read(path, ReadContext(path, recording_sha256(path)))


def png_pixels(packets: list[bytes]) -> npt.NDArray[np.uint8]:
    """(N, H, W, 3) RGB pixels of PNG packets, decoded with one decoder. Each packet is flagged a keyframe: FFmpeg
    decodes an unflagged PNG packet as a difference to the previous frame, and every PNG image stands alone."""
    import av

    ctx: Any = av.CodecContext.create("png", "r")
    out = []
    for blob in packets:
        packet = av.Packet(blob)
        packet.is_keyframe = True
        out += [f.to_ndarray(format="rgb24") for f in ctx.decode(packet)]
    return np.stack(out)
