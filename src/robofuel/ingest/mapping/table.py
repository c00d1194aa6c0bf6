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
    from robofuel.ingest.mapping.file import _Table

#: Nanoseconds per time unit.
UNIT_NS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
KEYS = ("time", "time_unit", "rate_hz", "streams", "episodes")


@dataclass(frozen=True)
class TableSpec:
    """Where a table's time is (``time`` column or dataset, in ``time_unit``) or its rate, and its streams."""

    time: str | None = None
    time_unit: str | None = None
    rate_hz: float | None = None
    streams: dict[str, tuple[str, ...]] = field(default_factory=dict)
    episodes: str | None = None  # HDF5: a glob of the groups that are one episode each


def parse_table(t: _Table) -> TableSpec:
    """The ``[table]`` of a mapping file, validated (``t`` is the table being read, for error messages)."""
    unit = t.raw.get("time_unit")
    if unit is not None and unit not in UNIT_NS:
        raise t.error("time_unit", f"must be one of {', '.join(map(repr, UNIT_NS))}, got {unit!r}", 'write "ns"')
    spec = TableSpec(
        time=t.text("time", "timestamp"),
        time_unit=unit,
        rate_hz=t.number("rate_hz", 100.0),
        streams=_streams(t),
        episodes=t.text("episodes", "demo_*"),
    )
    if spec.time is not None and spec.rate_hz is not None:
        raise t.error("rate_hz", "given with time: rows are timed by one or the other", "leave one out")
    if spec.time_unit is not None and spec.time is None:
        raise t.error("time_unit", "needs time (the column or dataset it is the unit of)", 'add time = "..."')
    return spec


def _streams(t: _Table) -> dict[str, tuple[str, ...]]:
    raw = t.raw.get("streams", {})
    example = '{ wrench = ["Fx", "Fy", "Fz"] }'
    if not isinstance(raw, dict):
        raise t.error("streams", "must be a table of stream name = columns", f"write streams = {example}")
    out: dict[str, tuple[str, ...]] = {}
    for name, value in raw.items():
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
            raise t.error(f"streams.{name}", f"must be a column name or a list of them, got {value!r}", example)
        out[str(name)] = tuple(items)
    return out


def table_spec(ctx: ReadContext) -> TableSpec:
    """The mapping's ``[table]`` for this read, with a rate given by ``--set rate_hz=...`` (or ``fps``) applied (it
    replaces a time column)."""
    spec = ctx.mapping.table if ctx.mapping is not None and ctx.mapping.table is not None else TableSpec()
    rate = given_rate(ctx)
    if rate is None:
        return spec
    return TableSpec(None, None, rate, spec.streams, spec.episodes)
