"""An episode against the standard, stored in a folder or in memory (the checks of ``robofuel validate``).

What is checked: the metadata parses as the standard's :class:`Episode`; every stream's files exist; numeric tables
have an int64 ``timestamp_ns`` column and exactly the declared columns as float64, with ``count`` rows; video frame
tables have ``count`` rows and packet offsets inside the blob; audio is a WAV with the declared rate and channels;
and the stored content hash matches the files. For a recording or exported folder (say a LeRobot dataset), it is
read with its reader and the resulting episodes are checked in memory.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass, field
from pathlib import Path

from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem
from pydantic import ValidationError

from robofuel.lake.packs.layout import is_packed
from robofuel.parquet import read_parquet_bytes
from robofuel.standard.data import AudioData, EpisodeData, EventsData, NumericData, VideoData
from robofuel.standard.models import Episode, Stream, StreamKind


@dataclass
class ValidationResult:
    """Problems found per checked item (an episode id or a path), empty lists meaning valid; and warnings."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # worth knowing, not a reason to call the item invalid

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def add(self, item: str, problems: list[str]) -> None:
        self.problems.setdefault(item, []).extend(problems)


def _check_numeric_table(stream: Stream, blob: bytes) -> list[str]:
    try:
        table = read_parquet_bytes(blob)
    except Exception as exc:
        return [f"{stream.path}: not a readable Parquet table ({exc})"]
    problems = []
    schema = {f.name: str(f.type) for f in table.schema}
    if schema.get("timestamp_ns") != "int64":
        problems.append(f"{stream.path}: timestamp_ns must be int64, found {schema.get('timestamp_ns')}")
    expected = ["timestamp_ns", *stream.columns]
    if table.column_names != expected:
        problems.append(
            f"{stream.path}: columns {table.column_names[:6]}... differ from the declared {expected[:6]}..."
        )
    bad = [c for c in stream.columns if schema.get(c) not in (None, "double")]
    if bad:
        problems.append(f"{stream.path}: columns {bad[:5]} are not float64")
    if table.num_rows != stream.count:
        problems.append(f"{stream.path}: {table.num_rows} rows, metadata says count={stream.count}")
    return problems


def _check_frames_table(stream: Stream, frames: bytes, blob_size: int) -> list[str]:
    table = read_parquet_bytes(frames)
    problems = []
    if table.num_rows != stream.count:
        problems.append(f"{stream.name}: {table.num_rows} frame timestamps, metadata says count={stream.count}")
    if "offset" in table.column_names and table.num_rows:
        end = max(
            o + s for o, s in zip(table.column("offset").to_pylist(), table.column("size").to_pylist(), strict=True)
        )
        if end > blob_size:
            problems.append(f"{stream.path}: packets reach byte {end} but the file has {blob_size}")
    return problems


def _check_wav(stream: Stream, blob: bytes) -> list[str]:
    try:
        with wave.open(io.BytesIO(blob)) as w:
            rate, channels, n = w.getframerate(), w.getnchannels(), w.getnframes()
    except (wave.Error, EOFError) as exc:
        return [f"{stream.path}: not a readable WAV file ({exc})"]
    problems = []
    if rate != stream.sample_rate or channels != stream.channels:
        problems.append(f"{stream.path}: {rate} Hz x{channels}, metadata says {stream.sample_rate} x{stream.channels}")
    if n != stream.count:
        problems.append(f"{stream.path}: {n} samples, metadata says count={stream.count}")
    return problems


def check_episode_folder(folder: Path | str, fs: AbstractFileSystem | None = None) -> tuple[str, list[str]]:
    """(episode id or folder name, problems) for a stored episode folder: a local one, or a path in ``fs`` (the
    fsspec filesystem of a remote lake)."""
    fs = fs or LocalFileSystem()
    base = str(folder).rstrip("/")

    def read(rel: str) -> bytes | None:
        try:
            data: bytes = fs.cat_file(f"{base}/{rel}")
        except (FileNotFoundError, IsADirectoryError):
            return None
        return data

    try:
        meta = Episode.model_validate_json(fs.cat_file(f"{base}/episode.json"))
    except (OSError, ValidationError) as exc:
        return base.rsplit("/", 1)[-1], [f"{base}/episode.json: {exc}"]
    problems: list[str] = []
    for stream in meta.streams:
        if is_packed(stream):
            continue  # in a shard: the lake's check compares it with the shard's index (stored_content_hash)
        if not fs.isfile(f"{base}/{stream.path}"):
            problems.append(f"stream {stream.name}: file {stream.path} is missing")
        elif stream.kind is StreamKind.numeric:
            problems += _check_numeric_table(stream, read(stream.path) or b"")
        elif stream.kind is StreamKind.video:
            frames = read(f"streams/{stream.name}.frames.parquet")
            if frames is None:
                problems.append(f"stream {stream.name}: frame table {stream.name}.frames.parquet is missing")
            else:
                problems += _check_frames_table(stream, frames, int(fs.size(f"{base}/{stream.path}")))
        elif stream.kind is StreamKind.audio:
            problems += _check_wav(stream, read(stream.path) or b"")
    return meta.id, problems


def check_episode_data(data: EpisodeData) -> list[str]:
    """Problems of an in-memory episode (as a reader produced it)."""
    problems: list[str] = []
    for stream in data.meta.streams:
        payload = data.payloads.get(stream.name)
        if payload is None:
            problems.append(f"stream {stream.name}: no samples")
        elif isinstance(payload, NumericData):
            if payload.values.shape != (stream.count, len(stream.columns)):
                problems.append(
                    f"stream {stream.name}: values {payload.values.shape}, "
                    f"metadata says ({stream.count}, {len(stream.columns)})"
                )
        elif isinstance(payload, VideoData):
            if len(payload.timestamps_ns) != stream.count:
                problems.append(f"stream {stream.name}: {len(payload.timestamps_ns)} frames, count={stream.count}")
        elif isinstance(payload, EventsData) and len(payload.timestamps_ns) != stream.count:
            problems.append(f"stream {stream.name}: {len(payload.timestamps_ns)} events, count={stream.count}")
        elif isinstance(payload, AudioData) and payload.count != stream.count:
            problems.append(f"stream {stream.name}: {payload.count} samples, count={stream.count}")
    return problems
