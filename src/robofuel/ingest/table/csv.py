"""Reader for tabular time series in delimited text (docs/formats/csv.md): one file is one episode.

The dialect (delimiter, comments, header) is found by :mod:`robofuel.ingest.table.text`. Time: the mapping's
``[table] time`` column, else ``--set rate_hz`` / ``[table] rate_hz``, else the first numeric column whose name
says time (``Time (s)``, ``#timestamp [ns]``, ``tracking_timestamp_us``), else in a file without a header the first
column when it never decreases, else a rate stated in a comment (``// Sample rate: 50.0Hz``); its unit as
:mod:`robofuel.ingest.table.time` decides. Times are parsed exactly from the text (never through a float). Numbers
of the time unit are ns since the Unix epoch when the values are epoch times, else from 0 (``extra.time_base`` =
``relative``). Streams: one per file named after it (all numeric columns), or as ``[table.streams]`` says (columns
it leaves out make the file's stream). Lines that do not parse are skipped with a blocking finding, as in the
wearable reader.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import Built, ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.ingest.mapping.table import UNIT_NS, TableSpec, table_spec
from robofuel.ingest.table.layout import TIMED_TEXT_HINT, point_rows, timed_text
from robofuel.ingest.table.text import (
    Dialect,
    bad_lines,
    column_names,
    dialect_lines,
    find_dialect,
    is_comment,
    iso_columns,
    text_columns,
)
from robofuel.ingest.table.time import epoch_unit, infer_unit, iso_ns, text_to_ns, unit_from_name
from robofuel.standard import Finding, NumericData, Severity, numeric_stream

SUFFIXES = (".csv", ".tsv", ".txt", ".dat", ".tab")
_TIME_NAME = re.compile(r"(?i)time|stamp|^ts?(?:[_\s\[(]|$)")
_RATE = re.compile(r"(?i)(?:sample|sampling)?\s*(?:rate|frequency)\D{0,6}?(\d+(?:\.\d+)?)\s*hz")
_SNIFF_BYTES = 65536
Rows = np.ndarray[Any, np.dtype[np.int64]]


@dataclass
class Table:
    """A parsed table: value columns (time column removed), their units, row times and how time was found."""

    names: list[str]
    units: dict[str, str]
    values: np.ndarray[Any, np.dtype[np.float64]]
    times_ns: np.ndarray[Any, np.dtype[np.int64]] | None
    timing: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def stream_name(path: Path) -> str:
    """A stream name from a file name: its stem with characters other than letters, digits, ``_.-`` as ``_``."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", path.stem) or "table"


def _time_index(
    names: list[str], dialect: Dialect, numeric: list[int], iso: list[int], spec: TableSpec, path: Path
) -> int | None:
    """The candidate time column: named by the mapping, else a numeric one named like time, else an ISO 8601 text
    column, else col 0 of a table without a header."""
    if spec.time is not None:
        raw = dialect.header or []
        for i, name in enumerate(names):
            if spec.time in (name, raw[i] if i < len(raw) else None):
                return i
        raise UnreadableRecording(str(path), f"no column {spec.time!r} (table.time)", f"columns: {names}")
    if spec.rate_hz is not None:
        return None
    named = next((i for i in numeric if _TIME_NAME.search(names[i])), None) if dialect.header is not None else None
    if named is not None or iso:
        return named if named is not None else iso[0]
    return 0 if 0 in numeric and dialect.header is None else None


@dataclass
class _Clock:
    """The time column and how its text becomes ns, decided from the sampled first rows before the file is read."""

    index: int
    name: str
    unit: str  # s, ms, us, ns, or "ISO 8601"
    how: str
    guess: bool = False
    naive: bool = False  # an ISO time without a time zone was seen

    def ns(self, text: str) -> int:
        if self.unit == "ISO 8601":
            value, aware = iso_ns(text)
            self.naive = self.naive or not aware
            return value
        return text_to_ns(text, UNIT_NS[self.unit])


def _clock(
    t_col: int | None,
    names: list[str],
    units: dict[str, str],
    sample: list[list[str]],
    iso: bool,
    spec: TableSpec,
    dialect: Dialect,
) -> _Clock | None:
    """How to read the time column ``t_col``: ISO text, or a number in the mapping's / header's / inferred unit."""
    if t_col is None:
        return None
    name = names[t_col]
    if iso:
        return _Clock(t_col, name, "ISO 8601", "the text")
    if spec.time_unit is not None:
        return _Clock(t_col, name, spec.time_unit, "the mapping file (table.time_unit)")
    stated = units.get(name)
    unit = unit_from_name(f"{name} ({stated})" if stated else name)
    if unit is not None:
        return _Clock(t_col, name, unit, f"the column header {name!r}" + (f" ({stated})" if stated else ""))
    values = []
    for row in sample:
        try:
            values.append(dialect.number(row[t_col]))
        except (ValueError, IndexError):
            continue
    unit, how = infer_unit(np.array(values, dtype=np.float64))
    return _Clock(t_col, name, unit, f"{how} (first {len(values)} rows)", guess=True)


def read_table(path: Path, report: ReadReport, spec: TableSpec, row_times: Rows | None = None) -> Table:
    """Parse a delimited text table; UnreadableRecording when it is not one or has no time. ``row_times`` (a video's
    frame times) time a table without a time column that has one row per frame. Memory: 8 bytes per value and per
    time, the file is read line by line."""
    head = _head_lines(path)
    dialect = find_dialect(head[: dialect_lines(head)])
    if dialect is None:
        raise UnreadableRecording(
            str(path), "not a table of numbers (no consistent delimiter)", "see docs/formats/csv.md"
        )
    names, units = column_names(dialect)
    skip = text_columns(dialect, head[dialect.first_data :])
    numeric = [i for i in range(dialect.width) if i not in skip]
    iso = iso_columns(dialect, head, skip)
    t_col = _time_index(names, dialect, numeric, iso, spec, path)
    events = timed_text(names, t_col, numeric, sorted(skip - {t_col}))
    if events is not None and spec.time is None and not spec.streams:
        raise UnreadableRecording(str(path), events, TIMED_TEXT_HINT)
    sample = [dialect.split(x) for x in head[dialect.first_data :][:200] if x.strip() and not is_comment(x)]
    clock = _clock(t_col, names, units, sample, t_col in skip, spec, dialect)
    values, times, bad, cut = _parse(path, dialect, numeric, clock)
    findings = bad_lines(path, report, bad, cut)
    for i in sorted(skip - {t_col}):
        report.skipped[f"{path.name}: text column {names[i]}"] += len(values)
    bare = t_col == 0 and dialect.header is None and spec.time is None and t_col not in skip
    table = Table([names[i] for i in numeric], units, values, None, {}, findings)
    if clock is None or (bare and not _rises(values[:, 0])):  # a bare first column is time only if it rises
        return _by_rate(table, dialect, spec, path, report, row_times)
    return _timed(table, clock, times, path, report)


def _head_lines(path: Path, size: int = 262144) -> list[str]:
    """The complete lines in the first ``size`` bytes (all lines of a smaller file)."""
    with path.open("rb") as f:
        blob = f.read(size)
        more = bool(f.read(1))
    lines = blob.decode("utf-8", errors="replace").split("\n")
    return lines[:-1] if more and len(lines) > 1 else lines


def _timed(table: Table, clock: _Clock, times: Rows, path: Path, report: ReadReport) -> Table:
    """The table timed by its time column (removed from the values), with findings for what was assumed."""
    if clock.guess:
        text = f"{path.name}: time column {clock.name!r} has no unit; {clock.how}"
        table.findings.append(report.finding("timing.assumed_unit", text, Severity.info))
    if clock.naive:
        text = f"{path.name}: time column {clock.name!r} has no time zone; taken as UTC"
        table.findings.append(report.finding("timing.assumed_timezone", text, Severity.info))
    if clock.name in table.names:
        index = table.names.index(clock.name)
        table.names.pop(index)
        table.values = np.delete(table.values, index, axis=1)
    table.units.pop(clock.name, None)
    points = point_rows(path.name, times)
    if points is not None:
        table.findings.append(report.finding("ingest.table_layout", points, Severity.warning))
    epoch = len(times) > 0 and epoch_unit(float(times[0]) / 1e9) == "s"
    table.times_ns = times
    time_base = "unix" if epoch else "relative"
    table.timing = {"time": clock.name, "time_unit": clock.unit, "unit_from": clock.how, "time_base": time_base}
    return table


def _parse(path: Path, dialect: Dialect, numeric: list[int], clock: _Clock | None) -> tuple[Any, Rows, list[int], bool]:
    """(values (N, C), times (N,) ns or empty, 1-based numbers of the lines that did not parse, whether the last
    of them is a last line cut inside its last value), reading the file line by line into flat arrays."""
    flat, stamps, bad = array("d"), array("q"), []
    cut = False
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        for number, line in enumerate(f, start=1):
            if number <= dialect.first_data or not line.strip() or is_comment(line):
                continue
            fields = dialect.split(line.rstrip("\n"))
            ends = line.endswith("\n")  # without a final LF, an empty last cell was cut inside its value
            try:
                if len(fields) != dialect.width or (not ends and not fields[-1]):
                    raise ValueError(f"{len(fields)} fields")
                row = [dialect.number(fields[i]) for i in numeric]
                if clock is not None:
                    stamp = fields[clock.index].replace(",", ".") if dialect.decimal_comma else fields[clock.index]
                    stamps.append(clock.ns(stamp))
            except (ValueError, ZeroDivisionError, OverflowError):
                bad.append(number)
                cut = not ends
                continue
            flat.extend(row)
    values = np.frombuffer(flat, dtype=np.float64).reshape(-1, len(numeric)) if numeric else np.zeros((0, 0))
    return values, np.frombuffer(stamps, dtype=np.int64), bad, cut


def _rises(column: np.ndarray[Any, np.dtype[np.float64]]) -> bool:
    finite = column[np.isfinite(column)]
    return finite.size >= 2 and bool(np.all(np.diff(finite) >= 0)) and finite[-1] > finite[0]


def _by_rate(
    table: Table, dialect: Dialect, spec: TableSpec, path: Path, report: ReadReport, row_times: Rows | None
) -> Table:
    """Row k at k / rate: the rate from --set / the mapping, else from a comment line, else refused; or row k at
    ``row_times[k]`` when given and there are as many rows."""
    rate, how = spec.rate_hz, "--set rate_hz / table.rate_hz"
    if rate is None and row_times is not None and len(row_times) == len(table.values):
        table.times_ns, table.timing = row_times, {"time_base": "one row per video frame"}
        return table
    if rate is None:
        found = next((m for c in dialect.comments if (m := _RATE.search(c))), None)
        if found is None or not float(found.group(1)) > 0:
            raise UnreadableRecording(
                str(path),
                f"no time column (columns: {', '.join(table.names)}) and no sample rate"
                + (f"; {len(table.values)} rows for {len(row_times)} video frames" if row_times is not None else ""),
                "give the rate with --set rate_hz=HZ, or name the time column in a mapping file (table.time)",
            )
        rate, how = float(found.group(1)), f"the comment {found.group(0)!r}"
        note = f"{path.name}: no time column; rows taken to be {rate:g} Hz apart ({how})"
        table.findings.append(report.finding("timing.assumed_rate", note, Severity.info))
    table.times_ns = np.round(np.arange(len(table.values)) * (1e9 / rate)).astype(np.int64)
    table.timing = {"rate_hz": rate, "rate_from": how, "time_base": "relative"}
    return table


def table_streams(table: Table, path: Path, spec: TableSpec, report: ReadReport) -> list[Built]:
    """The table's columns as numeric streams: ``table.streams`` groups, the rest as one stream named after the
    file; columns without any value (every cell empty) are left out and counted in ``skipped``."""
    assert table.times_ns is not None
    empty = {n for i, n in enumerate(table.names) if not np.isfinite(table.values[:, i]).any() and len(table.values)}
    for name in sorted(empty):
        report.skipped[f"{path.name}: column {name} (not provided: every cell empty)"] += len(table.values)
    groups: dict[str, list[str]] = {}
    for stream, wanted in spec.streams.items():
        present = [c for c in wanted if c in table.names]
        for missing in (c for c in wanted if c not in table.names):
            report.finding("mapping.unmatched", f"{path.name}: table.streams {stream}: no column {missing!r}")
        if present:
            groups[stream] = present
    used = {c for cols in groups.values() for c in cols}
    rest = [c for c in table.names if c not in used]
    if rest:
        groups.setdefault(stream_name(path), rest)
    built: list[Built] = []
    for stream, cols in groups.items():
        cols = [c for c in cols if c not in empty]
        if not cols:
            continue
        idx = [table.names.index(c) for c in cols]
        data = NumericData(table.times_ns, table.values[:, idx])
        units = {c: table.units[c] for c in cols if c in table.units}
        built.append((numeric_stream(stream, data, cols, source=path.name, column_units=units), data))
    return built


class CsvReader(Reader):
    name = "csv"
    description = (
        "tabular time series in CSV/TSV/semicolon/whitespace text, with or without a header (docs/formats/csv.md)"
    )
    fallback = True

    def sniff(self, path: Path) -> bool:
        try:
            if not path.is_file() or path.suffix.lower() not in SUFFIXES:
                return False
            with path.open("rb") as f:
                head = f.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
            lines = head.split("\n")
            return find_dialect(lines[: dialect_lines(lines)]) is not None
        except (OSError, ValueError):
            return False

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        report = ReadReport(str(path), self.name)
        spec = table_spec(ctx)
        table = read_table(path, report, spec)
        built = table_streams(table, path, spec, report)
        if not built or not len(table.values):
            raise UnreadableRecording(str(path), "no row of numbers could be read", "see docs/formats/csv.md")
        for stream, _ in built:
            report.decoded += stream.count
            report.add_stream(stream, **table.timing)
        extra = {"time_base": table.timing["time_base"], "table": table.timing}
        episode = make_episode(ctx, self.name, 0, built, findings=table.findings, extra=extra)
        return ReadResult([episode], report)
