"""Video rules beside :mod:`robofuel.steps.qc.rules_video`: frozen frames (judged against motion), under-exposure,
and a declared codec that the packets' own bytes contradict (read from the first bytes, nothing decoded) or that
a video file's container contradicts (a LeRobot dataset whose info.json says h264 over MPEG-4 part 2 files).

Luma is 8-bit (0-255); a frame difference is the 99.9th percentile of the absolute luma change between consecutive
sampled frames (2x subsampled): a keyframe re-encoding a repeated image changes it by a few levels only. A camera
carried by the arm (name or frame with MOUNTED_HINTS) may see a still view while the arm moves (an object held
against a plain background), so only cameras that watch the motion are judged frozen.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from robofuel.standard import Episode, Severity, Storage, Stream, StreamKind, VideoData
from robofuel.steps.qc.context import RuleContext, runs
from robofuel.steps.qc.rules_behaviour import MOTION_ROLES, speed
from robofuel.video import codec_name

#: Names of one codec that FFmpeg and recorders use interchangeably.
SAME_CODEC = {"jpeg": "mjpeg", "h265": "hevc", "x264": "h264", "avc": "h264"}
PROBED = frozenset({"h264", "hevc", "mjpeg", "png"})
H264_FIRST = frozenset({1, 5, 6, 7, 8, 9})  # slice, IDR, SEI, SPS, PPS, access unit delimiter
HEVC_FIRST = frozenset({*range(0, 10), *range(16, 22), 32, 33, 34, 35, 39})
MOUNTED_HINTS = ("wrist", "hand", "gripper", "eye_in_hand")
BROKEN_TIMING = frozenset({"timing.gap", "timing.non_monotonic", "timing.duplicate_timestamp"})


def _annex_b(packet: bytes) -> str | None:
    """h264 or hevc from the first NAL unit header of an Annex B packet (forbidden bit clear, a type that starts
    an access unit, nuh_layer_id 0 for HEVC); None when it reads as neither or as both."""
    pos = packet.find(b"\x00\x00\x01")
    if pos < 0 or pos + 4 >= len(packet) or any(packet[:pos]):
        return None
    head, second = packet[pos + 3], packet[pos + 4]
    if head & 0x80:
        return None
    h264 = head & 0x1F in H264_FIRST and not (head & 0x1F == 6 and head & 0x60)  # SEI has nal_ref_idc 0
    hevc = (head >> 1) & 0x3F in HEVC_FIRST and (head & 1) == 0 and second & 0xF8 == 0 and second & 7 != 0
    return "h264" if h264 and not hevc else "hevc" if hevc and not h264 else None


def probe_codec(packet: bytes) -> str | None:
    """The codec a packet's first bytes say (JPEG SOI, PNG signature, Annex B H.264 / HEVC); None if unknown."""
    if packet[:3] == b"\xff\xd8\xff":
        return "mjpeg"
    if packet[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return _annex_b(packet)


def source_codec(meta: Episode, stream: Stream) -> str | None:
    """The codec the recording's own metadata declares for a camera stream: a LeRobot feature's ``video.codec``
    (``Episode.extra["lerobot"]``, the feature named by ``Stream.source``); None when it declares none."""
    source = meta.extra.get("lerobot")
    features = source.get("features") if isinstance(source, dict) else None
    feature = features.get(stream.source or stream.name) if isinstance(features, dict) else None
    info = feature.get("info") if isinstance(feature, dict) else None
    codec = info.get("video.codec") if isinstance(info, dict) else None
    return str(codec) if codec else None


def _file_codec_mismatch(ctx: RuleContext, s: Stream) -> None:
    """A video file (its codec read from the container at ingest) whose recording declares another codec."""
    declared = source_codec(ctx.data.meta, s)
    if declared and s.codec and codec_name(declared) != codec_name(s.codec):
        message = f"{s.name}: the recording's metadata declares {declared}, the video file is {s.codec}"
        ctx.add("video.codec_mismatch", Severity.blocking, message, stream=s.name, value=None)


def codec_mismatch(ctx: RuleContext) -> None:
    """The codec a packet stream declares differs from what its first packets are (up to 5 probed); a video file's
    codec differs from the one its recording's metadata declares (:func:`source_codec`)."""
    for s in ctx.data.meta.streams:
        if s.kind is StreamKind.video and s.storage is Storage.video_file:
            _file_codec_mismatch(ctx, s)
        video = ctx.data.payloads.get(s.name)
        if s.kind is not StreamKind.video or not isinstance(video, VideoData) or not video.packets:
            continue
        declared = SAME_CODEC.get(video.codec, video.codec)
        if declared not in PROBED:
            continue
        probed = {probe_codec(p) for p in video.packets[:5]} - {None}
        if len(probed) == 1 and declared not in probed:
            (real,) = probed
            ctx.add(
                "video.codec_mismatch",
                Severity.blocking,
                f"{s.name}: declared {video.codec}, packets are {real}",
                stream=s.name,
                value=None,
            )


def moving_at(ctx: RuleContext, ts: list[int]) -> npt.NDArray[np.bool_] | None:
    """Whether the first motion stream moves (speed above ``idle_speed_fraction`` of its 95th percentile) at each
    time of ``ts`` (ns); None without a motion stream whose stamps can be trusted (one with a gap or stamps that run
    backwards would put its motion at the wrong frames)."""
    broken = {f.stream for f in ctx.data.meta.findings if f.code in BROKEN_TIMING}
    for s, d in ctx.numeric(*MOTION_ROLES):
        if len(d.timestamps_ns) < 10 or s.name in broken:
            continue
        v = speed(s, d)
        moving = v > ctx.th["idle_speed_fraction"] * np.percentile(v, 95)
        idx = np.clip(np.searchsorted(d.timestamps_ns, np.asarray(ts, dtype=np.int64)), 0, len(v) - 1)
        return np.asarray(moving[idx], dtype=bool)
    return None


def frozen_frames(ctx: RuleContext, name: str, ts: list[int], diffs: list[float]) -> None:
    """Sampled frames that repeat the previous one (difference below ``frozen_video_luma``) for ``frozen_video_s``
    while the scene's motion stream moves for ``frozen_video_motion_s`` of that span: the camera stopped
    updating. Cameras on the arm are not judged; without a motion stream a still scene cannot be told from a
    frozen camera, so nothing is judged."""
    stream = next(s for s in ctx.data.meta.streams if s.name == name)
    where = f"{name} {stream.frame or ''}".lower()
    if len(ts) < 3 or any(h in where for h in MOUNTED_HINTS):
        return
    moving = moving_at(ctx, ts)
    if moving is None:
        return
    same = np.asarray(diffs) < ctx.th["frozen_video_luma"]  # diffs[i]: frame i against frame i - 1
    step_s = float(np.median(np.diff(ts))) / 1e9
    for a, b in runs(same[1:]):
        start, end = ts[a], ts[b]
        moving_s = float(moving[a : b + 1].sum()) * step_s
        if (end - start) / 1e9 >= ctx.th["frozen_video_s"] and moving_s >= ctx.th["frozen_video_motion_s"]:
            ctx.add(
                "video.frozen",
                Severity.blocking,
                f"{name}: frames repeat for {(end - start) / 1e9:.1f} s while the scene moves",
                stream=name,
                span_ns=(start, end),
                value=(end - start) / 1e9,
            )


def underexposed(
    ctx: RuleContext, name: str, ts: list[int], luma: npt.NDArray[np.float64], black: npt.NDArray[np.bool_]
) -> None:
    """Sampled frames darker than ``underexposed_luma`` (mean luma) that are not black (``black``: video.black's)."""
    dark = (luma < ctx.th["underexposed_luma"]) & ~black
    for a, b in runs(dark):
        ctx.add(
            "video.underexposed",
            Severity.warning,
            f"{name}: {b - a} sampled frames are under-exposed (mean luma {luma[a:b].mean():.0f})",
            stream=name,
            span_ns=(ts[a], ts[b - 1]),
            value=float(b - a),
        )
