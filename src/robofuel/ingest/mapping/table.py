"""The mapping file's ``[table]``: how the table readers (csv, hdf5) find time and group columns into streams.

```toml
[table]
time = "Time (s)"          # the column (CSV header text, unit suffix included) or dataset (HDF5 path) of time
time_unit = "s"            # "s", "ms", "us" or "ns"; default: from the header text, else from the magnitude
rate_hz = 1000.0           # no time column: row k is at k / rate_hz s (``--set rate_hz=...`` says the same)
[table.streams]            # stream name = columns (CSV) or datasets (HDF5); default: one stream per file
wrench = ["Fx", "Fy", "Fz", "Tx", "Ty", "Tz"]
pose = "/data/pose"
```

HDF5 only: ``episodes = "demo_*"`` makes each matching group one episode (dataset paths relative to it).

Roles, units and frames of the streams made this way are given by ``[[streams]]`` rules, as for any reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from robofuel.ingest.base import given_rate

if TYPE_CHECKING:
    from robofuel.ingest.base import ReadContext
    from robofuel.ingest.mapping.model import TableTable

#: Nanoseconds per time unit.
UNIT_NS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


@dataclass(frozen=True)
class TableSpec:
    """Where a table's time is (``time`` column or dataset, in ``time_unit``) or its rate, and its streams."""

    time: str | None = None
    time_unit: str | None = None
    rate_hz: float | None = None
    streams: dict[str, tuple[str, ...]] = field(default_factory=dict)
    episodes: str | None = None  # HDF5: a glob of the groups that are one episode each


def spec_of(table: TableTable) -> TableSpec:
    """The ``[table]`` of a mapping file (validated by its model) as the readers use it."""
    streams = {name: (v,) if isinstance(v, str) else tuple(v) for name, v in table.streams.items()}
    rate = None if table.rate_hz is None else float(table.rate_hz)
    return TableSpec(table.time, table.time_unit, rate, streams, table.episodes)


def table_spec(ctx: ReadContext) -> TableSpec:
    """The mapping's ``[table]`` for this read, with a rate given by ``--set rate_hz=...`` (or ``fps``) applied (it
    replaces a time column)."""
    spec = ctx.mapping.table if ctx.mapping is not None and ctx.mapping.table is not None else TableSpec()
    rate = given_rate(ctx)
    if rate is None:
        return spec
    return TableSpec(None, None, rate, spec.streams, spec.episodes)
