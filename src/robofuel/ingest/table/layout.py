"""Text tables that are not a signal sampled over time: their layout said plainly, with what to do (issue 13, class 8).

- **A single column of numbers** (KITTI's ``times.txt``: one time per line, the poses in another file): rising, it
  is times without a signal; else values without a time. No reader takes it (a table has two columns at least), so
  :func:`single_column` gives the message of its refusal.
- **Timed text rows**: a start time, an end time and text (a speech transcript, annotation segments), with at most
  one other number (a confidence): events, not a signal (:func:`timed_text`); the csv reader refuses them unless a
  mapping file names the time column or the streams.
- **Point rows**: more than :data:`POINT_RATE_HZ` rows per second with shared timestamps (a lidar's points, one row
  per point, as Foxglove's point-cloud CSV example): kept as a stream, with an ``ingest.table_layout`` warning
  (:func:`point_rows`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.ingest.table.text import is_comment

#: Rows per second above which a table's rows are points or packets rather than samples of one signal.
POINT_RATE_HZ = 100_000.0
#: A column holding when a row's interval ends.
_END = re.compile(r"(?i)(end|stop|finish|until)\w*(time|stamp|_?t\b|_ns|_us|_ms|_s\b)|duration")
_LINES_SHOWN = 5


def _numbers(path: Path) -> list[float] | None:
    """Every value of a file whose data lines each hold one number (comments and blank lines aside), else None."""
    values: list[float] = []
    try:
        with path.open(encoding="utf-8", errors="strict") as f:
            for line in f:
                text = line.strip()
                if not text or is_comment(text):
                    continue
                values.append(float(text))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return values if len(values) >= 2 else None


def single_column(path: Path, suffixes: tuple[str, ...]) -> tuple[str, str] | None:
    """(problem, hint) for a text file of ``suffixes`` holding a single column of numbers, else None."""
    if not path.is_file() or path.suffix.lower() not in suffixes:
        return None
    values = _numbers(path)
    if values is None:
        return None
    series = np.asarray(values, dtype=np.float64)
    head = f"text table layout not recognised: a single column of {len(values)} numbers"
    if bool(np.all(np.diff(series) > 0)):
        return (
            f"{head} rising from {series[0]:g} to {series[-1]:g} (times, it seems) and no signal column",
            "such a file times another one line by line (KITTI's times.txt times the poses file): put the times "
            "beside the values they time, e.g. `paste -d ' ' times.txt poses.txt > timed.txt`, and ingest that "
            "(docs/formats/csv.md)",
        )
    return (
        f"{head} and no time column",
        "a table needs a time column beside its values (or a rate: --set rate_hz=HZ, with two columns at least): "
        "see docs/formats/csv.md",
    )


def timed_text(names: list[str], time_index: int | None, numeric: list[int], text: list[int]) -> str | None:
    """The problem of a table of timed text rows (start and end times, text, at most one other number), else None.

    ``names`` are every column's names, ``numeric`` and ``text`` the indices of the numeric and text columns (the
    time column is ``time_index``)."""
    if time_index is None or not text:
        return None
    others = [i for i in numeric if i != time_index]
    ends = [i for i in others if _END.search(names[i])]
    rest = [i for i in others if i not in ends]
    if not ends or len(rest) > 1:
        return None
    listed = ", ".join(names[i] for i in text)
    beside = f", and {names[rest[0]]}" if rest else ""
    return (
        f"timed text rows, not a signal: each row has a start ({names[time_index]}) and an end "
        f"({', '.join(names[i] for i in ends)}), text ({listed}){beside} (the layout of a speech transcript or of "
        "annotation segments); robofuel ingests signals sampled over time"
    )


TIMED_TEXT_HINT = (
    "keep it beside the recording it annotates; to ingest its numbers as a signal anyway, name the time column or "
    "the streams in a mapping file (table.time, table.streams: docs/formats/mapping.md) and pass it with --map"
)


def point_rows(name: str, times_ns: np.ndarray[Any, np.dtype[np.int64]]) -> str | None:
    """The message of a table whose rows are points or packets (faster than :data:`POINT_RATE_HZ`, timestamps
    shared), else None."""
    if len(times_ns) < 100:
        return None
    steps = np.diff(times_ns)
    span_s = float(times_ns[-1] - times_ns[0]) / 1e9
    shared = int(np.count_nonzero(steps == 0))
    if not shared or span_s <= 0 or (len(times_ns) - 1) / span_s < POINT_RATE_HZ:
        return None
    return (
        f"{name}: {len(times_ns)} rows in {span_s * 1e3:.1f} ms ({(len(times_ns) - 1) / span_s / 1e3:.0f} kHz), "
        f"{shared} sharing a timestamp with the row before: the layout of a point cloud or a packet log (one row "
        "per point), not a signal sampled over time; the rows are kept as one stream, so QC judges them as one "
        "signal: convert the points to a point-cloud recording (e.g. MCAP with foxglove.PointCloud), or write a "
        "mapping file (docs/formats/mapping.md) for the columns that are a signal"
    )
