"""Reader for video files (docs/formats/video.md): any container PyAV opens as a camera stream, never re-encoded.

A recording is one video file (MP4, MOV, MKV, WebM, AVI: H.264, H.265, MPEG-4 part 2, MJPEG, VP9, AV1...), or a
folder holding one video file and its companion tables (a folder of several videos is searched: each video is a
recording, their clocks not being known to be one). One camera stream per video, named after the file, role
``camera_rgb``, the file kept byte for byte. Frame times: ``<video stem>_frames.csv`` (``frame_index,timestamp_ns``,
the wearable layout's frame table) when present, else the container's presentation times from 0 (``extra.time_base``
says which). Other tables in the folder whose name starts with the video's stem (``<stem>*.csv``: tactile marker
tracks, per-frame labels) are companion numeric streams, read by the csv reader: timed by their own time column,
else one row per frame of the video.

Refused (UnreadableRecording): a file without a video stream, or without any packet that decodes ("no decodable
frame"). A frame table whose length differs from the video's frame count is a blocking finding (the container's
times are used instead); a companion table that cannot be timed is a blocking finding and is left out.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import Built, ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.ingest.mapping.table import TableSpec
from robofuel.ingest.table.csv import SUFFIXES, read_table, stream_name, table_streams
from robofuel.ingest.table.text import frame_times
from robofuel.ingest.video.clip import Clip, probe_video
from robofuel.standard import Finding, Severity, VideoData, video_stream

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi")
#: What PyAV raises on a damaged container (a stream without codec context gives AttributeError).
VIDEO_ERRORS = (av.FFmpegError, OSError, IndexError, ValueError, AttributeError, TypeError)
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")


def has_video_magic(path: Path) -> bool:
    """Whether the file starts like an MP4/MOV, Matroska/WebM or AVI container; False on any error."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return head[4:8] in _MP4_BOXES or head[:4] == b"\x1a\x45\xdf\xa3" or (head[:4] == b"RIFF" and head[8:11] == b"AVI")


def _videos(folder: Path) -> list[Path] | None:
    """The video of a folder holding one video and its companion tables, else None (a folder of several videos is
    several recordings: their clocks are not known to be one)."""
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return None
    videos = sorted(p for p in entries if p.suffix.lower() in VIDEO_SUFFIXES and has_video_magic(p))
    for p in entries:
        companion = p.suffix.lower() in SUFFIXES and any(p.name.startswith(v.stem) for v in videos)
        if p not in videos and not (p.is_file() and companion):
            return None
    return videos if len(videos) == 1 else None


def _first_frame(path: Path) -> bool:
    """Whether some packet of the first video stream decodes into a frame (packets that fail are passed over, as a
    player does at a stream that starts between keyframes)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            try:
                if stream.codec_context.decode(packet):
                    return True
            except av.FFmpegError:
                continue
        try:
            return bool(stream.codec_context.decode(None))
        except av.FFmpegError:
            return False


def probe(path: Path) -> Clip:
    """Codec, size and frame times of a video file; UnreadableRecording when it has no decodable frame."""
    try:
        clip = probe_video(path)
        decodes = _first_frame(path)
    except VIDEO_ERRORS as exc:
        raise UnreadableRecording(str(path), f"not a readable video ({exc})", "check the file, or re-copy it") from exc
    if not decodes or not clip.times_s:
        raise UnreadableRecording(
            str(path), "the video has no decodable frame", "re-export the video; robofuel stores it only if it decodes"
        )
    return clip


def _camera(path: Path, report: ReadReport, findings: list[Finding]) -> tuple[Built, str]:
    """The camera stream of one video, and how its frames are timed."""
    clip = probe(path)
    times = np.array([round(t * 1_000_000_000) for t in clip.times_s], dtype=np.int64)
    how = "container presentation times from 0"
    table = path.with_name(f"{path.stem}_frames.csv")
    if table.is_file():
        stamps = frame_times(table, report, findings)
        if len(stamps) == len(times):
            times, how = stamps, f"{table.name}"
        else:
            text = (
                f"{table.name}: {len(stamps)} frame times for {len(times)} frames of {path.name}; container times used"
            )
            findings.append(report.finding("ingest.frame_count_mismatch", text, Severity.blocking))
    data = VideoData(times, codec=clip.codec, width=clip.width, height=clip.height, file=path)
    report.decoded += len(times)
    stream = video_stream(stream_name(path), data, source=path.name)
    report.add_stream(stream, codec=clip.codec, timing=how)
    return (stream, data), how


def _companions(video: Path, frames: VideoData, report: ReadReport, findings: list[Finding]) -> list[Built]:
    """Tables named after the video (other than its frame table) as numeric streams."""
    out: list[Built] = []
    for table in sorted(video.parent.glob(f"{video.stem}*")):
        if table.suffix.lower() not in SUFFIXES or table.name == f"{video.stem}_frames.csv":
            continue
        try:
            parsed = read_table(table, report, TableSpec(), frames.timestamps_ns)
        except UnreadableRecording as exc:
            text = f"{table.name}: companion table not read ({exc.problem}; {exc.hint})"
            findings.append(report.finding("ingest.companion_unreadable", text, Severity.blocking))
            continue
        findings += parsed.findings
        for built in table_streams(parsed, table, TableSpec(), report):
            report.decoded += built[0].count
            report.add_stream(built[0], **parsed.timing)
            out.append(built)
    return out


class VideoReader(Reader):
    name = "video"
    description = (
        "video files PyAV opens (MP4, MOV, MKV, WebM, AVI), alone or with per-frame tables (docs/formats/video.md)"
    )
    fallback = True

    def sniff(self, path: Path) -> bool:
        try:
            if path.is_dir():
                return _videos(path) is not None
            return path.suffix.lower() in VIDEO_SUFFIXES and has_video_magic(path)
        except OSError:
            return False

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        videos = _videos(path) if path.is_dir() else [path]
        if not videos:
            raise UnreadableRecording(str(path), "no video file here", "see docs/formats/video.md")
        report = ReadReport(str(path), self.name)
        findings: list[Finding] = []
        streams: list[Built] = []
        timing: dict[str, str] = {}
        for video in videos:
            camera, timing[video.name] = _camera(video, report, findings)
            streams.append(camera)
            if path.is_dir():
                assert isinstance(camera[1], VideoData)
                streams += _companions(video, camera[1], report, findings)
        relative = any(how.startswith("container") for how in timing.values())
        extra = {"time_base": "relative" if relative else "unix", "video_timing": timing}
        episode = make_episode(ctx, self.name, 0, streams, findings=findings, extra=extra)
        return ReadResult([episode], report)
