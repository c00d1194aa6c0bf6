"""``robofuel validate LAKE`` aborting at exit (issue 14: "terminate called without an active exception", exit 134,
about 1 run in 60-100): an Arrow pool thread dropped the last reference to the Python buffer that
``pq.read_table(io.BytesIO(...))`` read from, during interpreter shutdown (core dump: ``PyBuffer::~PyBuffer`` ->
``PyGILState_Ensure`` -> ``pthread_exit`` -> ``std::terminate``). Parquet from bytes is now read from memory Arrow
owns. A stress loop of processes is too slow for the suite; the release thread is what is checked."""

from __future__ import annotations

import gc
import io
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from factories import joint_episode
from robofuel.lake import Lake, load_episode, write_episode
from robofuel.parquet import read_parquet_bytes
from robofuel.validate.episode import check_episode_folder


class Blob(bytearray):
    """Parquet bytes that note the thread which releases them."""

    released_on: ClassVar[list[int]] = []

    def __del__(self) -> None:
        Blob.released_on.append(threading.get_ident())


def parquet_bytes() -> bytes:
    sink = io.BytesIO()
    table = pa.table({"timestamp_ns": np.arange(2_000, dtype=np.int64), "x": np.linspace(0, 1, 2_000)})
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def test_no_arrow_thread_releases_the_python_source() -> None:
    """With ``pq.read_table(pa.BufferReader(blob))`` about 1 read in 6 released ``blob`` on an Arrow thread."""
    raw, Blob.released_on[:] = parquet_bytes(), []
    for _ in range(300):
        table = read_parquet_bytes(Blob(raw))  # type: ignore[arg-type]  # any buffer works; this one reports
        assert table.num_rows == 2_000 and table.column_names == ["timestamp_ns", "x"]
    gc.collect()
    assert Blob.released_on == [threading.get_ident()] * 300
    assert read_parquet_bytes(raw, columns=["x"]).column_names == ["x"]


def test_lake_loads_and_validation_read_through_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import robofuel.lake.episodes as episodes
    import robofuel.validate.episode as validate

    calls: list[int] = []

    def counting(data: bytes, columns: list[str] | None = None, use_threads: bool = True) -> pa.Table:
        calls.append(len(data))
        return read_parquet_bytes(data, columns, use_threads)

    lake = Lake(tmp_path / "lake")
    meta = write_episode(lake, joint_episode())
    for module in (episodes, validate):
        monkeypatch.setattr(module, "read_parquet_bytes", counting)
    assert load_episode(lake, meta.id).payloads["joints"].timestamps_ns.size == 500  # type: ignore[union-attr]
    loaded = len(calls)
    assert loaded == 2  # the joints table and the camera's frame table
    assert check_episode_folder(lake.local_path(lake.episode_dir(meta.id)))[1] == []
    assert len(calls) == 2 * loaded
