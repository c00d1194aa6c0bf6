"""Writing one shard: the streams of a batch of unpacked episodes into ``packs/<shard>/`` (layout in
:mod:`robofuel.lake.packs.layout`), the index last. Nothing here changes an episode: until the catalog records the
shard, it is a leftover folder that the next ``pack`` removes."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from robofuel.lake.episodes import frames_path, stream_paths
from robofuel.lake.packs.layout import EPISODE_ID, INDEX, PACKS, file_key, frames_file
from robofuel.lake.packs.read import table_digest
from robofuel.lake.store import Lake
from robofuel.parquet import read_parquet_bytes
from robofuel.standard import Episode, Stream, StreamKind

_INDEX_SCHEMA = pa.schema(
    [
        (EPISODE_ID, pa.string()),
        ("stream", pa.string()),
        ("storage", pa.string()),  # before packing
        ("files", pa.string()),  # JSON [[episode-relative path, sha256], ...] before packing, as the content hash
        ("path", pa.string()),  # the packed stream's path
        ("offset", pa.int64()),  # byte range in the .bin file (video, audio); -1 for a table
        ("size", pa.int64()),
        ("digest", pa.string()),  # table_digest of the packed rows (video: of its frames table)
    ]
)


#: A row group holds whole episodes, and is closed at the first episode boundary past this many rows: one per
#: episode for long episodes, several for short ones. Reading one episode costs the footer (about 50 us per row
#: group of 9 columns: 50 ms for a shard of 1,000 single-episode row groups) plus decoding its row group (about
#: 1 ms per 4,096 rows here); this bound keeps both small.
ROW_GROUP_ROWS = 4096


@dataclass
class _Table:
    """One shard table being written: its writer and the episodes not yet written as a row group."""

    sink: Any
    writer: pq.ParquetWriter
    pending: list[pa.Table] = field(default_factory=list)
    rows: int = 0

    def flush(self) -> None:
        if self.pending:
            table = pa.concat_tables(self.pending)
            self.writer.write_table(table, row_group_size=max(table.num_rows, 1))
            self.pending, self.rows = [], 0


@dataclass
class _Tables:
    """The open Parquet writers of a shard, one per (stream name, schema)."""

    lake: Lake
    folder: str
    writers: dict[str, _Table] = field(default_factory=dict)

    def append(self, file: str, episode_id: str, table: pa.Table) -> None:
        """Add an episode's rows to ``file`` (episodes come in id order; a row group never splits one)."""
        ids = pa.array([episode_id] * table.num_rows, pa.string())
        table = table.replace_schema_metadata(None).add_column(0, EPISODE_ID, ids)
        if file not in self.writers:
            sink = self.lake.open(f"{self.folder}/{file}", "wb")
            self.writers[file] = _Table(sink, pq.ParquetWriter(sink, table.schema, compression="zstd"))
        target = self.writers[file]
        target.pending.append(table)
        target.rows += table.num_rows
        if target.rows >= ROW_GROUP_ROWS:
            target.flush()

    def close(self) -> None:
        for target in self.writers.values():
            target.flush()
            target.writer.close()
            target.sink.close()


@dataclass
class _Blobs:
    """The open ``.bin`` files of a shard: bytes appended, their offsets counted."""

    lake: Lake
    folder: str
    files: dict[str, tuple[Any, int]] = field(default_factory=dict)

    def append(self, file: str, data: bytes) -> int:
        """Append ``data`` to ``file``; its offset there."""
        if file not in self.files:
            self.files[file] = (self.lake.open(f"{self.folder}/{file}", "wb"), 0)
        sink, offset = self.files[file]
        sink.write(data)
        self.files[file] = (sink, offset + len(data))
        return offset

    def close(self) -> None:
        for sink, _ in self.files.values():
            sink.close()


@dataclass
class _Names:
    """A file name per (stream name, kind, schema), unique in the shard."""

    taken: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    def __call__(self, stream: Stream, schema: str) -> str:
        key = f"{stream.name}\0{stream.kind.value}\0{schema}"
        if key not in self.keys:
            base = file_key(stream.name)
            if base in self.taken:
                base = f"{base}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
            self.taken[base] = key
            self.keys[key] = base
        return self.keys[key]


def _schema_key(table: pa.Table) -> str:
    return str(table.schema.remove_metadata())


class ShardWriter:
    """Writes the streams of episodes (added in episode-id order) into ``packs/<shard>/``."""

    def __init__(self, lake: Lake, shard: str) -> None:
        self.lake, self.shard, self.folder = lake, shard, f"{PACKS}/{shard}"
        self.tables, self.blobs, self.names = _Tables(lake, self.folder), _Blobs(lake, self.folder), _Names()
        self.index: list[dict[str, Any]] = []

    def add(self, meta: Episode) -> None:
        """Pack every stream of one stored, unpacked episode."""
        folder = self.lake.episode_dir(meta.id)
        rows = []
        for stream in sorted(meta.streams, key=lambda s: s.name):
            files = {rel: self.lake.read_bytes(f"{folder}/{rel}") for rel in stream_paths(stream)}
            rows.append(self._add_stream(meta.id, stream, files))
        self.index.append({"episode_id": meta.id, "rows": rows})

    def _add_stream(self, episode_id: str, stream: Stream, files: dict[str, bytes]) -> dict[str, Any]:
        shas = [[rel, hashlib.sha256(blob).hexdigest()] for rel, blob in files.items()]
        row: dict[str, Any] = {"stream": stream.name, "storage": stream.storage.value, "files": json.dumps(shas)}
        if stream.kind in (StreamKind.numeric, StreamKind.events):
            table = read_parquet_bytes(files[stream.path], use_threads=False)
            file = f"{self.names(stream, _schema_key(table))}.parquet"
            self.tables.append(file, episode_id, table)
            return {**row, "path": f"{self.folder}/{file}#{episode_id}", "offset": -1, "size": -1,
                    "digest": table_digest(table)}  # fmt: skip
        frames = None
        if stream.kind is StreamKind.video:
            frames = read_parquet_bytes(files[frames_path(stream)], use_threads=False)
        base = self.names(stream, "" if frames is None else _schema_key(frames))
        blob = files[stream.path]
        offset = self.blobs.append(f"{base}.bin", blob)
        digest = ""
        if frames is not None:
            self.tables.append(frames_file(f"{base}.bin"), episode_id, frames)
            digest = table_digest(frames)
        path = f"{self.folder}/{base}.bin#{episode_id}"
        return {**row, "path": path, "offset": offset, "size": len(blob), "digest": digest}

    def close(self) -> None:
        """Close the data files, then write the index."""
        self.tables.close()
        self.blobs.close()
        rows = [{EPISODE_ID: entry["episode_id"], **r} for entry in self.index for r in entry["rows"]]
        with self.lake.open(f"{self.folder}/{INDEX}", "wb") as sink:
            pq.write_table(pa.Table.from_pylist(rows, _INDEX_SCHEMA), sink, row_group_size=ROW_GROUP_ROWS)

    def abort(self) -> None:
        """Remove what was written (a failed shard)."""
        for closer in (self.tables.close, self.blobs.close):
            with contextlib.suppress(Exception):  # the shard is removed below, whatever state its files are in
                closer()
        if self.lake.exists(self.folder):
            self.lake.fs.rm(f"{self.lake.root}/{self.folder}", recursive=True)
