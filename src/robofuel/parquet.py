"""Reading a Parquet table from bytes, synchronously, so that no Arrow thread outlives the call holding Python
objects.

``pyarrow.parquet.read_table`` on a Python source (``io.BytesIO``, an fsspec file) goes through Arrow's dataset
scanner, whose asynchronous read-ahead may drop the last reference to the Python-backed buffer on an Arrow pool
thread after the call returned. When that happens while the interpreter shuts down, the thread must take the GIL,
Python ends it with ``pthread_exit``, the unwind crosses a ``noexcept`` C++ frame and the process aborts with
"terminate called without an active exception" (exit 134) after its work is done. A :class:`pyarrow.parquet.ParquetFile`
without pre-buffering reads in the calling thread and is closed here, before returning.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq


def read_parquet_bytes(data: bytes, columns: list[str] | None = None) -> pa.Table:
    """The table held by the Parquet file ``data`` (all columns, or ``columns``)."""
    with pq.ParquetFile(pa.BufferReader(data), pre_buffer=False) as file:
        return file.read(columns=columns)
