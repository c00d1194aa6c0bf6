"""Reader for the ``wearable`` folder layout (docs/formats/wearable.md): session.json + CSV streams + video + WAV.

Videos may be in any container the video reader takes (MP4, MOV, MKV, WebM, AVI); a video entry without ``codec``
takes codec and size from the file.

One folder is one episode. Numeric CSV files start with an int64 ``timestamp_ns`` column (parsed exactly, never
through floats); a cut last line or malformed lines are skipped with a finding naming the file and line. A stream
declared in session.json whose file is absent gives a ``completeness.missing_stream`` finding; the rest is read.
"""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.ingest.table.text import bad_lines, frame_times
from robofuel.ingest.table.time import parse_ns
from robofuel.ingest.video.clip import probe_video
from robofuel.ingest.video.reader import VIDEO_ERRORS, VIDEO_SUFFIXES
from robofuel.standard import (
    AudioData,
    Finding,
    NumericData,
    Payload,
    Severity,
    Stream,
    VideoData,
    audio_stream,
    numeric_stream,
    video_stream,
)

FORMAT = "robofuel-wearable"
_INFO_KEYS = ("role", "unit", "frame", "rate_hz", "column_units")


def load_session(folder: Path) -> dict[str, Any]:
    """session.json as a dict; UnreadableRecording naming the file when it is not valid."""
    path = folder / "session.json"
    try:
        session = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UnreadableRecording(str(path), f"session.json is not valid JSON ({exc})", "fix or re-export it") from exc
    if not isinstance(session, dict) or session.get("format") != FORMAT:
        raise UnreadableRecording(str(path), f"'format' must be {FORMAT!r}", "see docs/formats/wearable.md")
    if not isinstance(session.get("streams"), dict):
        raise UnreadableRecording(str(path), "'streams' must map stream names to descriptions")
    return session


def read_csv(path: Path, report: ReadReport) -> tuple[list[str], NumericData, list[Finding]]:
    """Columns after timestamp_ns, the data, and findings for lines that could not be parsed. The layout's CSV is
    strict (first column ``timestamp_ns``, comma, one header line): other tables are the csv reader's."""
    text = path.read_bytes().decode("utf-8", errors="replace")  # a bad byte spoils its line, not the file
    lines = text.split("\n")
    header = lines[0].strip().split(",")
    if header[0] != "timestamp_ns":
        raise UnreadableRecording(str(path), f"first column is {header[0]!r}, expected 'timestamp_ns'")
    columns, width = header[1:], len(header)
    ts: list[int] = []
    rows: list[list[float]] = []
    bad: list[int] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split(",")
        try:
            if len(fields) != width:
                raise ValueError(f"{len(fields)} fields")
            row, stamp = [float(v) for v in fields[1:]], parse_ns(fields[0])
            rows.append(row)
            ts.append(stamp)
        except ValueError:
            bad.append(number)
    findings = bad_lines(path, report, bad, bool(bad) and not text.endswith("\n") and bad[-1] == len(lines))
    values = np.array(rows, dtype=np.float64).reshape(len(rows), len(columns))
    return columns, NumericData(np.array(ts, dtype=np.int64), values), findings


def _video(
    folder: Path, name: str, info: dict[str, Any], report: ReadReport, findings: list[Finding]
) -> tuple[Stream, Payload] | None:
    file, frames = folder / str(info.get("file", f"{name}.mp4")), folder / str(info.get("frames", f"{name}_frames.csv"))
    if not file.is_file() or not frames.is_file():
        return None
    stamps = frame_times(frames, report, findings)
    codec, width, height = info.get("codec"), info.get("width"), info.get("height")
    if codec is None:  # not declared: the file says (any container and codec PyAV reads)
        try:
            clip = probe_video(file)
        except VIDEO_ERRORS as exc:
            raise UnreadableRecording(str(file), f"not a readable video ({exc})", "re-export the video") from exc
        codec, width, height = clip.codec, width or clip.width, height or clip.height
    data = VideoData(stamps, codec=str(codec), width=width, height=height, file=file)
    report.decoded += len(stamps)
    return video_stream(name, data, frame=info.get("frame"), rate_hz=info.get("rate_hz"), source=file.name), data


def _audio(folder: Path, name: str, info: dict[str, Any], start_ns: int) -> tuple[Stream, Payload] | None:
    file = folder / str(info.get("file", f"{name}.wav"))
    if not file.is_file():
        return None
    try:
        with wave.open(str(file)) as w:
            rate, channels, count = w.getframerate(), w.getnchannels(), w.getnframes()
    except (wave.Error, EOFError) as exc:
        raise UnreadableRecording(str(file), f"not a readable WAV file ({exc})", "re-export the audio") from exc
    data = AudioData(int(info.get("start_ns", start_ns)), rate, channels, count, file=file)
    return audio_stream(name, data, source=file.name), data


def _numeric(folder: Path, name: str, info: dict[str, Any], report: ReadReport) -> Any:
    file = folder / str(info.get("file", f"{name}.csv"))
    if not file.is_file():
        return None
    columns, data, findings = read_csv(file, report)
    declared = info.get("columns")
    if declared and list(declared) != columns:
        findings.append(report.finding("metadata.columns_mismatch", f"{file.name}: header differs from session.json"))
    report.decoded += len(data.timestamps_ns)
    extra = {k: info[k] for k in _INFO_KEYS if k in info}
    return numeric_stream(name, data, columns, source=file.name, **extra), data, findings


def _metadata(session: dict[str, Any]) -> dict[str, Any]:
    keys = ("operator", "station", "scene", "site", "embodiment", "license")
    fields: dict[str, Any] = {k: session[k] for k in keys if k in session}
    fields["task"] = {"id": session.get("task_id"), "instruction": session.get("instruction")}
    if isinstance(session.get("success"), bool):
        fields["task"]["success"] = session["success"]
    fields["devices"] = [str(d) for d in session.get("devices", [])]
    if "consent" in session:
        fields["consent"] = session["consent"]  # true/false or purposes; the Episode model checks them
    return fields


class WearableReader(Reader):
    name = "wearable"
    description = "wearable capture folders: session.json + CSV streams + MP4 + WAV (docs/formats/wearable.md)"

    def sniff(self, path: Path) -> bool:
        try:
            session = json.loads((path / "session.json").read_text()) if path.is_dir() else None
        except (OSError, ValueError):
            return (path / "session.json").is_file()  # a broken session.json is still this format: read() says why
        return isinstance(session, dict) and session.get("format") == FORMAT

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        session = load_session(path)
        report = ReadReport(str(path), self.name)
        streams: list[tuple[Stream, Payload]] = []
        findings: list[Finding] = []
        for name, info in sorted(session["streams"].items()):
            video = Path(str(info.get("file", ""))).suffix.lower() in VIDEO_SUFFIXES
            kind = "video" if video else "audio" if name == "audio" else "numeric"
            if kind == "numeric":
                built = _numeric(path, name, info, report)
                if built is not None:
                    findings += built[2]
                    built = built[:2]
            elif kind == "video":
                built = _video(path, name, info, report, findings)
            else:
                built = _audio(path, name, info, int(session.get("start_ns", 0)))
            if built is None:
                findings.append(
                    report.finding(
                        "completeness.missing_stream",
                        f"stream {name}: file {info.get('file')} is missing",
                        Severity.blocking,
                        stream=name,
                    )
                )
                continue
            streams.append(built)
            report.add_stream(built[0])
        if not streams:
            raise UnreadableRecording(str(path), "no stream file of session.json is present")
        episode = make_episode(ctx, self.name, 0, streams, findings=findings, **_metadata(session))
        return ReadResult([episode], report)
