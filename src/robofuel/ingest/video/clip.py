"""Video files of recordings as clips, by packets (no decoding, no re-encoding): probing a file's frames
(:func:`probe_video`) and cutting an episode's frames out of a file shared by many episodes (:func:`cut_video`: a
LeRobot v3.0 MP4, a mapped recording split into episodes), safe with B-frames. The one place that cuts video;
decoding pixels for steps is :mod:`robofuel.video`."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av


@dataclass
class Clip:
    """A video file holding one episode's frames, with every frame's presentation time (s, episode clock)."""

    file: Path
    codec: str
    width: int
    height: int
    times_s: list[Fraction]
    inside: int  # frames inside the episode's range
    lead: int = 0  # frames before it, copied from the previous keyframe on
    trail: int = 0  # frames after it, needed to decode frames inside (reordered codecs)


def _stream_info(stream: Any) -> tuple[str, int, int, Fraction]:
    """(FFmpeg codec name, width, height, time base) of a video stream."""
    ctx = stream.codec_context
    tb = Fraction(stream.time_base or Fraction(1))
    return str(ctx.codec.canonical_name), int(ctx.width), int(ctx.height), tb


def _pts(packet: Any) -> int:
    return int(packet.pts or 0)


def probe_video(path: Path) -> Clip:
    """The frames of a whole file by reading packets (no decoding): codec, size, sorted presentation times."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec, width, height, tb = _stream_info(stream)
        times = sorted(_pts(p) * tb for p in container.demux(stream) if p.size and p.pts is not None)
    return Clip(path, codec, width, height, times, inside=len(times))


def cut_video(src: Path, dst: Path, from_s: float, to_s: float, tolerance_s: float) -> Clip:
    """Copy the packets of the frames shown in [from_s, to_s) of ``src`` into the MP4 ``dst``, no decoding.

    Both bounds are moved ``tolerance_s`` (half a frame) earlier, so that float rounding of the bounds
    cannot move a frame into the wrong episode. Copying starts at the last keyframe shown at or before the
    first frame, so that the result decodes; frames before ``from_s`` copied that way are counted in
    ``lead``, frames after ``to_s`` that frames inside need (reordered codecs) in ``trail``. Returned times
    are relative to ``from_s`` (the episode clock), one per frame of ``dst`` in presentation order.
    """
    start = _decimal(from_s)
    lo, hi = start - _decimal(tolerance_s), _decimal(to_s) - _decimal(tolerance_s)
    with av.open(str(src)) as inp:
        stream = inp.streams.video[0]
        codec, width, height, tb = _stream_info(stream)
        packets = [p for p in inp.demux(stream) if p.size and p.pts is not None]
        inside = [i for i, p in enumerate(packets) if lo <= _pts(p) * tb < hi]
        if not inside:
            raise ValueError(f"no frame between {from_s} s and {to_s} s of the file")
        key = _keyframe_before(packets, inside[0], min(_pts(packets[i]) for i in inside))
        # Frames decoded after the keyframe but shown before it (open-GOP leading frames) may need frames
        # before the keyframe: they are left out (they are all before the range).
        chosen = [p for p in packets[key : inside[-1] + 1] if _pts(p) >= _pts(packets[key])]
        shown = sorted(_pts(p) * tb for p in chosen)  # before _mux_copy moves the packets' times
        _mux_copy(stream, chosen, dst)
    lead = sum(1 for t in shown if t < lo)
    times = [t - start for t in shown]
    return Clip(dst, codec, width, height, times, len(inside), lead, len(chosen) - len(inside) - lead)


def _decimal(seconds: float) -> Fraction:
    """A float as the decimal it was written as (1.3 -> 13/10), so that times come out as exact ns."""
    return Fraction(repr(float(seconds)))


def _keyframe_before(packets: list[Any], index: int, first_pts: int) -> int:
    """Index (decode order) of the last keyframe at or before ``index`` that is shown at or before
    ``first_pts``; 0 if there is none."""
    while index > 0 and not (packets[index].is_keyframe and _pts(packets[index]) <= first_pts):
        index -= 1
    return index


def _mux_copy(template: Any, packets: list[Any], dst: Path) -> None:
    """Write ``packets`` (decode order) to a new MP4 with one stream like ``template``, starting at 0."""
    shift = min(p.dts if p.dts is not None else p.pts for p in packets)
    with av.open(str(dst), "w", format="mp4") as out:
        ostream = out.add_stream_from_template(template, opaque=True)
        for p in packets:
            p.pts -= shift
            if p.dts is not None:
                p.dts -= shift
            p.stream = ostream
            out.mux(p)
