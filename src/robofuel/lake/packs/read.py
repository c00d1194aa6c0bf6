"""Reading one episode's part of a shard: its row group of a shard table (found by the row groups' ``episode_id``
statistics, so only that row group and the footer are read: predicate push-down), its byte range of a ``.bin``
file, its rows of the shard's index."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import OrderedDict
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from robofuel.lake.packs.layout import EPISODE_ID, index_path, split_ref
from robofuel.lake.store import Lake


def _row_groups(meta: pq.FileMetaData, episode_id: str) -> list[int]:
    """The row group holding ``episode_id`` (row groups hold whole episodes, sorted by id: a binary search over
    their statistics), as a list: empty when the episode has no rows there."""
    column = meta.schema.names.index(EPISODE_ID)

    def bounds(i: int) -> tuple[str, str] | None:
        stats = meta.row_group(i).column(column).statistics
        return (stats.min, stats.max) if stats is not None and stats.has_min_max else None

    low, high = 0, meta.num_row_groups
    while low < high:  # the first row group whose ids do not all sort before episode_id (empty ones skipped)
        mid = (low + high) // 2
        found = bounds(mid)
        probe = mid
        while found is None and probe + 1 < high:
            probe += 1
            found = bounds(probe)
        if found is None or found[1] >= episode_id:
            high = mid
        else:
            low = probe + 1
    for i in range(low, meta.num_row_groups):
        found = bounds(i)
        if found is None:
            continue
        return [i] if found[0] <= episode_id <= found[1] else []
    return []


#: Footers of shard tables read lately, by (lake, file): a shard file is written once under a new name, never changed.
_FOOTERS: OrderedDict[tuple[str, str], pq.FileMetaData] = OrderedDict()
_FOOTERS_KEPT = 64


def _footer(lake: Lake, file: str, source: Any) -> pq.FileMetaData:
    key = (lake.uri, file)
    if key in _FOOTERS:
        _FOOTERS.move_to_end(key)
        return _FOOTERS[key]
    meta = pq.read_metadata(source)
    _FOOTERS[key] = meta
    if len(_FOOTERS) > _FOOTERS_KEPT:
        _FOOTERS.popitem(last=False)
    return meta


def read_rows(lake: Lake, file: str, episode_id: str, columns: list[str] | None = None) -> pa.Table:
    """The rows of ``episode_id`` in the shard table ``file`` (lake-relative), without the ``episode_id`` column
    (an empty table of the file's columns when it has none)."""
    source: Any = lake.local_path(file) if lake.is_local else lake.open(file)
    with contextlib.ExitStack() as stack:
        if not lake.is_local:
            stack.enter_context(source)
        shard = pq.ParquetFile(source, metadata=_footer(lake, file, source), pre_buffer=False)
        names = [c for c in shard.schema_arrow.names if c != EPISODE_ID] if columns is None else columns
        groups = _row_groups(shard.metadata, episode_id)
        if groups:
            table = shard.read_row_groups(groups, columns=[EPISODE_ID, *names], use_threads=False)
            table = table.filter(pc.equal(table.column(EPISODE_ID), episode_id)).select(names)
        else:
            table = shard.schema_arrow.empty_table().select(names)
        del shard  # released here, on this thread (see robofuel.parquet)
    return table.combine_chunks()


def read_stream_rows(lake: Lake, path: str, columns: list[str] | None = None) -> pa.Table:
    """The rows of a packed stream (``packs/<shard>/<file>#<episode_id>``)."""
    file, episode_id = split_ref(path)
    return read_rows(lake, file, episode_id, columns)


def index_entry(lake: Lake, shard: str, episode_id: str, stream: str) -> dict[str, Any]:
    """One stream's row of a shard's index (byte range, unpacked form, digest), ``files`` decoded."""
    for row in read_rows(lake, index_path(shard), episode_id).to_pylist():
        if row["stream"] == stream:
            return {**row, "files": json.loads(row["files"])}
    raise FileNotFoundError(f"{lake.uri}/{index_path(shard)}: no entry for stream {stream} of episode {episode_id}")


def read_range(lake: Lake, file: str, offset: int, size: int) -> bytes:
    """``size`` bytes at ``offset`` of a shard's ``.bin`` file (a ranged read on an object store)."""
    if size == 0:
        return b""
    data: bytes = lake.fs.cat_file(f"{lake.root}/{file}", start=offset, end=offset + size)
    return data


def table_digest(table: pa.Table) -> str:
    """sha256 of a table's column names, types and values, independent of how Parquet encoded them."""
    digest = hashlib.sha256()
    for name, column in zip(table.column_names, table.columns, strict=True):
        digest.update(f"{name}\0{column.type}\0".encode())
        if (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)) and column.null_count == 0:
            digest.update(column.to_numpy().tobytes())
        else:
            digest.update(json.dumps(column.to_pylist(), default=repr).encode())
    return digest.hexdigest()
