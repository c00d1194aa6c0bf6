"""Splitting one episode into several by time, for the ``[split]`` table of a mapping file.

The file format and the exact rules (what a gap, a marker event and a window remainder are) are specified in
:mod:`robofuel.ingest.mapping.apply` and docs/formats/mapping.md. Here:

- :func:`plan_pieces` turns a rule into *pieces*: half-open time ranges ``[lo, hi)`` (ns) that tile the whole time
  axis, so that every sample of every stream falls into exactly one piece;
- :class:`Slicer` cuts each stream's payload to a piece: numeric rows and video packets by timestamp, audio by
  sample index, MP4 files with :func:`~robofuel.ingest.video.clip.cut_video` (packets copied, not re-encoded);
- :func:`piece_meta` builds a piece's episode metadata, with the original's findings and segments re-based.
"""

from __future__ import annotations

import tempfile
import wave
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
import numpy.typing as npt

from robofuel.errors import InputError
from robofuel.ingest.base import Built, ReadReport
from robofuel.ingest.video.clip import cut_video, probe_video
from robofuel.standard import (
    AudioData,
    Episode,
    EpisodeData,
    EventsData,
    Finding,
    NumericData,
    Segment,
    Severity,
    Stream,
    VideoData,
)
from robofuel.standard.data import I64, episode_span, measured_rate
from robofuel.video import is_keyframe

NS = 1_000_000_000
STEP = "ingest.mapping"
#: Codecs whose every frame decodes on its own.

Mask = npt.NDArray[np.bool_]


SplitBy = Literal["gap", "marker", "window"]
MarkerEvent = Literal["change", "rise", "sample"]
BeforeFirst = Literal["keep", "drop"]
Remainder = Literal["merge", "drop"]


@dataclass(frozen=True)
class SplitRule:
    """The ``[split]`` table of a mapping file, validated."""

    by: SplitBy
    gap_s: float | None = None
    stream: str | None = None
    column: str | None = None
    event: MarkerEvent = "change"
    threshold: float | None = None
    before_first: BeforeFirst = "keep"
    window_s: float | None = None
    min_s: float | None = None
    remainder: Remainder = "merge"


@dataclass
class Notes:
    """Where the mapping writes what it did: warning/info findings and skip counts in the report."""

    report: ReadReport
    said: set[str] = field(default_factory=set)

    def once(self, code: str, message: str, severity: Severity = Severity.warning, **kw: Any) -> None:
        """A report finding, unless the same message was given already (a rule is checked on every episode)."""
        if message not in self.said:
            self.said.add(message)
            self.finding(code, message, severity, **kw)

    def finding(self, code: str, message: str, severity: Severity = Severity.warning, **kw: Any) -> Finding:
        found = Finding(code=code, severity=severity, message=message, step=STEP, **kw)
        self.report.findings.append(found)
        return found

    def skip(self, reason: str, count: int) -> None:
        self.report.skipped[reason] += count


@dataclass
class Piece:
    """Samples with ``lo <= t < hi`` (ns; None: unbounded). ``drop`` says why it is not made into an episode."""

    lo: int | None
    hi: int | None
    drop: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def mask(self, ts: I64) -> Mask:
        inside = np.ones(len(ts), dtype=bool)
        if self.lo is not None:
            inside &= ts >= self.lo
        if self.hi is not None:
            inside &= ts < self.hi
        return inside

    def overlaps(self, a: int, b: int) -> bool:
        """Whether the closed range [a, b] (ns) meets this piece."""
        return (self.hi is None or a < self.hi) and (self.lo is None or b >= self.lo)


def pieces_from_cuts(cuts: list[int]) -> list[Piece]:
    """Pieces between sorted distinct cut times: (-inf, c1), [c1, c2), ..., [ck, +inf)."""
    bounds: list[int | None] = [None, *sorted(set(cuts)), None]
    return [Piece(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


# --- where the cuts go ------------------------------------------------------------------------------------------


def sample_times(payload: Any) -> I64:
    """Every sample time of a numeric or video payload (audio: its first and last sample)."""
    if isinstance(payload, AudioData):
        if not payload.count:
            return np.zeros(0, dtype=np.int64)
        end = payload.start_ns + round((payload.count - 1) * NS / payload.sample_rate)
        return np.array([payload.start_ns, end], dtype=np.int64)
    return np.asarray(payload.timestamps_ns, dtype=np.int64)


def _covered(payload: Any) -> tuple[I64, I64]:
    """(starts, ends) of the time ranges a payload covers: one per sample, audio as one continuous range."""
    ts = sample_times(payload)
    if isinstance(payload, AudioData) and len(ts):
        return ts[:1], ts[1:]
    return ts, ts


def gap_cuts(payloads: list[Any], gap_s: float) -> list[int]:
    """Times of the first sample after each gap longer than ``gap_s`` in which none of ``payloads`` has a sample."""
    parts = [_covered(p) for p in payloads]
    starts = np.concatenate([s for s, _ in parts] or [np.zeros(0, np.int64)])
    ends = np.concatenate([e for _, e in parts] or [np.zeros(0, np.int64)])
    if len(starts) < 2:
        return []
    order = np.argsort(starts, kind="stable")
    starts, reach = starts[order], np.maximum.accumulate(ends[order])
    gaps = np.flatnonzero(starts[1:] - reach[:-1] > round(gap_s * NS))
    return [int(starts[i + 1]) for i in gaps]


def marker_cuts(data: NumericData, col: int, rule: SplitRule) -> list[int]:
    """Event times of a marker column (time order, NaN rows ignored): see the module docs of mapping.py."""
    values = data.values[:, col]
    ok = ~np.isnan(values)
    order = np.argsort(data.timestamps_ns[ok], kind="stable")
    t, v = data.timestamps_ns[ok][order], values[ok][order]
    if rule.event == "sample":
        return [int(x) for x in t]
    if rule.event == "change":
        hits = np.flatnonzero(v[1:] != v[:-1]) + 1
    else:
        thr = float(rule.threshold if rule.threshold is not None else 0.0)
        hits = np.flatnonzero((v[:-1] <= thr) & (v[1:] > thr)) + 1
    return [int(t[i]) for i in hits]


def window_pieces(first: int, last: int, rule: SplitRule, notes: Notes, label: str) -> list[Piece]:
    """Windows of ``window_s`` from the first sample; a last window shorter than ``min_s`` merged or dropped."""
    step = max(1, round(float(rule.window_s or 0.0) * NS))
    cuts = list(range(first + step, last + 1, step))
    pieces = pieces_from_cuts(cuts)
    if not cuts or rule.min_s is None:
        return pieces
    length_s = (last - cuts[-1]) / NS
    if length_s >= rule.min_s:
        return pieces
    verb = "merged into the window before it" if rule.remainder == "merge" else "dropped"
    message = f"{label}: last window is {length_s:.3f} s long, shorter than min_s = {rule.min_s} s: {verb}"
    notes.finding("mapping.split_remainder", message, Severity.info, value=length_s)
    if rule.remainder == "merge":
        return pieces_from_cuts(cuts[:-1])
    pieces[-1].drop = "split remainder shorter than min_s"
    return pieces


# --- cutting payloads -------------------------------------------------------------------------------------------


def restat(stream: Stream, ts: I64) -> Stream:
    """``stream`` with count, time span and measured rate taken from the timestamps ``ts``."""
    start, end = (int(ts.min()), int(ts.max())) if len(ts) else (None, None)
    update = {"count": len(ts), "start_ns": start, "end_ns": end, "measured_rate_hz": measured_rate(ts)}
    return stream.model_copy(update=update)


def _audio_index(audio: AudioData, t: int | None, default: int) -> int:
    """Index of the first sample at or after ``t`` (sample k is at start + k / rate), within [0, count]."""
    if t is None:
        return default
    k = -((-(t - audio.start_ns) * audio.sample_rate) // NS)
    return min(max(k, 0), audio.count)


@dataclass
class _FileVideo:
    """An MP4's frame times in the file (s, presentation order: frame i has timestamp i), and half a frame (s)."""

    times_s: list[Fraction]
    tolerance_s: float


class Slicer:
    """Cuts payloads to pieces; files it writes (MP4, WAV) go to one temporary folder (see ``temp_dirs``)."""

    def __init__(self, notes: Notes) -> None:
        self.notes = notes
        self.temp_dirs: list[Path] = []
        self._files = 0
        self._probed: dict[Path, _FileVideo | str] = {}

    def _new_file(self, name: str, suffix: str) -> Path:
        if not self.temp_dirs:
            self.temp_dirs.append(Path(tempfile.mkdtemp(prefix="robofuel-mapping-")))
        self._files += 1
        return self.temp_dirs[0] / f"{self._files:05d}_{name}{suffix}"

    def unsplittable(self, payload: Any) -> str | None:
        """Why a payload cannot be cut (a video file that cannot be matched to its timestamps), else None."""
        if isinstance(payload, AudioData):
            return None if payload.samples is not None or payload.file is not None else "audio without samples"
        if not isinstance(payload, VideoData) or payload.file is None:
            return None
        probed = self._probe(payload)
        return probed if isinstance(probed, str) else None

    def _probe(self, video: VideoData) -> _FileVideo | str:
        assert video.file is not None
        if video.file not in self._probed:
            self._probed[video.file] = self._probe_file(video)
        return self._probed[video.file]

    @staticmethod
    def _probe_file(video: VideoData) -> _FileVideo | str:
        assert video.file is not None
        try:
            times = probe_video(video.file).times_s
        except (av.FFmpegError, OSError, IndexError, ValueError) as exc:
            return f"the file {video.file.name} cannot be read ({exc})"
        if len(times) != len(video.timestamps_ns):
            return f"the file has {len(times)} frames for {len(video.timestamps_ns)} timestamps"
        if np.any(np.diff(video.timestamps_ns) < 0):
            return "its frame timestamps go back in time"
        steps = [float(b - a) for a, b in pairwise(times) if b > a]
        return _FileVideo(times, tolerance_s=0.5 * min(steps) if steps else 0.5)

    def cut(self, stream: Stream, payload: Any, piece: Piece) -> Built | None:
        """``stream`` restricted to ``piece``; None when none of its samples is inside."""
        if isinstance(payload, AudioData):
            return self._audio(stream, payload, piece)
        inside = piece.mask(payload.timestamps_ns)
        if not inside.any():
            return None
        ts = payload.timestamps_ns[inside]
        if isinstance(payload, NumericData):
            return restat(stream, ts), NumericData(ts, payload.values[inside])
        if isinstance(payload, EventsData):
            return restat(stream, ts), payload.take(inside)
        if inside.all():
            return stream, payload
        if payload.file is not None:
            return self._video_file(stream, payload, piece, np.flatnonzero(inside))
        return self._packets(stream, payload, piece, np.flatnonzero(inside))

    def _packets(self, stream: Stream, video: VideoData, piece: Piece, idx: npt.NDArray[np.intp]) -> Built:
        packets = video.packets or []
        data = VideoData(
            video.timestamps_ns[idx], video.codec, video.width, video.height, packets=[packets[i] for i in idx]
        )
        if idx[0] > 0:
            self._check_keyframe(stream, data, piece)
        return restat(stream, data.timestamps_ns), data

    def _check_keyframe(self, stream: Stream, data: VideoData, piece: Piece) -> None:
        packets = data.packets or []
        first = next((i for i, p in enumerate(packets) if is_keyframe(data.codec, p) is not False), None)
        if first == 0:
            return
        lost = len(packets) if first is None else first
        message = (
            f"{stream.name}: the split cut this {data.codec} stream between keyframes; the first {lost} frames of "
            "the piece cannot be decoded without the frames before it (packets are copied, never re-encoded)"
        )
        piece.findings.append(
            self.notes.finding("mapping.video_mid_gop", message, stream=stream.name, value=float(lost))
        )

    def _video_file(self, stream: Stream, video: VideoData, piece: Piece, idx: npt.NDArray[np.intp]) -> Built:
        probed = self._probe(video)
        assert isinstance(probed, _FileVideo) and video.file is not None
        times, tol = probed.times_s, probed.tolerance_s
        first, last = int(idx[0]), int(idx[-1])
        to_s = float(times[last + 1]) if last + 1 < len(times) else float(times[last]) + 2 * tol
        dst = self._new_file(stream.name, ".mp4")
        clip = cut_video(video.file, dst, float(times[first]), to_s, tolerance_s=tol)
        index = {t: i for i, t in enumerate(times)}
        base = Fraction(repr(float(times[first])))  # the origin cut_video gives its times from
        shown = [index[base + t] for t in clip.times_s]
        data = VideoData(video.timestamps_ns[shown], clip.codec, clip.width, clip.height, file=dst)
        if clip.lead or clip.trail:
            message = (
                f"{stream.name}: the piece starts between keyframes of {video.file.name}; {clip.lead} frames "
                f"before it and {clip.trail} after it were copied too so that every frame decodes"
            )
            value = float(clip.lead + clip.trail)
            piece.findings.append(
                self.notes.finding(
                    "mapping.video_extra_frames", message, Severity.info, stream=stream.name, value=value
                )
            )
        return restat(stream, data.timestamps_ns), data

    def _audio(self, stream: Stream, audio: AudioData, piece: Piece) -> Built | None:
        k0, k1 = _audio_index(audio, piece.lo, 0), _audio_index(audio, piece.hi, audio.count)
        if k1 <= k0:
            return None
        if k0 == 0 and k1 == audio.count:
            return stream, audio
        start = audio.start_ns + round(k0 * NS / audio.sample_rate)
        if audio.samples is not None:
            data = AudioData(start, audio.sample_rate, audio.channels, k1 - k0, samples=audio.samples[k0:k1])
        else:
            data = AudioData(start, audio.sample_rate, audio.channels, k1 - k0, file=self._wav(stream, audio, k0, k1))
        end = start + round(data.count * NS / data.sample_rate)
        return stream.model_copy(update={"count": data.count, "start_ns": start, "end_ns": end}), data

    def _wav(self, stream: Stream, audio: AudioData, k0: int, k1: int) -> Path:
        assert audio.file is not None
        dst = self._new_file(stream.name, ".wav")
        with wave.open(str(audio.file)) as src, wave.open(str(dst), "wb") as out:
            out.setnchannels(src.getnchannels())
            out.setsampwidth(src.getsampwidth())
            out.setframerate(src.getframerate())
            src.setpos(k0)
            out.writeframes(src.readframes(k1 - k0))
        return dst


# --- the pieces' metadata ---------------------------------------------------------------------------------------


def _rebased(start_s: float, end_s: float | None, offset_s: float, duration_s: float) -> dict[str, float]:
    def clamp(x: float) -> float:
        return min(max(x - offset_s, 0.0), duration_s)

    return {"start_s": clamp(start_s), "end_s": clamp(end_s if end_s is not None else start_s)}


def rebase_findings(
    findings: list[Finding], origin_ns: int, piece: Piece, start_ns: int, duration_s: float
) -> list[Finding]:
    """Findings of the original episode that belong to ``piece``, with times from the piece's start.

    A finding without a time goes to every piece; a timed one to each piece its range meets, its range clipped to
    the piece's episode.
    """
    out = []
    offset_s = (start_ns - origin_ns) / NS
    for f in findings:
        if f.start_s is None:
            out.append(f)
            continue
        a = origin_ns + round(f.start_s * NS)
        b = origin_ns + round((f.end_s if f.end_s is not None else f.start_s) * NS)
        if piece.overlaps(a, b):
            times = _rebased(f.start_s, f.end_s, offset_s, duration_s)
            if f.end_s is None:
                times.pop("end_s")
            out.append(f.model_copy(update=times))
    return out


def rebase_segments(
    segments: list[Segment], origin_ns: int, piece: Piece, start_ns: int, duration_s: float
) -> list[Segment]:
    """Segments meeting ``piece``, clipped to it, times from the piece's start."""
    offset_s = (start_ns - origin_ns) / NS
    return [
        s.model_copy(update=_rebased(s.start_s, s.end_s, offset_s, duration_s))
        for s in segments
        if piece.overlaps(origin_ns + round(s.start_s * NS), origin_ns + round(s.end_s * NS))
    ]


def piece_meta(original: Episode, piece: Piece, streams: list[Stream], **update: Any) -> Episode:
    """The metadata of a piece of ``original``: its streams, span, re-based findings and segments."""
    start_ns, duration_s = episode_span(streams)
    findings = rebase_findings(original.findings, original.start_ns, piece, start_ns, duration_s)
    segments = rebase_segments(original.segments, original.start_ns, piece, start_ns, duration_s)
    fields = {
        "streams": streams,
        "start_ns": start_ns,
        "duration_s": duration_s,
        "findings": findings + piece.findings,
        "segments": segments,
        "content_hash": None,
        **update,
    }
    return original.model_copy(update=fields, deep=True)


def split_payloads(data: EpisodeData, pieces: list[Piece], keep: set[str], slicer: Slicer) -> list[list[Built]]:
    """Each piece's streams (only those in ``keep``), in the episode's stream order; unsplittable ones whole."""
    out: list[list[Built]] = [[] for _ in pieces]
    for stream in data.meta.streams:
        if stream.name not in keep:
            continue
        payload = data.payloads[stream.name]
        why = slicer.unsplittable(payload)
        if why is None:
            for built, piece in zip(out, pieces, strict=True):
                cut = slicer.cut(stream, payload, piece)
                if cut is not None:
                    built.append(cut)
            continue
        times = sample_times(payload)
        home = next((i for i, p in enumerate(pieces) if p.drop is None and len(times) and p.mask(times[:1]).all()), 0)
        message = f"{stream.name}: not split ({why}); the whole stream stays with the episode where it starts"
        found = slicer.notes.finding("mapping.not_split", message, stream=stream.name)
        for piece in pieces:
            piece.findings.append(found)
        out[home].append((stream, payload))
    return out


def plan_pieces(data: EpisodeData, rule: SplitRule, stream: Stream | None, file: Path, notes: Notes) -> list[Piece]:
    """The pieces ``rule`` cuts ``data`` into; ``stream`` is the stream ``split.stream`` names, if it names one."""
    if rule.by == "gap":
        payloads = [data.payloads[stream.name]] if stream else list(data.payloads.values())
        return pieces_from_cuts(gap_cuts(payloads, float(rule.gap_s or 0.0)))
    if rule.by == "window":
        times = np.concatenate([sample_times(p) for p in data.payloads.values()] or [np.zeros(0, np.int64)])
        if not len(times):
            return [Piece(None, None)]
        return window_pieces(int(times.min()), int(times.max()), rule, notes, data.meta.id)
    assert stream is not None
    cuts = marker_cuts(_marker_data(data, stream, file), _marker_column(stream, rule, file), rule)
    if not cuts:
        notes.once("mapping.no_marker_event", f"split.stream = {rule.stream!r}: no {rule.event} event; not split")
        return [Piece(None, None)]
    pieces = pieces_from_cuts(cuts)
    if rule.before_first == "drop":
        pieces[0].drop = "before the first marker event"
    return pieces


def _marker_data(data: EpisodeData, stream: Stream, file: Path) -> NumericData:
    payload = data.payloads[stream.name]
    if not isinstance(payload, NumericData):
        raise InputError(
            f"{file}: split.stream: {stream.name!r} is a {stream.kind.value} stream; a marker must be a numeric "
            "stream (a button, a counter, an /episode_start topic): name one"
        )
    return payload


def _marker_column(stream: Stream, rule: SplitRule, file: Path) -> int:
    if rule.column is None and len(stream.columns) == 1:
        return 0
    if rule.column in stream.columns:
        return stream.columns.index(rule.column)
    problem = "names no column of" if rule.column is not None else "is needed: more than one column in"
    example = stream.columns[0] if stream.columns else "data"
    raise InputError(
        f"{file}: split.column {problem} stream {stream.name!r}; write one of its columns, "
        f'e.g. column = "{example}" (columns: {", ".join(stream.columns)})'
    )
