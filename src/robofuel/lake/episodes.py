"""Writing canonical episodes into the lake and loading them back.

Stream files inside an episode folder:

- numeric: ``streams/<name>.parquet`` with ``timestamp_ns`` (int64) then one float64 column per channel;
- video: the original container (``streams/<name>.mp4``) or the concatenated packets (``streams/<name>.h264``,
  ``.jpeg``...) plus ``streams/<name>.frames.parquet`` (``timestamp_ns`` per frame; ``offset``/``size`` in bytes for
  packets);
- audio: ``streams/<name>.wav`` (PCM, lossless);
- events: ``streams/<name>.parquet`` with ``timestamp_ns`` (int64) then one column per field (string, integer,
  float, boolean, binary or list of floats, as the values are; null where an event lacks the field).

The episode's ``content_hash`` is the sha256 over every stream's name, storage kind and the sha256 of each of its
files, so it identifies the samples and not the metadata that steps add.

A packed stream (``robofuel pack``: :mod:`robofuel.lake.packs`) lies in a shard instead; the loaders here read it
from there, and its content hash is still that of the files it was packed from (the shard's index keeps their
sha256, and a digest of the packed rows that :func:`stored_content_hash` checks).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import wave
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from robofuel.lake.packs.layout import frames_file, is_packed, shard_of, split_ref, unpacked_stream
from robofuel.lake.packs.read import index_entry, read_range, read_rows, read_stream_rows, table_digest
from robofuel.lake.store import Lake
from robofuel.parquet import read_parquet_bytes
from robofuel.standard import (
    AudioData,
    Episode,
    EpisodeData,
    EventsData,
    NumericData,
    Payload,
    Storage,
    Stream,
    StreamKind,
    VideoData,
)


def frames_path(stream: Stream) -> str:
    """Path of a video stream's per-frame table, relative to the episode folder."""
    return f"streams/{stream.name}.frames.parquet"


def stream_paths(stream: Stream) -> list[str]:
    """Every file of a stream, relative to the episode folder, in the order the content hash covers them."""
    return [stream.path, frames_path(stream)] if stream.kind is StreamKind.video else [stream.path]


def _hash_entry(digest: Any, stream: Stream, files: dict[str, str]) -> None:
    """Feed one stream (name, storage, and the sha256 of each file) into the episode's content hash."""
    digest.update(f"{stream.name}\0{stream.storage.value}\0".encode())
    for rel in stream_paths(stream):
        digest.update(f"{rel}\0{files[rel]}\0".encode())


def stored_content_hash(lake: Lake, meta: Episode) -> str:
    """Recompute the content hash of a stored episode from its files (a packed stream: check its packed rows or
    bytes against the shard's index, then use the sha256 of the files it was packed from)."""
    folder = lake.episode_dir(meta.id)
    digest = hashlib.sha256()
    for stream in sorted(meta.streams, key=lambda s: s.name):
        if is_packed(stream):
            _packed_hash_entry(lake, meta, stream, digest)
            continue
        files = {rel: hashlib.sha256(lake.read_bytes(f"{folder}/{rel}")).hexdigest() for rel in stream_paths(stream)}
        _hash_entry(digest, stream, files)
    return digest.hexdigest()


def _packed_hash_entry(lake: Lake, meta: Episode, stream: Stream, digest: Any) -> None:
    """Feed a packed stream into the content hash as the files it was packed from, if its packed data is intact
    (otherwise a marker that makes the hash differ)."""
    entry = index_entry(lake, shard_of(stream.path), meta.id, stream.name)
    file, _ = split_ref(stream.path)
    if entry["offset"] < 0:
        intact = table_digest(read_stream_rows(lake, stream.path)) == entry["digest"]
    else:
        blob = read_range(lake, file, entry["offset"], entry["size"])
        intact = hashlib.sha256(blob).hexdigest() == entry["files"][0][1]
        if stream.kind is StreamKind.video:
            intact = intact and table_digest(read_rows(lake, frames_file(file), meta.id)) == entry["digest"]
    digest.update(f"{stream.name}\0{entry['storage']}\0".encode())
    for rel, sha in entry["files"]:
        digest.update(f"{rel}\0{sha if intact else 'damaged'}\0".encode())


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _numeric_table(data: NumericData, columns: list[str]) -> pa.Table:
    arrays = [pa.array(data.timestamps_ns, pa.int64())]
    arrays += [pa.array(data.values[:, i], pa.float64()) for i in range(data.values.shape[1])]
    return pa.Table.from_arrays(arrays, names=["timestamp_ns", *columns])


def _video_files(data: VideoData) -> tuple[bytes, pa.Table]:
    if data.file is not None:
        blob = data.file.read_bytes()
        table = pa.table({"timestamp_ns": pa.array(data.timestamps_ns, pa.int64())})
        return blob, table
    packets = data.packets or []
    sizes = np.array([len(p) for p in packets], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if len(sizes) else sizes
    table = pa.table(
        {
            "timestamp_ns": pa.array(data.timestamps_ns, pa.int64()),
            "offset": pa.array(offsets, pa.int64()),
            "size": pa.array(sizes, pa.int64()),
        }
    )
    return b"".join(packets), table


def _events_table(data: EventsData) -> pa.Table:
    arrays = [pa.array(data.timestamps_ns, pa.int64())]
    for values in data.fields.values():
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds of value in one field: kept as text
            arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
    return pa.Table.from_arrays(arrays, names=["timestamp_ns", *data.fields])


def _wav_bytes(data: AudioData) -> bytes:
    if data.file is not None:
        return data.file.read_bytes()
    samples = np.asarray(data.samples if data.samples is not None else np.zeros((0, 1)), dtype="<i2")
    sink = io.BytesIO()
    with wave.open(sink, "wb") as w:
        w.setnchannels(data.channels)
        w.setsampwidth(2)
        w.setframerate(data.sample_rate)
        w.writeframes(samples.tobytes())
    return sink.getvalue()


def _stream_files(stream: Stream, payload: Payload) -> dict[str, bytes]:
    """{episode-relative path: bytes} to write for one stream."""
    if isinstance(payload, NumericData):
        return {stream.path: _parquet_bytes(_numeric_table(payload, stream.columns))}
    if isinstance(payload, VideoData):
        blob, table = _video_files(payload)
        return {stream.path: blob, frames_path(stream): _parquet_bytes(table)}
    if isinstance(payload, EventsData):
        return {stream.path: _parquet_bytes(_events_table(payload))}
    return {stream.path: _wav_bytes(payload)}


def write_episode(lake: Lake, data: EpisodeData) -> Episode:
    """Stage every stream and the metadata, then move the folder into place; return the stored metadata.

    The catalog row is not written here: the caller commits it once this returns, which makes the episode visible.
    On any failure (a full disk: :class:`~robofuel.errors.StorageError`) the staged folder is removed.
    """
    staging = lake.new_staging()
    try:
        digest = hashlib.sha256()
        streams = []
        for stream in sorted(data.meta.streams, key=lambda s: s.name):
            if stream.name not in data.payloads:
                raise ValueError(f"episode {data.meta.id}: stream {stream.name!r} has no payload")
            stream = unpacked_stream(stream, data.payloads[stream.name])  # a new version is written unpacked
            streams.append(stream)
            files = _stream_files(stream, data.payloads[stream.name])
            for rel, blob in files.items():
                with lake.writing(f"episode {data.meta.id}"), lake.open(f"{staging}/{rel}", "wb") as f:
                    f.write(blob)
            _hash_entry(digest, stream, {rel: hashlib.sha256(blob).hexdigest() for rel, blob in files.items()})
        by_name = {s.name: s for s in streams}
        stored = [by_name[s.name] for s in data.meta.streams]
        meta = data.meta.model_copy(update={"content_hash": digest.hexdigest(), "streams": stored})
        lake.write_meta(meta, folder=staging)
        lake.commit_staging(staging, meta.id)
    except BaseException:
        lake.discard_staging(staging)
        raise
    return meta


def _read_parquet(lake: Lake, rel: str) -> pa.Table:
    # on this thread: an episode's files are small, Arrow's pool costs more than it saves
    return read_parquet_bytes(lake.read_bytes(rel), use_threads=False)


def _stream_table(lake: Lake, meta: Episode, stream: Stream) -> pa.Table:
    """A numeric or events stream's table: its file, or its rows of a shard table (parquet-packed)."""
    if stream.storage is Storage.parquet_packed:
        return read_stream_rows(lake, stream.path)
    return _read_parquet(lake, f"{lake.episode_dir(meta.id)}/{stream.path}")


def load_numeric(lake: Lake, meta: Episode, stream: Stream) -> NumericData:
    """Load one numeric stream of a stored episode."""
    table = _stream_table(lake, meta, stream)
    ts = table.column("timestamp_ns").to_numpy().astype(np.int64)
    cols = [table.column(c).to_numpy(zero_copy_only=False).astype(np.float64) for c in stream.columns]
    values = np.stack(cols, axis=1) if cols else np.zeros((len(ts), 0))
    return NumericData(ts, values)


def load_video(lake: Lake, meta: Episode, stream: Stream) -> VideoData:
    """A stored video stream: the container file (in a remote lake, a temporary local copy removed with the payload)
    or its packets, with frame timestamps."""
    if is_packed(stream):
        return _load_packed_video(lake, meta, stream)
    folder = lake.episode_dir(meta.id)
    table = _read_parquet(lake, f"{folder}/{frames_path(stream)}")
    ts = table.column("timestamp_ns").to_numpy().astype(np.int64)
    common = {"codec": stream.codec or "", "width": stream.width, "height": stream.height}
    if "offset" not in table.column_names:
        if lake.is_local:
            return VideoData(ts, file=lake.local_path(f"{folder}/{stream.path}"), **common)  # type: ignore[arg-type]
        return _with_copy(VideoData(ts, file=lake.download(f"{folder}/{stream.path}"), **common))  # type: ignore[arg-type]
    return _packets_video(ts, table, lake.read_bytes(f"{folder}/{stream.path}"), common)


def _with_copy(video: VideoData) -> VideoData:
    """``video``, whose file (a temporary copy) is removed with the payload."""
    assert video.file is not None
    weakref.finalize(video, video.file.unlink, missing_ok=True)
    return video


def _load_packed_video(lake: Lake, meta: Episode, stream: Stream) -> VideoData:
    """A video stream packed in a shard: its frames rows, and its bytes read as one range of the ``.bin`` file
    (a container: a temporary copy under its original suffix)."""
    file, _ = split_ref(stream.path)
    table = read_rows(lake, frames_file(file), meta.id)
    entry = index_entry(lake, shard_of(stream.path), meta.id, stream.name)
    blob = read_range(lake, file, entry["offset"], entry["size"])
    ts = table.column("timestamp_ns").to_numpy().astype(np.int64)
    common = {"codec": stream.codec or "", "width": stream.width, "height": stream.height}
    if "offset" in table.column_names:
        return _packets_video(ts, table, blob, common)
    fd, name = tempfile.mkstemp(prefix="robofuel-", suffix="".join(Path(entry["files"][0][0]).suffixes[-1:]))
    with os.fdopen(fd, "wb") as f:
        f.write(blob)
    return _with_copy(VideoData(ts, file=Path(name), **common))  # type: ignore[arg-type]


def _packets_video(ts: np.ndarray, table: pa.Table, blob: bytes, common: dict[str, Any]) -> VideoData:
    """A video of packets cut from ``blob`` at the frames table's offsets and sizes (bytes)."""
    offsets = table.column("offset").to_numpy()
    sizes = table.column("size").to_numpy()
    packets = [blob[int(o) : int(o) + int(n)] for o, n in zip(offsets, sizes, strict=True)]
    return VideoData(ts, packets=packets, **common)  # type: ignore[arg-type]


def load_audio(lake: Lake, meta: Episode, stream: Stream) -> AudioData:
    """A stored audio stream, decoded from its WAV into int16 samples (N, channels)."""
    if is_packed(stream):
        entry = index_entry(lake, shard_of(stream.path), meta.id, stream.name)
        blob = read_range(lake, split_ref(stream.path)[0], entry["offset"], entry["size"])
    else:
        blob = lake.read_bytes(f"{lake.episode_dir(meta.id)}/{stream.path}")
    with wave.open(io.BytesIO(blob)) as w:
        frames = w.readframes(w.getnframes())
        channels, rate = w.getnchannels(), w.getframerate()
    samples = np.frombuffer(frames, dtype="<i2").reshape(-1, channels)
    return AudioData(stream.start_ns or meta.start_ns, rate, channels, len(samples), samples=samples)


def load_events(lake: Lake, meta: Episode, stream: Stream) -> EventsData:
    """Load one events stream of a stored episode."""
    table = _stream_table(lake, meta, stream)
    ts = table.column("timestamp_ns").to_numpy().astype(np.int64)
    return EventsData(ts, {c: table.column(c).to_pylist() for c in table.column_names if c != "timestamp_ns"})


def load_episode(lake: Lake, episode_id: str, kinds: set[str] | None = None) -> EpisodeData:
    """Load an episode's metadata and the payloads of the stream kinds asked for (default: all)."""
    meta = lake.read_meta(episode_id)
    data = EpisodeData(meta)
    loaders: dict[str, Callable[[Lake, Episode, Stream], Payload]] = {
        "numeric": load_numeric,
        "video": load_video,
        "audio": load_audio,
        "events": load_events,
    }
    for stream in meta.streams:
        if kinds is None or stream.kind.value in kinds:
            loader = loaders.get(stream.kind.value)
            if loader is not None:
                data.payloads[stream.name] = loader(lake, meta, stream)
    return data
