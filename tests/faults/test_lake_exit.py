"""``robofuel validate LAKE`` aborting at exit (issue 14: "terminate called without an active exception", exit 134,
about 1 run in 60 under load): an Arrow pool thread finishing ``pq.read_table(io.BytesIO(...))``'s read-ahead dropped
the last reference to the Python buffer during interpreter shutdown. Parquet from bytes is now read synchronously,
and the Python buffer is released before the call returns; a stress loop is too slow for the suite."""

from __future__ import annotations

import io
import weakref
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from factories import joint_episode
from robofuel.lake import Lake, load_episode, write_episode
from robofuel.parquet import read_parquet_bytes
from robofuel.standard.validate import check_episode_folder


class Blob(bytearray):
    """Parquet bytes that can be watched with a weak reference."""


def parquet_blob() -> Blob:
    sink = io.BytesIO()
    table = pa.table({"timestamp_ns": np.arange(20_000, dtype=np.int64), "x": np.linspace(0, 1, 20_000)})
    pq.write_table(table, sink, compression="zstd", row_group_size=2_000)
    return Blob(sink.getvalue())


def test_no_arrow_thread_keeps_the_source_after_the_read() -> None:
    blob = parquet_blob()
    watch = weakref.ref(blob)
    table = read_parquet_bytes(blob)  # type: ignore[arg-type]  # any buffer works; a subclass can be watched
    del blob
    assert watch() is None  # released in this thread, before returning: nothing left for shutdown
    assert table.num_rows == 20_000 and table.column_names == ["timestamp_ns", "x"]
    assert read_parquet_bytes(parquet_blob(), columns=["x"]).column_names == ["x"]  # type: ignore[arg-type]


def test_lake_loads_and_validation_read_through_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import robofuel.lake.episodes as episodes
    import robofuel.standard.validate as validate

    calls: list[int] = []

    def counting(data: bytes, columns: list[str] | None = None) -> pa.Table:
        calls.append(len(data))
        return read_parquet_bytes(data, columns)

    lake = Lake(tmp_path / "lake")
    meta = write_episode(lake, joint_episode())
    for module in (episodes, validate):
        monkeypatch.setattr(module, "read_parquet_bytes", counting)
    assert load_episode(lake, meta.id).payloads["joints"].timestamps_ns.size == 500  # type: ignore[union-attr]
    loaded = len(calls)
    assert loaded == 2  # the joints table and the camera's frame table
    assert check_episode_folder(lake.local_path(lake.episode_dir(meta.id)))[1] == []
    assert len(calls) == 2 * loaded
