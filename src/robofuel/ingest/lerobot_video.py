"""Cutting one episode's frames out of a LeRobot v3 video file by copying packets (no decoding, no re-encoding)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av


def frame_count(path: Path) -> int | None:
    """Frames in the first video stream, by counting packets (no decoding); None if unreadable."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            return sum(1 for p in container.demux(stream) if p.size)
    except (av.FFmpegError, IndexError, OSError):
        return None


def video_codec(path: Path) -> tuple[str, int, int] | None:
    """(codec name, width, height) of the first video stream, or None if unreadable."""
    try:
        with av.open(str(path)) as container:
            ctx: Any = container.streams.video[0].codec_context
            return str(ctx.codec.canonical_name), int(ctx.width), int(ctx.height)
    except (av.FFmpegError, IndexError, OSError):
        return None


def remux_range(src: Path, dst: Path, start_s: float, end_s: float) -> tuple[int, int]:
    """Copy the packets presented in [start_s, end_s) of ``src`` into a new MP4 ``dst``, re-timed to start at 0.

    If the range does not start on a keyframe, copying starts at the keyframe before it so the result decodes.
    Returns (frames in range, extra leading frames copied before the range).
    """
    eps = 1e-4
    with av.open(str(src)) as inp:
        stream = inp.streams.video[0]
        tb: Fraction = stream.time_base or Fraction(1, 90000)
        packets: list[Any] = [p for p in inp.demux(stream) if p.size and p.pts is not None]
        packets.sort(key=lambda p: p.pts)
        times = [float(p.pts * tb) for p in packets]
        inside = [i for i, t in enumerate(times) if start_s - eps <= t < end_s - eps]
        if not inside:
            return 0, 0
        first = inside[0]
        while first > 0 and not packets[first].is_keyframe:
            first -= 1
        chosen: list[Any] = packets[first : inside[-1] + 1]
        offset = chosen[0].pts
        dts_offset = min((p.dts for p in chosen if p.dts is not None), default=offset)
        with av.open(str(dst), "w", format="mp4") as out:
            out_stream = out.add_stream_from_template(stream, opaque=True)
            for p in sorted(chosen, key=lambda p: p.dts if p.dts is not None else p.pts):
                p.pts -= offset
                p.dts = (p.dts - dts_offset) if p.dts is not None else p.pts
                p.stream = out_stream
                out.mux(p)
    return len(inside), inside[0] - first
